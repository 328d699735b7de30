/**
 * Cold scan (issue 9): `vulnera scan` of 1,000 real Go/PyPI/crates.io dependencies, each run in a
 * NEW process (the bundled bin, `node dist/bin/vulnera.js scan bom.cdx.json --format json`),
 * against LMDB (`--store DIR`) and against Redis (`--redis URL`), next to the peer's cold run in
 * the same run: `@renovatebot/osv-offline-db` loading its whole database from disk and answering
 * the same 1,000 lookups (bench/utils/peerScan.mjs), and a bare `node -e 0` as the floor.
 * Target: vulnera ≤ 0.25× the peer's wall time, on both stores.
 *
 * One run:
 * 1. rebuilds the bin (scripts/build-cli.ts, what `npm run build` runs after tsc);
 * 2. writes the peer's nedb files from the corpus in `$VULNERA_DATA_DIR/osv` (bench/utils/peerDb.ts);
 * 3. picks 1,000 dependencies (a third per ecosystem, distinct packages in corpus order, the
 *    first Go packages after `stdlib`/`toolchain`), alternately at a version an advisory names as
 *    affected and at a version an advisory names as fixed, and writes them as a CycloneDX 1.6
 *    JSON SBOM (the scan's input) and as plain JSON (the peer's input);
 * 4. fills an LMDB directory and a Redis (own redis-server on a free port, or `REDIS_URL`) with
 *    the whole corpus through the library (`upsertBatch`, then the `osv.<ecosystem>` sync times
 *    of the three scanned ecosystems, so they are covered), under the key prefix the CLI then
 *    reads (`VULNERA__STORE__KEY_PREFIX`);
 * 5. runs the four commands interleaved, N rounds after one unmeasured round, each under
 *    `/usr/bin/time -v` for its peak RSS, and compares medians (`XDG_CACHE_HOME` is the scratch
 *    directory: the unmeasured round writes the CLI's V8 code cache there, so the measured runs
 *    are new processes with a warm code cache, as every run after a command's first);
 * 6. checks that vulnera and the peer agree on which dependencies are vulnerable, and prints
 *    every disagreement with what vulnera found.
 *
 *   npx tsx bench/coldscan.ts          # N = 7 (BENCH_SCALE scales it, at least 3)
 *   BENCH_KEEP_DIR=/tmp/cs npx tsx bench/coldscan.ts   # keep the inputs and the LMDB store there
 *   npm run bench -- --only coldscan
 */
import { Effect, Layer } from "effect"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { bundleCli } from "../scripts/build-cli.js"
import type { Advisory } from "../src/Advisory.js"
import * as Node from "../src/node.js"
import { VulnerabilityManager } from "../src/VulnerabilityManager.js"
import { corpusFiles, dataDir } from "./utils/osvZip.js"
import { writePeerDb } from "./utils/peerDb.js"
import { emitFigure, environmentLine, ratio, row, scaled } from "./utils/report.js"
import { benchRedis, dropPrefix } from "./utils/servers.js"

const repo = join(import.meta.dirname, "..")
const bin = join(repo, "dist", "bin", "vulnera.js")
const peerScript = join(import.meta.dirname, "utils", "peerScan.mjs")
const rounds = scaled(7, 3)
const dependencyCount = 1_000
const scannedEcosystems = [["go.jsonl.gz", "Go"], ["pypi.jsonl.gz", "PyPI"], ["crates.io.jsonl.gz", "crates.io"]] as const
const keyPrefix = "vulnera-bench-coldscan"
const timeBinary = "/usr/bin/time"

/** One dependency of the scan. */
interface Dependency {
  readonly ecosystem: string
  readonly name: string
  readonly version: string
}

type OsvRecord = Advisory & {
  readonly affected?: ReadonlyArray<{
    readonly package?: { readonly ecosystem: string; readonly name: string }
    readonly versions?: ReadonlyArray<string>
    readonly ranges?: ReadonlyArray<{ readonly type: string; readonly events: ReadonlyArray<Record<string, string>> }>
  }>
}

const readRecords = (file: string): Array<OsvRecord> =>
  gunzipSync(readFileSync(file)).toString("utf8").split("\n").filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as OsvRecord)

/**
 * 1,000 distinct packages, a third per scanned ecosystem in corpus order; even picks at a version
 * some advisory names as affected (its `versions` list, else an `introduced`/`last_affected`
 * event), odd picks at a version some advisory names as fixed: a mix of vulnerable and not, the
 * verdict left to the scanners.
 */
