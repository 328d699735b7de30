/**
 * Reading configuration through Effect's `Config` (so tests can swap the `ConfigProvider`), with
 * errors that name the variable and the bad value (secrets never, URL credentials masked).
 *
 * The one config idiom: every module describes its options as a `Config.Config<Options>` built
 * from `Config` combinators (`Config.integer`, `Config.validate`, `Config.redacted`,
 * `withDefault`), keyed by environment variable (an option with no variable is keyed
 * `<Module>.<option>`, which no environment sets). `layerConfig(config)` loads one with `load`;
 * `layer(options)` passes code options through the same `Config` (`fromValues`) and
 * `layerFromEnv(overrides)` reads the environment with the overrides in front (`loadWith`), so each
 * rule is written once. A value that fails is a `ConfigurationError`, never "unset".
 */
import { Config, ConfigError, ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { ConfigurationError } from "../Errors.js"
import { secretParameter } from "./sanitize.js"

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

/** Variables whose values never appear in errors, except as a URL with its credentials masked. */
const secretVariables: ReadonlySet<string> = new Set(["REDIS_URL", "OSSINDEX_TOKEN"])

/** How a bad value is shown: a URL with credentials masked; a secret variable's other values not at all. */
const shownValue = (variable: string, raw: string): string | undefined =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) ? redactUrl(raw.trim()) : secretVariables.has(variable) ? undefined : raw

/**
 * Loads `config` through the current `ConfigProvider`; a failure is a `ConfigurationError` naming
 * the variable and the raw value (`shownValue`: URL credentials masked, secrets never shown).
 */
export const load = <A>(config: Config.Config<A>): Effect.Effect<A, ConfigurationError> =>
  Effect.catchAll(config, (error) => {
    const failure = configurationErrorOf(error)
    return Effect.flatMap(Effect.option(Config.string(failure.variable)), (raw) => {
      const value = Option.isSome(raw) ? shownValue(failure.variable, raw.value) : undefined
      return Effect.fail(value === undefined ? failure : new ConfigurationError({ ...failure, value }))
    })
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

/**
 * Validates values given in code (keyed by variable, e.g. from `keyedBy`) with `config`, ignoring
 * the environment: what is not given takes the `Config`'s defaults. Errors name the key.
 */
export const fromValues = <A>(
  config: Config.Config<A>,
  values: Readonly<Record<string, unknown>>
): Effect.Effect<A, ConfigurationError> =>
  Effect.withConfigProvider(loadWith(config, values), ConfigProvider.fromMap(new Map()))

/**
 * Options keyed by their configuration key (`keys[option]`), for `loadWith`/`fromValues`; options
 * without a key (durations, TLS objects) are left out.
 */
export const keyedBy = (keys: Readonly<Record<string, string>>, options: object): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(options).flatMap(([option, value]) => {
      const key = keys[option]
      return key === undefined ? [] : [[key, value]]
    })
  )

/**
 * The options among `names` that are set: typed values given in code (durations, TLS objects)
 * that have no text form and are taken as they are.
 */
export const given = <A extends object, K extends keyof A>(options: A, names: ReadonlyArray<K>): Partial<Pick<A, K>> =>
  Object.fromEntries(names.flatMap((name) => (options[name] === undefined ? [] : [[name, options[name]]]))) as Partial<
    Pick<A, K>
  >

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

/**
 * An optional text variable, trimmed; unset or blank is `None` (a blank variable is how shells
 * unset one). A text value cannot be invalid, so nothing is ever dropped.
 */
export const optionalText = (name: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.flatMap((s) => (s.trim() === "" ? Option.none() : Option.some(s.trim()))))
  )

/**
 * `Either` helper for `Config.mapOrFail`: `InvalidData` with `message` at the variable being
 * mapped, or at `variable` for a rule over several variables (mapped over `Config.all`).
 */
export const invalid = (message: string, variable?: string): Either.Either<never, ConfigError.ConfigError> =>
  Either.left(ConfigError.InvalidData(variable === undefined ? [] : [variable], message))

