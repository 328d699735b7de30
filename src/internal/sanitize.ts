/**
 * The one sanitizer for text that came from outside (user input, stored values, upstream answers)
 * before it is shown in an error, a log line or CLI output:
 *
 * - URL credentials are masked (`https://<redacted>:<redacted>@host`; the user name too, since it
 *   is often the token itself, as in `https://TOKEN@github.com`), the same marker as `redactUrl`;
 * - token-like query parameters (`token`, `key`, `apikey`, `password`, `secret`, `access_token`,
 *   `sig`, ...) are masked (`?token=<redacted>`);
 * - explicitly given secrets (configured credentials, their Basic-auth base64 form) are masked;
 * - control characters (C0, DEL, C1) and bidirectional overrides are escaped (`\x1b`, `\u202e`), so
 *   a terminal escape sequence in a scanned file or a corrupt value is shown, never executed.
 *
 * Hand-written (regular expressions, no dependency): no maintained library masks credentials in
 * free text, and escaping is a one-line replace.
 */

/** The marker put in place of a secret (the same one `redactUrl` uses). */
export const redacted = "<redacted>"

/** Query parameter names whose values are secrets (matched case-insensitively, as a part of the name). */
export const secretParameter = /token|key|secret|password|passwd|pwd|auth|sig|credential|session/i

// `scheme://userinfo@` — userinfo without `/`, `?`, `#`, `@` or whitespace (ssh's conventional `git@` is kept).
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi
// `?name=value` / `&name=value` / `;name=value` in any text.
const queryParameter = /([?&;])([^=&\s?#;"'<>]+)=([^&\s#;"'<>]*)/g
// C0 controls, DEL, C1 controls, and the bidirectional embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const unsafeCharacter = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

const escapeCharacter = (c: string): string => {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * `text` made safe to display: credentials in URLs, token-like query parameters and every string
 * of `secrets` (shorter than 3 characters: ignored) masked, control characters escaped.
 */
export const sanitizeForDisplay = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = String(text)
  const masked = secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)
  if (masked.length > 0) out = out.replace(new RegExp(masked.map(escapeRegExp).join("|"), "g"), redacted)
  out = out.replace(urlCredentials, (whole, scheme: string, userinfo: string) =>
    userinfo === "git" ? whole : `${scheme}${userinfo.includes(":") ? `${redacted}:${redacted}` : redacted}@`)
  out = out.replace(queryParameter, (whole, sep: string, name: string, value: string) =>
    value !== "" && value !== redacted && secretParameter.test(name) ? `${sep}${name}=${redacted}` : whole)
  return out.replace(unsafeCharacter, escapeCharacter)
}

/**
 * `sanitizeForDisplay`, then cut to `maxLength` characters (default 200) with the original length
 * noted: for echoed input lines (a skipped manifest entry, a parse error), which can be arbitrarily long.
 */
export const sanitize = (text: string, maxLength = 200): string => {
  const safe = sanitizeForDisplay(text)
  return safe.length > maxLength ? `${safe.slice(0, maxLength)}…(${safe.length} chars)` : safe
}

/**
 * The forms a Basic-auth credential can take in an echoed request: the secret itself, its
 * percent-encoding, `base64(user:secret)` and the whole `Basic ...` header value.
 */
export const basicAuthSecrets = (user: string, secret: string): ReadonlyArray<string> => {
  const encoded = Buffer.from(`${user}:${secret}`, "utf8").toString("base64")
  return Array.from(new Set([secret, encodeURIComponent(secret), encoded, encoded.replace(/=+$/, ""), `Basic ${encoded}`]))
}
