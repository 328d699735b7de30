/**
 * Cold start of the `vulnera` bin: `node dist/bin/vulnera.js --version` (the esbuild bundle
 * `npm run build` ships, rebuilt here first) against a bare `node -e 0`, in the same run, like
 * hyperfine: runs of each command interleaved (so a load spike hits both alike), median of N.
 * `--help` (served from the help texts rendered at build time, without @effect/cli) and
 * `node dist/bin/vulnera.js health` with the
 * in-memory store (`REDIS_URL=memory`, the cheapest command that builds a store) are printed next
 * to it, for scale.
 *
 *   npx tsx bench/coldstart.ts        # N = 30 (BENCH_SCALE scales it, at least 5)
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { bundleCli } from "../scripts/build-cli.js"
import { emitFigure, environmentLine, ratio, row, scaled } from "./utils/report.js"

const repo = join(import.meta.dirname, "..")
const bin = join(repo, "dist", "bin", "vulnera.js")
const runs = scaled(30, 5)

const commands = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "vulnera --version", args: [bin, "--version"] },
  { name: "vulnera --help", args: [bin, "--help"] },
  { name: "vulnera health (in memory)", args: [bin, "health"] }
] as const

/** Wall milliseconds of one run (spawn to exit); a failed run aborts the benchmark. */
const timeOnce = (args: ReadonlyArray<string>): number => {
  // REDIS_URL=memory: `health` on the in-memory store, never the user's default store in ~/.cache.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", REDIS_URL: "memory" }
  delete env.VULNERA__STORE__PATH
  delete env.NODE_OPTIONS
  const start = performance.now()
  const result = spawnSync(process.execPath, args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] })
  const millis = performance.now() - start
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr.toString("utf8")}`)
  return millis
}

const median = (samples: ReadonlyArray<number>): number => {
  const sorted = samples.slice().sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

await bundleCli(join(repo, "dist", "bin"))
console.log(`# Cold start of the bundled CLI (${runs} interleaved runs each, median)\n`)
console.log(environmentLine())
for (const command of commands) timeOnce(command.args) // warm the file cache
const samples = commands.map(() => [] as Array<number>)
for (let i = 0; i < runs; i++) commands.forEach((command, c) => samples[c]!.push(timeOnce(command.args)))

const baseline = median(samples[0]!)
console.log("")
row("command", "median ms", "min ms", "vs node -e 0")
row("---", "---", "---", "---")
commands.forEach((command, c) =>
  row(command.name, median(samples[c]!).toFixed(1), Math.min(...samples[c]!).toFixed(1), ratio(median(samples[c]!) / baseline))
)

const version = median(samples[1]!) / baseline
emitFigure({
  bench: "coldstart",
  name: "`vulnera --version` vs `node -e 0` (median, same run)",
  value: `${median(samples[1]!).toFixed(0)} vs ${baseline.toFixed(0)} ms = ${ratio(version)}`,
  target: "<= 2.00x",
  pass: version <= 2
})
emitFigure({
  bench: "coldstart",
  name: "`vulnera --help` vs `node -e 0` (pre-rendered help, no @effect/cli)",
  value: `${median(samples[2]!).toFixed(0)} ms = ${ratio(median(samples[2]!) / baseline)}`
})
emitFigure({
  bench: "coldstart",
  name: "`vulnera health` (in-memory store) vs `node -e 0`",
  value: `${median(samples[3]!).toFixed(0)} ms = ${ratio(median(samples[3]!) / baseline)}`
})