const pickDependencies = (): Array<Dependency> => {
  const per = Math.ceil(dependencyCount / scannedEcosystems.length)
  const picked: Array<Dependency> = []
  for (const [file, ecosystem] of scannedEcosystems) {
    const candidates = new Map<string, { affected?: string; fixed?: string }>()
    for (const record of readRecords(join(dataDir(), "osv", file))) {
      for (const affected of record.affected ?? []) {
        const name = affected.package?.ecosystem === ecosystem ? affected.package.name : undefined
        if (name === undefined || (ecosystem === "Go" && (name === "stdlib" || name === "toolchain"))) continue
        const entry = candidates.get(name) ?? {}
        candidates.set(name, entry)
        const events = (affected.ranges ?? []).filter((r) => r.type !== "GIT").flatMap((r) => r.events)
        entry.affected ??= affected.versions?.[0] ??
          events.find((e) => e.introduced !== undefined && e.introduced !== "0")?.introduced ??
          events.find((e) => e.last_affected !== undefined)?.last_affected
        entry.fixed ??= events.find((e) => e.fixed !== undefined)?.fixed
      }
    }
    let taken = 0
    for (const [name, { affected, fixed }] of candidates) {
      if (taken === per) break
      const version = (taken % 2 === 0 ? affected ?? fixed : fixed ?? affected)
      if (version === undefined) continue
      picked.push({ ecosystem, name, version: ecosystem === "Go" && !version.startsWith("v") ? `v${version}` : version })
      taken++
    }
  }
  return picked.slice(0, dependencyCount)
}

const purlTypes: Record<string, string> = { Go: "golang", PyPI: "pypi", "crates.io": "cargo" }

/** The dependencies as a CycloneDX 1.6 JSON SBOM (what `vulnera scan` reads; one component per PURL). */
const cycloneDx = (dependencies: ReadonlyArray<Dependency>): string =>
  JSON.stringify({
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    version: 1,
    components: dependencies.map((d) => ({
      type: "library",
      name: d.name,
      version: d.version,
      purl: `pkg:${purlTypes[d.ecosystem]}/${d.name.split("/").map(encodeURIComponent).join("/")}@${encodeURIComponent(d.version)}`
    }))
  }, null, 2)

/** The whole corpus into the store the CLI then reads (same key prefix), through the library. */
const fillStore = (override: { readonly redisUrl: string } | { readonly storePath: string }, records: ReadonlyArray<Advisory>) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager
    const start = performance.now()
    const result = yield* manager.store.upsertBatch(records, "osv")
    for (const [, ecosystem] of scannedEcosystems) yield* manager.store.updateSyncTimestamp(`osv.${ecosystem}`, new Date())
    return { ...result, seconds: (performance.now() - start) / 1000 }
  }).pipe(Effect.provide(Layer.fresh(Node.layerFromEnv({ ...override, store: { keyPrefix } }))))

/** One measured command. */
interface Command {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly env?: Record<string, string>
  /** Exit 1 is an answer too (`vulnera scan`: the gate failed). */
  readonly gateExit?: boolean
}

/**
 * One run: wall milliseconds (spawn to exit), CPU seconds (user + system) and peak RSS (kB), both
 * from `/usr/bin/time -v`, and stdout. On a loaded machine the CPU time is the steadier figure.
 */
interface Sample {
  readonly millis: number
  readonly cpuSeconds: number
  readonly rssKb: number
  readonly stdout: string
}

const runOnce = (command: Command, scratch: string): Sample => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: scratch, ...command.env }
  delete env.REDIS_URL
  delete env.VULNERA__STORE__PATH
  delete env.NODE_OPTIONS
  const start = performance.now()
  const result = spawnSync(timeBinary, ["-v", process.execPath, ...command.args], {
    cwd: repo,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 30
  })
  const millis = performance.now() - start
  const stderr = result.stderr.toString("utf8")
  // `vulnera scan` exits 1 when the gate fails (findings): a normal outcome here.
  if (result.status !== 0 && !(result.status === 1 && command.gateExit === true)) {
    throw new Error(`${command.name} exited ${result.status ?? result.signal}: ${stderr.slice(0, 2000)}`)
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr)
  if (rss === null || user === null || system === null) {
    throw new Error(`${timeBinary} -v printed no peak RSS or CPU time for ${command.name}: ${stderr.slice(-500)}`)
  }
  return {
    millis,
    cpuSeconds: Number(user[1]) + Number(system[1]),
    rssKb: Number(rss[1]),
    stdout: result.stdout.toString("utf8")
  }
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = values.slice().sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** `vulnera scan --format json` output, reduced to what the comparison needs. */
interface ScanJson {
  readonly results: ReadonlyArray<{
    readonly ecosystem: string
    readonly name: string
    readonly version: string
    readonly status: string
    readonly findings: ReadonlyArray<{ readonly id: string }>
    readonly undetermined: { readonly count: number; readonly advisories: ReadonlyArray<{ readonly id: string; readonly issues?: unknown }> }
  }>
}

