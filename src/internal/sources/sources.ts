/**
 * Helpers shared by the upstream sources (KEV, EPSS, OSS Index): base URLs (validation, reading
 * from the environment) and short, readable descriptions of schema failures for malformed-record
 * reports. Every source accepts a base URL so it can point at a mirror, a local test server or an
 * offline `file://` snapshot.
 */
import { Config, Either, ParseResult } from "effect"
import { invalid } from "../config.js"

/** Which URL schemes a setting accepts: `file:` only where a local mirror can stand in (whole-file downloads). */
export interface UrlRules {
  readonly allowFile: boolean
}

/** What is wrong with `url` as a base URL under `rules`, or `undefined` when it is fine. */
const urlProblem = (url: string, rules: UrlRules): string | undefined => {
  let protocol: string
  try {
    protocol = new URL(url.trim()).protocol
  } catch {
    return "not an absolute URL"
  }
  const allowed = rules.allowFile ? ["http:", "https:", "file:"] : ["http:", "https:"]
  return allowed.includes(protocol) ? undefined : `unsupported scheme ${protocol} (expected ${allowed.join(", ")})`
}

/**
 * A base-URL variable: an absolute `http:`/`https:` URL (or `file:` when allowed), trimmed (add
 * `Config.withDefault` for a fallback). Options given in code pass it too (`fromValues`).
 */
export const urlConfig = (variable: string, rules: UrlRules): Config.Config<string> =>
  Config.string(variable).pipe(
    Config.mapOrFail((url) => {
      const detail = urlProblem(url, rules)
      return detail === undefined ? Either.right(url.trim()) : invalid(detail)
    })
  )

/** `base` + `path` with exactly one `/` between them (bases may or may not end with `/`). */
export const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`

/**
 * A one-line description of a schema failure (`path: message; ...`, at most 300 characters), for
 * malformed-record reports and `DecodeError`s.
 */
export const describeParseError = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const text = issues
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`)
    .join("; ")
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}
