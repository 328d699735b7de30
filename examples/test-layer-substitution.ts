/**
 * What a test of YOUR program looks like. Your code depends on the `VulnerabilityManager` service
 * only; in production it gets `Node.layerFromEnv()` (Redis/Dragonfly when
 * `REDIS_URL` is set), in the test the store is swapped for the in-memory one in one line — with
 * its `TestKit` (raw access to the stored bytes) and a TTL that `TestClock` drives, so an hour
 * passes in a millisecond.
 *
 *   npx tsx examples/test-layer-substitution.ts
 *
 * Prints a PASS line per check and exits 1 if any check fails. Under vitest the same checks are
 * `it.effect("...", () => Effect.gen(...).pipe(Effect.provide(AppTest)))` with `expect` instead
 * of `check`: `it.effect` provides `TestContext` itself.
 */
import { Effect, Layer, TestClock, TestContext } from "effect"
import { Advisory, EnrichmentData, MemoryStore, VulnerabilityManager } from "../src/index.js"
import * as Node from "../src/node.js"

// ---------------------------------------------------------------------------------------------
// Your program (this part would live in your src/).

/** One npm dependency of the application. */
interface Dependency {
  readonly name: string
  readonly version: string
}

/** What the application reports: affected dependencies, and those it could not check. */
interface AuditReport {
  readonly affected: ReadonlyArray<{ readonly dependency: string; readonly id: string; readonly kev: boolean }>
  readonly unchecked: ReadonlyArray<{ readonly dependency: string; readonly reason: string }>
}

/** Audits npm dependencies: one batch lookup, enriched (KEV flags come from the store, no network). */
const audit = (dependencies: ReadonlyArray<Dependency>) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const outcome = yield* manager.queryBatch(
      dependencies.map((d) => ({ ecosystem: "npm", name: d.name, version: d.version })),
      { enriched: true }
    )
    const report: { affected: Array<AuditReport["affected"][number]>; unchecked: Array<AuditReport["unchecked"][number]> } = {
      affected: [],
      unchecked: []
    }
    for (const result of outcome.results) {
      const dependency = `${result.query.name}@${result.query.version}`
      if (result._tag === "Failure") {
        report.unchecked.push({ dependency, reason: `${result.error._tag}: ${result.error.message}` })
      } else {
        for (const a of result.advisories) report.affected.push({ dependency, id: a.id, kev: a.enrichment?.is_kev === true })
      }
    }
    return report as AuditReport
  })

/** Your production entry point: the layer from the environment (not run by this example). */
export const main = (dependencies: ReadonlyArray<Dependency>) =>
  audit(dependencies).pipe(Effect.provide(Node.layerFromEnv()))

// ---------------------------------------------------------------------------------------------
// Your test.

/**
 * `layerFromEnv()` is `layer()` over `storeLayerFromEnv()` and `sourcesLayerFromEnv()` (plus OSS
 * Index). The test keeps that wiring and swaps the store — the one changed line is marked. The
 * sources keep their default URLs: nothing here syncs, so nothing is downloaded.
 */
const ttlSeconds = 3600
const AppTest = VulnerabilityManager.layer().pipe(
  Layer.provideMerge(MemoryStore.layerWith({ ttlSeconds })), // <- the swap: in-memory store + TestKit, 1 h TTL
  Layer.provide(Node.sourcesLayerFromEnv())
)

/** A fixture: GHSA-jpcq-cgw6-v4j6 (jQuery XSS, CVE-2020-11023), abridged from the GitHub Advisory Database (CC-BY-4.0). */
const jqueryXss: Advisory.Advisory = {
  id: "GHSA-jpcq-cgw6-v4j6",
  modified: "2025-01-24T18:39:07Z",
  aliases: ["CVE-2020-11023"],
  summary: "Potential XSS vulnerability in jQuery",
  affected: [{
    package: { ecosystem: "npm", name: "jquery" },
    ranges: [{ type: "SEMVER", events: [{ introduced: "1.0.3" }, { fixed: "3.5.0" }] }]
  }]
}
/** CISA lists CVE-2020-11023 in KEV since 2025-01-23 (catalog 2025.08.25). */
const jqueryKev = new EnrichmentData.EnrichmentData({
  isKev: true,
  kevDateAdded: "2025-01-23",
  kevDueDate: "2025-02-13",
  updatedAt: "1970-01-01T00:00:00.000Z"
})
const dependencies: ReadonlyArray<Dependency> = [{ name: "jquery", version: "3.4.1" }, { name: "jquery", version: "3.5.0" }]

