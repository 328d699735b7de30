/**
 * Alias grouping of the whole shared OSV corpus ($VULNERA_DATA_DIR/osv, 26k records from 14
 * sources): a partition of the records, consistent with every record's ids, identical for
 * reordered input. Only registered when VULNERA_DATA_DIR is set.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import type { Advisory } from "../../src/Advisory.js"
import * as AliasGroups from "../../src/AliasGroups.js"

const osvDir = join(process.env.VULNERA_DATA_DIR ?? "", "osv")
// Parsed JSON, not schema-decoded: decoding the corpus costs ~7 s and is what
// advisory-roundtrip.test.ts checks (every record decodes losslessly, so the shapes are the same).
const decode = (json: unknown): Advisory => json as Advisory
const corpus: ReadonlyArray<Advisory> = readdirSync(osvDir)
  .filter((file) => file.endsWith(".jsonl.gz"))
  .sort()
  .flatMap((file) =>
    gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n").filter((l) => l !== "").map((l) => decode(JSON.parse(l)))
  )

// Reorderings that scatter every record far from its place: reversal and strides through the
// list (element i*stride mod n, a permutation when stride and n are coprime).
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
const strided = <A>(items: ReadonlyArray<A>, stride: number): Array<A> => {
  expect(gcd(stride, items.length)).toBe(1)
  return items.map((_, i) => items[(i * stride) % items.length]!)
}

describe("Alias groups over the OSV corpus", () => {
  it("partitions every record consistently with its ids, whatever the input order", () => {
    const started = performance.now()
    const groups = AliasGroups.group(corpus)
    const elapsed = Math.round(performance.now() - started)

    expect(groups.flatMap((g) => g.advisories).length).toBe(corpus.length)
    const violations: Array<string> = []
    const owner = new Map<string, string>()
    for (const g of groups) {
      for (const id of g.ids) {
        if (owner.has(id)) violations.push(`${id} in ${owner.get(id)} and ${g.primaryId}`)
        owner.set(id, g.primaryId)
      }
      if (!g.ids.includes(g.primaryId)) violations.push(`${g.primaryId} not among its ids`)
    }
    for (const g of groups) {
      for (const a of g.advisories) {
        for (const id of AliasGroups.linkingIds(a)) {
          if (owner.get(id) !== g.primaryId) violations.push(`${a.id}: ${id} outside ${g.primaryId}`)
        }
      }
    }
    expect(violations).toEqual([])
    const multi = groups.filter((g) => g.advisories.length > 1)
    const largest = groups.reduce((a, b) => (b.advisories.length > a.advisories.length ? b : a))
    const sources = (g: AliasGroups.AdvisoryGroup) => new Set(g.advisories.map((a) => a.id.split("-")[0])).size
    console.log(
      `Alias groups: ${corpus.length} records -> ${groups.length} groups in ${elapsed} ms; ` +
        `${multi.length} with several records (${multi.filter((g) => sources(g) > 1).length} across id schemes); ` +
        `largest ${largest.primaryId} with ${largest.advisories.length} records`
    )
    expect(multi.length).toBeGreaterThan(1000)

    // Same groups, same ids, the same record objects in the same order (identity, not deep equality:
    // deep-comparing 26k records would dominate the run time).
    const position = new Map(corpus.map((a, i) => [a, i] as const))
    const fingerprint = (gs: ReadonlyArray<AliasGroups.AdvisoryGroup>) =>
      gs.map((g) => `${g.primaryId}|${g.ids.join(",")}|${g.advisories.map((a) => position.get(a)).join(",")}`)
    const expected = fingerprint(groups)
    expect(fingerprint(AliasGroups.group([...corpus].reverse()))).toEqual(expected)
    for (const stride of [7919, 104729]) expect(fingerprint(AliasGroups.group(strided(corpus, stride)))).toEqual(expected)
  })
})
