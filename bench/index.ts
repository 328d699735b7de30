/**
 * `npm run bench`: runs every benchmark, each in its own Node process (so one benchmark's memory
 * and JIT state never pollute another's), streams their output, then prints a summary table of
 * their figures with the issues' targets and whether each was met.
 *
 *   npm run bench                          # everything, at the sizes the issues name
 *   npm run bench -- --only sync           # one benchmark (or a comma list: --only sync,matches)
 *   BENCH_SCALE=0.1 npm run bench          # a quick run at a tenth of the sizes
 *   npm run bench -- --list                # the benchmarks
 *
 * Benchmarks never assert: a missed target is reported as "miss", and the run still exits 0; only
 * a benchmark that crashes makes it exit non-zero. Figures come from `##bench-figure` lines
 * (bench/utils/report.ts); the benchmarks that print only tables (store, epss, versions) are read
 * with the patterns below.
 *
 * Environment: `VULNERA_DATA_DIR` (default ../shared/data), `REDIS_URL` (default: each benchmark
 * starts its own redis-server), `BENCH_SCALE` (default 1), `BENCH_CPU_PROF=<dir>` (CPU profiles
 * of the measured child processes).
 */
import { spawn } from "node:child_process"
import { join } from "node:path"
import { type Figure, resultMarker, scale } from "./utils/report.js"

interface Bench {
  readonly name: string
  readonly file: string
  readonly about: string
  /** Extra environment for the benchmark process. */
  readonly env?: () => Record<string, string>
  /** Figures read from a benchmark's plain output (for those that print no figure lines). */
  readonly parse?: (output: string) => ReadonlyArray<Figure>
}

const match = (output: string, pattern: RegExp) => pattern.exec(output) ?? undefined

