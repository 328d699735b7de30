/**
 * The Redis / DragonflyDB `AdvisoryStore` (ioredis 5), with the Rust crate's key layout so data it
 * wrote stays readable (see docs/store-design.md for the layout).
 *
 * - One shared connection per layer, opened on first use and closed when the layer is released.
 *   A stopped server fails calls fast with `StoreError{reason:"Unavailable", retryable:true}`;
 *   the next call after the server is back reconnects (same layer).
 * - An advisory, its index memberships and its bookkeeping are written by one Lua script that
 *   declares every key it touches (DragonflyDB requires it); stale memberships are removed in the
 *   same script. Batches are written in chunks of 256, one pipelined round trip per chunk.
 * - With a TTL, index entries pointing at expired data are cleaned when read (and swept on writes);
 *   `advisoryCount` is a ZCOUNT over the `ids` sorted set; nothing walks the keyspace except
 *   `invalidateAllOssIndexCache`, which uses SCAN with an escaped MATCH pattern and UNLINK.
 * - Decoded advisories are reused while their stored bytes are unchanged (`decodedCacheEntries`).
 * - Only commands both Redis 7 and DragonflyDB support are used.
 *
 * It is a driver under the store core (src/internal/store/core.ts holds every rule). Parts in
 * src/internal/redis/: client.ts (URL, connection, error mapping), advisoryScript.ts (the Lua
 * write), driver.ts (the primitives), health.ts (PING/INFO probe).
 *
 * @since 0.1.0
 */
import type { ConnectionOptions } from "node:tls"
import { Config, Effect, Either, Layer, Redacted, type Scope } from "effect"
import { AdvisoryStore, type AdvisoryStoreShape } from "./AdvisoryStore.js"
import { Compression, forBackend, layerZstd } from "./Compression.js"
import type { ConfigurationError } from "./Errors.js"
import { fromValues, integerIn, invalid, keyedBy, load, loadWith } from "./internal/config.js"
import { defineAdvisoryScript } from "./internal/redis/advisoryScript.js"
import { makeConnection, parseRedisUrl } from "./internal/redis/client.js"
import { makeRedisDriver } from "./internal/redis/driver.js"
import { makeStore } from "./internal/store/core.js"
import { makeKeys } from "./internal/store/keys.js"
import * as StoreConfig from "./StoreConfig.js"

/**
 * Connection and batching options. Only `url` is required.
 *
 * @since 0.1.0
 * @category Models
 */
export interface DragonflyStoreOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. The password is never logged. */
  readonly url: Redacted.Redacted<string> | string
  /** How long a connection attempt may take (default 2000 ms). */
  readonly connectTimeoutMillis?: number | undefined
  /** How long one command may wait for its reply (default 10000 ms). */
  readonly commandTimeoutMillis?: number | undefined
  /** PING latency above which `healthCheck` reports `Degraded` (default 250 ms). */
  readonly degradedLatencyMillis?: number | undefined
  /** Advisories per pipelined write round trip (default 256). */
  readonly writeChunkSize?: number | undefined
  /** Keys per MGET (default 500). */
  readonly readChunkSize?: number | undefined
  /**
   * Decoded advisories kept for reuse while their stored bytes are unchanged (default 4096, about
   * 18 MB of heap when full, ~4.4 KB per corpus record; 0 disables). Reads still fetch the bytes
   * every time; a hit skips decompression, parsing and validation. Returned advisories may be
   * shared between reads: treat them as read-only.
   */
  readonly decodedCacheEntries?: number | undefined
  /** Extra TLS options for `rediss://` (CA, client certificate, ...). */
  readonly tls?: ConnectionOptions | undefined
}

/** The configuration key of each option: `REDIS_URL` for the URL, `DragonflyStore.<option>` for code-only ones. */
const variables = {
  url: "REDIS_URL",
  connectTimeoutMillis: "DragonflyStore.connectTimeoutMillis",
  commandTimeoutMillis: "DragonflyStore.commandTimeoutMillis",
  degradedLatencyMillis: "DragonflyStore.degradedLatencyMillis",
  writeChunkSize: "DragonflyStore.writeChunkSize",
  readChunkSize: "DragonflyStore.readChunkSize",
  decodedCacheEntries: "DragonflyStore.decodedCacheEntries"
} as const