/** Agreement between vulnera's statuses and the peer's vulnerable set, printed with every disagreement. */
const compare = (label: string, dependencies: ReadonlyArray<Dependency>, scan: ScanJson, peerVulnerable: ReadonlySet<number>) => {
  const key = (e: string, n: string, v: string) => `${e}|${n.toLowerCase()}|${v}`
  const byKey = new Map(scan.results.map((r) => [key(r.ecosystem, r.name, r.version), r]))
  const statuses = new Map<string, number>()
  const disagreements: Array<string> = []
  dependencies.forEach((d, i) => {
    const result = byKey.get(key(d.ecosystem, d.name, d.version))
    const status = result?.status ?? "missing from the report"
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    const ours = status === "vulnerable"
    if (ours === peerVulnerable.has(i)) return
    const detail = ours
      ? `vulnera: ${result!.findings.map((f) => f.id).join(", ")}; peer: not vulnerable`
      : `vulnera: ${status}${result !== undefined && result.undetermined.count > 0 ? ` (undetermined: ${JSON.stringify(result.undetermined.advisories).slice(0, 300)})` : ""}; peer: vulnerable`
    disagreements.push(`${d.ecosystem} ${d.name}@${d.version}: ${detail}`)
  })
  console.log(`\n${label}: vulnera statuses ${Array.from(statuses).map(([s, n]) => `${s} ${n}`).join(", ")}; ` +
    `peer vulnerable ${peerVulnerable.size}; disagreements ${disagreements.length}`)
  for (const line of disagreements) console.log(`  - ${line}`)
  return disagreements.length
}

