/**
 * EPSS bulk + KEV download benchmark (the sources' half of `syncEnrichment`; the store writes are
 * added by the manager's benchmark). Streams the full EPSS file (360k rows) and downloads the KEV
 * catalog, both over a local HTTP server, the way a sync does, and prints wall time, rows/s and
 * peak RSS. The measured run happens in a child process, so the preparation below and the server
 * do not count in its peak RSS. Baselines measured in the same run:
 *
 * - time: a bare Node pipeline (`zlib` gunzip + counting newlines, no parsing, no Effect) over the
 *   same bytes from the same server: the floor any streaming reader pays;
 * - memory: the child's RSS right after loading its modules, before any work, so what the run
 *   adds is visible next to the runtime's own footprint (effect + @effect/platform-node alone take
 *   ~115 MB under plain Node).
 *
 * Targets (issue 3): under 15 s and under 250 MB peak RSS together with the KEV download.
 *
 * The shared EPSS file has no `#model_version` comment line; the real daily file does, so it is
 * re-gzipped with one in front (streamed into a temporary file, never held in memory).
 *
 * Run: `npx tsx bench/epss.ts`. Environment: `VULNERA_DATA_DIR` (default ../shared/data).
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Stream } from "effect"
import { spawn } from "node:child_process"
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Readable, Transform } from "node:stream"
import { peakRss } from "./utils/report.js"
import { pipeline } from "node:stream/promises"
import { createGunzip, createGzip } from "node:zlib"
import * as EpssSource from "../src/EpssSource.js"
import * as KevSource from "../src/KevSource.js"

const childVariable = "VULNERA_BENCH_EPSS_BASE_URL"
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`

interface ChildResult {
  readonly millis: number
  readonly startupRss: number
  readonly peakRss: number
  readonly scores: number
  readonly malformed: number
  readonly scoreDate: string
  readonly kevVersion: string
  readonly kevEntries: number
  readonly kevMalformed: number
  readonly kevWithScore: number
}

/** The measured run: the KEV catalog, then the EPSS stream joined against it. */
const child = async (base: string): Promise<ChildResult> => {
  const startupRss = process.memoryUsage().rss
  const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)
  return Effect.runPromise(
    Effect.gen(function*() {
      const kev = yield* KevSource.make({ url: `${base}/kev.json` })
      const epss = yield* EpssSource.make({ bulkUrl: `${base}/epss.csv.gz` })
      const start = performance.now()
      // KEV first (its CVEs are the join key), then the stream, as the manager's merge does.
      const catalog = yield* kev.fetchCatalog
      const kevIds = new Set(catalog.entries.map((e) => e.cveID))
      const counts = yield* Stream.runFold(
        epss.bulk,
        { scores: 0, malformed: 0, scoreDate: "", kevWithScore: 0 },
        (acc, item) => {
          if (item._tag === "Score") {
            acc.scores++
            if (kevIds.has(item.cve)) acc.kevWithScore++
          } else if (item._tag === "Malformed") acc.malformed++
          else acc.scoreDate = item.scoreDate._tag === "Some" ? item.scoreDate.value : "?"
          return acc
        }
      )
      return {
        millis: performance.now() - start,
        startupRss,
        peakRss: peakRss(),
        ...counts,
        kevVersion: catalog.catalogVersion,
        kevEntries: catalog.entries.length,
        kevMalformed: catalog.malformed.length
      }
    }).pipe(Effect.provide(Platform))
  )
}

if (process.env[childVariable] !== undefined) {
  process.stdout.write(JSON.stringify(await child(process.env[childVariable])))
  process.exit(0)
}

const dataDir = process.env.VULNERA_DATA_DIR ?? join(import.meta.dirname, "../../shared/data")
const epssPath = join(dataDir, "epss/epss_scores_full.csv.gz")
const kevPath = join(dataDir, "kev/known_exploited_vulnerabilities.json")

// 1. The real file format: the comment line, then the shared file's content (streamed).
const workDir = mkdtempSync(join(tmpdir(), "vulnera-bench-epss-"))
process.on("exit", () => rmSync(workDir, { recursive: true, force: true }))
const gzPath = join(workDir, "epss_scores-current.csv.gz")
await pipeline(
  Readable.from((async function*() {
    yield "#model_version:v2025.03.14,score_date:2026-08-16T12:55:00Z\n"
    yield* createReadStream(epssPath).pipe(createGunzip())
  })()),
  createGzip(),
  createWriteStream(gzPath)
)

// 2. A local server streaming both files from disk.
const server = Http.createServer((req, res) => {
  const path = req.url === "/epss.csv.gz" ? gzPath : req.url === "/kev.json" ? kevPath : undefined
  if (path === undefined) {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { "content-length": String(statSync(path).size) })
  createReadStream(path).pipe(res)
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// 3. Ours, in a fresh process. The libraries are loaded by plain Node first and only then the TS
// loader is registered for this file and src/, as a user's compiled program would load them; the
// tsx loader would otherwise roughly double the libraries' footprint (~175 MB instead of ~115 MB).
const childEntry = `
await import("effect")
await import("@effect/platform")
await import("@effect/platform-node")
const { register } = await import("tsx/esm/api")
register()
await import(${JSON.stringify(pathToFileURL(import.meta.filename).href)})
`
const ours = await new Promise<ChildResult>((resolve, reject) => {
  const proc = spawn(process.execPath, ["--input-type=module", "-e", childEntry], {
    cwd: join(import.meta.dirname, ".."),
    env: { ...process.env, [childVariable]: base },
    stdio: ["ignore", "pipe", "inherit"]
  })
  let output = ""
  proc.stdout.on("data", (data: Buffer) => (output += data.toString("utf8")))
  proc.on("error", reject)
  proc.on("close", (code) => code === 0 ? resolve(JSON.parse(output) as ChildResult) : reject(new Error(`child exited with ${code}`)))
})

// 4. The floor: gunzip + newline count with bare Node streams, same bytes, same server.
const floorStart = performance.now()
let floorLines = 0
await new Promise<void>((resolve, reject) => {
  Http.get(`${base}/epss.csv.gz`, (res) => {
    res.pipe(createGunzip()).pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) floorLines++
          done()
        }
      })
    ).on("finish", resolve).on("error", reject).resume()
  }).on("error", reject)
})
const floorMillis = performance.now() - floorStart
server.close()

const seconds = ours.millis / 1000
console.log(`EPSS bulk (score date ${ours.scoreDate}) + KEV ${ours.kevVersion}, over local HTTP`)
console.log(
  `  rows:       ${ours.scores.toLocaleString("en")} scores, ${ours.malformed} malformed; ` +
    `KEV ${ours.kevEntries} entries (${ours.kevWithScore} with an EPSS score), ${ours.kevMalformed} malformed`
)
console.log(
  `  wall time:  ${seconds.toFixed(2)} s  (${Math.round(ours.scores / seconds).toLocaleString("en")} rows/s)` +
    `  — floor (zlib + newline count, ${floorLines.toLocaleString("en")} lines): ${(floorMillis / 1000).toFixed(2)} s,` +
    ` ours ${(ours.millis / floorMillis).toFixed(1)}x the floor; target < 15 s`
)
console.log(
  `  peak RSS:   ${mb(ours.peakRss)}  — ${mb(ours.startupRss)} with modules loaded, before any work,` +
    ` so +${mb(ours.peakRss - ours.startupRss)} for the run; target < 250 MB`
)
