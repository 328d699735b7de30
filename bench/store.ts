/**
 * Store benchmark over the real OSV corpus, replicated to 100k advisories (ids suffixed
 * `-r1`, `-r2`, ...). First memory, LMDB and Redis side by side (`BENCH_BACKEND_ADVISORIES`,
 * default 20000): upsert throughput, getByPackage p50/p99, and a new process's time from modules
 * loaded to its first answer (target for LMDB: <= 50 ms). Then DragonflyStore against baselines
 * measured in the same run:
 *
 * - store throughput (`upsertBatch`) vs the raw limit: ioredis pipelined SET of the same compressed
 *   bytes in the same chunk size (no Effect, no JSON, no index);
 * - `getByPackage` p50/p99 vs a raw SMEMBERS + MGET round trip (no decoding);
 * - `healthCheck` latency with 1k and with 100k advisories stored;
 * - zstd ratio and speed per level on real records.
 *
 * Run: `npx tsx bench/store.ts`. Environment: `VULNERA_DATA_DIR` (default ../shared/data),
 * `REDIS_URL` (default: start a redis-server), `BENCH_ADVISORIES` (default 100000).
 */
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { createRequire } from "node:module"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import type { Advisory } from "../src/Advisory.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import * as Codec from "../src/internal/store/storeCodec.js"
import * as StoreConfig from "../src/StoreConfig.js"
import { makeRedisServer } from "../test/utils/redis.js"
import { runChild } from "./utils/child.js"
import { lmdbStoreLayer, memoryStoreLayer, storeLayer as redisStoreLayer } from "./utils/layers.js"
import type { ColdStartInput, ColdStartResult } from "./utils/storeColdStart.js"

const dataDir = process.env.VULNERA_DATA_DIR ?? join(import.meta.dirname, "../../shared/data")
const targetCount = Number(process.env.BENCH_ADVISORIES ?? 100_000)
const chunkSize = 256
/** Advisories in the side-by-side comparison (every backend holds them at once). */
const sideBySideCount = Math.min(targetCount, Number(process.env.BENCH_BACKEND_ADVISORIES ?? 20_000))
const coldStartFile = join(import.meta.dirname, "utils/storeColdStart.ts")
const level = 3

// The zstd binding itself (the package's wrapper ignores the level; see src/Compression.ts).
const zstd = createRequire(import.meta.url)("@mongodb-js/zstd/bindings.js") as {
  readonly compress: (data: Buffer, level?: number) => Promise<Buffer>
  readonly decompress: (data: Buffer) => Promise<Buffer>
}

const osvDir = join(dataDir, "osv")
const corpus: ReadonlyArray<Advisory> = readdirSync(osvDir)
  .filter((file) => file.endsWith(".jsonl.gz"))
  .sort()
  .flatMap((file) => gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n"))
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Advisory)

const replicated: ReadonlyArray<Advisory> = Array.from(
  { length: targetCount },
  (_, i) => {
    const original = corpus[i % corpus.length]!
    const round = Math.floor(i / corpus.length)
    return round === 0 ? original : { ...original, id: `${original.id}-r${round}` }
  }
)

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const ms = (n: number) => `${n.toFixed(3)} ms`
const perSecond = (count: number, millis: number) => Math.round((count / millis) * 1000)
const row = (...cells: ReadonlyArray<string | number>) => console.log(`| ${cells.join(" | ")} |`)

