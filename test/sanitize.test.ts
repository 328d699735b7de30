/**
 * The one display sanitizer: URL credentials, token-like query parameters, given secrets (and the
 * Basic-auth forms of a credential) masked; control characters escaped.
 */
import { describe, expect, it } from "@effect/vitest"
import { basicAuthSecrets, sanitizeForDisplay } from "../src/internal/sanitize.js"

describe("sanitizeForDisplay", () => {
  it("masks URL credentials (user name too) in free text, as the requirements.txt line of issue 13", () => {
    expect(sanitizeForDisplay("--index-url https://user:secret@host/simple")).toBe(
      "--index-url https://<redacted>:<redacted>@host/simple"
    )
    expect(sanitizeForDisplay("git+https://ghp_abcdef123@github.com/o/r.git")).toBe(
      "git+https://<redacted>@github.com/o/r.git"
    )
    expect(sanitizeForDisplay("see redis://:pw@10.0.0.1:6379/0 and mailto:a@b.c")).toBe(
      "see redis://<redacted>:<redacted>@10.0.0.1:6379/0 and mailto:a@b.c"
    )
  })

  it("masks token-like query parameters and keeps the others", () => {
    expect(sanitizeForDisplay("https://h/x?token=abc&page=2&apikey=k1;sig=zz#frag")).toBe(
      "https://h/x?token=<redacted>&page=2&apikey=<redacted>;sig=<redacted>#frag"
    )
    expect(sanitizeForDisplay("GET /?access_token=ya29.a0&Password=p&client_secret=s")).toBe(
      "GET /?access_token=<redacted>&Password=<redacted>&client_secret=<redacted>"
    )
  })

  it("escapes control characters, ESC included, and bidi overrides", () => {
    expect(sanitizeForDisplay("a\u001b[2Jb\r\nc\u0000\u009b\u202eZ")).toBe("a\\x1b[2Jb\\x0d\\x0ac\\x00\\x9b\\u202eZ")
    expect(sanitizeForDisplay("plain ünïcode ✓")).toBe("plain ünïcode ✓")
  })

  it("masks given secrets and every Basic-auth form of a credential", () => {
    const secrets = basicAuthSecrets("me@example.com", "t0ken/+=")
    const basic = Buffer.from("me@example.com:t0ken/+=").toString("base64")
    const text = `Authorization: Basic ${basic}; raw t0ken/+=; url t0ken%2F%2B%3D; bare ${basic.replace(/=+$/, "")}`
    const shown = sanitizeForDisplay(text, secrets)
    for (const form of [basic, basic.replace(/=+$/, ""), "t0ken/+=", "t0ken%2F%2B%3D"]) expect(shown).not.toContain(form)
    expect(shown).toBe("Authorization: <redacted>; raw <redacted>; url <redacted>; bare <redacted>")
    // Too short to mask safely (it would blank out ordinary words).
    expect(sanitizeForDisplay("a b", ["a"])).toBe("a b")
  })
})
