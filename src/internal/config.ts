/**
 * Reading environment variables through Effect's `Config` (so tests can swap the
 * `ConfigProvider`), with validation errors that name the variable and the bad value.
 *
 * The one config idiom: every module describes its options as a `Config.Config<Options>` built
 * from `Config` combinators (`Config.integer`, `Config.validate`, `Config.redacted`,
 * `withDefault`), named by environment variable; `layerConfig(config)` loads it with `load`, and
 * `layer(options)` validates code options with the same `Config` (`loadWith`), so the rules exist once.
 */
import { Config, ConfigError, ConfigProvider, Effect, Either, Option, Redacted } from "effect"
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

/** Variables whose values never appear in errors. */
const secretVariables = new Set(["REDIS_URL", "OSSINDEX_TOKEN"])

/**
 * Loads `config` through the current `ConfigProvider`; a failure is a `ConfigurationError` naming
 * the variable and (unless it is a secret) the raw value, credentials in URLs masked.
 */
export const load = <A>(config: Config.Config<A>): Effect.Effect<A, ConfigurationError> =>
  Effect.catchAll(config, (error) => {
    const failure = configurationErrorOf(error)
    if (secretVariables.has(failure.variable)) return Effect.fail(failure)
    return Effect.flatMap(
      Effect.option(Config.string(failure.variable)),
      (raw) =>
        Effect.fail(
          Option.isSome(raw)
            ? new ConfigurationError({ variable: failure.variable, value: /^[a-z][a-z0-9+.-]*:\/\//i.test(raw.value) ? redactUrl(raw.value) : raw.value, detail: failure.detail })
            : failure
        )
    )
  })

/**
 * Loads `config` with `values` (keyed by variable name, e.g. options given in code) in front of
 * the current `ConfigProvider`: code options and the environment pass the same validation.
 */
export const loadWith = <A>(
  config: Config.Config<A>,
  values: Readonly<Record<string, unknown>>
): Effect.Effect<A, ConfigurationError> =>
  Effect.configProviderWith((current) => {
    const entries: Array<[string, string]> = Object.entries(values).flatMap(([key, value]): Array<[string, string]> =>
      value === undefined
        ? []
        : [[key, Array.isArray(value) ? value.join(",") : Redacted.isRedacted(value) ? String(Redacted.value(value)) : String(value)]]
    )
    const provider = ConfigProvider.fromMap(new Map(entries)).pipe(ConfigProvider.orElse(() => current))
    return Effect.withConfigProvider(load(config), provider)
  })

/** An integer variable within [min, max]; the error says the range. */
export const integerIn = (name: string, min: number, max: number): Config.Config<number> =>
  Config.integer(name).pipe(
    Config.validate({ message: `expected an integer between ${min} and ${max}`, validation: (n) => n >= min && n <= max })
  )

/** A string variable matching `pattern` (after trimming); `message` says what is expected. */
export const matching = (name: string, pattern: RegExp, message: string): Config.Config<string> =>
  // Validated before trimming (a `map` first would drop the variable's name from the error).
  Config.string(name).pipe(Config.validate({ message, validation: (s) => pattern.test(s.trim()) }), Config.map((s) => s.trim()))

/** An optional variable as `undefined` when unset (invalid values still fail). */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.option(config).pipe(Config.map(Option.getOrUndefined))

/** `Either` helper for `Config.mapOrFail`: `InvalidData` with `message` at the variable. */
export const invalid = (message: string): Either.Either<never, ConfigError.ConfigError> =>
  Either.left(ConfigError.InvalidData([], message))

