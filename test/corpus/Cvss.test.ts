/**
 * Every CVSS vector in the shared OSV corpus ($VULNERA_DATA_DIR/osv, 14 sources) scores, and the
 * computed level agrees with the level the publisher states in `database_specific.severity`
 * (Bitnami, GitHub) except where the publisher rated by hand. Only registered when
 * VULNERA_DATA_DIR is set.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { Option } from "effect"
import type { Advisory } from "../../src/Advisory.js"
import * as Cvss from "../../src/Cvss.js"

const osvDir = join(process.env.VULNERA_DATA_DIR ?? "", "osv")
const files = readdirSync(osvDir).filter((file) => file.endsWith(".jsonl.gz")).sort()
// Parsed JSON, not schema-decoded: decoding the corpus costs ~7 s and is what
// advisory-roundtrip.test.ts checks (every record decodes losslessly, so the shapes are the same).
const decode = (json: unknown): Advisory => json as Advisory
const load = (file: string) =>
  gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n").filter((l) => l !== "").map((l) => decode(JSON.parse(l)))

describe("CVSS over the OSV corpus", () => {
  it("scores every CVSS vector and agrees with publishers' own levels", () => {
    let vectors = 0
    const unscored: Array<string> = []
    const agreement: Record<string, { agree: number; total: number }> = {}
    const sources: Record<string, number> = {}
    const bothVersions = { total: 0, newest: 0, highest: 0 }
    const started = performance.now()
    for (const file of files) {
      for (const advisory of load(file)) {
        const entries = [...(advisory.severity ?? []), ...(advisory.affected ?? []).flatMap((a) => a.severity ?? [])]
        for (const entry of entries) {
          if (!entry.type.startsWith("CVSS_")) continue
          vectors++
          if (Option.isNone(Cvss.scoreOf(entry))) unscored.push(`${advisory.id} ${entry.type} ${entry.score}`)
        }
        const score = Cvss.advisoryScore(advisory)
        const source = Option.match(score, { onNone: () => "none", onSome: (s) => s.source })
        sources[source] = (sources[source] ?? 0) + 1
        const stated = Cvss.parseSeverityLevel((advisory.database_specific as { severity?: unknown } | undefined)?.severity)
        // The evidence for preferring the newest version (see Cvss.preferredScore): records with
        // both 3.x and 4.0 vectors, rated by the newest-version rule versus the highest score.
        const scores = Cvss.vectorScores(advisory)
        if (
          Option.isSome(stated) && scores.some((s) => s.version === "4.0") && scores.some((s) => s.version.startsWith("3"))
        ) {
          bothVersions.total++
          if (Option.getOrThrow(Cvss.preferredScore(scores)).severity === stated.value) bothVersions.newest++
          if (scores.reduce((a, b) => (b.score > a.score ? b : a)).severity === stated.value) bothVersions.highest++
        }
        if (Option.isSome(stated) && Option.isSome(score) && score.value.source === "severity") {
          const tally = (agreement[file] ??= { agree: 0, total: 0 })
          tally.total++
          if (score.value.severity === stated.value) tally.agree++
        }
      }
    }
    const elapsed = Math.round(performance.now() - started)
    console.log(`CVSS corpus: ${vectors} vectors, ${unscored.length} unscored, ${elapsed} ms (decode included)`)
    console.log(`CVSS corpus: advisory score sources ${JSON.stringify(sources)}`)
    for (const [file, { agree, total }] of Object.entries(agreement)) {
      console.log(`CVSS corpus: ${file}: computed level = stated level for ${agree}/${total}`)
    }
    console.log(
      `CVSS corpus: ${bothVersions.total} records with 3.x and 4.0 vectors: stated level = newest-version rule ` +
        `${bothVersions.newest}, = highest score ${bothVersions.highest}`
    )
    expect(bothVersions.newest).toBeGreaterThanOrEqual(bothVersions.highest)
    expect(vectors).toBeGreaterThan(10_000)
    expect(unscored).toEqual([])
    // Bitnami derives its level from the vector: full agreement. GitHub's reviewers sometimes set
    // a level by hand (e.g. MEDIUM on a 9.8 vector); a handful of disagreements is their data.
    const bitnami = agreement["bitnami.jsonl.gz"]!
    expect(bitnami.agree).toBe(bitnami.total)
    for (const file of ["maven-ghsa-osvdev-fixture.jsonl.gz", "npm-ghsa-osvdev-fixture.jsonl.gz"]) {
      const { agree, total } = agreement[file]!
      expect(agree / total).toBeGreaterThan(0.97)
    }
  })
})
