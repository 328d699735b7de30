/**
 * Baselines for bench/sync.ts: the store's raw write limit (ioredis pipelined SET of the replicated
 * records' zstd bytes, as bench/store.ts measures it) and the CPU cost of each stage of a full sync
 * measured on its own.
 */
import { Schema } from "effect"
import type { Redis } from "ioredis"
import { createRequire } from "node:module"
import { deflateRawSync, inflateRawSync } from "node:zlib"
import { Advisory } from "../../src/Advisory.js"
import * as Codec from "../../src/internal/store/storeCodec.js"
import { corpusLines, replicaId } from "./osvZip.js"

/** The zstd binding itself (the package's JS wrapper drops the level; see src/Compression.ts). */
const zstd = createRequire(import.meta.url)("@mongodb-js/zstd/bindings.js") as {
  readonly compress: (data: Buffer, level?: number) => Promise<Buffer>
}

/** Records per pipeline, as in bench/store.ts and the store's own write chunks. */
export const rawChunkSize = 256

/** The first `count` replicated records (bench/utils/osvZip.ts order and ids) as JSON text. */
async function* replicatedJson(count: number): AsyncGenerator<readonly [id: string, json: string]> {
  let produced = 0
  for (let pass = 0; produced < count; pass++) {
    for await (const line of corpusLines()) {
      if (produced >= count) return
      const record = JSON.parse(line) as { id: string }
      const id = replicaId(record.id, pass)
      yield [id, pass === 0 ? line : JSON.stringify({ ...record, id })]
      produced++
    }
  }
}

/** The replicated records' ids and zstd bytes at `level`, exactly as the archive holds them. */
export const compressedReplicas = async (count: number, level: number): Promise<Array<readonly [string, Buffer]>> => {
  const out: Array<readonly [string, Buffer]> = []
  let batch: Array<readonly [string, string]> = []
  const flush = async () => {
    out.push(...await Promise.all(batch.map(async ([id, json]) => [id, await zstd.compress(Buffer.from(json), level)] as const)))
    batch = []
  }
  for await (const record of replicatedJson(count)) {
    batch.push(record)
    if (batch.length === 1024) await flush()
  }
  await flush()
  return out
}

/**
 * Pipelined SET of `records` under `<prefix>:data:<id>`, chunks of 256, one in flight (after a
 * warm-up of up to 5,000 under another prefix); returns records per second.
 */
export const rawPipelinedSet = async (
  client: Redis,
  prefix: string,
  records: ReadonlyArray<readonly [string, Buffer]>
): Promise<number> => {
  const write = async (keyPrefix: string, items: ReadonlyArray<readonly [string, Buffer]>) => {
    const start = performance.now()
    for (let i = 0; i < items.length; i += rawChunkSize) {
      const pipeline = client.pipeline()
      for (const [id, value] of items.slice(i, i + rawChunkSize)) pipeline.set(`${keyPrefix}:data:${id}`, value)
      await pipeline.exec()
    }
    return performance.now() - start
  }
  await write(`${prefix}-warmup`, records.slice(0, 5_000))
  return (records.length / (await write(prefix, records))) * 1000
}

/** One stage's CPU time per record. */
export interface StageCost {
  readonly name: string
  readonly micros: number
}

/**
 * CPU time per record (user + system, threads included) of each stage a full sync runs, on
 * `count` corpus records sampled evenly: what this design pays per advisory before any framework overhead.
 */
export const stageCosts = async (
  count: number,
  level: number
): Promise<{ readonly records: number; readonly meanBytes: number; readonly stages: ReadonlyArray<StageCost> }> => {
  // An even sample of the corpus (its files are ordered by source, whose record sizes differ).
  const all: Array<string> = []
  for await (const line of corpusLines()) all.push(line)
  const stride = Math.max(1, Math.floor(all.length / count))
  const json = all.filter((_, i) => i % stride === 0).slice(0, count).map((line) => Buffer.from(line))
  const deflated = json.map((b) => deflateRawSync(b))
  const isAdvisory = Schema.is(Advisory)
  const utf8 = new TextDecoder("utf-8", { fatal: true })
  let parsed: Array<unknown> = []
  const stages: Array<StageCost> = []
  const time = async (name: string, run: () => unknown) => {
    const start = process.cpuUsage()
    await run()
    const used = process.cpuUsage(start)
    stages.push({ name, micros: (used.user + used.system) / json.length })
  }
  await time("zip entry: `inflateRawSync` (a fresh zlib stream per entry)", () => deflated.forEach((d) => inflateRawSync(d)))
  await time("UTF-8 decode + `JSON.parse`", () => (parsed = json.map((b) => JSON.parse(utf8.decode(b)))))
  await time("`Schema.is(Advisory)` (the source's check)", () => parsed.forEach((a) => isAdvisory(a)))
  await time("`JSON.stringify` + `Buffer.from` (the stored value)", () => parsed.forEach((a) => Buffer.from(JSON.stringify(a))))
  await time("index suffixes (package key normalization)", () => parsed.forEach((a) => Codec.indexSuffixes(a as Advisory)))
  await time(`zstd level ${level} (@mongodb-js/zstd, 16 in flight)`, async () => {
    for (let i = 0; i < json.length; i += 16) await Promise.all(json.slice(i, i + 16).map((b) => zstd.compress(b, level)))
  })
  return { records: json.length, meanBytes: Math.round(json.reduce((n, b) => n + b.length, 0) / json.length), stages }
}
