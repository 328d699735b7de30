/**
 * Every example under examples/ runs as a user would run it (`npx tsx examples/<name>.ts`, a
 * subprocess with a timeout) and its output is checked against independent oracles: the manager
 * run in-process over the same snapshot, the snapshot's KEV/EPSS files, the recorded OSS Index
 * responses. Quickstart and scale-out also run against this file's own redis-server. The
 * subprocesses run concurrently, so the file takes about as long as the slowest example.
 */
import { Command } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { MemoryStore, VulnerabilityManager } from "../src/index.js"
import { useRedisServer } from "./utils/redis.js"
import { documentedMetrics, documentedSpans, isDocumentedSpan } from "./utils/observabilityDocs.js"
import { snapshotEpss, snapshotIds, snapshotKev, snapshotUrls } from "./utils/snapshot.js"
import * as Node from "../src/node.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const redis = useRedisServer({ beforeAll, afterAll })

interface Run {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly lines: ReadonlyArray<string>
}

/** The parent's environment without the variables the examples read, so each run states its own. */
const cleanEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] =>
      entry[1] !== undefined && entry[0] !== "REDIS_URL" && !entry[0].startsWith("VULNERA__") &&
      !entry[0].startsWith("OSSINDEX_")
    )
  )

const text = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Stream.runCollect(Stream.decodeText(stream)).pipe(Effect.map((chunks) => Chunk.join(chunks, "")))

/** Runs `npx tsx examples/<name>.ts` to completion (killed after 120 s: a guard against a hang, generous because the eight run at once). */
const runExample = (name: string, env: Record<string, string> = {}) =>
  Effect.scoped(Effect.gen(function*() {
    const command = Command.make("npx", "--no", "tsx", `examples/${name}.ts`).pipe(
      Command.workingDirectory(root),
      Command.env({ ...cleanEnv(), ...env }, { extendEnv: false })
    )
    const process_ = yield* Command.start(command)
    const [stdout, stderr, exitCode] = yield* Effect.all([text(process_.stdout), text(process_.stderr), process_.exitCode], {
      concurrency: "unbounded"
    })
    return { exitCode, stdout, stderr, lines: stdout.split("\n").filter((l) => l.trim() !== "") } satisfies Run
  })).pipe(
    Effect.timeoutFail({ duration: "120 seconds", onTimeout: () => new Error(`examples/${name}.ts did not finish within 120 s`) }),
    Effect.provide(NodeContext.layer)
  )

