/**
 * An in-process `AdvisoryStore` on `Map`s: for tests, examples and short-lived tools. It is not a
 * mock — it passes the same contract suite as the Redis store and behaves the same way:
 *
 * - values are stored as Redis would hold them: advisories and OSS Index entries as bytes through
 *   the `Compression` service, enrichment as JSON text, sync timestamps as RFC 3339 text, under the
 *   same key strings (`vuln:data:<id>`, ...), so a corrupt value fails with the same `CorruptEntry`;
 * - TTLs use Effect's `Clock`, so `TestClock.adjust` makes advisories, enrichment and OSS Index
 *   entries expire in tests without waiting;
 * - `TestKit` gives tests raw access to the stored bytes (plant a corrupt value, inspect what was
 *   written) — `layerDefault` and `layerWith` provide it next to `AdvisoryStore`.
 *
 * It is a driver under the store core (src/internal/store/), like `DragonflyStore` and `LmdbStore`:
 * every rule is the same code. Reads decode a value once and reuse the result while its bytes are
 * unchanged, so `getByPackage` over hundreds of advisories costs map lookups. Returned advisories
 * may therefore be shared between reads: treat them as the read-only values their types say they are.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { AdvisoryStore, type AdvisoryStoreShape } from "./AdvisoryStore.js"
import { Compression, forBackend, layerZstd } from "./Compression.js"
import type { ConfigurationError } from "./Errors.js"
import { makeStore } from "./internal/store/core.js"
import type { RawAccess } from "./internal/store/driver.js"
import { makeMemoryDriver } from "./internal/store/memoryDriver.js"
import * as StoreConfig from "./StoreConfig.js"

/**
 * Raw access to a store's keys, for tests: `keyPrefix`; `writeRaw(key, bytes)` replaces the bytes
 * at a full key bypassing compression and encoding (keeps the entry's expiry like Redis
 * `SET ... KEEPTTL`; indexes, counts and the source list are not touched; only `data:`, `enrich:`,
 * `ossidx:` and `meta:` keys — any other key is a defect); `readRaw(key)`; `keys`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface TestKitShape extends RawAccess {}

/**
 * The test kit of a `MemoryStore` layer (provided by `layerWithTestKit`, `layerDefault`, `layerWith`).
 *
 * @since 0.1.0
 * @category Tags
 */
export class TestKit extends Context.Tag("vulnera-advisor/MemoryStore/TestKit")<TestKit, TestKitShape>() {}

/**
 * Builds the store and its test kit. State lives in the returned closures: each call is a new,
 * empty store.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeWithTestKit: Effect.Effect<
  { readonly store: AdvisoryStoreShape; readonly testKit: TestKitShape },
  never,
  StoreConfig.StoreConfig | Compression
> = Effect.gen(function*() {
  const config = yield* StoreConfig.StoreConfig
  const base = yield* Compression
  const compression = forBackend(base, "memory")
  const summaryCompression = forBackend(base, "summaries")
  const { driver, raw } = makeMemoryDriver(config.keyPrefix)
  return { store: makeStore(driver, config, compression, summaryCompression), testKit: raw }
})

/**
 * Builds an empty in-memory store.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make: Effect.Effect<AdvisoryStoreShape, never, StoreConfig.StoreConfig | Compression> = Effect.map(
  makeWithTestKit,
  (built) => built.store
)

/**
 * The in-memory store over the given `StoreConfig` and `Compression`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<AdvisoryStore, never, StoreConfig.StoreConfig | Compression> = Layer.effect(
  AdvisoryStore,
  make
)

/**
 * The in-memory store and its `TestKit` (both over the same state).
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWithTestKit: Layer.Layer<AdvisoryStore | TestKit, never, StoreConfig.StoreConfig | Compression> =
  Layer.effectContext(
    Effect.map(makeWithTestKit, ({ store, testKit }) =>
      Context.make(AdvisoryStore, store).pipe(Context.add(TestKit, testKit)))
  )

/**
 * A self-contained store (with `TestKit`): `options` over `StoreConfig.defaults`, zstd compression.
 * Invalid options fail the layer with `ConfigurationError`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWith = (
  options: Partial<StoreConfig.StoreConfigShape> = {}
): Layer.Layer<AdvisoryStore | TestKit, ConfigurationError> =>
  layerWithTestKit.pipe(
    Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layer(options)))
  )

/**
 * A self-contained store (with `TestKit`) with `StoreConfig.defaults` (no TTL) and zstd at level 3.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerDefault: Layer.Layer<AdvisoryStore | TestKit> = Layer.orDie(layerWith())