/** A deterministic shuffle (mulberry32), so runs sample the same packages. */
const shuffled = <A>(items: ReadonlyArray<A>, seed = 42): Array<A> => {
  const out = items.slice()
  let state = seed
  const random = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** 1,000 random (ecosystem, name) packages named by unwithdrawn advisories, keyed by index suffix. */
const samplePackages = (advisories: ReadonlyArray<Advisory>) => {
  const packages = new Map<string, readonly [string, string]>()
  for (const advisory of advisories) {
    for (const affected of advisory.affected ?? []) {
      const pkg = affected.package
      if (pkg && pkg.ecosystem.trim() !== "" && pkg.name.trim() !== "" && advisory.withdrawn === undefined) {
        const suffix = Codec.indexSuffixes({ id: "x", affected: [affected] })[0]!
        packages.set(suffix, [pkg.ecosystem, pkg.name])
      }
    }
  }
  return shuffled(Array.from(packages.entries())).slice(0, 1_000)
}

const median = (values: ReadonlyArray<number>) => percentile([...values].sort((a, b) => a - b), 50)

/**
 * Memory, LMDB and Redis side by side on the same advisories: upsert throughput, getByPackage
 * p50/p99 right after the write, and a new process's time from modules loaded to its first
 * answer (open the store + one getByPackage; median of 5 processes). Memory has no such row:
 * nothing outlives its process.
 */
const sideBySide = (redisUrl: string) =>
  Effect.gen(function*() {
    const advisories = replicated.slice(0, sideBySideCount)
    const sample = samplePackages(advisories)
    const dir = mkdtempSync(join(tmpdir(), "vulnera-bench-lmdb-"))
    const prefix = `bench-sbs-${process.pid}`
    const backends = [
      ["memory", memoryStoreLayer(prefix), undefined],
      ["LMDB", lmdbStoreLayer(dir, prefix), { backend: "lmdb", location: dir }],
      ["Redis", redisStoreLayer(redisUrl, prefix), { backend: "redis", location: redisUrl }]
    ] as const
    console.log(`\n### Backends side by side (${advisories.length} advisories, ${sample.length} random packages)\n`)
    row("backend", "upsertBatch advisories/s", "getByPackage p50", "getByPackage p99", "new process: open + first getByPackage (median of 5)")
    row("---", "---", "---", "---", "---")
    for (const [name, layer, coldStart] of backends) {
      const measured = yield* Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const start = performance.now()
        yield* store.upsertBatch(advisories, "bench")
        const upsertMillis = performance.now() - start
        const latencies: Array<number> = []
        for (const [, [ecosystem, pkg]] of sample) {
          const begin = performance.now()
          yield* store.getByPackage(ecosystem, pkg)
          latencies.push(performance.now() - begin)
        }
        return { upsertMillis, latencies: latencies.sort((a, b) => a - b) }
      }).pipe(Effect.provide(layer))
      let firstAnswer = "— (nothing outlives the process)"
      if (coldStart !== undefined) {
        const [, [ecosystem, pkg]] = sample[0]!
        const runs: Array<ColdStartResult> = []
        for (let i = 0; i < 5; i++) {
          runs.push(yield* Effect.promise(() =>
            runChild<ColdStartResult>(coldStartFile, { ...coldStart, keyPrefix: prefix, ecosystem, name: pkg } satisfies ColdStartInput)
          ))
        }
        firstAnswer = `${ms(median(runs.map((r) => r.firstAnswerMillis)))} (modules loaded at ${median(runs.map((r) => r.modulesMillis)).toFixed(0)} ms)`
      }
      row(
        name,
        perSecond(advisories.length, measured.upsertMillis),
        ms(percentile(measured.latencies, 50)),
        ms(percentile(measured.latencies, 99)),
        firstAnswer
      )
    }
    rmSync(dir, { recursive: true, force: true })
  })

const storeLayer = (url: string, keyPrefix: string, decodedCacheEntries?: number) =>
  DragonflyStore.layer({ url, decodedCacheEntries }).pipe(
    Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix, compressionLevel: level })))
  )

// Level 19 allocates a large context per call in this binding (~50 ms of system time per value),
// so it gets a smaller sample.
const levelSamples = [[1, 2_000], [3, 2_000], [9, 2_000], [19, 100]] as const

const compressionLevels = Effect.promise(async () => {
  const records = shuffled(corpus).map((a) => Buffer.from(JSON.stringify(a)))
  console.log(`\n### zstd per level on real records (one frame per record, as stored)\n`)
  row("level", "records", "ratio", "compress MB/s", "decompress MB/s")
  row("---", "---", "---", "---", "---")
  await Promise.all(records.slice(0, 500).map((b) => zstd.compress(b, 3))) // warm-up
  /** Best of `rounds` (the machine may be shared): milliseconds. */
  const best = async (rounds: number, run: () => Promise<unknown>) => {
    let fastest = Number.POSITIVE_INFINITY
    for (let i = 0; i < rounds; i++) {
      const start = performance.now()
      await run()
      fastest = Math.min(fastest, performance.now() - start)
    }
    return fastest
  }
  for (const [lvl, count] of levelSamples) {
    const sample = records.slice(0, count)
    const rawBytes = sample.reduce((n, b) => n + b.length, 0)
    const rounds = lvl === 19 ? 1 : 3
    const packed = await Promise.all(sample.map((b) => zstd.compress(b, lvl)))
    const compressMillis = await best(rounds, () => Promise.all(sample.map((b) => zstd.compress(b, lvl))))
    const decompressMillis = await best(3, () => Promise.all(packed.map((b) => zstd.decompress(b))))
    const packedBytes = packed.reduce((n, b) => n + b.length, 0)
    row(
      lvl,
      count,
      (rawBytes / packedBytes).toFixed(2),
      (rawBytes / 1e3 / compressMillis).toFixed(2),
      (rawBytes / 1e3 / decompressMillis).toFixed(1)
    )
  }
})

