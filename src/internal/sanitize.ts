/**
 * One sanitizer for text echoed from user input (a skipped manifest line, a parse error, a stored
 * value): URL credentials and token-like query parameters are masked, control characters escaped,
 * and the result is shortened. Hand-written because it must work on free text, where a URL is only
 * part of a line (WHATWG `URL` parses whole URLs only).
 */

/** Query-parameter names whose values are secrets (`?access_token=`, `&api_key=`, `&sig=`, ...). */
const secretParameter =
  /([?&;](?:[\w.-]*(?:token|secret|password|passwd|pwd|auth|key|sig|signature|credential|session)[\w.-]*)=)([^&#\s"'<>]*)/gi

/** `scheme://user:password@` or `scheme://token@` right before a host. */
const userInfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'<>]*)(?::([^\s/?#@"'<>]*))?@/gi

/** C0 and C1 control characters and DEL (terminal escape sequences start with one). */
const control = /[\u0000-\u001f\u007f-\u009f]/g

const escapeControl = (c: string): string => {
  if (c === "\t") return "\\t"
  if (c === "\n") return "\\n"
  if (c === "\r") return "\\r"
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`
}

/**
 * Masks credentials in URLs (`https://user:secret@host` → `https://user:***@host`; a user part
 * without password is taken for a token: `https://***@host`, except ssh's `git@`), masks token-like query parameters
 * (`?token=***`), and escapes control characters, so the text is safe to print and log.
 */
export const maskSecrets = (text: string): string =>
  text
    .replace(userInfo, (whole: string, scheme: string, user: string, password: string | undefined) =>
      password !== undefined ? `${scheme}${user}:***@` : user === "git" ? whole : `${scheme}***@`)
    .replace(secretParameter, (_, name: string) => `${name}***`)

/**
 * `maskSecrets`, then control characters escaped (`\x1b`, `\n`), then cut to `maxLength`
 * characters (default 200) with the original length noted.
 */
export const sanitize = (text: string, maxLength = 200): string => {
  const safe = maskSecrets(text).replace(control, escapeControl)
  return safe.length > maxLength ? `${safe.slice(0, maxLength)}…(${safe.length} chars)` : safe
}
