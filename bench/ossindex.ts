/**
 * `queryOssIndex` benchmark: 1,000 PURLs answered from the OSS Index cache in Redis.
 *
 * OSS Index is a local HTTP server (test/utils/httpServer.ts) answering `component-report`
 * requests with the real vulnerabilities of a recorded response re-targeted to each requested
 * coordinate (every third PURL vulnerable, the others "no vulnerabilities"). A first query fills the
 * cache; then the same query is repeated, all from the cache. Figures, same run:
 *
 * - latency (p50/p99) of the cached query, next to a raw MGET of the same 1,000 cache keys
 *   (ioredis, bytes only);
 * - Redis round trips per query, counted by a TCP proxy between the store and Redis (a round trip
 *   = the client sending after the server has answered), with INFO commandstats deltas saying
 *   which commands they were. Target (issue 3): one pipelined round trip per request chunk, not
 *   one per PURL;
 * - the number of HTTP requests the cached queries made (must be 0).
 *
 * Run: `npx tsx bench/ossindex.ts`. Environment: `REDIS_URL` (default: start a redis-server),
 * `BENCH_SCALE` (scales the number of repetitions).
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import * as Net from "node:net"
import { join } from "node:path"
import * as Purl from "../src/Purl.js"
import { VulnerabilityManager } from "../src/VulnerabilityManager.js"
import { makeTestServer } from "../test/utils/httpServer.js"
import { managerLayer, storeLayer } from "./utils/layers.js"
import { emitFigure, environmentLine, latencySummary, ms, ratio, row, scaled } from "./utils/report.js"
import { benchRedis, dropPrefix } from "./utils/servers.js"

const purlCount = 1_000
const perRequest = 128
const fixture = join(import.meta.dirname, "../test/fixtures/ossindex/ossindex-python_component_pip_18_with_multiple_vulnerabilities.json")
const vulnerabilities = (JSON.parse(readFileSync(fixture, "utf8")) as Array<{ vulnerabilities: Array<unknown> }>)[0]!.vulnerabilities

/** A TCP proxy in front of Redis that counts round trips (client turns) across its connections. */
const roundTripCounter = (target: URL) =>
  Effect.acquireRelease(
    Effect.async<{ server: Net.Server; port: number; turns: () => number }>((resume) => {
      let turns = 0
      const server = Net.createServer((client) => {
        const upstream = Net.connect({ host: target.hostname, port: Number(target.port || 6379) })
        let serverSpoke = true
        client.on("data", (data) => {
          if (serverSpoke) turns++
          serverSpoke = false
          upstream.write(data)
        })
        upstream.on("data", (data) => {
          serverSpoke = true
          client.write(data)
        })
        const close = () => {
          client.destroy()
          upstream.destroy()
        }
        client.on("close", close).on("error", close)
        upstream.on("close", close).on("error", close)
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, port: (server.address() as Net.AddressInfo).port, turns: () => turns })))
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

const program = Effect.gen(function*() {
  const redis = yield* benchRedis
  const keyPrefix = `bench-ossindex-${process.pid}`
  console.log(`# queryOssIndex benchmark (${purlCount} cached PURLs)`)
  console.log(`server redis ${redis.version} (${redis.mode}); ${environmentLine()}`)

  const ossIndex = yield* makeTestServer({
    "POST /api/v3/component-report": (request) => {
      const { coordinates } = JSON.parse(request.body) as { coordinates: Array<string> }
      const reports = coordinates.map((c) => ({
        coordinates: c,
        description: "",
        reference: `https://ossindex.sonatype.org/component/${c}`,
        vulnerabilities: Number(/(\d+)@/.exec(c)?.[1] ?? 0) % 3 === 0 ? vulnerabilities : []
      }))
      return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(reports) }
    }
  })
  const target = new URL(redis.url)
  const proxy = yield* roundTripCounter(target)
  const proxied = new URL(redis.url)
  proxied.hostname = "127.0.0.1"
  proxied.port = String(proxy.port)

  const layer = managerLayer(storeLayer(proxied.toString(), keyPrefix), { ossIndex: ossIndex.url })

  const purls = Array.from({ length: purlCount }, (_, i) => `pkg:pypi/vulnera-bench-${i}@1.0.${i % 7}`)
  const cacheKeys = yield* Effect.forEach(purls, (purl) =>
    Effect.map(Purl.normalize(purl), (canonical) => `${keyPrefix}:ossidx:${createHash("sha256").update(canonical).digest("hex")}`))
  const commandStats = Effect.promise(async () => {
    const stats = new Map<string, number>()
    for (const [, name, calls] of (await redis.client.info("commandstats")).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
      stats.set(name!, Number(calls))
    }
    return stats
  })
  const statsDelta = (before: Map<string, number>, after: Map<string, number>) =>
    Array.from(after)
      .map(([name, calls]) => [name, calls - (before.get(name) ?? 0)] as const)
      .filter(([name, calls]) => calls > 0 && name !== "info")
      .map(([name, calls]) => `${calls} ${name.toUpperCase()}`)
      .join(", ")

  const figures = yield* Effect.gen(function*() {
    const manager = yield* VulnerabilityManager
    yield* manager.healthCheck // connects, so the first query's figures are the query's own

    // Cold: every PURL misses, is fetched and cached.
    let turns = proxy.turns()
    let stats = yield* commandStats
    let start = performance.now()
    const cold = yield* manager.queryOssIndex(purls)
    const coldMillis = performance.now() - start
    const coldTurns = proxy.turns() - turns
    const coldCommands = statsDelta(stats, yield* commandStats)
    const coldRequests = ossIndex.requests.length
    const found = cold.filter((r) => r._tag === "Found")
    const vulnerable = found.filter((r) => r.advisories.length > 0).length

    // Cached: one query, counted.
    turns = proxy.turns()
    stats = yield* commandStats
    start = performance.now()
    const cached = yield* manager.queryOssIndex(purls)
    const oneMillis = performance.now() - start
    const cachedTurns = proxy.turns() - turns
    const cachedCommands = statsDelta(stats, yield* commandStats)
    const fromCache = cached.filter((r) => r._tag === "Found" && r.fromCache).length

    // Repetitions: the cached query and the raw MGET, alternating.
    const repetitions = scaled(100, 20)
    const ours: Array<number> = []
    const raw: Array<number> = []
    for (let i = 0; i < repetitions; i++) {
      start = performance.now()
      yield* manager.queryOssIndex(purls)
      ours.push(performance.now() - start)
      start = performance.now()
      yield* Effect.promise(() => redis.client.mgetBuffer(...cacheKeys))
      raw.push(performance.now() - start)
    }
    return {
      coldMillis,
      coldTurns,
      coldCommands,
      coldRequests,
      found: found.length,
      vulnerable,
      oneMillis,
      cachedTurns,
      cachedCommands,
      fromCache,
      httpDuringCached: ossIndex.requests.length - coldRequests,
      ours: latencySummary(ours),
      raw: latencySummary(raw),
      repetitions
    }
  }).pipe(Effect.provide(layer))
  if (redis.mode === "external") yield* Effect.promise(() => dropPrefix(redis.client, keyPrefix))

  const f = figures
  console.log(
    `\nfirst query: ${f.found}/${purlCount} answered (${f.vulnerable} with vulnerabilities) in ${ms(f.coldMillis)}; ` +
      `${f.coldRequests} component-report requests (<= ${perRequest} coordinates each); ` +
      `${f.coldTurns} Redis round trips (${f.coldCommands})`
  )
  console.log(
    `cached query: ${f.fromCache}/${purlCount} from the cache in ${ms(f.oneMillis)}; ${f.cachedTurns} Redis round trips ` +
      `(${f.cachedCommands}); HTTP requests during ${f.repetitions + 1} cached queries: ${f.httpDuringCached}\n`
  )
  row("path", "p50", "p99", "p50 vs raw", "Redis round trips")
  row("---", "---", "---", "---", "---")
  row(`raw MGET of the ${purlCount} cache keys (bytes only)`, ms(f.raw.p50), ms(f.raw.p99), "1.00x", 1)
  row(`\`queryOssIndex\`, ${purlCount} cached PURLs (parse, normalize, MGET, decode)`, ms(f.ours.p50), ms(f.ours.p99), ratio(f.ours.p50 / f.raw.p50), f.cachedTurns)

  const chunks = Math.ceil(purlCount / perRequest)
  emitFigure({
    bench: "ossindex",
    name: `queryOssIndex, ${purlCount} cached PURLs: Redis round trips per query`,
    value: `${f.cachedTurns} (${f.cachedCommands}); ${f.httpDuringCached} HTTP requests`,
    target: `<= ${chunks} (one per ${perRequest}-PURL chunk), not ${purlCount}`,
    pass: f.cachedTurns <= chunks && f.httpDuringCached === 0 && f.fromCache === purlCount
  })
  emitFigure({
    bench: "ossindex",
    name: `queryOssIndex, ${purlCount} cached PURLs: p50 / p99`,
    value: `${f.ours.p50.toFixed(2)} / ${f.ours.p99.toFixed(2)} ms (raw MGET ${f.raw.p50.toFixed(2)} ms: ${ratio(f.ours.p50 / f.raw.p50)})`
  })
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
