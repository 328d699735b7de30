/**
 * Store configuration: TTLs, compression level and dictionary, and key prefix.
 *
 * | option | environment variable | default |
 * | --- | --- | --- |
 * | `ttlSeconds` | `VULNERA__STORE__TTL_SECONDS` | none (advisories and enrichment never expire) |
 * | `ossIndexTtlSeconds` | `VULNERA__STORE__OSSINDEX_TTL_SECONDS` | 3600 |
 * | `compressionLevel` | `VULNERA__STORE__COMPRESSION_LEVEL` | 3 (valid 1..22) |
 * | `compressionDictionary` | `VULNERA__STORE__COMPRESSION_DICTIONARY` | per backend: `none` on Redis/DragonflyDB (frames the Rust crate can read), `osv-v1` on LMDB and memory |
 * | `keyPrefix` | `VULNERA__STORE__KEY_PREFIX` | `vuln` |
 *
 * Where the store lives is the backend's option, not part of this configuration:
 * `VULNERA__STORE__PATH` (and `VULNERA__STORE__MAP_SIZE_BYTES`) are read by `LmdbStore.config`,
 * `REDIS_URL` by `DragonflyStore.layerFromEnv`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option } from "effect"
import { ConfigurationError } from "./Errors.js"
import { type DictionaryName, dictionaryNames, isDictionaryName } from "./internal/compression/dictionaries.js"
import { integerVar, stringVar } from "./internal/config.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface StoreConfigShape {
  /** TTL of advisories and enrichment entries in seconds; `undefined` = no expiry. */
  readonly ttlSeconds: number | undefined
  /** TTL of OSS Index cache entries in seconds. */
  readonly ossIndexTtlSeconds: number
  /** zstd level, 1..22. */
  readonly compressionLevel: number
  /**
   * The zstd dictionary new values are written with; `undefined`: the backend's default
   * (`Compression.backendDictionaries`: `none` on Redis/DragonflyDB, `osv-v1` on LMDB and memory).
   * `none` writes plain frames the Rust crate can read; reading accepts both whatever this says.
   */
  readonly compressionDictionary: DictionaryName | undefined
  /** Prefix of every key (`<prefix>:data:<id>`, ...). */
  readonly keyPrefix: string
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class StoreConfig extends Context.Tag("vulnera/StoreConfig")<StoreConfig, StoreConfigShape>() {}

/**
 * @since 0.1.0
 * @category Defaults
 */
export const defaults: StoreConfigShape = {
  ttlSeconds: undefined,
  ossIndexTtlSeconds: 3600,
  compressionLevel: 3,
  compressionDictionary: undefined,
  keyPrefix: "vuln"
}

/** Longest TTL accepted (10 years), far beyond any sensible cache lifetime. */
const maxTtlSeconds = 315_360_000

/**
 * Validates a configuration, naming the option (as its environment variable) on failure.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Partial<StoreConfigShape> = {}): Effect.Effect<StoreConfigShape, ConfigurationError> =>
  Effect.suspend(() => {
    const config: StoreConfigShape = { ...defaults, ...options }
    const fail = (variable: string, value: unknown, detail: string) =>
      Effect.fail(new ConfigurationError({ variable, value: String(value), detail }))
    const integerIn = (n: unknown, min: number, max: number) =>
      typeof n === "number" && Number.isSafeInteger(n) && n >= min && n <= max
    if (config.ttlSeconds !== undefined && !integerIn(config.ttlSeconds, 1, maxTtlSeconds)) {
      return fail("VULNERA__STORE__TTL_SECONDS", config.ttlSeconds, `expected an integer between 1 and ${maxTtlSeconds}`)
    }
    if (!integerIn(config.ossIndexTtlSeconds, 1, maxTtlSeconds)) {
      return fail(
        "VULNERA__STORE__OSSINDEX_TTL_SECONDS",
        config.ossIndexTtlSeconds,
        `expected an integer between 1 and ${maxTtlSeconds}`
      )
    }
    if (!integerIn(config.compressionLevel, 1, 22)) {
      return fail("VULNERA__STORE__COMPRESSION_LEVEL", config.compressionLevel, "expected an integer between 1 and 22")
    }
    if (config.compressionDictionary !== undefined && !isDictionaryName(config.compressionDictionary)) {
      return fail(
        "VULNERA__STORE__COMPRESSION_DICTIONARY",
        config.compressionDictionary,
        `expected one of ${dictionaryNames.join(", ")}`
      )
    }
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(config.keyPrefix)) {
      return fail("VULNERA__STORE__KEY_PREFIX", config.keyPrefix, "expected 1-64 characters of [A-Za-z0-9._-]")
    }
    return Effect.succeed(config)
  })

/**
 * Reads the configuration from the environment (through the current `ConfigProvider`); `overrides`
 * win over the environment.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fromEnv = (
  overrides: Partial<StoreConfigShape> = {}
): Effect.Effect<StoreConfigShape, ConfigurationError> =>
  Effect.gen(function*() {
    const ttl = yield* integerVar("VULNERA__STORE__TTL_SECONDS", { min: 1, max: maxTtlSeconds })
    const ossTtl = yield* integerVar("VULNERA__STORE__OSSINDEX_TTL_SECONDS", { min: 1, max: maxTtlSeconds })
    const level = yield* integerVar("VULNERA__STORE__COMPRESSION_LEVEL", { min: 1, max: 22 })
    const prefix = yield* stringVar("VULNERA__STORE__KEY_PREFIX")
    const dictionary = yield* stringVar("VULNERA__STORE__COMPRESSION_DICTIONARY")
    const fromEnvironment: Partial<StoreConfigShape> = {
      ...(Option.isSome(ttl) ? { ttlSeconds: ttl.value } : {}),
      ...(Option.isSome(ossTtl) ? { ossIndexTtlSeconds: ossTtl.value } : {}),
      ...(Option.isSome(level) ? { compressionLevel: level.value } : {}),
      ...(Option.isSome(prefix) ? { keyPrefix: prefix.value.trim() } : {}),
      // Validated by `make`, which names the variable when the value is not a dictionary name.
      ...(Option.isSome(dictionary) ? { compressionDictionary: dictionary.value.trim() as DictionaryName } : {})
    }
    return yield* make({ ...fromEnvironment, ...overrides })
  })

/**
 * A layer from options given in code (defaults for the rest); invalid values fail the layer with
 * `ConfigurationError`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: Partial<StoreConfigShape> = {}): Layer.Layer<StoreConfig, ConfigurationError> =>
  Layer.effect(StoreConfig, make(options))

/**
 * A layer reading `VULNERA__STORE__*` from the environment.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Partial<StoreConfigShape> = {}
): Layer.Layer<StoreConfig, ConfigurationError> => Layer.effect(StoreConfig, fromEnv(overrides))
