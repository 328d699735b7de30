/**
 * Reading environment variables through Effect's `Config` (so tests can swap the
 * `ConfigProvider`), with validation errors that name the variable and the bad value.
 */
import { Config, type ConfigError, Effect, Option, Redacted } from "effect"
import { ConfigurationError } from "../Errors.js"
import { secretParameter } from "./sanitize.js"

/** A raw optional string variable; empty strings count as unset. */
export const stringVar = (name: string): Effect.Effect<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.map(Option.filter((s) => s.trim().length > 0))
  )

/** A secret optional variable; its value never appears in errors. */
export const secretVar = (name: string): Effect.Effect<Option.Option<Redacted.Redacted<string>>> =>
  stringVar(name).pipe(Effect.map(Option.map((s) => Redacted.make(s))))

/** An optional integer variable within [min, max]. */
export const integerVar = (
  name: string,
  bounds: { readonly min: number; readonly max: number }
): Effect.Effect<Option.Option<number>, ConfigurationError> =>
  stringVar(name).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.succeed(Option.none<number>()),
        onSome: (raw) => {
          const trimmed = raw.trim()
          const n = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN
          return Number.isSafeInteger(n) && n >= bounds.min && n <= bounds.max
            ? Effect.succeed(Option.some(n))
            : Effect.fail(
              new ConfigurationError({
                variable: name,
                value: raw,
                detail: `expected an integer between ${bounds.min} and ${bounds.max}`
              })
            )
        }
      })
    )
  )

/**
 * Masks the credentials (user and password) and secret-looking query parameters (token, key,
 * secret, password, auth, sig, ...: `sanitize.secretParameter`) of a URL for logs and errors. The one masking
 * rule for Redis and HTTP URLs; `sanitizeForDisplay` applies the same rule to URLs inside free text.
 */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.username) parsed.username = "<redacted>"
    if (parsed.password) parsed.password = "<redacted>"
    for (const key of Array.from(parsed.searchParams.keys())) {
      if (secretParameter.test(key)) parsed.searchParams.set(key, "<redacted>")
    }
    // WHATWG URL serialization percent-encodes the angle brackets; show the marker as written.
    return parsed.toString().replaceAll("%3Credacted%3E", "<redacted>")
  } catch {
    return "<unparseable URL>"
  }
}

/** The first variable a `ConfigError` is about, and its message. */
export const configurationErrorOf = (error: ConfigError.ConfigError): ConfigurationError => {
  let leaf = error
  while (leaf._op === "And" || leaf._op === "Or") leaf = leaf.left
  return new ConfigurationError({ variable: leaf.path.join(".") || "configuration", detail: leaf.message })
}

