/**
 * Helpers shared by the upstream sources (KEV, EPSS, OSS Index): base URLs (validation, reading
 * from the environment) and short, readable descriptions of schema failures for malformed-record
 * reports. Every source accepts a base URL so it can point at a mirror, a local test server or an
 * offline `file://` snapshot.
 */
import { Effect, Option, ParseResult } from "effect"
import { ConfigurationError } from "../../Errors.js"
import { stringVar } from "../config.js"
import { displayUrl } from "./fetch.js"

/** Which URL schemes a setting accepts: `file:` only where a local mirror can stand in (whole-file downloads). */
export interface UrlRules {
  readonly allowFile: boolean
}

/**
 * Checks that `url` is an absolute `http:`/`https:` URL (or `file:` when allowed). `variable` names
 * the option or environment variable in the error; credentials in the URL are masked there.
 */
export const validateUrl = (
  variable: string,
  url: string,
  rules: UrlRules
): Effect.Effect<string, ConfigurationError> =>
  Effect.suspend(() => {
    const trimmed = url.trim()
    let protocol: string
    try {
      protocol = new URL(trimmed).protocol
    } catch {
      return Effect.fail(
        new ConfigurationError({ variable, value: displayUrl(trimmed), detail: "not an absolute URL" })
      )
    }
    const allowed = rules.allowFile ? ["http:", "https:", "file:"] : ["http:", "https:"]
    return allowed.includes(protocol)
      ? Effect.succeed(trimmed)
      : Effect.fail(
        new ConfigurationError({
          variable,
          value: displayUrl(trimmed),
          detail: `unsupported scheme ${protocol} (expected ${allowed.join(", ")})`
        })
      )
  })

/**
 * The URL for a setting: `override` when given (from code), else the environment variable (read
 * through the current `ConfigProvider`), else `fallback`; validated either way.
 */
export const resolveUrl = (
  variable: string,
  override: string | undefined,
  fallback: string,
  rules: UrlRules
): Effect.Effect<string, ConfigurationError> =>
  Effect.flatMap(
    override === undefined ? stringVar(variable) : Effect.succeed(Option.some(override)),
    (value) => validateUrl(variable, Option.getOrElse(value, () => fallback), rules)
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
