/**
 * `queryOssIndex` through the manager over both store layers, against a real local HTTP server that
 * answers `POST /api/v3/component-report` from recorded real OSS Index responses (test/fixtures/ossindex).
 * Cache hit/miss/expiry/invalidation, batching, per-PURL failures, not-configured.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Layer, Scope, TestClock } from "effect"
import type { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as OssIndexSource from "../src/OssIndexSource.js"
import * as Purl from "../src/Purl.js"
import * as Retry from "../src/Retry.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"
import { makeTestServer, type TestServer } from "./utils/httpServer.js"
import { useRedisServer } from "./utils/redis.js"
import { snapshotEcosystems, snapshotUrls } from "./utils/snapshot.js"
import * as Node from "../src/node.js"

const redisServer = useRedisServer({ beforeAll, afterAll })

interface Report {
  readonly coordinates: string
  readonly vulnerabilities?: ReadonlyArray<{ readonly id: string; readonly cve?: string; readonly cvssScore?: number }>
}

/** Every recorded report, keyed by canonical PURL (the "with vulnerabilities" one wins over "no vulnerabilities"). */
const recorded = new Map<string, Report>()
const fixtureDir = join(import.meta.dirname, "fixtures", "ossindex")
for (const file of readdirSync(fixtureDir).filter((f) => f.endsWith(".json"))) {
  const reports = ([] as Array<Report>).concat(JSON.parse(readFileSync(join(fixtureDir, file), "utf8")))
  for (const report of reports) {
    const canonical = Effect.runSync(Purl.normalize(report.coordinates))
    const previous = recorded.get(canonical)
    if (!previous || (report.vulnerabilities?.length ?? 0) > (previous.vulnerabilities?.length ?? 0)) recorded.set(canonical, report)
  }
}
const vulnerable = Array.from(recorded.values()).filter((r) => (r.vulnerabilities?.length ?? 0) > 0)

let server: TestServer
let serverScope: Scope.CloseableScope
/** Coordinates OSS Index was asked for, per request. */
const asked: Array<ReadonlyArray<string>> = []
let failNext = 0
beforeAll(async () => {
  serverScope = Effect.runSync(Scope.make())
  server = await Effect.runPromise(Scope.extend(makeTestServer(), serverScope))
  server.route("POST", "/api/v3/component-report", (request) => {
    const coordinates = (JSON.parse(request.body) as { coordinates: Array<string> }).coordinates
    asked.push(coordinates)
    if (failNext > 0) {
      failNext--
      return { status: 500, body: "upstream trouble" }
    }
    const body = coordinates.map((c) =>
      recorded.get(Effect.runSync(Purl.normalize(c))) ?? { coordinates: c, description: "", reference: "", vulnerabilities: [] }
    )
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
  })
})
afterAll(() => Effect.runPromise(Scope.close(serverScope, Exit.void)))

/** Failures surface at once (the retry policy is read when an operation runs). */
const noRetries = Retry.layer({ maxRetries: 0 })

const platform = Layer.merge(NodeHttpClient.layerUndici, NodeContext.layer)

const managerLayer = (store: Layer.Layer<AdvisoryStore, unknown>, withOssIndex = true) => {
  const sources = Node.sourcesLayerFromEnv({
    osv: { baseUrl: snapshotUrls.osv, ecosystems: snapshotEcosystems },
    kev: { url: snapshotUrls.kev },
    epss: { bulkUrl: snapshotUrls.epss }
  })
  const base = VulnerabilityManager.layer().pipe(Layer.provideMerge(store), Layer.provide(sources))
  const ossIndex = Layer.unwrapEffect(Effect.sync(() => OssIndexSource.layer({ url: server.url }))).pipe(Layer.provide(platform))
  return (withOssIndex ? base.pipe(Layer.provide(ossIndex)) : base).pipe(Layer.orDie)
}

const configLayer = (prefix: string) =>
  Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix: prefix, ossIndexTtlSeconds: 1 }))
const memoryStore = () => MemoryStore.layer.pipe(Layer.provide(configLayer("mem")))
let prefixes = 0
const redisStore = () =>
  Layer.unwrapEffect(Effect.sync(() =>
    DragonflyStore.layer({ url: redisServer.current().url }).pipe(
      Layer.provide(configLayer(`oss-${process.pid}-${prefixes++}`))
    )
  ))

const found = (results: ReadonlyArray<VulnerabilityManager.OssIndexResult>) =>
  results.map((r) => (r._tag === "Found" ? { canonical: r.canonical, n: r.advisories.length, cache: r.fromCache } : r._tag))

