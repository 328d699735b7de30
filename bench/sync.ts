/**
 * Full OSV sync benchmark: the real corpus replicated to 50k and 200k advisories (distinct ids) in
 * an OSV-layout `all.zip` on a local mirror (HTTP by default, `file://` with
 * `BENCH_SYNC_MIRROR=file`), synced through `OsvSource` + `Sync.syncAll` into `DragonflyStore` on a
 * real Redis.
 *
 * Each sync runs in a fresh Node process (bench/utils/child.ts), so its peak RSS is its own; the
 * archives, the baselines and the servers live in the parent. Figures, with baselines measured in
 * the same run:
 *
 * - advisories/s next to the store's raw write limit, measured just before each sync: ioredis
 *   pipelined SET of the same records' zstd-3 bytes in chunks of 256, one chunk in flight (as
 *   bench/store.ts measures it: no Effect, no JSON, no index, compression done beforehand);
 *   target (issue 4): >= 50% of it;
 * - peak RSS of the sync process at 50k and at 200k advisories, and at 200k with V8's old space
 *   capped (`--max-old-space-size=128`): the cap shows what the sync needs rather than what V8
 *   lets the heap grow to on a machine with plenty of memory; target: < 300 MB whatever the size;
 * - the live heap (used heap right after each major GC, the largest seen): what the sync retains;
 * - CPU time per advisory (user + system, the zstd thread pool included), and per-record costs of
 *   the stages measured on their own (the floor any implementation of this design pays).
 *
 * Run: `npx tsx bench/sync.ts`. Environment: `VULNERA_DATA_DIR` (default ../shared/data),
 * `REDIS_URL` (default: start a redis-server), `BENCH_SCALE` (default 1: 50k and 200k advisories),
 * `BENCH_SYNC_MIRROR` (`http` or `file`), `BENCH_CPU_PROF=<dir>` (profile each sync with
 * `node --cpu-prof` and print where the time goes; see bench/utils/child.ts).
 */
import { Effect, Layer, Option } from "effect"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as OsvSource from "../src/OsvSource.js"
import * as Sync from "../src/Sync.js"
import { childInput, replyToParent, runChild } from "./utils/child.js"
import { platformLayer, storeLayer } from "./utils/layers.js"
import { writeReplicatedMirror } from "./utils/osvZip.js"
import { emitFigure, environmentLine, mb, peakRss, perSecond, ratio, row, scaled, trackHeap } from "./utils/report.js"
import { benchRedis, dropPrefix, serveDirectory } from "./utils/servers.js"
import { compressedReplicas, rawPipelinedSet, stageCosts } from "./utils/syncBaselines.js"

const level = 3
const rssTarget = 300 * 1048576
const throughputTarget = 0.5
const heapCap = "--max-old-space-size=128"

interface ChildInput {
  readonly redisUrl: string
  readonly baseUrl: string
  readonly ecosystem: string
  readonly keyPrefix: string
  readonly tempDirectory: string
  readonly probeId: string
}

interface ChildResult {
  readonly millis: number
  readonly cpuMicros: number
  readonly startupRss: number
  readonly peakRss: number
  readonly peakHeapTotal: number
  readonly liveHeap: number
  /** Largest RSS sampled while the archive downloads, and while it is read and written. */
  readonly downloadRss: number
  readonly syncRss: number
  readonly written: number
  readonly failed: number
  readonly status: string
  readonly error: string | undefined
  readonly advisoryCount: number
  readonly probeFound: boolean
}

