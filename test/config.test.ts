/**
 * The one config idiom, checked for every environment variable the library reads: a bad value is a
 * `ConfigurationError` naming the variable (never "unset"), secrets and URL credentials never appear
 * in it, and options given in code pass the same rules. The environment is a
 * `ConfigProvider.fromMap` (process.env is never touched).
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import * as EpssSource from "../src/EpssSource.js"
import { ConfigurationError } from "../src/Errors.js"
import * as KevSource from "../src/KevSource.js"
import * as LmdbStore from "../src/LmdbStore.js"
import * as OssIndexSource from "../src/OssIndexSource.js"
import * as OsvSource from "../src/OsvSource.js"
import * as Retry from "../src/Retry.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"

const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)
const secret = "hunter2"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

type PlatformServices = Layer.Layer.Success<typeof Platform>

/** Builds `layer` (and releases it), over Node's platform. */
const build = <A, E, R extends PlatformServices>(layer: Layer.Layer<A, E, R>) =>
  Effect.scoped(Layer.build(layer)).pipe(Effect.provide(Platform))

/** Builds `layer` under `env` (only to see how it fails); the failure. */
const buildError = <A, E, R extends PlatformServices>(layer: Layer.Layer<A, E, R>, env: Record<string, string>) =>
  build(layer).pipe(Effect.flip, withEnv(env))

/** Everything that reads the environment, each from `layerFromEnv`/`fromEnv` as a user calls it. */
const readers: Record<string, Layer.Layer<never, ConfigurationError, PlatformServices>> = {
  store: StoreConfig.layerFromEnv(),
  redis: DragonflyStore.layerStandalone(),
  lmdb: LmdbStore.layerStandalone(),
  manager: VulnerabilityManager.storeLayerFromEnv(),
  osv: OsvSource.layerFromEnv().pipe(Layer.provide(Platform)),
  kev: KevSource.layerFromEnv().pipe(Layer.provide(Platform)),
  epss: EpssSource.layerFromEnv().pipe(Layer.provide(Platform)),
  ossIndex: OssIndexSource.layerFromEnv().pipe(Layer.provide(Platform)),
  retry: Retry.layerFromEnv()
}

/** [reader, variable, bad value, other variables the reader needs]. */
const badValues: ReadonlyArray<readonly [string, string, string, Record<string, string>?]> = [
  ["redis", "REDIS_URL", `http://user:${secret}@cache.example.com:6379`],
  ["redis", "REDIS_URL", `redis://:${secret}@cache.example.com:99999`],
  ["redis", "REDIS_URL", "not a url"],
  ["lmdb", "VULNERA__STORE__PATH", "   "],
  ["lmdb", "VULNERA__STORE__MAP_SIZE_BYTES", "lots", { VULNERA__STORE__PATH: "/nonexistent/never-opened" }],
  ["lmdb", "VULNERA__STORE__MAP_SIZE_BYTES", "4096", { VULNERA__STORE__PATH: "/nonexistent/never-opened" }],
  ["manager", "VULNERA__STORE__MAP_SIZE_BYTES", "-1", { VULNERA__STORE__PATH: "/nonexistent/never-opened" }],
  ["store", "VULNERA__STORE__TTL_SECONDS", "soon"],
  ["store", "VULNERA__STORE__TTL_SECONDS", "0"],
  ["store", "VULNERA__STORE__OSSINDEX_TTL_SECONDS", "-5"],
  ["store", "VULNERA__STORE__COMPRESSION_LEVEL", "99"],
  ["store", "VULNERA__STORE__COMPRESSION_DICTIONARY", "zip"],
  ["store", "VULNERA__STORE__KEY_PREFIX", "two words"],
  ["manager", "VULNERA__STORE__COMPRESSION_LEVEL", "0"],
  ["osv", "VULNERA__SOURCES__OSV_URL", `ftp://mirror:${secret}@example.com/osv`],
  ["osv", "VULNERA__SOURCES__OSV_ECOSYSTEMS", "npm,NPM"],
  ["osv", "VULNERA__SOURCES__OSV_ECOSYSTEMS", " , "],
  ["osv", "VULNERA__SOURCES__OSV_ECOSYSTEMS", "npm,../etc"],
  ["kev", "VULNERA__SOURCES__KEV_URL", `gopher://kev:${secret}@example.com/kev.json`],
  ["epss", "VULNERA__SOURCES__EPSS_BULK_URL", "epss.csv.gz"],
  ["epss", "VULNERA__SOURCES__EPSS_API_URL", "file:///srv/epss"],
  ["ossIndex", "VULNERA__SOURCES__OSSINDEX_URL", `https://user:${secret}@ossindex.example.com:99999`],
  ["ossIndex", "OSSINDEX_TOKEN", "", { OSSINDEX_USER: "someone@example.com" }],
  ["ossIndex", "OSSINDEX_USER", "", { OSSINDEX_TOKEN: secret }],
  ["retry", "VULNERA__RETRY__MAX_RETRIES", "-1"],
  ["retry", "VULNERA__RETRY__MAX_RETRIES", "many"],
  ["retry", "VULNERA__RETRY__BASE_DELAY", "soon"],
  ["retry", "VULNERA__RETRY__MAX_DELAY", "30"],
  ["retry", "VULNERA__RETRY__MAX_ELAPSED", "2 fortnights"],
  ["retry", "VULNERA__RETRY__JITTER", "maybe"]
]

