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
import { type Config, Effect, Layer, Option, type Redacted, type Scope } from "effect"
import { AdvisoryStore, type AdvisoryStoreShape } from "./AdvisoryStore.js"
import { Compression, forBackend, layerZstd } from "./Compression.js"
import { ConfigurationError } from "./Errors.js"
import { configurationErrorOf, secretVar } from "./internal/config.js"
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
   * Decoded advisories kept for reuse while their stored bytes are unchanged (default 2048; 0
   * disables). Reads still fetch the bytes every time; a hit skips decompression, parsing and
   * validation. Returned advisories may be shared between reads: treat them as read-only.
   */
  readonly decodedCacheEntries?: number | undefined
  /** Extra TLS options for `rediss://` (CA, client certificate, ...). */
  readonly tls?: ConnectionOptions | undefined
}

const optionDefaults = {
  connectTimeoutMillis: 2_000,
  commandTimeoutMillis: 10_000,
  degradedLatencyMillis: 250,
  writeChunkSize: 256,
  readChunkSize: 500,
  decodedCacheEntries: 2_048
} as const

const integerOption = (name: string, value: number, min: number) =>
  Number.isSafeInteger(value) && value >= min
    ? Effect.succeed(value)
    : Effect.fail(
      new ConfigurationError({ variable: name, value: String(value), detail: `expected an integer >= ${min}` })
    )

/** Builds the store; `urlVariable` names the URL's source in configuration errors. */
const makeWith = (options: DragonflyStoreOptions, urlVariable: string) =>
  Effect.gen(function*() {
    const config = yield* StoreConfig.StoreConfig
    const base = yield* Compression
    const compression = forBackend(base, "redis")
    const summaryCompression = forBackend(base, "summaries")
    const target = yield* parseRedisUrl(options.url, urlVariable, options.tls)
    const setting = (name: keyof typeof optionDefaults, min = 1) =>
      integerOption(name, options[name] ?? optionDefaults[name], min)
    const settings = {
      connectTimeoutMillis: yield* setting("connectTimeoutMillis"),
      commandTimeoutMillis: yield* setting("commandTimeoutMillis")
    }
    const degradedLatencyMillis = yield* setting("degradedLatencyMillis")
    const writeChunkSize = yield* setting("writeChunkSize")
    const readChunkSize = yield* setting("readChunkSize")
    const decodedCacheEntries = yield* setting("decodedCacheEntries", 0)
    const connection = yield* makeConnection(target, settings)
    defineAdvisoryScript(connection.client)
    const driver = makeRedisDriver(connection, makeKeys(config.keyPrefix), {
      writeChunkSize,
      readChunkSize,
      decodedCacheEntries,
      degradedLatencyMillis,
      timeoutMillis: settings.connectTimeoutMillis
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
  makeWith(options, "url")

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
 * The store with options read through Effect `Config` (e.g. `Config.redacted("REDIS_URL")` for the
 * URL); a missing or invalid value fails with `ConfigurationError` naming it.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<DragonflyStoreOptions>
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(AdvisoryStore, Effect.flatMap(Effect.mapError(options, configurationErrorOf), make))

/**
 * The store connecting to `REDIS_URL` (`redis://` or `rediss://` for TLS). A missing or malformed
 * `REDIS_URL` fails with `ConfigurationError` naming it, the password masked.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Omit<DragonflyStoreOptions, "url"> = {}
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(
    AdvisoryStore,
    Effect.flatMap(secretVar("REDIS_URL"), (url) =>
      Option.isNone(url)
        ? new ConfigurationError({
          variable: "REDIS_URL",
          detail: "is not set; expected redis://[user:password@]host[:port][/db] or rediss://... for TLS"
        })
        : makeWith({ ...overrides, url: url.value }, "REDIS_URL"))
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