const program = Effect.gen(function*() {
  const server = yield* makeRedisServer
  const redis = yield* Effect.acquireRelease(
    Effect.sync(() => new Redis(server.url)),
    (client) => Effect.sync(() => client.disconnect())
  )
  const run = <A>(f: () => Promise<A>) => Effect.promise(f)
  const info = yield* run(() => redis.info("server"))
  console.log(`# DragonflyStore benchmark`)
  console.log(
    `${corpus.length} OSV records replicated to ${replicated.length}; server ${/redis_version:(\S+)/.exec(info)?.[1]} (${server.mode}); ` +
      `node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`
  )

  yield* sideBySide(server.url)
  yield* compressionLevels

  // Store throughput vs raw pipelined SET of the same bytes.
  const json = replicated.map((a) => Buffer.from(JSON.stringify(a)))
  const packed = yield* run(() => Promise.all(json.map((b) => zstd.compress(b, level))))
  const rawPrefix = `bench-raw-${process.pid}`
  const serverCpuMillis = Effect.map(run(() => redis.info("cpu")), (text) =>
    (Number(/used_cpu_user:([\d.]+)/.exec(text)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(text)?.[1])) * 1000)
  /** CPU time per item of `effect`, in this process and in the server (robust to a busy machine). */
  const cpuPerItem = <A, E, R>(count: number, effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const server0 = yield* serverCpuMillis
      const client0 = process.cpuUsage()
      const value = yield* effect
      const client = process.cpuUsage(client0)
      const server = (yield* serverCpuMillis) - server0
      return {
        value,
        clientMicros: (client.user + client.system) / count,
        serverMicros: (server * 1000) / count
      }
    })
  const rawSet = (prefix: string, count: number) =>
    run(async () => {
      const start = performance.now()
      for (let i = 0; i < count; i += chunkSize) {
        const pipeline = redis.pipeline()
        for (let j = i; j < Math.min(count, i + chunkSize); j++) pipeline.set(`${prefix}:data:${replicated[j]!.id}`, packed[j]!)
        await pipeline.exec()
      }
      return performance.now() - start
    })
  yield* rawSet(`${rawPrefix}-warmup`, 5_000)
  const rawRun = yield* cpuPerItem(replicated.length, rawSet(rawPrefix, replicated.length))
  const rawMillis = rawRun.value

  const prefix = `bench-${process.pid}`
  yield* Effect.gen(function*() {
    const store = yield* AdvisoryStore
    yield* store.upsertBatch(replicated.slice(0, 5_000).map((a) => ({ ...a, id: `warmup-${a.id}` })), "bench")
    const start = performance.now()
    const storeRun = yield* cpuPerItem(replicated.length, store.upsertBatch(replicated, "bench"))
    const result = storeRun.value
    const storeMillis = performance.now() - start
    const rewriteStart = performance.now()
    yield* store.upsertBatch(replicated.slice(0, 20_000), "bench")
    const rewriteMillis = performance.now() - rewriteStart

    console.log(`\n### Store throughput (${replicated.length} advisories, chunks of ${chunkSize}, zstd ${level})\n`)
    row("path", "advisories/s", "vs raw", "CPU µs/advisory: node", "redis-server")
    row("---", "---", "---", "---", "---")
    const raw = perSecond(replicated.length, rawMillis)
    const stored = perSecond(result.received, storeMillis)
    const micros = (n: number) => n.toFixed(1)
    row("raw pipelined SET of the same compressed bytes", raw, "1.00", micros(rawRun.clientMicros), micros(rawRun.serverMicros))
    row(
      "`upsertBatch` (JSON + zstd + atomic Lua write with indexes)",
      stored,
      (stored / raw).toFixed(2),
      micros(storeRun.clientMicros),
      micros(storeRun.serverMicros)
    )
    const rewritten = perSecond(20_000, rewriteMillis)
    row("`upsertBatch` re-writing 20k unchanged advisories", rewritten, (rewritten / raw).toFixed(2), "", "")

    // getByPackage vs raw SMEMBERS + MGET.
    const sample = samplePackages(corpus)
    const sizes: Array<number> = []
    const rawLatencies: Array<number> = []
    for (const [suffix] of sample) {
      const begin = performance.now()
      const ids = yield* run(() => redis.smembers(`${prefix}:idx:${suffix}`))
      if (ids.length > 0) yield* run(() => redis.mgetBuffer(ids.map((id) => `${prefix}:data:${id}`)))
      rawLatencies.push(performance.now() - begin)
      sizes.push(ids.length)
    }
    const timeLookups = (reader: typeof store) =>
      Effect.gen(function*() {
        const latencies: Array<number> = []
        for (const [, [ecosystem, name]] of sample) {
          const begin = performance.now()
          yield* reader.getByPackage(ecosystem, name)
          latencies.push(performance.now() - begin)
        }
        return latencies.sort((a, b) => a - b)
      })
    // Cold: no decoded-value cache, every advisory is decompressed, parsed and validated.
    const cold = yield* Effect.provide(
      Effect.flatMap(AdvisoryStore, timeLookups),
      storeLayer(server.url, prefix, 0)
    )
    // Warm: the same lookups again on a store whose cache holds them (bytes still fetched and compared).
    const warm = yield* Effect.provide(
      Effect.flatMap(AdvisoryStore, (reader) => Effect.zipRight(timeLookups(reader), timeLookups(reader))),
      storeLayer(server.url, prefix, 50_000)
    )
    rawLatencies.sort((a, b) => a - b)
    sizes.sort((a, b) => a - b)
    console.log(
      `\n### getByPackage over ${sample.length} random packages (advisories per package: p50 ${percentile(sizes, 50)}, ` +
        `p99 ${percentile(sizes, 99)}, max ${sizes.at(-1)})\n`
    )
    row("path", "p50", "p99", "p50 vs raw")
    row("---", "---", "---", "---")
    const rawP50 = percentile(rawLatencies, 50)
    row("raw SMEMBERS + MGET (no decoding)", ms(rawP50), ms(percentile(rawLatencies, 99)), "1.00")
    for (const [label, latencies] of [
      ["`getByPackage`, cold (decompress, parse, validate, sort)", cold],
      ["`getByPackage`, warm (decoded-value cache hit after byte comparison)", warm]
    ] as const) {
      row(label, ms(percentile(latencies, 50)), ms(percentile(latencies, 99)), (percentile(latencies, 50) / rawP50).toFixed(2))
    }

    // healthCheck at 1k and at 100k advisories.
    const healthLatency = (checked: typeof store) =>
      Effect.gen(function*() {
        const latencies: Array<number> = []
        for (let i = 0; i < 300; i++) {
          const begin = performance.now()
          const status = yield* checked.healthCheck
          latencies.push(performance.now() - begin)
          if (status.status !== "Healthy") console.log(`health: ${status.status} ${status.detail ?? ""}`)
        }
        return latencies.sort((a, b) => a - b)
      })
    const small = yield* Effect.provide(
      Effect.gen(function*() {
        const smallStore = yield* AdvisoryStore
        yield* smallStore.upsertBatch(corpus.slice(0, 1_000), "bench")
        return yield* healthLatency(smallStore)
      }),
      storeLayer(server.url, `${prefix}-1k`)
    )
    const large = yield* healthLatency(store)
    console.log(`\n### healthCheck latency (300 calls each)\n`)
    row("advisories stored", "p50", "p99")
    row("---", "---", "---")
    row(1_000, ms(percentile(small, 50)), ms(percentile(small, 99)))
    row(yield* store.advisoryCount, ms(percentile(large, 50)), ms(percentile(large, 99)))
    console.log(`\nhealth p50 ratio 100k/1k: ${(percentile(large, 50) / percentile(small, 50)).toFixed(2)}`)
  }).pipe(Effect.provide(storeLayer(server.url, prefix)))
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