for (const [name, makeStore, passTime] of [
  ["memory", memoryStore, TestClock.adjust("2 seconds")],
  ["redis", redisStore, Effect.sleep("1200 millis")]
] as const) {
  describe(`queryOssIndex (${name} store)`, () => {
    const run = name === "memory" ? it.effect : it.live

    run("cache first: spellings share an entry, answers are cached (empty ones too), and expire after the TTL", () =>
      Effect.gen(function*() {
        asked.length = 0
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        const target = vulnerable[0]!
        const purls = [target.coordinates, target.coordinates.toUpperCase().replace("PKG:", "pkg:"), "pkg:npm/left-pad@1.3.0", "not a purl"]
        const first = yield* manager.queryOssIndex(purls)
        expect(first[3]!._tag).toBe("Invalid")
        expect(first[0]!._tag === "Found" && first[0].advisories.length).toBe(target.vulnerabilities!.length)
        expect(first[0]!._tag === "Found" && first[0].fromCache).toBe(false)
        expect(first[2]!._tag === "Found" && first[2].advisories.length).toBe(0)
        expect(asked.length).toBe(1)
        expect(new Set(asked[0]).size).toBe(asked[0]!.length)
        // Converted as OSS Index reported it: CVE as id when present, OSS Index id as alias.
        const advisory = first[0]!._tag === "Found" ? first[0].advisories[0]! : undefined
        const vuln = target.vulnerabilities![0]!
        if (vuln.cve) {
          const cve = vuln.cve.startsWith("CVE-") ? vuln.cve : `CVE-${vuln.cve}`
          expect(advisory?.id).toBe(cve)
          if (vuln.id !== cve) expect(advisory?.aliases).toContain(vuln.id)
        } else {
          expect(advisory?.id).toBe(vuln.id)
        }

        const second = yield* manager.queryOssIndex(purls.slice(0, 3))
        expect(second.every((r) => r._tag === "Found" && r.fromCache)).toBe(true)
        expect(asked.length).toBe(1)

        yield* passTime
        const third = yield* manager.queryOssIndex(purls.slice(0, 1))
        expect(found(third)).toEqual([{ canonical: first[0]!._tag === "Found" ? first[0].canonical : "", n: target.vulnerabilities!.length, cache: false }])
        expect(asked.length).toBe(2)
      }).pipe(Effect.provide(managerLayer(makeStore()))))

    run("invalidation of one PURL and of all, with counts", () =>
      Effect.gen(function*() {
        asked.length = 0
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        const purls = vulnerable.slice(0, 3).map((r) => r.coordinates)
        yield* manager.queryOssIndex(purls)
        expect(yield* manager.invalidateOssIndexCache([purls[0]!, purls[0]!.replace("pkg:", "PKG:")])).toBe(1)
        const again = yield* manager.queryOssIndex(purls)
        expect(again.map((r) => r._tag === "Found" && r.fromCache)).toEqual([false, true, true])
        expect(yield* manager.invalidateAllOssIndexCache).toBe(purls.length)
        expect(yield* manager.invalidateAllOssIndexCache).toBe(0)
        const bad = yield* Effect.flip(manager.invalidateOssIndexCache(["pkg:"]))
        expect(bad._tag).toBe("InvalidInput")
      }).pipe(Effect.provide(managerLayer(makeStore()))))

    run("misses go out in requests of at most 128 coordinates; a failed request fails only its PURLs, uncached", () =>
      Effect.gen(function*() {
        asked.length = 0
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        const purls = Array.from({ length: 300 }, (_, i) => `pkg:npm/package-${i}@1.0.${i}`)
        failNext = 1
        const results = yield* manager.queryOssIndex(purls)
        expect(asked.length).toBe(3)
        expect(asked.every((a) => a.length <= 128)).toBe(true)
        expect(asked.flat().length).toBe(300)
        const failedPurls = results.filter((r) => r._tag === "Failed")
        // Exactly one request failed (no retries under this policy): its coordinates, and only those.
        expect(asked.map((a) => a.length)).toContain(failedPurls.length)
        expect(failedPurls.every((r) => r._tag === "Failed" && r.error._tag === "SourceError" && r.error.status === 500)).toBe(true)
        expect(results.filter((r) => r._tag === "Found").length).toBe(300 - failedPurls.length)
        // Only the failed ones are asked again.
        asked.length = 0
        const retry = yield* manager.queryOssIndex(purls)
        expect(asked.flat().length).toBe(failedPurls.length)
        expect(retry.every((r) => r._tag === "Found")).toBe(true)
      }).pipe(Effect.provide(managerLayer(makeStore())), Effect.provide(noRetries)))
  })
}

describe("queryOssIndex without OSS Index", () => {
  it.effect("fails with NotConfigured", () =>
    Effect.gen(function*() {
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const error = yield* Effect.flip(manager.queryOssIndex(["pkg:npm/lodash@4.17.20"]))
      expect(error._tag).toBe("NotConfigured")
    }).pipe(Effect.provide(managerLayer(memoryStore(), false))))
})
