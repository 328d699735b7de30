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
import { cycloneDxErrors, sarifErrors } from "./utils/reportSchemas.js"
import * as Node from "../src/node.js"

const managerLayer = VulnerabilityManager.layer().pipe(
  Layer.provideMerge(MemoryStore.layer.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer())))),
  Layer.provide(Node.sourcesLayerFromEnv()),
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

layer(managerLayer)("ScanReport formats", (it) => {
  const everything = Effect.gen(function*() {
    yield* seed
    yield* TestClock.setTime(new Date("2026-06-01T00:00:00Z").getTime())
    const ignore = Either.getOrThrow(IgnoreList.parse(
      `[[ignore]]\nid = "GHSA-lodash-high"\nreason = "not reachable"\n\n[[ignore]]\nid = "OLD-1"\nuntil = 2026-01-01\n`,
      "vulnera.toml"
    ))
    return yield* ScanReport.scan([{ ...input(deps), file: "sub dir/deps.txt" }], { ignore, notice: "DEMO DATA: test notice" })
  })

  it.effect("SARIF validates against the SARIF 2.1.0 JSON schema: one rule per advisory, results at the declaring line, ignored ones suppressed", () =>
    Effect.gen(function*() {
      const report = yield* everything
      const sarif = ScanReport.toSarif(report, { version: "0.1.0" }) as any
      expect(sarifErrors(sarif)).toEqual([])
      const run = sarif.runs[0]
      const ruleIds = run.tool.driver.rules.map((r: any) => r.id)
      expect(new Set(ruleIds).size).toBe(ruleIds.length)
      expect(ruleIds.sort()).toEqual(
        ["GHSA-lodash-crit", "GHSA-lodash-high", "MAL-2024-1", "PYSEC-2024-1", "vulnera-advisor/not-covered", "vulnera-advisor/undetermined"]
      )
      for (const result of run.results) {
        expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId)
        expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe("sub%20dir/deps.txt")
      }
      const at = (ruleId: string) => run.results.filter((r: any) => r.ruleId === ruleId)
      expect(at("GHSA-lodash-crit")[0].locations[0].physicalLocation.region).toEqual({ startLine: 1 })
      expect(at("GHSA-lodash-crit")[0].level).toBe("error")
      expect(at("GHSA-lodash-high")[0].suppressions[0]).toMatchObject({ kind: "external", status: "accepted" })
      expect(at("GHSA-lodash-high")[0].suppressions[0].justification).toContain("not reachable")
      expect(at("vulnera-advisor/not-covered")[0].locations[0].physicalLocation.region).toEqual({ startLine: 6 })
      expect(at("vulnera-advisor/undetermined")[0].message.text).toContain("GHSA-weird")
      const notes = run.invocations[0].toolExecutionNotifications.map((n: any) => n.message.text)
      expect(notes[0]).toBe("DEMO DATA: test notice")
      expect(notes[1]).toContain("expired ignore entry OLD-1")
      // The schema itself rejects a broken document (the validator is not vacuous).
      expect(sarifErrors({ ...sarif, version: "2.0.0" })).not.toEqual([])
    }))

  it.effect("CycloneDX 1.6 validates with @cyclonedx/cyclonedx-library: components with status, vulnerabilities with affects, ratings, source", () =>
    Effect.gen(function*() {
      const report = yield* everything
      const bom = ScanReport.toCycloneDx(report, { version: "0.1.0" }) as any
      expect(yield* Effect.promise(() => cycloneDxErrors(bom))).toBeNull()
      expect(bom.components.map((c: any) => c.purl)).toEqual([
        "pkg:npm/lodash@4.17.11",
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/evil@1.0.0",
        "pkg:npm/weird@1.0.0",
        "pkg:pypi/django@4.2.1", // the PURL spec lower-cases PyPI names
        "pkg:cargo/smallvec@1.6.0"
      ])
      const status = (purl: string) => bom.components.find((c: any) => c.purl === purl).properties.find((p: any) => p.name === "vulnera:status").value
      expect(status("pkg:cargo/smallvec@1.6.0")).toBe("not-covered")
      expect(status("pkg:npm/weird@1.0.0")).toBe("undetermined")
      const crit = bom.vulnerabilities.find((v: any) => v.id === "GHSA-lodash-crit")
      expect(crit.affects).toEqual([{ ref: "pkg:npm/lodash@4.17.11", versions: [{ version: "4.17.11", status: "affected" }] }])
      expect(crit.ratings[0]).toMatchObject({ score: 9.8, severity: "critical", method: "CVSSv31" })
      expect(crit.source.url).toBe("https://osv.dev/vulnerability/GHSA-lodash-crit")
      expect(crit.recommendation).toBe("Upgrade to 4.17.12 or later.")
      expect(bom.vulnerabilities.find((v: any) => v.id === "GHSA-lodash-high").analysis.detail).toContain("not reachable")
      expect(bom.metadata.properties).toEqual([{ name: "vulnera:notice", value: "DEMO DATA: test notice" }])
      // The validator is not vacuous: a severity outside CycloneDX's enumeration is rejected.
      const broken = { ...bom, vulnerabilities: [{ ...crit, ratings: [{ severity: "severe" }] }] }
      expect(yield* Effect.promise(() => cycloneDxErrors(broken))).not.toBeNull()
    }))

  it.effect("JSON and Markdown: the notice first and last, statuses, undetermined counts with reasons, remediation, ignored and expired entries", () =>
    Effect.gen(function*() {
      const report = yield* everything
      const json = ScanReport.toJson(report, { failOn: "high" }) as any
      const keys = Object.keys(json)
      expect([json[keys[0]!], json[keys[keys.length - 1]!]]).toEqual(["DEMO DATA: test notice", "DEMO DATA: test notice"])
      const weird = json.results.find((r: any) => r.name === "weird")
      expect(weird.status).toBe("undetermined")
      expect(weird.undetermined.count).toBe(1)
      expect(weird.undetermined.advisories[0].reasons[0]).toContain("2.0.0-!!")
      expect(json.results[0].remediation).toEqual({ _tag: "Upgrade", version: "4.17.12", text: "upgrade to 4.17.12" })
      expect(json.results[0].ignored[0].ignoredBy.reason).toBe("not reachable")
      expect(json.expiredIgnores.map((r: any) => r.id)).toEqual(["OLD-1"])
      expect(json.gate).toMatchObject({ failOn: "high", fails: true, uncovered: 1, undetermined: 1 })
      const markdown = ScanReport.toMarkdown(report, { failOn: "high" }).trimEnd().split("\n")
      expect(markdown[0]).toBe("> **DEMO DATA: test notice**")
      expect(markdown[markdown.length - 1]).toBe("> **DEMO DATA: test notice**")
      const text = markdown.join("\n")
      expect(text).toContain("| weird@1.0.0 | npm | undetermined | 0 | 1: GHSA-weird")
      expect(text).toContain("| smallvec@1.6.0 | crates.io | not-covered |")
      expect(text).toContain("### Ignored")
      expect(text).toContain("OLD-1")
    }))
})