const expectNoSecret = (error: unknown) => {
  expect(JSON.stringify(error)).not.toContain(secret)
  expect(String((error as Error).message)).not.toContain(secret)
}

describe("configuration", () => {
  it.effect("a bad value of each environment variable is a ConfigurationError naming it, secrets masked", () =>
    Effect.gen(function*() {
      for (const [reader, variable, value, others = {}] of badValues) {
        // An empty value is how a pair variable is left out (OSSINDEX_USER without OSSINDEX_TOKEN).
        const env = value === "" ? others : { ...others, [variable]: value }
        const error = yield* buildError(readers[reader]!, env)
        expect(error, `${reader} ${variable}=${value}`).toBeInstanceOf(ConfigurationError)
        expect((error as ConfigurationError).variable, `${reader} ${variable}=${value}`).toBe(variable)
        expectNoSecret(error)
      }
    }), 60_000)

  it.effect("a shown value is the raw one, a URL with its credentials masked; a secret that is not a URL is never shown", () =>
    Effect.gen(function*() {
      const osv = (yield* buildError(readers.osv, { VULNERA__SOURCES__OSV_URL: `ftp://mirror:${secret}@example.com/osv` })) as ConfigurationError
      expect(osv.value).toBe("ftp://<redacted>:<redacted>@example.com/osv")
      const level = (yield* buildError(readers.store, { VULNERA__STORE__COMPRESSION_LEVEL: "99" })) as ConfigurationError
      expect([level.value, level.detail]).toEqual(["99", "expected an integer between 1 and 22"])
      const redis = (yield* buildError(readers.redis, { REDIS_URL: `http://:${secret}@host:6379` })) as ConfigurationError
      expect(redis.value).toBe("http://:<redacted>@host:6379/")
      const notUrl = (yield* buildError(readers.redis, { REDIS_URL: secret })) as ConfigurationError
      expect([notUrl.variable, notUrl.value]).toEqual(["REDIS_URL", undefined])
      const missing = (yield* buildError(readers.redis, {})) as ConfigurationError
      expect(missing.variable).toBe("REDIS_URL")
    }))

  it.effect("good values from the environment are read (no value is dropped as unset)", () =>
    Effect.gen(function*() {
      const store = yield* StoreConfig.fromEnv().pipe(
        withEnv({ VULNERA__STORE__TTL_SECONDS: " 60 ", VULNERA__STORE__KEY_PREFIX: "tenant-a" })
      )
      expect([store.ttlSeconds, store.keyPrefix]).toEqual([60, "tenant-a"])
      const policy = yield* Effect.flatMap(Retry.RetryPolicy, Effect.succeed).pipe(
        Effect.provide(Retry.layerFromEnv({ jitter: false })),
        withEnv({ VULNERA__RETRY__MAX_RETRIES: "0", VULNERA__RETRY__BASE_DELAY: "20 millis", VULNERA__RETRY__JITTER: "true" })
      )
      expect(policy.maxRetries).toBe(0)
      expect(policy.jitter).toBe(false)
      expect(Duration.toMillis(Duration.decode(policy.baseDelay))).toBe(20)
      const osv = yield* OsvSource.optionsFromEnv({ recordConcurrency: 2 }).pipe(
        withEnv({ VULNERA__SOURCES__OSV_ECOSYSTEMS: "PyPI, npm", VULNERA__SOURCES__OSV_URL: "https://mirror.example.com/osv//" })
      )
      expect([osv.ecosystems, osv.baseUrl, osv.recordConcurrency]).toEqual([["PyPI", "npm"], "https://mirror.example.com/osv", 2])
    }))

  it.effect("options given in code pass the same rules and name the variable (or Module.option)", () =>
    Effect.gen(function*() {
      const failures: ReadonlyArray<readonly [Effect.Effect<unknown, unknown>, string]> = [
        [OsvSource.resolveOptions({ recordConcurrency: 0 }), "OsvSource.recordConcurrency"],
        [OsvSource.resolveOptions({ maxRecordBytes: 10 }), "OsvSource.maxRecordBytes"],
        [OsvSource.resolveOptions({ ecosystems: ["PyPI", "pypi"] }), "VULNERA__SOURCES__OSV_ECOSYSTEMS"],
        [OsvSource.resolveOptions({ baseUrl: "ftp://example.com" }), "VULNERA__SOURCES__OSV_URL"],
        [build(EpssSource.layer({ maxCvesPerRequest: 5000 })), "EpssSource.maxCvesPerRequest"],
        [build(EpssSource.layer({ apiUrl: "file:///x" })), "VULNERA__SOURCES__EPSS_API_URL"],
        [build(KevSource.layer({ url: "kev.json" })), "VULNERA__SOURCES__KEV_URL"],
        [build(OssIndexSource.layer({ concurrency: 9 })), "OssIndexSource.concurrency"],
        [build(OssIndexSource.layer({ user: "someone@example.com" })), "OSSINDEX_TOKEN"],
        [build(OssIndexSource.layer({ token: Redacted.make(secret) })), "OSSINDEX_USER"],
        [build(Compression.layer({ level: 23 })), "VULNERA__STORE__COMPRESSION_LEVEL"],
        [StoreConfig.make({ keyPrefix: "a:b" }), "VULNERA__STORE__KEY_PREFIX"],
        [
          build(LmdbStore.layerWith({ path: join(tmpdir(), "never-opened"), mapSizeBytes: 1024 })),
          "VULNERA__STORE__MAP_SIZE_BYTES"
        ],
        [
          build(
            DragonflyStore.layer({ url: "redis://localhost:1", decodedCacheEntries: -1 }).pipe(
              Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer()))
            )
          ),
          "DragonflyStore.decodedCacheEntries"
        ]
      ]
      for (const [effect, variable] of failures) {
        const error = yield* Effect.flip(effect)
        expect(error, variable).toBeInstanceOf(ConfigurationError)
        expect((error as ConfigurationError).variable).toBe(variable)
        expectNoSecret(error)
      }
      // The environment never leaks into code options: `layer`/`make` read none of it.
      const inCode = yield* StoreConfig.make({}).pipe(withEnv({ VULNERA__STORE__COMPRESSION_LEVEL: "99" }))
      expect(inCode.compressionLevel).toBe(3)
    }))

  it.effect("layerConfig(config) means the same everywhere: load the Config, then the module's own rules", () =>
    Effect.gen(function*() {
      // A user's Config that loads fine but holds a value the module rejects.
      const store = yield* buildError(
        StoreConfig.layerConfig(Config.succeed({ ...StoreConfig.defaults, compressionLevel: 99 })),
        {}
      )
      expect(store).toMatchObject({ _tag: "ConfigurationError", variable: "VULNERA__STORE__COMPRESSION_LEVEL" })
      const epss = yield* buildError(
        EpssSource.layerConfig(Config.succeed({ maxCvesPerRequest: 0 })),
        {}
      )
      expect(epss).toMatchObject({ _tag: "ConfigurationError", variable: "EpssSource.maxCvesPerRequest" })
      // Retry's policy has no rule beyond its text (every typed policy is one): a user's Config names its own variable.
      const retry = yield* buildError(Retry.layerConfig(Config.all({ maxRetries: Config.integer("RETRIES") })), { RETRIES: "many" })
      expect(retry).toMatchObject({ _tag: "ConfigurationError", variable: "RETRIES", value: "many" })
      // Each module's own `config` is the default, read through the current ConfigProvider.
      const dir = mkdtempSync(join(tmpdir(), "vulnera-config-"))
      const lmdb = yield* buildError(
        LmdbStore.layerConfig().pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer()))),
        { VULNERA__STORE__PATH: dir, VULNERA__STORE__MAP_SIZE_BYTES: "12" }
      )
      expect(lmdb).toMatchObject({ _tag: "ConfigurationError", variable: "VULNERA__STORE__MAP_SIZE_BYTES", value: "12" })
    }))
})
