/**
 * `ScanReport.scan` over the real manager and in-memory store: each status (vulnerable, ok,
 * not-covered, undetermined) from stored advisories and sync times, remediation, ignore rules with
 * expiry on the TestClock, and the one gate rule, checked against `MatchOptions.passesFilters`.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Either, Layer, Option, TestClock } from "effect"
import type { Advisory } from "../src/Advisory.js"
import * as Compression from "../src/Compression.js"
import * as IgnoreList from "../src/IgnoreList.js"
import * as MatchOptions from "../src/MatchOptions.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as ScanReport from "../src/ScanReport.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"

const managerLayer = VulnerabilityManager.layer().pipe(
  Layer.provideMerge(MemoryStore.layer.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer())))),
  Layer.provide(VulnerabilityManager.sourcesLayerFromEnv()),
  Layer.orDie
)

const critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
const high = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"

const advisory = (
  id: string,
  ecosystem: string,
  name: string,
  events: ReadonlyArray<Record<string, string>>,
  extra: Partial<Advisory> = {}
): Advisory => ({
  id,
  modified: "2024-01-01T00:00:00Z",
  summary: `${id} summary`,
  affected: [{ package: { ecosystem, name }, ranges: [{ type: "ECOSYSTEM", events }] }],
  ...extra
} as Advisory)

const records: ReadonlyArray<Advisory> = [
  advisory("GHSA-lodash-high", "npm", "lodash", [{ introduced: "0" }, { fixed: "4.17.21" }], {
    aliases: ["CVE-2021-23337"],
    severity: [{ type: "CVSS_V3", score: high }]
  }),
  advisory("GHSA-lodash-crit", "npm", "lodash", [{ introduced: "4.0.0" }, { fixed: "4.17.12" }], {
    severity: [{ type: "CVSS_V3", score: critical }]
  }),
  advisory("MAL-2024-1", "npm", "evil", [{ introduced: "0" }]),
  advisory("GHSA-weird", "npm", "weird", [{ introduced: "0" }, { fixed: "2.0.0-!!" }]),
  advisory("PYSEC-2024-1", "PyPI", "django", [{ introduced: "0" }, { fixed: "4.2.2" }], {
    severity: [{ type: "CVSS_V3", score: critical }]
  })
]

const input = (dependencies: ReadonlyArray<ScanReport.ScannedDependency>): ScanReport.ScanInput => ({
  file: "deps.txt",
  format: "purl",
  dependencies,
  skipped: []
})

const deps: ReadonlyArray<ScanReport.ScannedDependency> = [
  { ecosystem: "npm", name: "lodash", version: "4.17.11", line: 1 },
  { ecosystem: "npm", name: "lodash", version: "4.17.21", line: 2 },
  { ecosystem: "npm", name: "evil", version: "1.0.0", line: 3 },
  { ecosystem: "npm", name: "weird", version: "1.0.0", line: 4 },
  { ecosystem: "PyPI", name: "Django", version: "4.2.1", line: 5 },
  { ecosystem: "crates.io", name: "smallvec", version: "1.6.0", line: 6 }
]

/** Stores the records and marks only npm as synced (PyPI's advisory is there, its sync is not). */
const seed = Effect.gen(function*() {
  const manager = yield* VulnerabilityManager.VulnerabilityManager
  yield* manager.store.upsertBatch(records, "test")
  yield* manager.store.updateSyncTimestamp("osv.npm", new Date("2026-01-01T00:00:00Z"))
  return manager
})