/** The measured sync, in the child process. */
const child = (input: ChildInput) => {
  const startupRss = process.memoryUsage().rss
  const stopHeap = trackHeap()
  return Effect.gen(function*() {
    const store = yield* AdvisoryStore
    const source = yield* OsvSource.make({ baseUrl: input.baseUrl, ecosystems: [input.ecosystem], tempDirectory: input.tempDirectory })
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    // RSS sampled separately while the archive downloads (until the unit starts) and while it syncs.
    let downloading = true
    const rss = { download: 0, sync: 0 }
    const sampler = setInterval(() => {
      const now = process.memoryUsage.rss()
      if (downloading) rss.download = Math.max(rss.download, now)
      else rss.sync = Math.max(rss.sync, now)
    }, 20)
    const stats = yield* Sync.syncAll(store, [source], {
      onEvent: (event) => Effect.sync(() => void (event._tag === "UnitStarted" && (downloading = false)))
    })
    clearInterval(sampler)
    const millis = performance.now() - start
    const cpu = process.cpuUsage(cpuStart)
    const heap = stopHeap()
    const unit = stats.units[0]!
    return {
      millis,
      cpuMicros: cpu.user + cpu.system,
      startupRss,
      peakRss: peakRss(),
      ...heap,
      downloadRss: rss.download,
      syncRss: rss.sync,
      written: stats.written,
      failed: unit.failed,
      status: unit.status,
      error: unit.error,
      advisoryCount: yield* store.advisoryCount,
      probeFound: Option.isSome(yield* store.getAdvisory(input.probeId))
    } satisfies ChildResult
  }).pipe(
    Effect.provide(Layer.merge(storeLayer(input.redisUrl, input.keyPrefix, { compressionLevel: level }), platformLayer)),
    Effect.scoped,
    Effect.runPromise
  )
}

const input = childInput<ChildInput>()
if (input !== undefined) replyToParent(await child(input))

// ---------------------------------------------------------------------------------------------
// The parent: archives, servers, baselines, and one child per sync.