let failures = 0
const check = (label: string, ok: boolean, detail: unknown) =>
  Effect.sync(() => {
    if (ok) console.log(`PASS ${label}`)
    else {
      failures++
      console.log(`FAIL ${label}: got ${JSON.stringify(detail)}`)
    }
  })

const suite = Effect.gen(function*() {
  const wallStart = Date.now()
  const manager = yield* VulnerabilityManager.VulnerabilityManager
  const testKit = yield* MemoryStore.TestKit
  yield* manager.store.storeAdvisory(jqueryXss, "fixture")
  yield* manager.store.storeEnrichment("CVE-2020-11023", jqueryKev)

  const before = yield* audit(dependencies)
  yield* check(
    "the audit reports jquery@3.4.1 as affected by GHSA-jpcq-cgw6-v4j6, KEV-listed, and nothing else",
    JSON.stringify(before) ===
      JSON.stringify({ affected: [{ dependency: "jquery@3.4.1", id: "GHSA-jpcq-cgw6-v4j6", kev: true }], unchecked: [] }),
    before
  )

  const dataKey = `${testKit.keyPrefix}:data:GHSA-jpcq-cgw6-v4j6`
  const keys = yield* testKit.keys
  yield* check(
    `TestKit shows what was written: ${dataKey} and ${testKit.keyPrefix}:enrich:CVE-2020-11023`,
    keys.includes(dataKey) && keys.includes(`${testKit.keyPrefix}:enrich:CVE-2020-11023`),
    keys
  )

  yield* TestClock.adjust(`${ttlSeconds - 1} seconds`)
  const almost = yield* audit(dependencies)
  yield* check("one second before the TTL (TestClock) the finding is still reported", almost.affected.length === 1, almost)

  yield* TestClock.adjust("1 second")
  const after = yield* audit(dependencies)
  const count = yield* manager.store.advisoryCount
  const kev = yield* manager.isKev("CVE-2020-11023")
  yield* check(
    `at the TTL (${ttlSeconds} s, TestClock) the advisory and its KEV entry have expired: no finding, count 0, isKev false`,
    after.affected.length === 0 && after.unchecked.length === 0 && count === 0 && !kev,
    { after, count, kev }
  )
  const testNow = yield* TestClock.currentTimeMillis
  const wallElapsed = Date.now() - wallStart
  yield* check(
    `no real hour passed: the TestClock moved ${testNow / 1000} s, the wall clock under a minute`,
    testNow === ttlSeconds * 1000 && wallElapsed < 60_000,
    { testNow, wallElapsed }
  )

  yield* manager.store.storeAdvisory(jqueryXss, "fixture")
  yield* testKit.writeRaw(dataKey, new TextEncoder().encode("not zstd"))
  const corrupt = yield* audit(dependencies)
  // jquery@3.4.1 matches the advisory's match summary, so its full record is read: corrupt, the
  // dependency is unchecked. jquery@3.5.0 is decided by the summary alone (written with the record)
  // and never reads the corrupt bytes.
  yield* check(
    "a corrupt stored value (planted with TestKit.writeRaw) reaches the program as a typed CorruptEntry naming the key",
    corrupt.affected.length === 0 && corrupt.unchecked.length === 1 &&
      corrupt.unchecked.every((u) =>
        u.dependency === "jquery@3.4.1" && u.reason.startsWith("CorruptEntry") && u.reason.includes(dataKey)
      ),
    corrupt
  )
})

Effect.runPromise(suite.pipe(Effect.provide(AppTest), Effect.provide(TestContext.TestContext))).then(
  () => {
    if (failures > 0) process.exitCode = 1
  },
  (error: unknown) => {
    console.log(`FAIL the suite did not complete: ${String(error)}`)
    process.exitCode = 1
  }
)
