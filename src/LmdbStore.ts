/**
 * An embedded, persistent `AdvisoryStore` on LMDB (the `lmdb` package): a directory on disk that
 * outlives the process, with no server. One process writes while any number of processes read;
 * a write is one LMDB transaction, so killing a process in the middle of a sync leaves the last
 * committed state, readable and consistent.
 *
 * - The same store core as `MemoryStore` and `DragonflyStore` (src/internal/store/): the same key
 *   strings, values (advisories and OSS Index entries zstd through `Compression`) and rules.
 * - TTLs are stored expiries compared with Effect's `Clock` (so `TestClock` drives them);
 *   `advisoryCount` reads a counter kept in the same transactions (O(1)).
 * - `healthCheck`: `Healthy` with the count, `path` and map `usage`; `Degraded` when the map is
 *   more than 90% of `mapSizeBytes` or the directory is read-only; never fails.
 * - `lmdb` is imported when a store is opened, so programs that never open one do not load it.
 *
 * Layout of the directory: docs/store-design.md and src/internal/lmdb/driver.ts.
 *
 * @since 0.2.0
 */
import { mkdirSync } from "node:fs"
import { resolve } from "node:path"
import { Config, Context, Effect, Layer, Option, type Scope } from "effect"
import { AdvisoryStore, type AdvisoryStoreShape } from "./AdvisoryStore.js"
import { Compression, forBackend, layerZstd } from "./Compression.js"
import { ConfigurationError } from "./Errors.js"
import { fromValues, integerIn, keyedBy, load, optionalText } from "./internal/config.js"
import { makeLmdbDriver, makeLmdbRawAccess, openDatabases } from "./internal/lmdb/driver.js"
import { makeStore } from "./internal/store/core.js"
import type { RawAccess } from "./internal/store/driver.js"
import { makeKeys } from "./internal/store/keys.js"
import * as StoreConfig from "./StoreConfig.js"

/**
 * Where and how to open the store. Only `path` is required.
 *
 * @since 0.2.0
 * @category Models
 */
export interface LmdbStoreOptions {
  /** The store's directory; created (with parents) when missing. */
  readonly path: string
  /**
   * The LMDB map size in bytes (default 4 GiB; the file is sparse, so this is address space, not
   * disk). `healthCheck` reports `Degraded` above 90% of it; lmdb grows the map if it is exceeded.
   */
  readonly mapSizeBytes?: number | undefined
  /** Open without writing (a reader process); writes fail with `StoreError`. Default `false`. */
  readonly readOnly?: boolean | undefined
}

/** Default map size: room for every OSV advisory several times over. */
const defaultMapSizeBytes = 4 * 1024 ** 3

/** The configuration key of each option (`readOnly` has no environment variable). */
const variables = {
  path: "VULNERA__STORE__PATH",
  mapSizeBytes: "VULNERA__STORE__MAP_SIZE_BYTES",
  readOnly: "LmdbStore.readOnly"
} as const

/**
 * `VULNERA__STORE__MAP_SIZE_BYTES` alone (default 4 GiB, at least 64 KiB), for a path given in code.
 *
 * @since 0.2.0
 * @category Config
 */
export const mapSizeConfig: Config.Config<number> = integerIn(variables.mapSizeBytes, 65_536, Number.MAX_SAFE_INTEGER).pipe(
  Config.withDefault(defaultMapSizeBytes),
  Config.withDescription("LMDB map size in bytes; healthCheck is Degraded above 90%")
)

/** `config` with every setting present (what `open` takes). */
const settingsConfig = Config.all({
  path: Config.string(variables.path).pipe(
    Config.validate({ message: "expected a directory path", validation: (s) => s.trim().length > 0 }),
    Config.withDescription("the LMDB store's directory (created when missing)")
  ),
  mapSizeBytes: mapSizeConfig,
  readOnly: Config.boolean(variables.readOnly).pipe(Config.withDefault(false))
})

type Settings = Config.Config.Success<typeof settingsConfig>

/**
 * The options from the environment: `VULNERA__STORE__PATH` (required) and
 * `VULNERA__STORE__MAP_SIZE_BYTES` (default 4 GiB). Options given in code pass the same rules.
 *
 * @since 0.2.0
 * @category Config
 */
export const config: Config.Config<LmdbStoreOptions> = settingsConfig

/**
 * Raw access to the stored bytes of an `LmdbStore` (same shape as `MemoryStore.TestKit`).
 *
 * @since 0.2.0
 * @category Tags
 */
export class TestKit extends Context.Tag("vulnera-advisor/LmdbStore/TestKit")<TestKit, RawAccess>() {}