const program = Effect.gen(function*() {
  const redis = yield* benchRedis
  const [small, large] = [scaled(50_000, 1_000), scaled(200_000, 2_000)]
  const mirrorKind = process.env.BENCH_SYNC_MIRROR === "file" ? "file" : "http"
  console.log(`# OSV full sync benchmark`)
  console.log(`server redis ${redis.version} (${redis.mode}); mirror ${mirrorKind === "http" ? "local HTTP" : "file://"}; ${environmentLine()}`)

  const root = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "vulnera-bench-sync-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const mirrors = new Map<number, Awaited<ReturnType<typeof writeReplicatedMirror>>>()
  for (const size of [small, large]) {
    const start = performance.now()
    const mirror = yield* Effect.promise(() => writeReplicatedMirror(join(root, `n${size}`), { count: size }))
    mirrors.set(size, mirror)
    console.log(
      `archive: ${mirror.entries} records (${mirror.passes} corpus passes), ${mb(mirror.bytes)} zipped, ` +
        `${mb(mirror.jsonBytes)} JSON; built in ${((performance.now() - start) / 1000).toFixed(1)} s`
    )
  }
  const httpBase = yield* serveDirectory(root)
  const packed = yield* Effect.promise(() => compressedReplicas(large, level))
  const stages = yield* Effect.promise(() => stageCosts(5_000, level))
  const clear = (prefix: string) =>
    Effect.promise<unknown>(() => redis.mode === "spawned" ? redis.client.flushall() : dropPrefix(redis.client, prefix))

  const runs = [
    { size: small, nodeArgs: [] as Array<string> },
    { size: large, nodeArgs: [] as Array<string> },
    { size: large, nodeArgs: [heapCap] }
  ]
  const results: Array<{ readonly size: number; readonly capped: boolean; readonly raw: number; readonly ours: ChildResult }> = []
  for (const [index, run] of runs.entries()) {
    const mirror = mirrors.get(run.size)!
    const rawPrefix = `bench-sync-raw-${process.pid}-${index}`
    const raw = yield* Effect.promise(() => rawPipelinedSet(redis.client, rawPrefix, packed.slice(0, run.size)))
    yield* clear(rawPrefix)

    const keyPrefix = `bench-sync-${process.pid}-${index}`
    const tempDirectory = join(root, `downloads-${index}`)
    mkdirSync(tempDirectory)
    console.log(`\nsync ${run.size} advisories ${run.nodeArgs.join(" ")}...`)
    const ours = yield* Effect.promise(() =>
      runChild<ChildResult>(import.meta.filename, {
        redisUrl: redis.url,
        baseUrl: mirrorKind === "http" ? `${httpBase}/n${run.size}` : mirror.baseUrl,
        ecosystem: mirror.ecosystem,
        keyPrefix,
        tempDirectory,
        probeId: packed[run.size - 1]![0]
      } satisfies ChildInput, { nodeArgs: run.nodeArgs })
    )
    yield* clear(keyPrefix)
    results.push({ size: run.size, capped: run.nodeArgs.length > 0, raw, ours })
    if (ours.status !== "succeeded" || ours.written !== run.size || ours.advisoryCount !== run.size || !ours.probeFound) {
      console.log(
        `WARNING: sync ${ours.status} (${ours.error ?? "no error"}): written ${ours.written}, failed ${ours.failed}, ` +
          `stored ${ours.advisoryCount}, last record found: ${ours.probeFound}`
      )
    }
  }

  console.log(`\n### Full sync from all.zip into Redis (zstd ${level})\n`)
  row("advisories", "V8 old space", "sync time", "advisories/s", "raw SET/s", "vs raw", "CPU per advisory", "peak RSS", "RSS after start-up", "RSS sampled: download / sync", "V8 heap peak", "live heap")
  row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---")
  for (const { capped, ours, raw, size } of results) {
    const rate = (ours.written / ours.millis) * 1000
    row(
      size.toLocaleString("en"),
      capped ? "128 MB cap" : "default",
      `${(ours.millis / 1000).toFixed(1)} s`,
      perSecond(ours.written, ours.millis),
      Math.round(raw).toLocaleString("en"),
      ratio(rate / raw),
      `${(ours.cpuMicros / Math.max(1, ours.written)).toFixed(0)} µs`,
      mb(ours.peakRss),
      mb(ours.startupRss),
      `${mb(ours.downloadRss)} / ${mb(ours.syncRss)}`,
      mb(ours.peakHeapTotal),
      mb(ours.liveHeap)
    )
    const label = `${Math.round(size / 1000)}k${capped ? " (old space capped at 128 MB)" : ""}`
    if (!capped) {
      emitFigure({
        bench: "sync",
        name: `${label}: advisories/s vs raw pipelined SET`,
        value: `${perSecond(ours.written, ours.millis)}/s = ${ratio(rate / raw)}`,
        target: `>= ${ratio(throughputTarget)}`,
        pass: rate / raw >= throughputTarget
      })
    }
    emitFigure({ bench: "sync", name: `${label}: peak RSS`, value: mb(ours.peakRss), target: `< ${mb(rssTarget)}`, pass: ours.peakRss < rssTarget })
  }
  const [first, second] = results
  if (first !== undefined && second !== undefined) {
    const growth = `peak RSS ${mb(first.ours.peakRss)} -> ${mb(second.ours.peakRss)}, live heap ${mb(first.ours.liveHeap)} -> ${mb(second.ours.liveHeap)}`
    console.log(`\n${(second.size / first.size).toFixed(0)}x the archive: ${growth}`)
    emitFigure({ bench: "sync", name: `${Math.round(first.size / 1000)}k -> ${Math.round(second.size / 1000)}k advisories`, value: growth })
  }

  console.log(`\n### Per-record CPU of the stages on their own (${stages.records} real records, mean ${stages.meanBytes} B of JSON)\n`)
  row("stage", "CPU per record")
  row("---", "---")
  for (const stage of stages.stages) row(stage.name, `${stage.micros.toFixed(1)} µs`)
  const stageMicros = stages.stages.reduce((n, s) => n + s.micros, 0)
  const floorRate = 1e6 / stageMicros
  const largest = results.find((r) => r.size === large && !r.capped) ?? results[0]!
  const largestRate = (largest.ours.written / largest.ours.millis) * 1000
  console.log(
    `\nThe raw limit costs the client ${(1e6 / largest.raw).toFixed(1)} µs of wall time per record; ` +
      `the stages above alone add up to ${stageMicros.toFixed(0)} µs of CPU, a ceiling of ${Math.round(floorRate).toLocaleString("en")} ` +
      `advisories/s per core (${ratio(floorRate / largest.raw)} of the raw limit). ` +
      `The ${Math.round(large / 1000)}k sync ran at ${ratio(largestRate / floorRate)} of that one-core ceiling.`
  )
  emitFigure({
    bench: "sync",
    name: `${Math.round(large / 1000)}k: advisories/s vs the one-core CPU floor of its stages (inflate, parse, check, stringify, zstd)`,
    value: `${perSecond(largest.ours.written, largest.ours.millis)}/s vs ${Math.round(floorRate).toLocaleString("en")}/s = ${ratio(largestRate / floorRate)}`
  })
})

if (input === undefined) {
  Effect.runPromise(Effect.scoped(program)).catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