/** An integer option >= `min` with a default. */
const count = (key: string, min: number, fallback: number) =>
  integerIn(key, min, Number.MAX_SAFE_INTEGER).pipe(Config.withDefault(fallback))

/** `config` with every setting present (what `build` takes). */
const settings = Config.all({
  // Checked before `nested`, so a failure keeps the variable's name (a `map` first would drop it).
  url: Config.string().pipe(
    Config.mapOrFail((url) =>
      Either.match(parseRedisUrl(url, variables.url), { onLeft: (error) => invalid(error.detail), onRight: () => Either.right(url) })
    ),
    Config.map(Redacted.make),
    Config.nested(variables.url),
    Config.withDescription("redis://[user:password@]host[:port][/db], or rediss://... for TLS")
  ),
  connectTimeoutMillis: count(variables.connectTimeoutMillis, 1, 2_000),
  commandTimeoutMillis: count(variables.commandTimeoutMillis, 1, 10_000),
  degradedLatencyMillis: count(variables.degradedLatencyMillis, 1, 250),
  writeChunkSize: count(variables.writeChunkSize, 1, 256),
  readChunkSize: count(variables.readChunkSize, 1, 500),
  decodedCacheEntries: count(variables.decodedCacheEntries, 0, 4_096)
})

/**
 * The options: `REDIS_URL` (required; a `redis://` or `rediss://` URL, kept `Redacted`) and the
 * code-only settings with their defaults (keyed `DragonflyStore.<option>`, e.g.
 * `DragonflyStore.writeChunkSize`). The one place their rules are written: options given in code
 * pass it too.
 *
 * @since 0.1.0
 * @category Config
 */
export const config: Config.Config<DragonflyStoreOptions> = settings

/** Builds the store from validated options (`config`'s output). */
const build = (options: Config.Config.Success<typeof settings>, tls: ConnectionOptions | undefined) =>
  Effect.gen(function*() {
    const config = yield* StoreConfig.StoreConfig
    const base = yield* Compression
    const compression = forBackend(base, "redis")
    const summaryCompression = forBackend(base, "summaries")
    const target = yield* parseRedisUrl(options.url, variables.url, tls)
    const connection = yield* makeConnection(target, options, defineAdvisoryScript)
    const driver = makeRedisDriver(connection, makeKeys(config.keyPrefix), {
      writeChunkSize: options.writeChunkSize,
      readChunkSize: options.readChunkSize,
      decodedCacheEntries: options.decodedCacheEntries,
      degradedLatencyMillis: options.degradedLatencyMillis,
      timeoutMillis: options.connectTimeoutMillis
    })
    return makeStore(driver, config, compression, summaryCompression)
  })

/**
 * Builds the store over one connection, opened on first use and closed when the scope closes.
 * Invalid options fail with `ConfigurationError` (the URL's password is never shown).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: DragonflyStoreOptions
): Effect.Effect<AdvisoryStoreShape, ConfigurationError, StoreConfig.StoreConfig | Compression | Scope.Scope> =>
  Effect.flatMap(fromValues(settings, keyedBy(variables, options)), (valid) => build(valid, options.tls))

/**
 * The store as a layer over the given `StoreConfig` and `Compression`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: DragonflyStoreOptions
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(AdvisoryStore, make(options))

/**
 * The store with options read through a `Config` (`DragonflyStore.config` by default: `REDIS_URL`);
 * a missing or invalid value fails with `ConfigurationError` naming it, the password masked.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<DragonflyStoreOptions> = config
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(AdvisoryStore, Effect.flatMap(load(options), make))

/**
 * The store connecting to `REDIS_URL` (`redis://` or `rediss://` for TLS); `overrides` (given in
 * code) pass the same rules. A missing or malformed `REDIS_URL` fails with `ConfigurationError`
 * naming it, the password masked.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Omit<DragonflyStoreOptions, "url"> = {}
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(
    AdvisoryStore,
    Effect.flatMap(loadWith(settings, keyedBy(variables, overrides)), (valid) => build(valid, overrides.tls))
  )

/**
 * Everything from the environment: `REDIS_URL`, `StoreConfig.layerFromEnv()` (`VULNERA__STORE__*`)
 * and zstd compression at the configured level. Needs nothing else.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerStandalone = (
  overrides: Omit<DragonflyStoreOptions, "url"> = {}
): Layer.Layer<AdvisoryStore, ConfigurationError> =>
  layerFromEnv(overrides).pipe(Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layerFromEnv())))
