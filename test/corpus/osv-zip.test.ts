/**
 * The whole shared OSV corpus ($VULNERA_DATA_DIR/osv/*.jsonl.gz, 26k records) through the OSV
 * source's full sync: one `all.zip` per corpus file is written into a `file://` mirror, and every
 * record must come back, in order, equal to the published document, with no failures. Peak RSS
 * while streaming is printed (the archive is read one entry per pull, so it stays flat). Only
 * registered when VULNERA_DATA_DIR is set.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import { isDeepStrictEqual } from "node:util"
import { createGunzip, gunzipSync } from "node:zlib"
import * as OsvSource from "../../src/OsvSource.js"
import { createZipWriter } from "../utils/zip.js"

const osvDir = join(process.env.VULNERA_DATA_DIR ?? "", "osv")
const files = readdirSync(osvDir).filter((file) => file.endsWith(".jsonl.gz")).sort()
const manifest = JSON.parse(readFileSync(join(osvDir, "MANIFEST.json"), "utf8")) as Record<
  string,
  ReadonlyArray<{ readonly file: string; readonly records: number }>
>
const manifestCount = Object.values(manifest).flat().reduce((n, entry) => n + entry.records, 0)
const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)

/** The corpus file's lines, streamed (for writing the archives). */
const lines = (file: string) =>
  createInterface({ input: createReadStream(join(osvDir, file)).pipe(createGunzip()), crlfDelay: Infinity })

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

describe("OSV corpus through all.zip", () => {
  it.scopedLive("streams every record of the corpus back, equal to the published document", () =>
    Effect.gen(function*() {
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "osv-zip-corpus-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      // One "ecosystem" directory per corpus file: <root>/<file name>/all.zip.
      const ecosystems = files.map((file) => file.replace(/\.jsonl\.gz$/, ""))
      const written = new Map<string, number>()
      yield* Effect.promise(async () => {
        for (const [i, file] of files.entries()) {
          mkdirSync(join(root, ecosystems[i]!), { recursive: true })
          const writer = createZipWriter(join(root, ecosystems[i]!, "all.zip"))
          for await (const line of lines(file)) {
            if (line.trim() === "") continue
            writer.add(`${(JSON.parse(line) as { id: string }).id}.json`, line)
          }
          written.set(ecosystems[i]!, writer.close().entries)
        }
      })
      const total = [...written.values()].reduce((a, b) => a + b, 0)
      expect(total).toBe(manifestCount)

      const source = yield* OsvSource.make({
        baseUrl: pathToFileURL(root).href,
        ecosystems,
        tempDirectory: root
      })
      global.gc?.()
      const baseline = process.memoryUsage().rss
      let peak = baseline
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss)
      }, 20)
      yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(sampler)))

      let streamed = 0
      const start = Date.now()
      for (const [i, file] of files.entries()) {
        const unit = OsvSource.unitName(ecosystems[i]!)
        const mismatches: Array<string> = []
        let started: unknown
        let records = 0
        const failed: Array<string> = []
        // The corpus file's lines, in zip order, to pair with the streamed records (the only large
        // thing the test itself holds: one corpus file at a time).
        const expected = gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n").filter((l) => l.trim() !== "")
        yield* source.fetch(unit, Option.none()).pipe(
          Stream.runForEach((item) =>
            Effect.sync(() => {
              if (item._tag === "Started") started = item
              else if (item._tag === "Failed") failed.push(`${item.id}: ${item.detail}`)
              else {
                const line = expected[records++]
                // Exact text first (cheap), then structural equality (key order may differ).
                if (line === undefined || (JSON.stringify(item.advisory) !== line && !isDeepStrictEqual(item.advisory, JSON.parse(line)))) {
                  mismatches.push(item.advisory.id)
                }
              }
            })
          )
        )
        expect(started).toEqual(expect.objectContaining({ mode: "full", expected: written.get(ecosystems[i]!) }))
        expect(failed).toEqual([])
        expect(mismatches).toEqual([])
        expect(records).toBe(written.get(ecosystems[i]!))
        streamed += records
      }
      const seconds = (Date.now() - start) / 1000
      clearInterval(sampler)
      expect(streamed).toBe(manifestCount)
      // Only remaining temp content is the mirror itself (each download was deleted after its unit).
      expect(readdirSync(root).sort()).toEqual([...ecosystems].sort())
      process.stdout.write(
        `osv-zip corpus: ${streamed} records from ${files.length} archives in ${seconds.toFixed(1)} s ` +
          `(${Math.round(streamed / seconds)} records/s, including the test's own compare); ` +
          `RSS before ${mb(baseline)}, peak while streaming ${mb(peak)} (includes the test's copy of one corpus file)\n`
      )
    }).pipe(Effect.provide(Platform)), 120_000)
})
