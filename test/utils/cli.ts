/**
 * The `vulnera` CLI as a subprocess for tests: bundled once per test file into a temporary
 * directory exactly as `npm run build` bundles the shipped bin (esbuild, `scripts/build-cli.ts`;
 * under tsx every run would pay ~2 s of loader time), run with node,
 * its exit code and output collected. `start` keeps the child for signal tests.
 */
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { bundleCli } from "../../scripts/build-cli.js"
import type { SuiteHooks } from "./redis.js"

/** What a finished run left. */
export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A running CLI: its process, output so far, and its end. */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams
  readonly stderr: () => string
  /** Resolves when stderr contains `text` (fails after 60 s). */
  readonly waitForStderr: (text: string) => Effect.Effect<void, Error>
  readonly done: Effect.Effect<Run>
}

const repo = fileURLToPath(new URL("../..", import.meta.url))

/**
 * A cache directory of the test file's own (`XDG_CACHE_HOME`), so the default store (LMDB in
 * `$XDG_CACHE_HOME/vulnera`) is never the user's; set by `useCli`'s `beforeAll`.
 */
let cacheHome = ""

/**
 * The environment every run starts from: no REDIS_URL or VULNERA__STORE__PATH (the default
 * store, in the test file's own cache directory), no colors.
 */
const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    VULNERA__STORE__KEY_PREFIX: `cli-${process.pid}`,
    XDG_CACHE_HOME: cacheHome
  }
  delete env.REDIS_URL
  delete env.VULNERA__STORE__PATH
  return env
}

const startProcess = (command: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): RunningCli => {
  const child = spawn(command, args, { cwd: repo, env, stdio: ["pipe", "pipe", "pipe"] })
  child.stdin.end()
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
  const closed = new Promise<Run>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  const waitForStderr = (text: string) =>
    Effect.tryPromise({
      try: async () => {
        const deadline = Date.now() + 60_000
        while (!stderr.includes(text)) {
          if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before printing ${text}:\n${stderr}`)
          if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} on stderr within 60 s:\n${stderr}`)
          await new Promise((r) => setTimeout(r, 25))
        }
      },
      catch: (error) => error as Error
    })
  return { child, stderr: () => stderr, waitForStderr, done: Effect.promise(() => closed) }
}

/** Runs a command to its end (killed if the calling fiber is interrupted). */
const spawnRun = (command: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Effect.Effect<Run> =>
  Effect.suspend(() => {
    const running = startProcess(command, args, env)
    return Effect.onInterrupt(running.done, () => Effect.sync(() => running.child.kill()))
  })

/** The JSON on a run's stdout (a readable failure when it is not JSON). */
const json = <A = any>(run: Run): A => {
  try {
    return JSON.parse(run.stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n--- stderr:\n${run.stderr}`)
  }
}

/** Never a stack trace, whatever happened. */
const noStackTrace = (run: Run) => {
  expect(run.stderr).not.toMatch(/^\s+at\s/m)
  expect(run.stdout).not.toMatch(/^\s+at\s/m)
}

/** Bundles the CLI before the file's tests (`beforeAll`) and removes it afterwards. */
export const useCli = ({ afterAll, beforeAll }: SuiteHooks) => {
  let buildDir = ""
  let cliPath = ""
  beforeAll(async () => {
    buildDir = mkdtempSync(join(tmpdir(), "vulnera-cli-test-"))
    cacheHome = join(buildDir, "cache")
    // dist/bin/vulnera.js finds ../../examples/data and node_modules as it does in the repository.
    symlinkSync(join(repo, "node_modules"), join(buildDir, "node_modules"), "dir")
    symlinkSync(join(repo, "examples"), join(buildDir, "examples"), "dir")
    writeFileSync(join(buildDir, "package.json"), JSON.stringify({ type: "module" }))
    await bundleCli(join(buildDir, "dist", "bin"))
    cliPath = join(buildDir, "dist", "bin", "vulnera.js")
  }, 120_000)
  afterAll(async () => {
    if (buildDir !== "") rmSync(buildDir, { recursive: true, force: true })
  })
  return {
    repo,
    /** The runs' `XDG_CACHE_HOME` (the default store is `<it>/vulnera`). */
    cacheHome: () => cacheHome,
    baseEnv,
    spawnRun,
    json,
    noStackTrace,
    /** `vulnera <args>` (the bundled CLI), to its end. */
    cli: (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
      spawnRun(process.execPath, [cliPath, ...args], { ...baseEnv(), ...env }),
    /** `vulnera <args>`, still running. */
    start: (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
      startProcess(process.execPath, [cliPath, ...args], { ...baseEnv(), ...env })
  }
}
