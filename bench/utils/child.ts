/**
 * Running one measured part of a benchmark in a fresh Node process, so its peak RSS
 * (`getrusage` maxRSS of that process) is its own: the benchmark's preparation (building archives,
 * baselines, servers) and the other benchmarks do not pollute it.
 *
 * The child loads the libraries with plain Node first and only then registers the tsx loader for
 * the benchmark file and src/, the way a user's compiled program loads them: loading the libraries
 * through the tsx loader would add ~40 MB of RSS that a real program does not pay (measured: effect +
 * @effect/platform-node + ioredis take 183 MB this way with src/ loaded, 224 MB when everything goes
 * through tsx).
 *
 * `BENCH_CHILD_NODE_ARGS` (space-separated) adds Node flags to every child, for experiments
 * (`--max-old-space-size=128`, `--trace-gc`). `BENCH_CPU_PROF=<dir>` profiles every child
 * (`node --cpu-prof`, one directory per child under `<dir>`) and prints where its time went.
 *
 * Protocol: the parent passes the input as JSON in `VULNERA_BENCH_CHILD`; the child prints one line
 * `##bench-child <json>` with its result; everything else it prints is passed through.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync } from "node:fs"
import { basename, join, resolve as resolvePath } from "node:path"
import { pathToFileURL } from "node:url"
import { printProfile, summarizeProfile } from "./profile.js"

const inputVariable = "VULNERA_BENCH_CHILD"
const replyMarker = "##bench-child "

/** Libraries loaded before the tsx loader is registered. */
const preloaded = ["effect", "@effect/platform", "@effect/platform-node", "ioredis", "yauzl", "@toondepauw/node-zstd"]

/** The input when this process is a benchmark child, else `undefined`. */
export const childInput = <A>(): A | undefined => {
  const raw = process.env[inputVariable]
  return raw === undefined ? undefined : (JSON.parse(raw) as A)
}

/** Sends the child's result to the parent and exits. */
export const replyToParent = (result: unknown): never => {
  process.stdout.write(`\n${replyMarker}${JSON.stringify(result)}\n`, () => process.exit(0))
  // Keeps the process alive until the write is flushed (the callback exits).
  return undefined as never
}

/** Options of `runChild`. */
export interface ChildOptions {
  /** Extra Node flags (e.g. `--cpu-prof`, `--cpu-prof-dir=...`). */
  readonly nodeArgs?: ReadonlyArray<string>
}

/**
 * Runs `moduleFile` (a benchmark file that checks `childInput()`) in a fresh Node process with
 * `input`, and resolves with the result it replied.
 */
export const runChild = <A>(moduleFile: string, input: unknown, options: ChildOptions = {}): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const entry = [
      ...preloaded.map((name) => `await import(${JSON.stringify(name)})`),
      `const { register } = await import("tsx/esm/api")`,
      `register()`,
      // tsx turns on Node's source-map support, which makes every captured stack trace (Effect
      // captures one per span) map positions and keeps the maps: a compiled program does not pay it.
      `process.setSourceMapsEnabled(false)`,
      `await import(${JSON.stringify(pathToFileURL(moduleFile).href)})`
    ].join("\n")
    const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "")
    const profileRoot = process.env.BENCH_CPU_PROF
    const profileDir = profileRoot === undefined || profileRoot === ""
      ? undefined
      : mkdtempSync(join(resolvePath(profileRoot), `${basename(moduleFile, ".ts")}-`))
    const profiling = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]
    const proc = spawn(process.execPath, [...extra, ...profiling, ...(options.nodeArgs ?? []), "--input-type=module", "-e", entry], {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...process.env, [inputVariable]: JSON.stringify(input) },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let pending = ""
    let reply: string | undefined
    proc.stdout.on("data", (data: Buffer) => {
      pending += data.toString("utf8")
      let newline = pending.indexOf("\n")
      while (newline !== -1) {
        const line = pending.slice(0, newline)
        pending = pending.slice(newline + 1)
        if (line.startsWith(replyMarker)) reply = line.slice(replyMarker.length)
        else if (line !== "") console.log(`  [child] ${line}`)
        newline = pending.indexOf("\n")
      }
    })
    proc.on("error", reject)
    proc.on("close", (code, signal) => {
      if (pending.startsWith(replyMarker)) reply = pending.slice(replyMarker.length)
      const profile = profileDir === undefined ? undefined : readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"))
      if (profile !== undefined) printProfile(summarizeProfile(join(profileDir!, profile)))
      if (code === 0 && reply !== undefined) resolve(JSON.parse(reply) as A)
      else reject(new Error(`benchmark child ${moduleFile} exited with ${signal ?? code}${reply === undefined ? " without a result" : ""}`))
    })
  })
