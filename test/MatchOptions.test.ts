/**
 * MatchOptions: validation, presets, CWE normalization and the filter verdict, over real OSV
 * records with real EPSS rows and a real KEV entry for their CVEs (test/fixtures/match-options,
 * provenance in test/fixtures/README.md).
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Option } from "effect"
import * as Advisory from "../src/Advisory.js"
import { EnrichmentData } from "../src/EnrichmentData.js"
import * as MatchOptions from "../src/MatchOptions.js"

const fixture = (name: string) => readFileSync(new URL(`fixtures/match-options/${name}`, import.meta.url), "utf8")

const records = fixture("records.jsonl")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => Effect.runSync(Advisory.decodeUnknown(JSON.parse(line))))

const record = (id: string): Advisory.Advisory => {
  const found = records.find((a) => a.id === id)
  if (found === undefined) throw new Error(`${id} missing from test/fixtures/match-options/records.jsonl`)
  return found
}

// Per-CVE entries as the enrichment sync would store them: FIRST EPSS rows and CISA KEV entries.
const epssRows = new Map(
  fixture("epss.csv").trim().split("\n").slice(1).map((line) => {
    const [cve, epss, percentile] = line.split(",")
    return [cve!, { epss: Number(epss), percentile: Number(percentile) }] as const
  })
)
const kev = new Set(
  (JSON.parse(fixture("kev.json")) as { vulnerabilities: ReadonlyArray<{ cveID: string }> }).vulnerabilities.map((v) => v.cveID)
)

const enrichmentOf = (advisory: Advisory.Advisory) =>
  MatchOptions.aggregateEnrichment(
    Advisory.cveIds(advisory).flatMap((cve) => {
      const row = epssRows.get(cve)
      if (row === undefined && !kev.has(cve)) return []
      return [
        new EnrichmentData({
          epssScore: row?.epss,
          epssPercentile: row?.percentile,
          isKev: kev.has(cve),
          updatedAt: "2026-08-16T00:00:00Z"
        })
      ]
    })
  )

const verdict = (id: string, options: MatchOptions.MatchOptions) =>
  MatchOptions.passesFilters(record(id), enrichmentOf(record(id)), options)

const passing = (options: MatchOptions.MatchOptions) =>
  records.filter((a) => MatchOptions.passesFilters(a, enrichmentOf(a), options).pass).map((a) => a.id).sort()

describe("MatchOptions.make", () => {
  it.effect("normalizes every accepted spelling and drops constraints that constrain nothing", () =>
    Effect.gen(function*() {
      const options = yield* MatchOptions.make({
        minCvss: 7,
        minEpss: 0.5,
        minSeverity: " high ",
        cweIds: ["79", "cwe-79", "CWE-79", " Cwe-79 ", "cwe79", "CWE_089", "cwe 22"],
        kevOnly: true
      })
      expect(options).toEqual({
        minCvss: Option.some(7),
        minEpss: Option.some(0.5),
        kevOnly: true,
        minSeverity: Option.some("HIGH"),
        cweIds: ["CWE-22", "CWE-79", "CWE-89"],
        includeEnrichment: false,
        missingData: "exclude"
      })
      expect((yield* MatchOptions.make({ minSeverity: "moderate" })).minSeverity).toEqual(Option.some("MEDIUM"))
      const zero = yield* MatchOptions.make({ minCvss: 0, minEpss: 0, minSeverity: "NONE" })
      expect(zero).toEqual(MatchOptions.defaults)
      expect(yield* MatchOptions.make()).toEqual(MatchOptions.defaults)
      // Bounds are inclusive.
      expect((yield* MatchOptions.make({ minCvss: 10, minEpss: 1 })).minCvss).toEqual(Option.some(10))
    }))

  it.effect("rejects bad values with InvalidInput naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [MatchOptions.MatchOptionsInput, string]> = [
        [{ minCvss: 10.1 }, "minCvss"],
        [{ minCvss: -0.1 }, "minCvss"],
        [{ minCvss: Number.NaN }, "minCvss"],
        [{ minCvss: "7" as unknown as number }, "minCvss"],
        [{ minEpss: 1.5 }, "minEpss"],
        [{ minEpss: -1 }, "minEpss"],
        [{ minEpss: Number.POSITIVE_INFINITY }, "minEpss"],
        [{ minSeverity: "severe" }, "minSeverity"],
        [{ minSeverity: "" }, "minSeverity"],
        [{ cweIds: ["79", "XSS"] }, "cweIds"],
        [{ cweIds: ["NVD-CWE-Other"] }, "cweIds"],
        [{ cweIds: ["CWE-"] }, "cweIds"],
        [{ cweIds: ["CWE-0"] }, "cweIds"],
        [{ cweIds: ["-79"] }, "cweIds"],
        [{ cweIds: "79" as unknown as ReadonlyArray<string> }, "cweIds"],
        [{ missingData: "keep" as MatchOptions.MissingDataPolicy }, "missingData"],
        [{ kevOnly: "yes" as unknown as boolean }, "kevOnly"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(MatchOptions.make(input))
        expect(error._tag).toBe("InvalidInput")
        expect(error.field, JSON.stringify(input)).toBe(field)
        expect(error.message).toContain(field)
      }
      const cwe = yield* Effect.flip(MatchOptions.withCwes("79", "SQL injection"))
      expect(cwe.value).toBe("SQL injection")
    }))

  it.effect("presets say what they do", () =>
    Effect.gen(function*() {
      expect(MatchOptions.highSeverity.minSeverity).toEqual(Option.some("HIGH"))
      expect(MatchOptions.exploitedOnly.kevOnly).toBe(true)
      expect(MatchOptions.withEnrichment.includeEnrichment).toBe(true)
      expect((yield* MatchOptions.withCwes("cwe-434", "22")).cweIds).toEqual(["CWE-22", "CWE-434"])
      // Filters that read exploit data need it loaded, whatever includeEnrichment says.
      expect(MatchOptions.requiresEnrichment(MatchOptions.defaults)).toBe(false)
      expect(MatchOptions.requiresEnrichment(MatchOptions.highSeverity)).toBe(false)
      expect(MatchOptions.requiresEnrichment({ ...MatchOptions.defaults, kevOnly: true })).toBe(true)
      expect(MatchOptions.requiresEnrichment(yield* MatchOptions.make({ minEpss: 0.1 }))).toBe(true)
      expect(MatchOptions.requiresEnrichment(MatchOptions.withEnrichment)).toBe(true)
    }))
})

describe("MatchOptions.advisoryCweIds", () => {
  it("reads every place real records put CWE ids", () => {
    expect(MatchOptions.advisoryCweIds(record("GHSA-29mw-wpgm-hmr9"))).toEqual(["CWE-400", "CWE-1333"]) // database_specific.cwe_ids
    expect(MatchOptions.advisoryCweIds(record("OSEC-2016-01"))).toEqual(["CWE-119", "CWE-200"]) // database_specific.cwe (opam)
    expect(MatchOptions.advisoryCweIds(record("MAL-2023-462"))).toEqual(["CWE-506"]) // affected[].database_specific.cwes[].cweId
    expect(MatchOptions.advisoryCweIds(record("PSF-2007-2"))).toEqual(["CWE-22"])
    expect(MatchOptions.advisoryCweIds(record("GO-2022-0588"))).toEqual([])
    const affectedLevel: Advisory.Advisory = {
      ...record("GO-2022-0588"),
      affected: [{ ...record("GO-2022-0588").affected![0]!, database_specific: { cwe_ids: ["cwe-79", "NVD-CWE-noinfo", 42] } }]
    }
    expect(MatchOptions.advisoryCweIds(affectedLevel)).toEqual(["CWE-79"])
  })
})

describe("MatchOptions.passesFilters", () => {
  it("passes everything under the defaults", () => {
    expect(passing(MatchOptions.defaults)).toEqual(records.map((a) => a.id).sort())
    expect(verdict("GO-2022-0588", MatchOptions.defaults)).toMatchObject({ pass: true, checks: [], failed: [], missing: [] })
  })

  it.effect("minCvss compares the computed score; advisories without one are excluded as missing, and reported", () =>
    Effect.gen(function*() {
      // Computed scores: GHSA-pjfr-qf3p-3q25 8.1, OSEC-2016-01 9.1, GHSA-29mw-wpgm-hmr9 5.3 (the
      // values NVD/GitHub publish for those vectors). MAL, PSF and GO records publish no CVSS.
      const options = yield* MatchOptions.make({ minCvss: 8 })
      expect(passing(options)).toEqual(["GHSA-pjfr-qf3p-3q25", "OSEC-2016-01"])
      expect(verdict("GHSA-29mw-wpgm-hmr9", options)).toMatchObject({
        pass: false,
        failed: ["minCvss"],
        missing: [],
        checks: [{ filter: "minCvss", outcome: "fail", detail: "CVSS 5.3 < 8" }]
      })
      const go = verdict("GO-2022-0588", options)
      expect(go).toMatchObject({ pass: false, failed: [], missing: ["minCvss"] })
      expect(go.score).toEqual(Option.none())

      const include = { ...options, missingData: "include" as const }
      expect(passing(include)).toEqual(["GHSA-pjfr-qf3p-3q25", "GO-2022-0588", "MAL-2023-462", "OSEC-2016-01", "PSF-2007-2"])
      expect(verdict("GO-2022-0588", include)).toMatchObject({ pass: true, missing: ["minCvss"] })
    }))

  it("minSeverity uses the vector's level, or the published level when there is no vector", () => {
    expect(passing(MatchOptions.highSeverity)).toEqual(["GHSA-pjfr-qf3p-3q25", "OSEC-2016-01"])
    const moderate = verdict("GHSA-29mw-wpgm-hmr9", MatchOptions.highSeverity)
    expect(moderate.checks).toEqual([{ filter: "minSeverity", outcome: "fail", detail: "MEDIUM < HIGH" }])
    // A GitHub record with only database_specific.severity: passes minSeverity, misses minCvss.
    const levelOnly: Advisory.Advisory = {
      ...record("GHSA-29mw-wpgm-hmr9"),
      severity: undefined,
      database_specific: { severity: "HIGH", cwe_ids: ["CWE-400"] }
    }
    const both = { ...MatchOptions.highSeverity, minCvss: Option.some(7) }
    expect(MatchOptions.passesFilters(levelOnly, Option.none(), both)).toMatchObject({
      pass: false,
      failed: [],
      missing: ["minCvss"],
      checks: [
        { filter: "minCvss", outcome: "missing" },
        { filter: "minSeverity", outcome: "pass", detail: "HIGH >= HIGH" }
      ]
    })
  })

  it("kevOnly reads the supplied enrichment, not includeEnrichment, and treats KEV as a closed list", () => {
    // exploitedOnly sets includeEnrichment, but a kevOnly without it must work the same (the Rust
    // crate rejected everything then).
    const kevWithoutEnrichment = { ...MatchOptions.defaults, kevOnly: true }
    expect(kevWithoutEnrichment.includeEnrichment).toBe(false)
    for (const options of [MatchOptions.exploitedOnly, kevWithoutEnrichment]) {
      expect(passing(options)).toEqual(["GHSA-pjfr-qf3p-3q25"])
    }
    // No CVE (MAL-), or CVEs without a KEV entry: not listed, a failure rather than missing data,
    // so missingData "include" does not let them in.
    const include = { ...kevWithoutEnrichment, missingData: "include" as const }
    expect(passing(include)).toEqual(["GHSA-pjfr-qf3p-3q25"])
    expect(verdict("MAL-2023-462", include)).toMatchObject({ failed: ["kevOnly"], missing: [] })
  })

  it.effect("minEpss compares the highest EPSS of the advisory's CVEs; no EPSS score is missing", () =>
    Effect.gen(function*() {
      // EPSS rows: CVE-2017-12615 0.996, CVE-2007-4559 0.271, CVE-2020-28500 0.073,
      // CVE-2015-8869 0.053, CVE-2021-42576 0.016. MAL-2023-462 has no CVE.
      const options = yield* MatchOptions.make({ minEpss: 0.05 })
      expect(passing(options)).toEqual(["GHSA-29mw-wpgm-hmr9", "GHSA-pjfr-qf3p-3q25", "OSEC-2016-01", "PSF-2007-2"])
      expect(verdict("MAL-2023-462", options)).toMatchObject({ pass: false, missing: ["minEpss"] })
      expect(verdict("GO-2022-0588", options).checks).toEqual([
        { filter: "minEpss", outcome: "fail", detail: "EPSS 0.01564 < 0.05" }
      ])
      // An advisory with several CVEs is as likely to be exploited as its likeliest CVE.
      const twoCves: Advisory.Advisory = { ...record("GO-2022-0588"), aliases: ["CVE-2021-42576", "CVE-2017-12615"] }
      expect(MatchOptions.passesFilters(twoCves, enrichmentOf(twoCves), options).pass).toBe(true)
    }))

  it.effect("cweIds needs one overlap; an advisory naming no CWE is missing", () =>
    Effect.gen(function*() {
      const options = yield* MatchOptions.withCwes("22", "cwe-506", "CWE-1333")
      expect(passing(options)).toEqual(["GHSA-29mw-wpgm-hmr9", "MAL-2023-462", "PSF-2007-2"])
      expect(verdict("OSEC-2016-01", options).checks).toEqual([
        { filter: "cweIds", outcome: "fail", detail: "CWE-119, CWE-200 not requested" }
      ])
      expect(verdict("GO-2022-0588", options)).toMatchObject({ missing: ["cweIds"], failed: [] })
    }))

  it.effect("reports every active filter in a fixed order and combines them with AND", () =>
    Effect.gen(function*() {
      const options = yield* MatchOptions.make({
        kevOnly: true,
        minCvss: 7,
        minEpss: 0.9,
        minSeverity: "HIGH",
        cweIds: ["CWE-434"]
      })
      const tomcat = verdict("GHSA-pjfr-qf3p-3q25", options)
      expect(tomcat.pass).toBe(true)
      expect(tomcat.checks.map((c) => [c.filter, c.outcome])).toEqual([
        ["kevOnly", "pass"],
        ["minCvss", "pass"],
        ["minEpss", "pass"],
        ["minSeverity", "pass"],
        ["cweIds", "pass"]
      ])
      // A failure is never rescued by missingData "include".
      const go = MatchOptions.passesFilters(record("GO-2022-0588"), enrichmentOf(record("GO-2022-0588")), {
        ...options,
        missingData: "include"
      })
      expect(go).toMatchObject({ pass: false, failed: ["kevOnly", "minEpss"], missing: ["minCvss", "minSeverity", "cweIds"] })
    }))
})

describe("MatchOptions.aggregateEnrichment", () => {
  it("takes the highest EPSS and ORs KEV; None without entries", () => {
    expect(MatchOptions.aggregateEnrichment([])).toEqual(Option.none())
    const combined = MatchOptions.aggregateEnrichment([
      { epssScore: 0.9, isKev: false },
      { epssScore: undefined, isKev: true },
      { epssScore: 0.2, isKev: false }
    ])
    expect(combined).toEqual(Option.some({ epssScore: 0.9, isKev: true }))
    expect(MatchOptions.aggregateEnrichment([{ isKev: false }])).toEqual(Option.some({ epssScore: undefined, isKev: false }))
  })
})