/** A run's exit code, with its output in the failure message. */
const expectSuccess = (run: Run) =>
  expect(run.exitCode, `exit code ${run.exitCode}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0)

/** The one line starting with `prefix`. */
const lineOf = (run: Run, prefix: string): string => {
  const found = run.lines.filter((l) => l.startsWith(prefix))
  expect(found, `one line starting with ${JSON.stringify(prefix)} in:\n${run.stdout}`).toHaveLength(1)
  return found[0]!
}

/** The in-process oracle: jquery@3.4.1's advisories from the manager over the in-memory store and the same snapshot. */
let jqueryIds: ReadonlyArray<string> = []
beforeAll(async () => {
  const layer = VulnerabilityManager.layer().pipe(
    Layer.provideMerge(MemoryStore.layerDefault),
    Layer.provide(Node.sourcesLayerFromEnv({
      osv: { baseUrl: snapshotUrls.osv, ecosystems: ["npm"] },
      kev: { url: snapshotUrls.kev },
      epss: { bulkUrl: snapshotUrls.epss }
    }))
  )
  jqueryIds = await Effect.runPromise(Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    yield* manager.syncAll()
    return (yield* manager.matches("npm", "jquery", "3.4.1")).map((a) => a.id)
  }).pipe(Effect.provide(layer)))
}, 30_000)

const distinctAdvisories = () => new Set(Array.from(snapshotIds().values()).flat()).size
const npmRecords = () => snapshotIds().get("npm")!.length

/** CVE-2020-11023 (GHSA-jpcq-cgw6-v4j6, jQuery) in the snapshot's EPSS and KEV files. */
const jqueryKev = () => {
  const epss = snapshotEpss().get("CVE-2020-11023")!
  const kev = snapshotKev().find((k) => k.cveID === "CVE-2020-11023")!
  return { epss, kev }
}

const checkQuickstart = (run: Run) => {
  expectSuccess(run)
  expect(jqueryIds.length).toBeGreaterThan(0)
  expect(lineOf(run, "matches npm/jquery@3.4.1: ")).toBe(`matches npm/jquery@3.4.1: ${jqueryIds.join(", ")}`)
  expect(lineOf(run, "sync: ")).toMatch(/ 0 failed /)
  expect(lineOf(run, "health: ")).toContain(`health: Healthy, ${distinctAdvisories()} advisories`)
  const { epss, kev } = jqueryKev()
  expect(lineOf(run, "  GHSA-jpcq-cgw6-v4j6: ")).toContain(
    `EPSS ${epss.epss} (percentile ${epss.percentile}), KEV since ${kev.dateAdded}, due ${kev.dueDate}`
  )
}

describe.concurrent("examples", () => {
  it.effect("quickstart (in-memory): prints the jquery@3.4.1 advisories the manager finds in-process, KEV and EPSS as in the snapshot", () =>
    Effect.gen(function*() {
      const run = yield* runExample("quickstart")
      expect(lineOf(run, "store: ")).toContain("in-memory")
      checkQuickstart(run)
    }))

  it.effect("quickstart (REDIS_URL): the same answers from Redis", () =>
    Effect.gen(function*() {
      const run = yield* runExample("quickstart", {
        REDIS_URL: redis.current().url,
        VULNERA__STORE__KEY_PREFIX: `examples-${process.pid}`
      })
      expect(lineOf(run, "store: ")).toContain("Redis/Dragonfly")
      checkQuickstart(run)
    }))

  it.effect("test-layer-substitution: prints only PASS lines", () =>
    Effect.gen(function*() {
      const run = yield* runExample("test-layer-substitution")
      expectSuccess(run)
      expect(run.lines.length).toBeGreaterThanOrEqual(6)
      expect(run.lines.filter((l) => !l.startsWith("PASS "))).toEqual([])
    }))

  it.effect("enrichment-ossindex: KEV/EPSS over HTTP; OSS Index answered once, then from the cache, refetched after invalidation", () =>
    Effect.gen(function*() {
      const run = yield* runExample("enrichment-ossindex")
      expectSuccess(run)
      const { epss, kev } = jqueryKev()
      const enrichment = JSON.parse(lineOf(run, "GHSA-jpcq-cgw6-v4j6 (").split(" enrichment: ")[1]!)
      expect(enrichment).toMatchObject({
        is_kev: true,
        epss_score: epss.epss,
        epss_percentile: epss.percentile,
        kev_date_added: kev.dateAdded,
        kev_due_date: kev.dueDate
      })
      expect(lineOf(run, "isKev(CVE-2020-11023): ")).toBe("isKev(CVE-2020-11023): true")

      const jackson = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.1"
      const recorded = JSON.parse(
        readFileSync(new URL("fixtures/ossindex/dependency-track_vulns-response.json", import.meta.url), "utf8")
      ) as Array<{ vulnerabilities: Array<{ cve: string }> }>
      const jacksonIds = recorded[0]!.vulnerabilities.map((v) => v.cve).join(", ")
      const cached = (query: string) =>
        run.lines.filter((l) => l.startsWith(`${query}: pkg:`)).map((l) => / fromCache: (true|false) /.exec(l)![1])
      expect(lineOf(run, `query 1: ${jackson} `)).toBe(`query 1: ${jackson} fromCache: false -> ${jacksonIds}`)
      expect(cached("query 1")).toEqual(["false", "false", "false"])
      expect(lineOf(run, "query 1: OSS Index requests")).toMatch(/so far: 1$/)
      expect(lineOf(run, `query 2: ${jackson} `)).toBe(`query 2: ${jackson} fromCache: true -> ${jacksonIds}`)
      expect(cached("query 2")).toEqual(["true", "true", "true"])
      expect(lineOf(run, "query 2: OSS Index requests")).toMatch(/so far: 1$/)
      expect(cached("query 3")).toEqual(["false", "true", "true"])
      expect(lineOf(run, "query 3: OSS Index requests")).toMatch(/so far: 2$/)
      expect(lineOf(run, "query 3: the new request carried ")).toBe(`query 3: the new request carried ${JSON.stringify([jackson])}`)
    }))

  it.effect("custom-source: the in-house feed syncs next to OSV, is found, resets and re-syncs in full", () =>
    Effect.gen(function*() {
      const run = yield* runExample("custom-source")
      expectSuccess(run)
      expect(run.lines).toContain("[sync] started: osv.npm, inhouse.main")
      expect(run.lines).toContain(`[sync] osv.npm: succeeded, ${npmRecords()} inserted, 0 updated, 0 failed`)
      expect(lineOf(run, "[sync] inhouse.main: partial, 2 inserted")).toContain("ACME-2026-0003 (affected: ")
      expect(lineOf(run, "matches npm/@acme/payments-sdk@2.3.0: ")).toContain("ACME-2026-0001")
      expect(lineOf(run, "matches npm/@acme/payments-sdk@2.4.1: ")).toBe("matches npm/@acme/payments-sdk@2.4.1: 0 advisories")
      expect(lineOf(run, "queryGrouped npm/jquery: ")).toContain("ACME-2026-0002, GHSA-jpcq-cgw6-v4j6")
      expect(run.lines).toContain("[sync] inhouse.main: incremental sync, 0 records expected")
      expect(lineOf(run, "resetSync(inhouse): ")).toBe("resetSync(inhouse): 1 unit reset; lastSync(inhouse) is now never")
      expect(run.lines.filter((l) => l === "[sync] inhouse.main: full sync, 3 records expected")).toHaveLength(2)
      expect(lineOf(run, "resetSync(inhous): ")).toContain("UnknownSource")
    }))

  it.effect("scale-out without REDIS_URL: prints the configuration, password masked, and exits 0", () =>
    Effect.gen(function*() {
      const run = yield* runExample("scale-out")
      expectSuccess(run)
      expect(run.stdout).not.toContain("correct-horse-battery")
      expect(run.stdout + run.stderr).not.toContain("correct-horse-battery")
      expect(lineOf(run, "  REDIS_URL=")).toContain("rediss://<redacted>:<redacted>@dragonfly.internal:6380/0")
      expect(lineOf(run, "  tenant-b: ")).toContain("keys tenant-b:*")
      expect(lineOf(run, "    ConfigurationError: ")).toContain("<redacted>")
      expect(lineOf(run, "  no   Redis Cluster")).toContain("Lua script")
    }))

  it.effect("scale-out with REDIS_URL: workers share one prefix, another tenant sees nothing, demo data removed", () =>
    Effect.gen(function*() {
      const run = yield* runExample("scale-out", { REDIS_URL: redis.current().url })
      expectSuccess(run)
      const n = npmRecords()
      expect(lineOf(run, "health: ")).toMatch(/^health: Healthy, server /)
      expect(lineOf(run, "sync worker 1: ")).toBe(`sync worker 1: ${n} written, 0 failed units`)
      expect(lineOf(run, "sync worker 2: ")).toBe(`sync worker 2: ${n} written, 0 failed units`)
      expect(lineOf(run, "api worker (vulnera-example-scale-out): ")).toBe(
        `api worker (vulnera-example-scale-out): ${n} advisories; jquery@3.4.1: ${jqueryIds.join(", ")}`
      )
      expect(lineOf(run, "api worker (vulnera-example-scale-out.tenant-b): ")).toContain(": 0 advisories; jquery@3.4.1: 0 matches")
      expect(lineOf(run, "cleaned up: ")).toBe(
        `cleaned up: ${n} demo advisories and the sync timestamps removed, 0 left under vulnera-example-scale-out`
      )
    }))

  it.effect("opentelemetry: every documented metric and the key spans arrive in the in-memory exporters, with the workload's values", () =>
    Effect.gen(function*() {
      const run = yield* runExample("opentelemetry")
      expectSuccess(run)
      // `span <name> ×<count>` and `metric <name> <attributes JSON> value=<n>|count=<n>` lines.
      const spans = new Map(run.lines.flatMap((l) => {
        const match = /^span (\S+(?: \S+)?) ×(\d+)$/.exec(l)
        return match ? [[match[1]!, Number(match[2])] as const] : []
      }))
      const points = run.lines.flatMap((l) => {
        const match = /^metric (\S+) (\{.*\}) (?:value|count)=(\d+)$/.exec(l)
        return match ? [{ name: match[1]!, attributes: JSON.parse(match[2]!) as Record<string, string>, value: Number(match[3]) }] : []
      })
      const value = (name: string, attributes: Record<string, string>) =>
        points.find((p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))?.value

      expect(new Set(points.map((p) => p.name))).toEqual(new Set(documentedMetrics()))
      expect(value("vulnera_sync_records_total", { unit: "osv.npm" })).toBe(npmRecords())
      expect(value("vulnera_sync_failures_total", { unit: "osv.hackage" })).toBe(1)
      expect(points.filter((p) => p.name === "vulnera_sync_failures_total")).toHaveLength(1)
      expect(value("vulnera_query_duration_ms", { operation: "queryEnriched" })).toBe(1)
      expect(value("vulnera_query_duration_ms", { operation: "queryBatch" })).toBe(1)
      expect(value("vulnera_ossindex_cache_misses_total", {})).toBe(1)
      expect(value("vulnera_ossindex_cache_hits_total", {})).toBe(1)
      expect(value("vulnera_store_errors_total", { operation: "getByPackage", kind: "InvalidInput" })).toBe(1)

      // Three OSV units (npm, PyPI, the missing Hackage), each fetched once.
      expect(spans.get("Sync.syncAll")).toBe(1)
      expect(spans.get("Sync.syncUnit")).toBe(3)
      expect(spans.get("OsvSource.fetch")).toBe(3)
      for (
        const name of [
          "KevSource.fetchCatalog",
          "EpssSource.bulk",
          "OssIndexSource.componentReports",
          "vulnera.fetch",
          "AdvisoryStore.upsertBatch",
          "AdvisoryStore.getByPackage",
          "VulnerabilityManager.syncEnrichment",
          "VulnerabilityManager.matches",
          "VulnerabilityManager.queryEnriched",
          "VulnerabilityManager.queryBatch",
          "VulnerabilityManager.queryOssIndex"
        ]
      ) expect(spans.get(name), name).toBeGreaterThanOrEqual(1)
      // Every span the library exported is documented (`http.client` spans are @effect/platform's own).
      const documented = documentedSpans()
      expect([...spans.keys()].filter((name) => !name.startsWith("http.client") && !isDocumentedSpan(documented, name))).toEqual([])
    }))
})
