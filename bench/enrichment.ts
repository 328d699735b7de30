/**
 * `syncEnrichment` benchmark: the full EPSS bulk file (360k rows) and the KEV catalog over a local
 * HTTP server, through `VulnerabilityManager.syncEnrichment`, into Redis: wall time and peak RSS.
 *
 * The sync runs in a fresh Node process (bench/utils/child.ts), so its peak RSS is its own. It runs
 * twice there: into an empty store, then again over the stored entries (the daily case: every
 * chunk is merged with what is stored); the peak RSS covers both. The pair is measured once with
 * V8's defaults and once with its old space capped at 128 MB (`--max-old-space-size=128`), which
 * shows what the sync needs rather than how far V8 lets the heap grow on a machine with plenty of
 * memory; the live heap (used heap right after major GCs) is printed for both. Baseline, same run, same bytes,
 * same server: streaming the CSV through gunzip and a line split only (bare Node streams, no
 * parsing, no Effect, no store): the floor any streaming reader pays.
 *
 * Targets (issue 3): under 15 s and under 250 MB peak RSS on this 2-core machine.
 *
 * The shared EPSS file has no comment line; the real daily file starts with
 * `#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000`, so the file is re-gzipped with
 * it in front (streamed into a temporary file, never held in memory).
 *
 * Run: `npx tsx bench/enrichment.ts`. Environment: `VULNERA_DATA_DIR` (default ../shared/data),
 * `REDIS_URL` (default: start a redis-server), `BENCH_SCALE` (below 1: only that share of the rows).
 */
import { Effect } from "effect"
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs"
import * as Http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { createGunzip, createGzip } from "node:zlib"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import { VulnerabilityManager } from "../src/VulnerabilityManager.js"
import { childInput, replyToParent, runChild } from "./utils/child.js"
import { managerLayer, storeLayer } from "./utils/layers.js"
import { dataDir } from "./utils/osvZip.js"
import { emitFigure, environmentLine, type HeapFigures, mb, peakRss, perSecond, ratio, row, scale, trackHeap } from "./utils/report.js"
import { benchRedis, dropPrefix, serveDirectory } from "./utils/servers.js"

const commentLine = "#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000"
const timeTarget = 15_000
const rssTarget = 250 * 1048576
const heapCap = "--max-old-space-size=128"

interface ChildInput {
  readonly redisUrl: string
  readonly base: string
  readonly keyPrefix: string
  /** A KEV CVE to read back (`isKev` must say true). */
  readonly kevProbe: string
}

interface RunFigures {
  readonly millis: number
  readonly cpuMicros: number
  readonly kevEntries: number
  readonly kevStatus: string
  readonly epssScores: number
  readonly epssMalformed: number
  readonly epssStatus: string
  readonly scoreDate: string | undefined
  readonly modelVersion: string | undefined
  readonly written: number
}

interface ChildResult extends HeapFigures {
  readonly startupRss: number
  readonly peakRss: number
  readonly fresh: RunFigures
  readonly again: RunFigures
  readonly kevProbe: boolean
}

/** Both syncs, in the child process. */
const child = (input: ChildInput) => {
  const startupRss = process.memoryUsage().rss
  const stopHeap = trackHeap()
  const layer = managerLayer(storeLayer(input.redisUrl, input.keyPrefix), {
    kev: `${input.base}/kev.json`,
    epssBulk: `${input.base}/epss_scores-current.csv.gz`
  })
  const once = Effect.gen(function*() {
    const manager = yield* VulnerabilityManager
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    const result = yield* manager.syncEnrichment
    const millis = performance.now() - start
    const cpu = process.cpuUsage(cpuStart)
    return {
      millis,
      cpuMicros: cpu.user + cpu.system,
      kevEntries: result.kev.entries,
      kevStatus: result.kev.status,
      epssScores: result.epss.scores,
      epssMalformed: result.epss.malformed,
      epssStatus: result.epss.status,
      scoreDate: result.epss.scoreDate,
      modelVersion: result.epss.modelVersion,
      written: result.written
    } satisfies RunFigures
  })
  return Effect.gen(function*() {
    const manager = yield* VulnerabilityManager
    yield* AdvisoryStore
    const fresh = yield* once
    const again = yield* once
    return {
      startupRss,
      peakRss: peakRss(),
      ...stopHeap(),
      fresh,
      again,
      kevProbe: yield* manager.isKev(input.kevProbe)
    } satisfies ChildResult
  }).pipe(Effect.provide(layer), Effect.runPromise)
}

const input = childInput<ChildInput>()
if (input !== undefined) replyToParent(await child(input))

// ---------------------------------------------------------------------------------------------
// The parent: the files, the server, the child, the baseline.

/** Gunzip + line split of the body at `url` with bare Node streams; returns lines and milliseconds. */
const streamFloor = (url: string) =>
  new Promise<{ lines: number; millis: number }>((resolve, reject) => {
    const start = performance.now()
    Http.get(url, (res) => {
      let lines = 0
      let rest = ""
      const split = new Writable({
        write(chunk: Buffer, _encoding, done) {
          const parts = (rest + chunk.toString("utf8")).split("\n")
          rest = parts.pop()!
          lines += parts.length
          done()
        },
        final(done) {
          if (rest !== "") lines++
          done()
        }
      })
      pipeline(res, createGunzip(), split).then(() => resolve({ lines, millis: performance.now() - start }), reject)
    }).on("error", reject)
  })