layer(managerLayer)("ScanReport", (it) => {
  it.effect("statuses: vulnerable, ok, undetermined with its reason, not covered whatever the store holds", () =>
    Effect.gen(function*() {
      yield* seed
      const report = yield* ScanReport.scan([input(deps)])
      const byLine = (line: number) => report.dependencies.find((d) => d.dependency.line === line)!
      expect(report.dependencies.map((d) => d.status)).toEqual(["vulnerable", "ok", "vulnerable", "undetermined", "vulnerable", "not-covered"])
      expect(byLine(1).findings.map((f) => [f.id, f.fixedIn])).toEqual([["GHSA-lodash-crit", "4.17.12"], ["GHSA-lodash-high", "4.17.21"]])
      expect(byLine(1).remediation).toEqual({ _tag: "Upgrade", version: "4.17.21" })
      expect(byLine(3).remediation).toEqual({ _tag: "NoFix", unfixed: ["MAL-2024-1"] })
      expect(byLine(4).undetermined).toHaveLength(1)
      expect(byLine(4).undetermined[0]!.id).toBe("GHSA-weird")
      expect(byLine(4).undetermined[0]!.reasons.join(" ")).toContain("2.0.0-!!")
      // Django's advisory is stored, so it is found, but the ecosystem is still not covered:
      // smallvec (crates.io, nothing stored, never synced) must not read as "ok".
      expect(byLine(6).findings).toEqual([])
      expect(report.coverage.ecosystems.map((c) => c.ecosystem)).toEqual(["npm"])
      expect(ScanReport.summarize(report)).toMatchObject({ dependencies: 6, vulnerable: 3, ok: 1, undetermined: 1, notCovered: 1, findings: 4 })
    }))

  it.effect("the gate: severity by MatchOptions' rule (unrated counts unless ignored), uncovered and undetermined count unless allowed", () =>
    Effect.gen(function*() {
      const manager = yield* seed
      const report = yield* ScanReport.scan([input(deps)])
      for (const failOn of ScanReport.thresholds.filter((t) => t !== "any")) {
        for (const ignoreUnrated of [false, true]) {
          const options = yield* MatchOptions.make({ minSeverity: failOn, missingData: ignoreUnrated ? "exclude" : "include" })
          for (const d of report.dependencies) {
            const stored = yield* manager.query(d.dependency.ecosystem, d.dependency.name)
            for (const f of d.findings) {
              const expected = MatchOptions.passesFilters(stored.find((a) => a.id === f.id)!, Option.none(), options).pass
              expect(ScanReport.atOrAbove(f, { failOn, ignoreUnrated }), `${f.id} at ${failOn}`).toBe(expected)
            }
          }
        }
      }
      const verdict = ScanReport.gate(report, { failOn: "critical" })
      expect(verdict.findings.map((f) => f.finding.id).sort()).toEqual(["GHSA-lodash-crit", "MAL-2024-1", "PYSEC-2024-1"])
      expect(verdict.unrated).toBe(1)
      expect(verdict.uncovered.map((d) => d.name)).toEqual(["smallvec"])
      expect(verdict.undetermined).toBe(1)
      const onlyWeird = yield* ScanReport.scan([input([deps[3]!])])
      expect(ScanReport.failsGate(onlyWeird, { failOn: "any" })).toBe(true)
      expect(ScanReport.failsGate(onlyWeird, { failOn: "any", ignoreUndetermined: true })).toBe(false)
      const onlyCrate = yield* ScanReport.scan([input([deps[5]!])])
      expect(ScanReport.failsGate(onlyCrate, { failOn: "any" })).toBe(true)
      expect(ScanReport.failsGate(onlyCrate, { failOn: "any", allowUncovered: true })).toBe(false)
      const clean = yield* ScanReport.scan([input([deps[1]!])])
      expect(ScanReport.failsGate(clean, { failOn: "any" })).toBe(false)
    }))

  it.effect("ignore rules: ignored findings are listed apart with the rule; from `until` on (TestClock) they count again and the rule is reported", () =>
    Effect.gen(function*() {
      yield* seed
      const ignore = Either.getOrThrow(IgnoreList.parse(
        `[[ignore]]\nid = "CVE-2021-23337"\npackage = "lodash"\nreason = "not reachable"\nuntil = 2026-06-30\n`,
        "vulnera.toml"
      ))
      yield* TestClock.setTime(new Date("2026-06-01T00:00:00Z").getTime())
      const before = yield* ScanReport.scan([input([deps[0]!])], { ignore })
      const lodash = before.dependencies[0]!
      expect(lodash.findings.map((f) => f.id)).toEqual(["GHSA-lodash-crit"])
      expect(lodash.ignored.map((i) => [i.finding.id, i.rule.reason])).toEqual([["GHSA-lodash-high", "not reachable"]])
      // Remediation covers what is not ignored.
      expect(lodash.remediation).toEqual({ _tag: "Upgrade", version: "4.17.12" })
      expect(before.expiredIgnores).toEqual([])
      yield* TestClock.setTime(new Date("2026-06-30T00:00:00Z").getTime())
      const after = yield* ScanReport.scan([input([deps[0]!])], { ignore })
      expect(after.dependencies[0]!.findings.map((f) => f.id).sort()).toEqual(["GHSA-lodash-crit", "GHSA-lodash-high"])
      expect(after.dependencies[0]!.ignored).toEqual([])
      expect(after.expiredIgnores.map((r) => r.id)).toEqual(["CVE-2021-23337"])
      expect(after.scannedAt).toBe("2026-06-30T00:00:00.000Z")
    }))
})

describe("VulnerabilityManager.covers", () => {
  it("any spelling; a whole distribution covers its releases, not the reverse", () => {
    const coverage = { ecosystems: [{ ecosystem: "pypi", unit: "osv.pypi", lastSync: new Date(0) }, { ecosystem: "debian", unit: "osv.debian", lastSync: new Date(0) }, { ecosystem: "alpine:v3.18", unit: "osv.alpine:v3.18", lastSync: new Date(0) }] }
    expect(VulnerabilityManager.covers(coverage, "PyPI")).toBe(true)
    expect(VulnerabilityManager.covers(coverage, "pip")).toBe(true)
    expect(VulnerabilityManager.covers(coverage, "Debian:11")).toBe(true)
    expect(VulnerabilityManager.covers(coverage, "Alpine:v3.18")).toBe(true)
    expect(VulnerabilityManager.covers(coverage, "Alpine:v3.19")).toBe(false)
    expect(VulnerabilityManager.covers(coverage, "Alpine")).toBe(false)
    expect(VulnerabilityManager.covers(coverage, "npm")).toBe(false)
  })
})
