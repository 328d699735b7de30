#!/usr/bin/env node
/**
 * The `vulnera` bin entry, bundled by `npm run build` into `dist/bin/vulnera.js`. It answers
 * `vulnera --version` itself and loads the command line (`./main.ts`: @effect/cli, the store
 * drivers, the sources) only for anything else, so the version check costs about one bare Node
 * start instead of loading a few megabytes of JavaScript it does not use.
 *
 * `vulnera sync` runs in a child Node process with V8's old space capped (`syncHeapMegabytes`)
 * unless the user set `--max-old-space-size` (in `NODE_OPTIONS` or on the node command line):
 * with Node's default limit V8 lets the heap of a full sync grow to 430+ MB on a large machine
 * although it retains under 70 MB (bench/sync.ts); capped, a full sync peaks under 300 MB of RSS
 * and the EPSS + KEV sync under 250 MB, at 10–25% more CPU. The re-exec costs one Node start
 * (about 0.1 s), negligible next to a sync, and no other command pays it.
 *
 * `--help` at the width of a pipe or file (80 columns) is served from the texts
 * `scripts/build-cli.ts` rendered at build time with the same code (`vulnera-help.json` next to
 * the bundle): no @effect/cli to load. A terminal of another width, or a run from source, goes
 * through `main.ts`, which renders them for that width.
 *
 * Bundled, the command line is CommonJS files (`vulnera-main-*.cjs` and the chunks it requires),
 * loaded through `./bundleLoader.ts` with a V8 code cache kept in the user's cache directory;
 * from source, `main.ts` is imported.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { codeCacheSettingProblem, loadBundle } from "./bundleLoader.js"
import { helpTopic, helpWidth, prerenderedFile, prerenderedWidth } from "./helpRequest.js"
import { version } from "./version.js"

/** The main bundle file's name (`define`d by `scripts/build-cli.ts`); not defined in a run from source. */
declare const __vulneraMainChunk: string | undefined
const mainChunk = typeof __vulneraMainChunk === "string" ? __vulneraMainChunk : undefined

/** V8 old space for `vulnera sync`, MB (what bench/sync.ts and bench/enrichment.ts measure as "capped"). */
const syncHeapMegabytes = 128
const heapFlag = "--max-old-space-size"

const args = process.argv.slice(2)
const heapChosen = process.execArgv.some((flag) => flag.startsWith(heapFlag)) ||
  (process.env.NODE_OPTIONS ?? "").includes(heapFlag)

/** The pre-rendered help argv asks for, when there is one for this width. */
const prerenderedHelp = (): string | undefined => {
  if (!args.includes("--help") && !args.includes("-h")) return undefined
  if (helpWidth(process.stdout) !== prerenderedWidth) return undefined
  let texts: Record<string, string>
  try {
    texts = JSON.parse(readFileSync(new URL(`./${prerenderedFile}`, import.meta.url), "utf8")) as Record<string, string>
  } catch {
    return undefined // not bundled (a run from source): main.ts renders it
  }
  const topic = helpTopic(args, Object.keys(texts).filter((topic) => topic !== ""))
  return topic === undefined ? undefined : texts[topic]
}

const help = prerenderedHelp()

if (args.length === 1 && args[0] === "--version") {
  process.stdout.write(`${version}\n`)
} else if (help !== undefined) {
  process.stdout.write(`${help.trimEnd()}\n`)
} else if (args[0] === "sync" && !heapChosen && process.argv[1] !== undefined) {
  // Imported here: child_process (with net, streams, dgram) is no cost the other commands should pay.
  const { spawn } = await import("node:child_process")
  const child = spawn(process.execPath, [...process.execArgv, `${heapFlag}=${syncHeapMegabytes}`, process.argv[1], ...args], {
    stdio: "inherit"
  })
  // Both signals are passed on: a SIGINT sent to this process alone (kill -INT, a supervisor) must
  // stop the sync too. A terminal's Ctrl-C reaches the child twice; it stops on the first.
  process.on("SIGINT", () => child.kill("SIGINT"))
  process.on("SIGTERM", () => child.kill("SIGTERM"))
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128 + (signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15))
  })
  child.on("error", (error) => {
    process.stderr.write(`vulnera: cannot start the sync process: ${error.message}\n`)
    process.exitCode = 1
  })
} else if (mainChunk !== undefined) {
  const problem = codeCacheSettingProblem()
  if (problem === undefined) loadBundle(fileURLToPath(new URL(".", import.meta.url)), mainChunk)
  else {
    // What the CLI does with any bad configuration value: say which, exit 2 (failure.ts).
    process.stderr.write(`vulnera: configuration: ${problem}\n`)
    process.exitCode = 2
  }
} else {
  await import("./main.js")
}
