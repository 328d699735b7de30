/**
 * `manager.matches` latency for packages with 1, 50 and 500 advisories, on Redis, next to a raw
 * SMEMBERS + MGET round trip for the same package measured in the same run (the floor: no
 * decompression, no parsing, no matching).
 *
 * The packages are synthetic (`vulnera-bench-<n>`) and their advisories real: records of the
 * corpus's PyPI and Go sources, each keeping everything but its `affected` list, which becomes
 * its own first entry for that ecosystem re-targeted to the synthetic name (so the version ranges,
 * `versions` lists and record sizes are real). Ids get a suffix so they stay distinct.
 *
 * Paths measured per package (p50 / p99 over repeated queries):
 * - raw SMEMBERS + MGET (ioredis, bytes only);
 * - `AdvisoryStore.getByPackage` (decompress, parse, validate, sort);
 * - `manager.matches` with the store's decoded-value cache (default: warm after the first query);
 * - `manager.matches` with that cache off (`decodedCacheEntries: 0`: every query decodes every
 *   advisory), the cost of a first query.
 *
 * Run: `npx tsx bench/matches.ts`. Environment: `VULNERA_DATA_DIR` (default ../shared/data),
 * `REDIS_URL` (default: start a redis-server), `BENCH_SCALE` (scales the time spent per path).
 */
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import type { Advisory, Affected } from "../src/Advisory.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as PackageKey from "../src/PackageKey.js"
import { indexSuffix } from "../src/internal/store/keys.js"
import { VulnerabilityManager } from "../src/VulnerabilityManager.js"
import { managerLayer, storeLayer } from "./utils/layers.js"
import { dataDir } from "./utils/osvZip.js"
import { emitFigure, environmentLine, latencySummary, ms, ratio, row, scale } from "./utils/report.js"
import { benchRedis, dropPrefix } from "./utils/servers.js"

const sizes = [1, 50, 500] as const
const ecosystems = [
  { ecosystem: "PyPI", file: "pypi.jsonl.gz", version: "1.0.0" },
  { ecosystem: "Go", file: "go.jsonl.gz", version: "v1.0.0" }
] as const
/** Time spent per path and package (scaled by BENCH_SCALE), with at least `minSamples` queries. */
const budgetMillis = 1_500 * Math.min(1, scale())
const minSamples = 30

/** Real records of `file` with an affected entry for `ecosystem` (ranges or versions). */
const recordsOf = (file: string, ecosystem: string) =>
  gunzipSync(readFileSync(join(dataDir(), "osv", file)))
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Advisory)
    .flatMap((advisory) => {
      const entry = advisory.withdrawn === undefined
        ? advisory.affected?.find((a) => a.package?.ecosystem === ecosystem && (a.ranges?.length || a.versions?.length))
        : undefined
      return entry === undefined ? [] : [{ advisory, entry }]
    })

/** `count` advisories for one synthetic package, taken round-robin from `pool` starting at `offset`. */
const packageAdvisories = (
  pool: ReadonlyArray<{ readonly advisory: Advisory; readonly entry: Affected }>,
  ecosystem: string,
  name: string,
  count: number,
  offset: number
): Array<Advisory> =>
  Array.from({ length: count }, (_, i) => {
    const { advisory, entry } = pool[(offset + i) % pool.length]!
    return {
      ...advisory,
      id: `${advisory.id}-${name}-${i}`,
      affected: [{ ...entry, package: { ...entry.package!, ecosystem, name } }]
    }
  })

/** Repeats `run` for the time budget (at least `minSamples` times); returns the latencies. */
const sample = <E, R>(run: Effect.Effect<unknown, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 3; i++) yield* run
    const latencies: Array<number> = []
    const start = performance.now()
    while (latencies.length < minSamples || (performance.now() - start < budgetMillis && latencies.length < 5_000)) {
      const begin = performance.now()
      yield* run
      latencies.push(performance.now() - begin)
    }
    return latencySummary(latencies)
  })

const program = Effect.gen(function*() {
  const redis = yield* benchRedis
  const keyPrefix = `bench-matches-${process.pid}`
  console.log(`# manager.matches benchmark`)
  console.log(`server redis ${redis.version} (${redis.mode}); ${environmentLine()}`)

  const cases = ecosystems.flatMap(({ ecosystem, file, version }) => {
    const pool = recordsOf(file, ecosystem)
    return sizes.map((size, i) => ({
      ecosystem,
      version,
      name: `vulnera-bench-${size}`,
      advisories: packageAdvisories(pool, ecosystem, `vulnera-bench-${size}`, size, i * 997)
    }))
  })

  const measured = yield* Effect.gen(function*() {
    const store = yield* AdvisoryStore
    const manager = yield* VulnerabilityManager
    for (const c of cases) yield* store.upsertBatch(c.advisories, "bench")
    const results = []
    for (const c of cases) {
      const suffix = indexSuffix(yield* PackageKey.make(c.ecosystem, c.name))
      const raw = yield* sample(Effect.promise(async () => {
        const ids = await redis.client.smembers(`${keyPrefix}:idx:${suffix}`)
        if (ids.length > 0) await redis.client.mgetBuffer(...ids.map((id) => `${keyPrefix}:data:${id}`))
      }))
      const getByPackage = yield* sample(store.getByPackage(c.ecosystem, c.name))
      const matched = (yield* manager.matches(c.ecosystem, c.name, c.version)).length
      const matches = yield* sample(manager.matches(c.ecosystem, c.name, c.version))
      results.push({ ...c, raw, getByPackage, matches, matched })
    }
    return results
  }).pipe(Effect.provide(managerLayer(storeLayer(redis.url, keyPrefix))))

  // The same queries with the decoded-value cache off: every query decodes every advisory.
  const cold = yield* Effect.gen(function*() {
    const manager = yield* VulnerabilityManager
    return yield* Effect.forEach(cases, (c) => sample(manager.matches(c.ecosystem, c.name, c.version)))
  }).pipe(Effect.provide(managerLayer(storeLayer(redis.url, keyPrefix, { decodedCacheEntries: 0 }))))

  console.log(`\n### matches(ecosystem, name, version) on Redis (p50 / p99)\n`)
  row("package", "advisories", "matched", "raw SMEMBERS + MGET", "getByPackage", "matches (cache warm)", "matches (no decoded cache)", "matches p50 vs raw (warm / no cache)")
  row("---", "---", "---", "---", "---", "---", "---", "---")
  measured.forEach((m, i) => {
    const c = cold[i]!
    const pair = (s: { p50: number; p99: number }) => `${ms(s.p50)} / ${ms(s.p99)}`
    row(
      `${m.ecosystem} ${m.name}@${m.version}`,
      m.advisories.length,
      m.matched,
      pair(m.raw),
      pair(m.getByPackage),
      pair(m.matches),
      pair(c),
      `${ratio(m.matches.p50 / m.raw.p50)} / ${ratio(c.p50 / m.raw.p50)}`
    )
    emitFigure({
      bench: "matches",
      name: `${m.ecosystem}, ${m.advisories.length} advisories: matches p50 / p99 (warm; no decoded cache)`,
      value: `${m.matches.p50.toFixed(2)} / ${m.matches.p99.toFixed(2)} ms; ${c.p50.toFixed(2)} / ${c.p99.toFixed(2)} ms ` +
        `(raw ${m.raw.p50.toFixed(2)} ms: ${ratio(m.matches.p50 / m.raw.p50)}, ${ratio(c.p50 / m.raw.p50)})`
    })
  })
  if (redis.mode === "external") {
    yield* Effect.promise(() => dropPrefix(redis.client, keyPrefix))
  }
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
