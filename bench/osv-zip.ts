/**
 * OSV full-sync read path: how fast the OSV source turns a local `all.zip` into decoded advisories,
 * and how much memory it needs, against a baseline measured in the same run (reading the same
 * archive's entries and `JSON.parse`-ing them with no schema check and no stream).
 *
 *   npx tsx bench/osv-zip.ts [records=200000]
 *
 * Needs the corpus ($VULNERA_DATA_DIR, default ../shared/data). Prints figures; asserts nothing.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Option, Stream } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ZipReader from "../src/internal/sources/zipReader.js"
import * as OsvSource from "../src/OsvSource.js"
import { writeReplicatedMirror } from "./utils/osvZip.js"

const count = Number(process.argv[2] ?? 200_000)
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** Samples RSS every 20 ms while `run` runs; returns its result, the elapsed seconds and the peak. */
const measure = async <A>(run: () => Promise<A>) => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const start = performance.now()
  try {
    const result = await run()
    return { result, seconds: (performance.now() - start) / 1000, before, peak }
  } finally {
    clearInterval(timer)
  }
}

const main = async () => {
  const root = mkdtempSync(join(tmpdir(), "osv-zip-bench-"))
  try {
    const built = await measure(() => writeReplicatedMirror(root, { count }))
    const mirror = built.result
    console.log(
      `archive: ${mirror.entries} records (${mirror.passes} corpus passes), ${mb(mirror.bytes)} zipped, ` +
        `${mb(mirror.jsonBytes)} JSON; built in ${built.seconds.toFixed(1)} s`
    )

    const baseline = await measure(() =>
      Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const zip = yield* ZipReader.open(join(root, mirror.ecosystem, "all.zip"), { maxEntryBytes: 64 * 1024 * 1024 })
        let n = 0
        while (true) {
          const entry = yield* zip.next
          if (Option.isNone(entry)) return n
          if (entry.value._tag === "File") {
            JSON.parse(entry.value.content.toString("utf8"))
            n++
          }
        }
      })))
    )

    const tempDirectory = mkdtempSync(join(root, "downloads-"))
    const source = await measure(() =>
      Effect.runPromise(
        Effect.gen(function*() {
          const osv = yield* OsvSource.make({ baseUrl: mirror.baseUrl, ecosystems: [mirror.ecosystem], tempDirectory })
          return yield* Stream.runFold(
            osv.fetch(OsvSource.unitName(mirror.ecosystem), Option.none()),
            { records: 0, failed: 0 },
            (acc, item) =>
              item._tag === "Record"
                ? { records: acc.records + 1, failed: acc.failed }
                : item._tag === "Failed"
                ? { records: acc.records, failed: acc.failed + 1 }
                : acc
          )
        }).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)))
      )
    )

    const baseRate = baseline.result / baseline.seconds
    const sourceRate = source.result.records / source.seconds
    console.log(`baseline (entries + JSON.parse): ${baseline.result} records in ${baseline.seconds.toFixed(1)} s = ${Math.round(baseRate)} records/s`)
    console.log(
      `OsvSource full sync (copy + read + decode + stream): ${source.result.records} records, ${source.result.failed} failed, ` +
        `in ${source.seconds.toFixed(1)} s = ${Math.round(sourceRate)} records/s = ${(sourceRate / baseRate).toFixed(2)}x baseline`
    )
    console.log(
      `RSS: before ${mb(source.before)}, peak while streaming ${mb(source.peak)} ` +
        `(+${mb(source.peak - source.before)} for a ${mb(mirror.bytes)} archive)`
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