const openFailed = (variable: string, path: string, detail: string) =>
  new ConfigurationError({ variable, value: path, detail })

/** Opens the environment for the scope; `variable` names the path's source in errors. */
const open = (options: Settings, variable: string) =>
  Effect.gen(function*() {
    const path = resolve(options.path)
    const { mapSizeBytes, readOnly } = options
    if (!readOnly) {
      yield* Effect.try({
        try: () => mkdirSync(path, { recursive: true }),
        catch: (cause) => openFailed(variable, path, `cannot create the store directory: ${(cause as Error).message}`)
      })
    }
    const lmdb = yield* Effect.promise(() => import("lmdb"))
    const root = yield* Effect.acquireRelease(
      Effect.try({
        try: () => lmdb.open({ path, maxDbs: 8, mapSize: mapSizeBytes, readOnly }),
        catch: (cause) => openFailed(variable, path, `cannot open an LMDB store there: ${(cause as Error).message}`)
      }),
      (root) => Effect.promise(() => root.close())
    )
    const env = yield* Effect.try({
      try: () => openDatabases(root),
      catch: (cause) => openFailed(variable, path, `cannot open the store's databases: ${(cause as Error).message}`)
    })
    // The native library's version (`lmdb.version` is exported at runtime but not typed).
    const native = (lmdb as { readonly version?: { readonly versionString?: string } }).version
    return { env, path, mapSizeBytes, readOnly, version: native?.versionString ?? "LMDB" }
  })

/** Validates code options with `config` (errors name the variable), then opens the store. */
const makeWith = (options: LmdbStoreOptions, variable: string) =>
  Effect.gen(function*() {
    const valid = yield* fromValues(settingsConfig, keyedBy(variables, options))
    const config = yield* StoreConfig.StoreConfig
    const base = yield* Compression
    const compression = forBackend(base, "lmdb")
    const summaryCompression = forBackend(base, "summaries")
    const { env, ...settings } = yield* open(valid, variable)
    const keys = makeKeys(config.keyPrefix)
    return {
      store: makeStore(makeLmdbDriver(env, keys, settings), config, compression, summaryCompression),
      testKit: makeLmdbRawAccess(env, keys)
    }
  })

/**
 * Opens the store for the scope (closed when the scope closes). A directory that cannot be
 * created or opened fails with `ConfigurationError` naming the path.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const make = (
  options: LmdbStoreOptions
): Effect.Effect<AdvisoryStoreShape, ConfigurationError, StoreConfig.StoreConfig | Compression | Scope.Scope> =>
  Effect.map(makeWith(options, "path"), (built) => built.store)

/**
 * The store as a layer over the given `StoreConfig` and `Compression`.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layer = (
  options: LmdbStoreOptions
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(AdvisoryStore, make(options))

/**
 * The store and its `TestKit` over the same environment.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerWithTestKit = (
  options: LmdbStoreOptions
): Layer.Layer<AdvisoryStore | TestKit, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scopedContext(
    Effect.map(makeWith(options, "path"), ({ store, testKit }) =>
      Context.make(AdvisoryStore, store).pipe(Context.add(TestKit, testKit)))
  )

/**
 * A self-contained store (with `TestKit`): `config` over `StoreConfig.defaults`, zstd compression.
 * The easiest way to open a directory: `LmdbStore.layerWith({ path })`.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerWith = (
  options: LmdbStoreOptions,
  config: Partial<StoreConfig.StoreConfigShape> = {}
): Layer.Layer<AdvisoryStore | TestKit, ConfigurationError> =>
  layerWithTestKit(options).pipe(Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layer(config))))

/**
 * The store with options read through Effect `Config` (e.g. `LmdbStore.config`); a missing or
 * invalid value fails with `ConfigurationError` naming it.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<LmdbStoreOptions> = config
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(
    AdvisoryStore,
    Effect.flatMap(load(options), (o) => Effect.map(makeWith(o, variables.path), (built) => built.store))
  )

/**
 * The store at `VULNERA__STORE__PATH`, with `StoreConfig.layerFromEnv()` and zstd compression;
 * needs nothing else.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerStandalone = (
  overrides: Omit<LmdbStoreOptions, "path"> = {}
): Layer.Layer<AdvisoryStore, ConfigurationError> =>
  layerConfig(Config.map(config, (o) => ({ ...o, ...overrides }))).pipe(
    Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layerFromEnv()))
  )

/**
 * `VULNERA__STORE__PATH` when it is set and not blank (used by
 * `VulnerabilityManager.storeLayerFromEnv`).
 *
 * @since 0.2.0
 * @category Config
 */
export const pathFromEnv: Effect.Effect<Option.Option<string>, ConfigurationError> = load(optionalText(variables.path))
