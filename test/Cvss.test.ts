/**
 * CVSS scoring against scores published by NVD, GitHub and OSS Index for the same vectors
 * (test/fixtures/cvss/published-scores.json), and the per-advisory precedence over real OSV
 * records (test/fixtures/cvss/records.jsonl). Provenance: test/fixtures/README.md.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Option } from "effect"
import * as Advisory from "../src/Advisory.js"
import * as Cvss from "../src/Cvss.js"

interface Published {
  readonly vector: string
  readonly score: number
  readonly publisher: "NVD" | "GitHub" | "OSS Index"
  readonly id: string
  readonly severity?: string
}

const published: ReadonlyArray<Published> = JSON.parse(
  readFileSync(new URL("fixtures/cvss/published-scores.json", import.meta.url), "utf8")
)

const records: ReadonlyArray<Advisory.Advisory> = readFileSync(new URL("fixtures/cvss/records.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => Effect.runSync(Advisory.decodeUnknown(JSON.parse(line))))

const record = (id: string): Advisory.Advisory => {
  const found = records.find((a) => a.id === id)
  if (found === undefined) throw new Error(`${id} missing from test/fixtures/cvss/records.jsonl`)
  return found
}

const score = (vector: string) => Option.getOrThrow(Cvss.scoreVectorString(vector))

describe("Cvss.scoreOf", () => {
  it("reproduces every score NVD, GitHub and OSS Index published for the same vector", () => {
    expect(published.length).toBeGreaterThanOrEqual(80)
    const versions = new Set<string>()
    const mismatches: Array<string> = []
    for (const entry of published) {
      const result = Cvss.scoreVectorString(entry.vector)
      if (Option.isNone(result)) {
        mismatches.push(`${entry.publisher} ${entry.id} ${entry.vector}: not scored`)
        continue
      }
      versions.add(result.value.version)
      if (result.value.score !== entry.score) {
        mismatches.push(`${entry.publisher} ${entry.id} ${entry.vector}: ${result.value.score} != ${entry.score}`)
      }
      // NVD also publishes the rating; for 2.0 that is its three-level scale.
      if (entry.severity !== undefined && result.value.severity !== entry.severity) {
        mismatches.push(`${entry.publisher} ${entry.id} ${entry.vector}: ${result.value.severity} != ${entry.severity}`)
      }
    }
    expect(mismatches).toEqual([])
    expect([...versions].sort()).toEqual(["2.0", "3.0", "3.1", "4.0"])
  })

  it("scores the canonical critical 3.1 vector 9.8 and keeps the version it was written in", () => {
    // FIRST CVSS v3.1 specification, section 7 formulas: ISS = 1-(1-0.56)^3 = 0.9148,
    // impact = 6.42*ISS = 5.873, exploitability = 8.22*0.85*0.77*0.85*0.85 = 3.887,
    // base = roundup(min(5.873+3.887, 10)) = 9.8.
    const v31 = Cvss.scoreOf({ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" })
    expect(Option.getOrThrow(v31)).toEqual({
      version: "3.1",
      score: 9.8,
      severity: "CRITICAL",
      vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    })
    const v30 = Option.getOrThrow(Cvss.scoreOf({ type: "CVSS_V3", score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }))
    expect(v30.version).toBe("3.0")
    expect(v30.score).toBe(9.8)
  })

  it("reports the base score of a 3.x vector that carries temporal metrics (as NVD does)", () => {
    // BIT-appsmith-2025-41240 publishes `.../S:C/C:H/I:H/A:H/RL:O`. Base: scope changed,
    // impact = 7.52*(0.9148-0.029)-3.25*(0.9148-0.02)^15 = 6.05, exploitability 3.887,
    // base = roundup(min(1.08*(6.05+3.887), 10)) = 10.0; the temporal score (RL:O, x0.95) would be 9.5.
    const entry = record("BIT-appsmith-2025-41240").affected![0]!.severity![0]!
    expect(entry.score).toContain("/RL:O")
    expect(Option.getOrThrow(Cvss.scoreOf(entry))).toMatchObject({ version: "3.0", score: 10, severity: "CRITICAL" })
  })

  it("scores a 4.0 vector as written: threat metrics count, supplemental and `X` metrics do not", () => {
    // GHSA-27hp-xhwr-wr2m publishes `.../E:U` and GitHub rates it HIGH: that is the CVSS-BT score
    // (7.2), not the base-only score of the same vector (9.2, CRITICAL).
    const ghsa = record("GHSA-27hp-xhwr-wr2m")
    const withThreat = Option.getOrThrow(Cvss.scoreOf(ghsa.severity![0]!))
    const baseOnly = score(withThreat.vector.replace("/E:U", ""))
    expect(withThreat.score).toBeLessThan(baseOnly.score)
    expect(withThreat.severity).toBe("HIGH")
    expect(baseOnly.severity).toBe("CRITICAL")
    expect(Cvss.parseSeverityLevel((ghsa.database_specific as { severity: string }).severity)).toEqual(Option.some("HIGH"))

    // BIT-activemq-2025-27533 spells out every environmental metric as X and sets supplemental
    // metrics (AU:Y/R:A/V:D/RE:M/U:Red), none of which change the score.
    const bitnami = Option.getOrThrow(Cvss.scoreOf(record("BIT-activemq-2025-27533").affected![0]!.severity![0]!))
    const baseMetrics = bitnami.vector.split("/").slice(0, 12).join("/")
    expect(baseMetrics).toBe("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H")
    expect(bitnami.score).toBe(score(baseMetrics).score)
    expect(bitnami.severity).toBe("MEDIUM") // Bitnami's own database_specific.severity: "Medium"
  })

  it("rates 2.0 scores on NVD's scale (no CRITICAL) and 3.x/4.0 on FIRST's", () => {
    // CVSS 2.0 guide, section 3.2.1: AV:N/AC:L/Au:N/C:C/I:C/A:C is the maximum, 10.0.
    expect(score("AV:N/AC:L/Au:N/C:C/I:C/A:C")).toMatchObject({ version: "2.0", score: 10, severity: "HIGH" })
    expect(Cvss.severityOf("2.0", 0)).toBe("LOW")
    expect(Cvss.severityOf("3.1", 0)).toBe("NONE")
    expect(Cvss.severityOf("4.0", 9)).toBe("CRITICAL")
    // A vector without impact scores 0.0 (FIRST v3.1 section 7.1: impact <= 0 gives 0).
    expect(score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N")).toMatchObject({ score: 0, severity: "NONE" })
  })

  it("returns None for malformed vectors and mismatched types, and never throws", () => {
    const malformed: ReadonlyArray<readonly [string, string]> = [
      ["CVSS_V3", ""],
      ["CVSS_V3", "garbage"],
      ["CVSS_V3", "CVSS:3.1/"],
      ["CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"], // A missing
      ["CVSS_V3", "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], // AV twice
      ["CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H:Z"],
      ["CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/"],
      ["CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q"], // unknown metric
      ["CVSS_V3", "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], // unknown value
      ["CVSS_V3", "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], // values are case-sensitive
      ["CVSS_V3", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], // base metric "not defined"
      ["CVSS_V3", "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
      ["CVSS_V3", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], // prefix missing
      ["CVSS_V3", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"], // type mismatch
      ["CVSS_V4", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
      ["CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H"], // subsequent-system metrics missing
      ["CVSS_V2", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
      ["CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P"],
      ["CVSS_V2", "AVN/AC:L/Au:N/C:P/I:P/A:P"],
      ["Ubuntu", "high"],
      ["CVSS_V3", `CVSS:3.1/${"AV:N/".repeat(10_000)}`]
    ]
    for (const [type, vector] of malformed) {
      expect(Cvss.scoreOf({ type, score: vector }), `${type} ${vector.slice(0, 80)}`).toEqual(Option.none())
    }
    // Data decoded elsewhere may not honour the schema; a non-string score is malformed too.
    expect(Cvss.scoreOf({ type: "CVSS_V3", score: 9.8 } as unknown as Advisory.SeverityScore)).toEqual(Option.none())
  })

  it("gives the same answer on repeated calls (memoized) and trims surrounding whitespace", () => {
    const vector = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
    const first = Cvss.scoreVectorString(vector)
    expect(Cvss.scoreVectorString(` ${vector} `)).toEqual(first)
    expect(Cvss.scoreVectorString(vector)).toEqual(first)
    expect(Option.getOrThrow(first).score).toBe(8.8) // NVD publishes 8.8 for this vector (fixture)
  })
})

describe("Cvss.advisoryScore", () => {
  it("prefers the newest CVSS version over a higher older score (JLSEC-2026-492: 2.0 7.5, 3.1 7.3, 4.0)", () => {
    const advisory = record("JLSEC-2026-492")
    const all = Cvss.vectorScores(advisory)
    expect(all.map((s) => s.version)).toEqual(["2.0", "3.1", "4.0"])
    const chosen = Option.getOrThrow(Cvss.advisoryScore(advisory))
    expect(chosen.source).toBe("severity")
    expect(Option.getOrThrow(chosen.cvss).version).toBe("4.0")
    expect(chosen.score).toEqual(Option.some(all[2]!.score))
    // The 2.0 and 3.1 scores are the ones NVD publishes for those vectors (7.5 and 7.3 per the
    // FIRST formulas); both are higher than the 4.0 score, and neither is chosen.
    expect(all[0]!.score).toBe(7.5)
    expect(all[1]!.score).toBe(7.3)
    expect(all[2]!.score).toBeLessThan(7.3)
  })

  it("does not depend on the order severity entries appear in", () => {
    for (const advisory of records) {
      const reversed = {
        ...advisory,
        severity: advisory.severity ? [...advisory.severity].reverse() : undefined,
        affected: advisory.affected ? [...advisory.affected].reverse() : undefined
      }
      expect(Cvss.advisoryScore(reversed), advisory.id).toEqual(Cvss.advisoryScore(advisory))
    }
  })

  it("reads affected-level vectors (Bitnami) and agrees with the publisher's own level", () => {
    for (const id of ["BIT-activemq-2025-27533", "BIT-appsmith-2025-41240", "GHSA-27hp-xhwr-wr2m"]) {
      const advisory = record(id)
      const chosen = Option.getOrThrow(Cvss.advisoryScore(advisory))
      expect(chosen.source).toBe("severity")
      const level = Cvss.parseSeverityLevel((advisory.database_specific as { severity?: unknown }).severity)
      expect(Option.some(chosen.severity), id).toEqual(level)
    }
  })

  it("falls back to database_specific: vector, then score, then level; None when nothing usable", () => {
    // GitHub record without any vector: only the level (CRITICAL), so no numeric score.
    const levelOnly = Option.getOrThrow(Cvss.advisoryScore(record("GHSA-xxvw-45rp-3mj2")))
    expect(levelOnly).toEqual({
      source: "database_specific.severity",
      severity: "CRITICAL",
      score: Option.none(),
      cvss: Option.none()
    })
    // Bitnami's "Unknown" is not a level.
    expect(Cvss.advisoryScore(record("BIT-node-2025-23088"))).toEqual(Option.none())

    // The shape OSS Index conversion writes, with the figures of a real OSS Index answer
    // (DependencyTrack fixture: CVE-2020-36518, cvssScore 7.5, cvssVector below, CWE-787).
    const base = record("BIT-node-2025-23088")
    const ossIndex = (specific: Record<string, unknown>): Advisory.Advisory => ({
      ...base,
      id: "CVE-2020-36518",
      database_specific: { source: "ossindex", cwe_ids: ["CWE-787"], ...specific }
    })
    const vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    const fromVector = Option.getOrThrow(Cvss.advisoryScore(ossIndex({ cvss_score: 7.5, severity: "HIGH", cvss_vector: vector })))
    expect(fromVector.source).toBe("database_specific.cvss_vector")
    expect(fromVector.score).toEqual(Option.some(7.5))
    const fromScore = Option.getOrThrow(Cvss.advisoryScore(ossIndex({ cvss_score: 7.5, cvss_vector: "CVSS:3.1/junk" })))
    expect(fromScore).toEqual({
      source: "database_specific.cvss_score",
      severity: "HIGH",
      score: Option.some(7.5),
      cvss: Option.none()
    })
    expect(Option.getOrThrow(Cvss.advisoryScore(ossIndex({ cvss_score: "5.3" }))).score).toEqual(Option.some(5.3))
    // OSS Index answers 0.0 for vulnerabilities it has not scored (jake fixture: CVE-2019-16056,
    // cvssScore 0.0, no vector), which is no score rather than "no impact".
    for (const bad of [0, "0.0", 11, -1, Number.NaN, "high", null]) {
      expect(Cvss.advisoryScore(ossIndex({ cvss_score: bad })), String(bad)).toEqual(Option.none())
    }
    // A vector in OSV `severity` wins over anything in database_specific.
    const both = { ...ossIndex({ cvss_score: 1.0 }), severity: [{ type: "CVSS_V3", score: vector }] }
    expect(Option.getOrThrow(Cvss.advisoryScore(both)).score).toEqual(Option.some(7.5))
  })

  it("reads GitHub's and Bitnami's level spellings", () => {
    const levels = ["MODERATE", "Medium", " high ", "Critical", "LOW", "None", "Unknown", "", 3] as const
    expect(levels.map((l) => Option.getOrUndefined(Cvss.parseSeverityLevel(l)))).toEqual([
      "MEDIUM",
      "MEDIUM",
      "HIGH",
      "CRITICAL",
      "LOW",
      "NONE",
      undefined,
      undefined,
      undefined
    ])
  })
})
