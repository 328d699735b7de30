/**
 * Versions micro-benchmark over the real OSV corpus. Every figure is printed next to a baseline
 * measured in the same run:
 *
 * - `Versions.compare` per ordering on pairs of real event values, against the library the
 *   ordering builds on where there is one (`semver.compare`, `@renovatebot/pep440`'s `compare`)
 *   and against a plain string comparison of the same pairs (the floor);
 * - `Versions.evaluate` on every corpus `affected` entry with ranges (queried at its first event
 *   value), as evaluations per second.
 *
 * Run: `npx tsx bench/versions.ts`. Environment: `VULNERA_DATA_DIR` (default ../shared/data).
 */
import * as pep440 from "@renovatebot/pep440"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import semver from "semver"
import type { Advisory, Affected } from "../src/Advisory.js"
import * as Versions from "../src/Versions.js"

const dataDir = process.env.VULNERA_DATA_DIR ?? join(import.meta.dirname, "../../shared/data")
const osvDir = join(dataDir, "osv")
const corpus: ReadonlyArray<Advisory> = readdirSync(osvDir)
  .filter((file) => file.endsWith(".jsonl.gz"))
  .flatMap((file) => gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n"))
  .filter((line) => line !== "")
  .map((line) => JSON.parse(line) as Advisory)

const entries: ReadonlyArray<Affected> = corpus.flatMap((a) => a.affected ?? []).filter((a) => a.package && a.ranges?.length)
const valuesOf = (a: Affected) =>
  (a.ranges ?? []).filter((r) => r.type !== "GIT").flatMap((r) => r.events.flatMap((e) => [e.introduced, e.fixed, e.last_affected])).filter((v): v is string => v !== undefined && v !== "0")

/** Consecutive pairs of distinct event values per ordering ecosystem, capped. */
const pairsFor = (ecosystem: string, accept: (v: string) => boolean = () => true) => {
  const values = entries
    .filter((a) => Versions.orderingEcosystem(a.package!.ecosystem) === Versions.orderingEcosystem(ecosystem))
    .flatMap(valuesOf)
    .filter((v) => Versions.isValid(ecosystem, v) && accept(v))
  return values.slice(0, 20_000).map((v, i) => [v, values[(i * 7919 + 1) % values.length]!] as const)
}

/** Milliseconds per run: warm up, then repeat for at least 300 ms (at least `minRounds` runs). */
const time = (minRounds: number, run: () => void): number => {
  for (let i = 0; i < 3; i++) run()
  const start = performance.now()
  let rounds = 0
  while (rounds < minRounds || performance.now() - start < 300) {
    run()
    rounds++
  }
  return (performance.now() - start) / rounds
}
const rate = (count: number, millis: number) => `${Math.round((count / millis) * 1000).toLocaleString("en")}/s`

let sink = 0
const rows: Array<string> = []
const benchCompare = (ecosystem: string, baselineName: string, baseline?: (a: string, b: string) => number, accept?: (v: string) => boolean) => {
  const pairs = pairsFor(ecosystem, accept)
  if (pairs.length === 0) return
  const ours = time(5, () => {
    for (const [a, b] of pairs) {
      const r = Versions.compare(ecosystem, a, b)
      if (r._tag === "Right") sink += r.right
    }
  })
  const floor = time(5, () => {
    for (const [a, b] of pairs) sink += a < b ? -1 : a > b ? 1 : 0
  })
  const lib = baseline === undefined ? undefined : time(5, () => {
    for (const [a, b] of pairs) sink += baseline(a, b)
  })
  rows.push(
    `${ecosystem.padEnd(11)} ${String(pairs.length).padStart(6)} pairs  Versions.compare ${rate(pairs.length, ours).padStart(12)}` +
      (lib === undefined ? "" : `  ${baselineName} ${rate(pairs.length, lib).padStart(12)} (ours ${(lib / ours).toFixed(2)}x its speed)`) +
      `  string compare ${rate(pairs.length, floor).padStart(13)} (ours ${(floor / ours).toFixed(3)}x)`
  )
}

benchCompare("npm", "semver.compare", (a, b) => semver.compare(a, b), (v) => semver.valid(v) !== null)
benchCompare("Go", "semver.compare", (a, b) => semver.compare(a, b), (v) => semver.valid(v) !== null)
benchCompare("PyPI", "pep440.compare", (a, b) => pep440.compare(a, b), (v) => pep440.valid(v) !== null)
benchCompare("Maven", "")
benchCompare("AlmaLinux", "")
benchCompare("Packagist", "")

const evaluateMillis = time(3, () => {
  for (const entry of entries) {
    const probe = valuesOf(entry)[0] ?? "1.0.0"
    if (Versions.evaluate(entry, probe).affected) sink++
  }
})
console.log(`Versions micro-benchmark (${corpus.length} advisories, ${entries.length} affected entries with ranges)`)
console.log(rows.join("\n"))
console.log(`evaluate: ${rate(entries.length, evaluateMillis)} affected entries (${(evaluateMillis / entries.length * 1000).toFixed(2)} µs each)`)
if (sink === Number.MIN_SAFE_INTEGER) console.log(sink)