/** bench/store.ts: throughput vs raw SET, getByPackage vs raw round trip, health check, zstd levels. */
const parseStore = (output: string): Array<Figure> => {
  const figures: Array<Figure> = []
  const upsert = match(output, /^\| `upsertBatch` \(JSON[^|]*\| (\d+) \| ([\d.]+) \|/m)
  if (upsert) {
    figures.push({
      bench: "store",
      name: "upsertBatch advisories/s vs raw pipelined SET",
      value: `${Number(upsert[1]).toLocaleString("en")}/s = ${Number(upsert[2]).toFixed(2)}x`,
      target: ">= 0.50x",
      pass: Number(upsert[2]) >= 0.5
    })
  }
  for (const m of output.matchAll(/^\| `getByPackage`(,? ?[^|(]*)[^|]*\| ([\d.]+) ms \| ([\d.]+) ms \| ([\d.]+) \|/gm)) {
    figures.push({
      bench: "store",
      name: `getByPackage${m[1]!.trimEnd()} p50 / p99 vs raw SMEMBERS+MGET`,
      value: `${m[2]} / ${m[3]} ms = ${Number(m[4]).toFixed(2)}x`,
      target: "p50 <= 2.00x",
      pass: Number(m[4]) <= 2
    })
  }
  for (const m of output.matchAll(/^\| (memory|LMDB|Redis) \| (\d+) \| ([\d.]+) ms \| ([\d.]+) ms \| ([^|]*) \|$/gm)) {
    figures.push({ bench: "store", name: `${m[1]}: upsertBatch advisories/s`, value: `${Number(m[2]).toLocaleString("en")}/s` })
    figures.push({ bench: "store", name: `${m[1]}: getByPackage p50 / p99`, value: `${m[3]} / ${m[4]} ms` })
    const first = /^([\d.]+) ms/.exec(m[5]!.trim())
    if (first) {
      figures.push({
        bench: "store",
        name: `${m[1]}: new process, open + first getByPackage (after modules loaded)`,
        value: `${first[1]} ms`,
        ...(m[1] === "LMDB" ? { target: "<= 50 ms", pass: Number(first[1]) <= 50 } : {})
      })
    }
  }
  const health = match(output, /health p50 ratio 100k\/1k: ([\d.]+)/)
  if (health) {
    figures.push({
      bench: "store",
      name: "healthCheck p50 at 100k / at 1k advisories",
      value: `${Number(health[1]).toFixed(2)}x`,
      target: "size-independent (<= 1.50x)",
      pass: Number(health[1]) <= 1.5
    })
  }
  for (const m of output.matchAll(/^\| (1|3|9|19) \| \d+ \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$/gm)) {
    figures.push({ bench: "store", name: `zstd level ${m[1]}: ratio, compress / decompress MB/s`, value: `${m[2]}, ${m[3]} / ${m[4]}` })
  }
  return figures
}

/** bench/epss.ts: the sources' half of syncEnrichment (download + parse, no store). */
const parseEpss = (output: string): Array<Figure> => {
  const figures: Array<Figure> = []
  const wall = match(output, /wall time:\s+([\d.]+) s/)
  if (wall) {
    figures.push({ bench: "epss", name: "EPSS bulk + KEV download and parse (no store)", value: `${wall[1]} s`, target: "< 15 s", pass: Number(wall[1]) < 15 })
  }
  const rss = match(output, /peak RSS:\s+(\d+) MB/)
  if (rss) {
    figures.push({ bench: "epss", name: "EPSS bulk + KEV download and parse: peak RSS", value: `${rss[1]} MB`, target: "< 250 MB", pass: Number(rss[1]) < 250 })
  }
  return figures
}

/** bench/versions.ts: evaluation rate and compare rates vs the libraries. */
const parseVersions = (output: string): Array<Figure> => {
  const figures: Array<Figure> = []
  const evaluate = match(output, /evaluate: ([\d,]+\/s)[^(]*\(([\d.]+ µs) each\)/)
  if (evaluate) figures.push({ bench: "versions", name: "Versions.evaluate on every corpus affected entry", value: `${evaluate[1]} (${evaluate[2]} each)` })
  for (const m of output.matchAll(/^(npm|Go|PyPI)\s+\d+ pairs\s+Versions\.compare\s+([\d,]+\/s)\s+\S+\s+[\d,]+\/s \(ours ([\d.]+x) its speed\)/gm)) {
    figures.push({ bench: "versions", name: `Versions.compare ${m[1]} vs its library`, value: `${m[2]} (${m[3]} its speed)` })
  }
  return figures
}

const benches: ReadonlyArray<Bench> = [
  {
    name: "store",
    file: "store.ts",
    about: "memory, LMDB and Redis side by side (upsert, getByPackage, new process to first answer); DragonflyStore vs raw Redis, healthCheck, zstd levels (100k advisories)",
    env: () => ({ BENCH_ADVISORIES: String(Math.max(2_000, Math.round(100_000 * scale()))) }),
    parse: parseStore
  },
  { name: "sync", file: "sync.ts", about: "full OSV sync of 50k / 200k advisories from all.zip into Redis" },
  { name: "matches", file: "matches.ts", about: "manager.matches for packages with 1, 50, 500 advisories" },
  { name: "batch", file: "batch.ts", about: "warm queryBatch of 1,000 real Go/PyPI/crates.io deps vs the raw read, on Redis and LMDB" },
  { name: "enrichment", file: "enrichment.ts", about: "syncEnrichment: full EPSS bulk + KEV into Redis" },
  { name: "ossindex", file: "ossindex.ts", about: "queryOssIndex for 1,000 cached PURLs" },
  { name: "epss", file: "epss.ts", about: "EPSS bulk + KEV sources alone (download, parse)", parse: parseEpss },
  { name: "versions", file: "versions.ts", about: "Versions.compare / evaluate micro-benchmark", parse: parseVersions },
  { name: "coldstart", file: "coldstart.ts", about: "vulnera --version (bundled bin) vs a bare node -e 0" },
  { name: "coldscan", file: "coldscan.ts", about: "vulnera scan of 1,000 real deps in a new process (LMDB, Redis) vs @renovatebot/osv-offline-db's cold run" },
  { name: "decode", file: "decode.ts", about: "decoding stored advisories: marked (structural check) vs unmarked (Schema)" },
  { name: "compression", file: "compression.ts", about: "zstd levels with and without the osv-v1 dictionary: ratio and MB/s" }
]

interface Outcome {
  readonly bench: Bench
  readonly code: number | null
  readonly seconds: number
  readonly figures: ReadonlyArray<Figure>
}

/** Runs one benchmark in its own process, echoing its output (figure lines kept for the summary). */
const run = (bench: Bench): Promise<Outcome> =>
  new Promise((resolve) => {
    console.log(`\n${"=".repeat(100)}\n== ${bench.name}: ${bench.about}\n${"=".repeat(100)}`)
    const start = performance.now()
    const proc = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, bench.file)], {
      cwd: join(import.meta.dirname, ".."),
      env: { ...process.env, ...bench.env?.() },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    let pending = ""
    const figures: Array<Figure> = []
    proc.stdout.on("data", (data: Buffer) => {
      const text = data.toString("utf8")
      output += text
      pending += text
      const lines = pending.split("\n")
      pending = lines.pop()!
      for (const line of lines) {
        if (line.startsWith(resultMarker)) figures.push(JSON.parse(line.slice(resultMarker.length)) as Figure)
        else console.log(line)
      }
    })
    proc.on("close", (code) => {
      if (pending !== "") console.log(pending)
      resolve({
        bench,
        code,
        seconds: (performance.now() - start) / 1000,
        figures: [...figures, ...(bench.parse?.(output) ?? [])]
      })
    })
  })

const cell = (text: string) => text.replace(/\|/g, "\\|")

const main = async () => {
  const args = process.argv.slice(2)
  if (args.includes("--list")) {
    for (const bench of benches) console.log(`${bench.name.padEnd(11)} ${bench.about}`)
    return
  }
  const onlyIndex = args.indexOf("--only")
  const only = onlyIndex === -1 ? undefined : (args[onlyIndex + 1] ?? "").split(",").map((n) => n.trim()).filter((n) => n !== "")
  const unknown = only?.filter((name) => !benches.some((b) => b.name === name)) ?? []
  if (only?.length === 0 || unknown.length > 0) {
    console.error(`--only expects benchmark names (${benches.map((b) => b.name).join(", ")}); got ${unknown.join(", ") || "none"}`)
    process.exitCode = 2
    return
  }
  const selected = benches.filter((b) => only === undefined || only.includes(b.name))
  console.log(`vulnera-advisor benchmarks: ${selected.map((b) => b.name).join(", ")}; BENCH_SCALE=${scale()}`)
  const start = performance.now()
  const outcomes: Array<Outcome> = []
  for (const bench of selected) outcomes.push(await run(bench))

  console.log(`\n${"=".repeat(100)}\n## Summary (BENCH_SCALE=${scale()}, ${((performance.now() - start) / 1000).toFixed(0)} s in all)\n`)
  console.log("| benchmark | figure | value | target | result |")
  console.log("| --- | --- | --- | --- | --- |")
  for (const outcome of outcomes) {
    const status = outcome.code === 0 ? `${outcome.seconds.toFixed(0)} s` : `FAILED (exit ${outcome.code}) after ${outcome.seconds.toFixed(0)} s`
    if (outcome.figures.length === 0) console.log(`| ${outcome.bench.name} | (no figures read; see its output) | | | ${status} |`)
    for (const f of outcome.figures) {
      const result = f.pass === undefined ? "—" : f.pass ? "pass" : "miss"
      console.log(`| ${outcome.bench.name} | ${cell(f.name)} | ${cell(f.value)} | ${cell(f.target ?? "")} | ${result} |`)
    }
    if (outcome.code !== 0 && outcome.figures.length > 0) console.log(`| ${outcome.bench.name} | | | | ${status} |`)
  }
  const figures = outcomes.flatMap((o) => o.figures).filter((f) => f.pass !== undefined)
  console.log(
    `\n${figures.filter((f) => f.pass).length} of ${figures.length} targets met; ` +
      `${outcomes.filter((o) => o.code !== 0).length} benchmark(s) failed to run. Durations: ` +
      outcomes.map((o) => `${o.bench.name} ${o.seconds.toFixed(0)} s`).join(", ")
  )
  if (outcomes.some((o) => o.code !== 0)) process.exitCode = 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
