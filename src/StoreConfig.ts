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
import { Config, Context, Effect, Layer } from "effect"
import type { ConfigurationError } from "./Errors.js"
import { type DictionaryName, dictionaryNames, isDictionaryName } from "./internal/compression/dictionaries.js"
import { fromValues, integerIn, keyedBy, load, loadWith, matching, optional } from "./internal/config.js"

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
export class StoreConfig extends Context.Tag("vulnera-advisor/StoreConfig")<StoreConfig, StoreConfigShape>() {}

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

/** The environment variable of each option (what errors name, for code options too). */
const variables = {
  ttlSeconds: "VULNERA__STORE__TTL_SECONDS",
  ossIndexTtlSeconds: "VULNERA__STORE__OSSINDEX_TTL_SECONDS",
  compressionLevel: "VULNERA__STORE__COMPRESSION_LEVEL",
  compressionDictionary: "VULNERA__STORE__COMPRESSION_DICTIONARY",
  keyPrefix: "VULNERA__STORE__KEY_PREFIX"
} as const satisfies Record<keyof StoreConfigShape, string>

/**
 * The store configuration from `VULNERA__STORE__*` (through the current `ConfigProvider`), with
 * `defaults` for what is unset. The one place its rules are written: code options pass it too.
 *
 * @since 0.1.0
 * @category Config
 */
export const config: Config.Config<StoreConfigShape> = Config.all({
  ttlSeconds: optional(integerIn(variables.ttlSeconds, 1, maxTtlSeconds)).pipe(
    Config.withDescription("TTL of advisories and enrichment in seconds (unset: no expiry)")
  ),
  ossIndexTtlSeconds: integerIn(variables.ossIndexTtlSeconds, 1, maxTtlSeconds).pipe(
    Config.withDefault(defaults.ossIndexTtlSeconds),
    Config.withDescription("TTL of OSS Index cache entries in seconds")
  ),
  compressionLevel: integerIn(variables.compressionLevel, 1, 22).pipe(
    Config.withDefault(defaults.compressionLevel),
    Config.withDescription("zstd level")
  ),
  compressionDictionary: Config.string(variables.compressionDictionary).pipe(
    Config.validate({ message: `expected one of ${dictionaryNames.join(", ")}`, validation: (s) => isDictionaryName(s.trim()) }),
    Config.map((s) => s.trim() as DictionaryName),
    Config.withDefault(defaults.compressionDictionary),
    Config.withDescription("the zstd dictionary new values are written with")
  ),
  keyPrefix: matching(variables.keyPrefix, /^[A-Za-z0-9._-]{1,64}$/, "expected 1-64 characters of [A-Za-z0-9._-]").pipe(
    Config.withDefault(defaults.keyPrefix),
    Config.withDescription("prefix of every key")
  )
})

/**
 * Validates options given in code (defaults for the rest, never the environment), naming the
 * option by its environment variable on failure.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Partial<StoreConfigShape> = {}): Effect.Effect<StoreConfigShape, ConfigurationError> =>
  fromValues(config, keyedBy(variables, options))

/**
 * Reads the configuration from the environment (through the current `ConfigProvider`); `overrides`
 * win over the environment.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fromEnv = (
  overrides: Partial<StoreConfigShape> = {}
): Effect.Effect<StoreConfigShape, ConfigurationError> => loadWith(config, keyedBy(variables, overrides))

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
 * A layer from a `Config` (e.g. `StoreConfig.config`, or one nested under a prefix or mapped);
 * errors name the variable, and the loaded values pass `config`'s rules like code options.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<StoreConfigShape> = config
): Layer.Layer<StoreConfig, ConfigurationError> => Layer.effect(StoreConfig, Effect.flatMap(load(options), make))

/**
 * A layer reading `VULNERA__STORE__*` from the environment; `overrides` win over it.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Partial<StoreConfigShape> = {}
): Layer.Layer<StoreConfig, ConfigurationError> => Layer.effect(StoreConfig, fromEnv(overrides))