/** Writes the comment line, then the first `rows` data rows (header kept) of the shared file, gzipped. */
const writeBulkFile = async (path: string, rows: number) => {
  const source = createInterface({ input: createReadStream(join(dataDir(), "epss", "epss_scores_full.csv.gz")).pipe(createGunzip()), crlfDelay: Infinity })
  let written = -1 // the header is not a row
  await pipeline(
    Readable.from((async function*() {
      yield `${commentLine}\n`
      for await (const line of source) {
        if (written >= rows) break
        yield `${line}\n`
        written++
      }
    })()),
    createGzip(),
    createWriteStream(path)
  )
  source.close()
  return written
}

const program = Effect.gen(function*() {
  const redis = yield* benchRedis
  console.log(`# syncEnrichment benchmark (EPSS bulk + KEV over local HTTP into Redis)`)
  console.log(`server redis ${redis.version} (${redis.mode}); ${environmentLine()}`)
  const root = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "vulnera-bench-enrichment-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const rows = yield* Effect.promise(() =>
    writeBulkFile(join(root, "epss_scores-current.csv.gz"), scale() >= 1 ? Number.MAX_SAFE_INTEGER : Math.round(360_142 * scale()))
  )
  copyFileSync(join(dataDir(), "kev", "known_exploited_vulnerabilities.json"), join(root, "kev.json"))
  const base = yield* serveDirectory(root)
  const keyPrefix = `bench-enrichment-${process.pid}`

  const measure = (index: number, nodeArgs: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const prefix = `${keyPrefix}-${index}`
      console.log(`syncEnrichment twice ${nodeArgs.join(" ")}...`)
      const result = yield* Effect.promise(() =>
        runChild<ChildResult>(import.meta.filename, { redisUrl: redis.url, base, keyPrefix: prefix, kevProbe: "CVE-2021-44228" } satisfies ChildInput, {
          nodeArgs
        })
      )
      const keys = yield* Effect.promise(async () => Number(/keys=(\d+)/.exec(await redis.client.info("keyspace"))?.[1] ?? 0))
      yield* Effect.promise<unknown>(() => redis.mode === "spawned" ? redis.client.flushall() : dropPrefix(redis.client, prefix))
      return { ...result, keys }
    })
  const ours = yield* measure(0, [])
  const capped = yield* measure(1, [heapCap])
  const floor = yield* Effect.promise(() => streamFloor(`${base}/epss_scores-current.csv.gz`))

  const { again, fresh } = ours
  console.log(
    `\nEPSS ${fresh.epssStatus}: ${fresh.epssScores.toLocaleString("en")} scores (${fresh.epssMalformed} malformed; file has ${rows.toLocaleString("en")} rows), ` +
      `model ${fresh.modelVersion}, score date ${fresh.scoreDate}; KEV ${fresh.kevStatus}: ${fresh.kevEntries} entries; ` +
      `${fresh.written.toLocaleString("en")} entries written (${ours.keys.toLocaleString("en")} keys in Redis); isKev(CVE-2021-44228): ${ours.kevProbe}\n`
  )
  row("run", "V8 old space", "wall time", "rows/s", "CPU", "vs floor (gunzip + split)")
  row("---", "---", "---", "---", "---", "---")
  row("floor: gunzip + line split, bare Node", "—", `${(floor.millis / 1000).toFixed(2)} s`, perSecond(floor.lines, floor.millis), "—", "1.00x")
  for (const [heap, result] of [["default", ours], ["128 MB cap", capped]] as const) {
    for (const [name, run] of [["`syncEnrichment` into an empty store", result.fresh], ["`syncEnrichment` again (merging with stored entries)", result.again]] as const) {
      row(name, heap, `${(run.millis / 1000).toFixed(2)} s`, perSecond(run.epssScores, run.millis), `${(run.cpuMicros / 1e6).toFixed(1)} s`, ratio(run.millis / floor.millis))
    }
  }
  console.log("")
  row("V8 old space", "peak RSS (both runs)", "RSS after start-up", "V8 heap peak", "live heap (after major GCs)")
  row("---", "---", "---", "---", "---")
  for (const [heap, result] of [["default", ours], ["128 MB cap", capped]] as const) {
    row(heap, mb(result.peakRss), mb(result.startupRss), mb(result.peakHeapTotal), mb(result.liveHeap))
  }

  const ok = fresh.epssStatus === "succeeded" && fresh.kevStatus === "succeeded" && fresh.epssScores === rows && ours.kevProbe
  for (const [name, run] of [["into an empty store", fresh], ["again, over the stored entries", again]] as const) {
    emitFigure({
      bench: "enrichment",
      name: `syncEnrichment wall time, ${name} (${run.epssScores.toLocaleString("en")} EPSS rows + KEV)`,
      value: `${(run.millis / 1000).toFixed(1)} s (floor ${(floor.millis / 1000).toFixed(2)} s)`,
      target: `< ${timeTarget / 1000} s`,
      pass: ok && run.millis < timeTarget
    })
  }
  emitFigure({ bench: "enrichment", name: "syncEnrichment peak RSS", value: mb(ours.peakRss), target: `< ${mb(rssTarget)}`, pass: ours.peakRss < rssTarget })
  emitFigure({
    bench: "enrichment",
    name: "syncEnrichment peak RSS, old space capped at 128 MB",
    value: `${mb(capped.peakRss)} (fresh ${(capped.fresh.millis / 1000).toFixed(1)} s, again ${(capped.again.millis / 1000).toFixed(1)} s)`,
    target: `< ${mb(rssTarget)}`,
    pass: capped.peakRss < rssTarget
  })
})

if (input === undefined) {
  Effect.runPromise(Effect.scoped(program)).catch((error) => {
    console.error(error)
    process.exit(1)
  })
}

