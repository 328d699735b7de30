#!/usr/bin/env node
/**
 * The `vulnera` bin entry, bundled by `npm run build` into `dist/bin/vulnera.js`. It answers
 * `vulnera --version` itself and loads the command line (`./main.ts`: @effect/cli, the store
 * drivers, the sources) only for anything else, so the version check costs about one bare Node
 * start instead of loading a few megabytes of JavaScript it does not use.
 */
import { version } from "./version.js"

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") {
  process.stdout.write(`${version}\n`)
} else {
  await import("./main.js")
}