const program = Effect.gen(function*() {
  if (!existsSync(timeBinary)) return yield* Effect.dieMessage(`${timeBinary} is needed for peak RSS (Debian package \`time\`)`)
  yield* Effect.promise(() => bundleCli(join(repo, "dist", "bin")))
  if (!existsSync(bin)) return yield* Effect.dieMessage(`${bin} was not built; run \`npm run build\``)
  console.log(`# Cold scan of ${dependencyCount.toLocaleString("en")} dependencies in a new process (${rounds} interleaved rounds, median)\n`)
  console.log(environmentLine())

  // BENCH_KEEP_DIR=<dir>: work there and keep the SBOM, the peer's files and the LMDB store (for profiling).
  const kept = process.env.BENCH_KEEP_DIR
  const scratch = kept !== undefined && kept !== "" ? kept : mkdtempSync(join(tmpdir(), "vulnera-bench-coldscan-"))
  if (scratch !== kept) yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(scratch, { recursive: true, force: true })))
  else rmSync(join(scratch, "lmdb"), { recursive: true, force: true })
  const records = corpusFiles().flatMap(readRecords)
  const peerDb = writePeerDb(join(scratch, "osv-offline"), records)
  const dependencies = pickDependencies()
  const sbom = join(scratch, "bom.cdx.json")
  const peerInput = join(scratch, "dependencies.json")
  writeFileSync(sbom, cycloneDx(dependencies))
  writeFileSync(peerInput, JSON.stringify(dependencies))
  const perEcosystem = scannedEcosystems.map(([, e]) => `${e} ${dependencies.filter((d) => d.ecosystem === e).length}`).join(", ")
  console.log(`corpus: ${records.length} records; peer database: ${Object.entries(peerDb.documents).filter(([, n]) => n > 0).map(([e, n]) => `${e} ${n}`).join(", ")} documents ` +
    `(${peerDb.foreignPurls} published purls differ from the peer's); dependencies: ${perEcosystem}`)

  const storeDir = join(scratch, "lmdb")
  const lmdbFill = yield* fillStore({ storePath: storeDir }, records)
  const redis = yield* benchRedis
  yield* Effect.addFinalizer(() => Effect.promise(() => dropPrefix(redis.client, keyPrefix)))
  const redisFill = yield* fillStore({ redisUrl: redis.url }, records)
  console.log(`stores filled: LMDB ${lmdbFill.seconds.toFixed(1)} s, Redis ${redis.version} (${redis.mode}) ${redisFill.seconds.toFixed(1)} s\n`)

  const scan = ["scan", sbom, "--format", "json"]
  const storeEnv = { VULNERA__STORE__KEY_PREFIX: keyPrefix }
  const commands: ReadonlyArray<Command> = [
    { name: "node -e 0", args: ["-e", "0"] },
    { name: "peer: osv-offline-db load + 1,000 lookups", args: [peerScript, peerInput], env: { OSV_OFFLINE_ROOT_DIR: peerDb.dir } },
    { name: "vulnera scan --store DIR (LMDB)", args: [bin, ...scan, "--store", storeDir], env: storeEnv, gateExit: true },
    { name: "vulnera scan --redis URL (Redis)", args: [bin, ...scan, "--redis", redis.url], env: storeEnv, gateExit: true }
  ]
  const first = commands.map((command) => runOnce(command, scratch)) // unmeasured: file cache, and the outputs compared below
  const samples = commands.map(() => [] as Array<Sample>)
  for (let i = 0; i < rounds; i++) commands.forEach((command, c) => samples[c]!.push(runOnce(command, scratch)))

  const millis = samples.map((s) => median(s.map((x) => x.millis)))
  const rss = samples.map((s) => median(s.map((x) => x.rssKb)) / 1024)
  const cpu = samples.map((s) => median(s.map((x) => x.cpuSeconds)))
  const [floor, peer] = [millis[0]!, millis[1]!]
  row("command", "median ms", "min ms", "CPU s (user+sys)", "peak RSS MB", "vs node -e 0", "vs peer", "vs peer, floor subtracted", "CPU vs peer")
  row("---", "---", "---", "---", "---", "---", "---", "---", "---")
  commands.forEach((command, c) =>
    row(
      command.name,
      millis[c]!.toFixed(0),
      Math.min(...samples[c]!.map((x) => x.millis)).toFixed(0),
      cpu[c]!.toFixed(2),
      rss[c]!.toFixed(0),
      ratio(millis[c]! / floor),
      ratio(millis[c]! / peer),
      ratio((millis[c]! - floor) / (peer - floor)),
      ratio(cpu[c]! / cpu[1]!)
    )
  )

  const peerAnswer = JSON.parse(first[1]!.stdout) as { readonly vulnerable: ReadonlyArray<number>; readonly advisories: number }
  const peerVulnerable = new Set(peerAnswer.vulnerable)
  console.log(`\npeer: ${peerVulnerable.size} of ${dependencies.length} vulnerable (${peerAnswer.advisories} advisories returned by its lookups)`)
  const disagreeLmdb = compare("LMDB", dependencies, JSON.parse(first[2]!.stdout) as ScanJson, peerVulnerable)
  const disagreeRedis = compare("Redis", dependencies, JSON.parse(first[3]!.stdout) as ScanJson, peerVulnerable)

  for (const [c, store] of [[2, "LMDB"], [3, "Redis"]] as const) {
    emitFigure({
      bench: "coldscan",
      name: `cold \`vulnera scan\` of 1,000 deps (${store}) vs the peer's cold run (osv-offline-db)`,
      value: `${millis[c]!.toFixed(0)} vs ${peer.toFixed(0)} ms = ${ratio(millis[c]! / peer)} (CPU ${ratio(cpu[c]! / cpu[1]!)}); ` +
        `RSS ${rss[c]!.toFixed(0)} vs ${rss[1]!.toFixed(0)} MB`,
      target: "<= 0.25x",
      pass: millis[c]! <= 0.25 * peer
    })
  }
  emitFigure({ bench: "coldscan", name: "`node -e 0` (floor of any new process)", value: `${floor.toFixed(0)} ms, ${rss[0]!.toFixed(0)} MB` })
  emitFigure({
    bench: "coldscan",
    name: "vulnerable verdicts: disagreements with the peer (LMDB / Redis; see the output for each)",
    value: `${disagreeLmdb} / ${disagreeRedis} of ${dependencies.length}`
  })
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
