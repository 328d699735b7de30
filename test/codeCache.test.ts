/**
 * The bundled CLI's V8 code cache (`src/cli/bundleLoader.ts`), with real processes: the CLI
 * bundled as `npm run build` bundles it (test/utils/cli.ts), each run in a new Node process with
 * its own `XDG_CACHE_HOME`. What the loader did is read from its `NODE_DEBUG=vulnera-code-cache`
 * lines (which file had a cache V8 accepted or rejected, which cache files were written); the
 * cache files themselves are checked on disk. Every run's report is compared with a run without
 * any cache: a cache must change nothing but the time.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { useCli, type Run } from "./utils/cli.js"
import { snapshotDir } from "./utils/snapshot.js"

const { cli, json } = useCli({ beforeAll, afterAll })
const homes: Array<string> = []
afterAll(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })))

/** A fresh `XDG_CACHE_HOME`. */
const freshHome = (): string => {
  const home = mkdtempSync(join(tmpdir(), "vulnera-code-cache-test-"))
  homes.push(home)
  return home
}

const scanArgs = ["scan", join(snapshotDir, "package-lock.json"), "--demo", "--json"]

/** `vulnera scan` of the demo lockfile with the loader's debug lines on stderr. */
const scan = (home: string, env: Record<string, string> = {}) =>
  cli(scanArgs, { XDG_CACHE_HOME: home, NODE_DEBUG: "vulnera-code-cache", ...env })

/** The report without its timestamps (the scan's, the demo store's sync times): what must not depend on the cache. */
const report = (run: Run): unknown => {
  expect(run.code, run.stderr).toBe(1) // the demo lockfile has findings: the gate fails
  return JSON.parse(JSON.stringify(json(run), (key, value) => (key === "scannedAt" || key === "lastSync" ? undefined : value)))
}

/** What the loader said about each bundle file: `no cache`, `cache accepted (N bytes)` or `cache rejected`. */
const verdicts = (run: Run): Map<string, string> =>
  new Map(Array.from(run.stderr.matchAll(/VULNERA-CODE-CACHE \d+: (vulnera-[\w-]+\.cjs): (.+)$/gm), (m) => [m[1]!, m[2]!]))

const written = (run: Run): Array<string> => Array.from(run.stderr.matchAll(/VULNERA-CODE-CACHE \d+: wrote (\S+)$/gm), (m) => m[1]!)

const cacheFiles = (home: string): Array<string> => readdirSync(join(home, "vulnera-code-cache")).sort()

describe("the CLI's V8 code cache", { timeout: 120_000 }, () => {
  it.effect("the first run writes a cache for each file it loaded, the next uses them all; the report is the same with, without and with the cache off", () =>
    Effect.gen(function*() {
      const home = freshHome()
      const offHome = freshHome()
      const baseline = yield* scan(offHome, { VULNERA__CLI__CODE_CACHE: "off" })
      expect(verdicts(baseline).size).toBeGreaterThan(1)
      expect(Array.from(verdicts(baseline).values()).every((v) => v === "code cache off")).toBe(true)
      expect(readdirSync(offHome)).toEqual([])
      const expected = report(baseline)

      const first = yield* scan(home)
      const loaded = verdicts(first)
      expect(loaded.size).toBeGreaterThan(1) // the main file and the chunks the scan needs
      expect(Array.from(loaded.values()).every((v) => v === "no cache")).toBe(true)
      expect(written(first).length).toBe(loaded.size)
      // In its own directory next to the default store (`$XDG_CACHE_HOME/vulnera`), never inside it.
      expect(readdirSync(home)).toEqual(["vulnera-code-cache"])
      expect(cacheFiles(home).length).toBe(loaded.size)
      expect(report(first)).toEqual(expected)

      const second = yield* scan(home)
      expect(Array.from(verdicts(second).keys()).sort()).toEqual(Array.from(loaded.keys()).sort())
      expect(Array.from(verdicts(second).values()).every((v) => v.startsWith("cache accepted"))).toBe(true)
      expect(written(second)).toEqual([])
      expect(report(second)).toEqual(expected)
    }))

  it.effect("a corrupt, bit-flipped or foreign cache file is rejected and replaced; the run is unaffected", () =>
    Effect.gen(function*() {
      const home = freshHome()
      const expected = report(yield* scan(home))
      const dir = join(home, "vulnera-code-cache")
      const files = cacheFiles(home)
      const main = files.find((f) => f.startsWith("vulnera-main-"))!
      // The largest other file: one byte of its payload flipped, its headers intact (V8 checks no
      // payload checksum in release builds; the loader's CRC-32 must catch it).
      const flipped = files.filter((f) => f !== main).sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]!
      const other = files.find((f) => f !== main && f !== flipped)!
      const bytes = readFileSync(join(dir, flipped))
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff
      writeFileSync(join(dir, flipped), bytes)
      writeFileSync(join(dir, other), readFileSync(join(dir, main))) // another file's cache: a foreign one
      writeFileSync(join(dir, main), "not a V8 code cache")
      const nameOf = (file: string) => file.slice(0, file.indexOf(".cjs") + 4)

      const run = yield* scan(home)
      for (const file of [main, flipped, other]) expect(verdicts(run).get(nameOf(file)), file).toBe("cache rejected")
      expect(written(run).sort()).toEqual([main, flipped, other].map((f) => join(dir, f)).sort())
      expect(report(run)).toEqual(expected)

      const after = yield* scan(home)
      for (const file of [main, flipped, other]) expect(verdicts(after).get(nameOf(file)), file).toMatch(/^cache accepted/)
      expect(report(after)).toEqual(expected)
    }))

  it.effect("an unwritable cache directory: the run is the same, nothing is written", () =>
    Effect.gen(function*() {
      const expected = report(yield* scan(freshHome(), { VULNERA__CLI__CODE_CACHE: "off" }))
      const home = freshHome()
      // A file where the directory would be: no user (root included) can create the directory.
      writeFileSync(join(home, "vulnera-code-cache"), "")
      for (let i = 0; i < 2; i++) {
        const run = yield* scan(home)
        expect(Array.from(verdicts(run).values()).every((v) => v === "no cache")).toBe(true)
        expect(run.stderr).toMatch(/VULNERA-CODE-CACHE \d+: cannot create /)
        expect(report(run)).toEqual(expected)
      }
      expect(statSync(join(home, "vulnera-code-cache")).isFile()).toBe(true)
    }))

  it.effect("VULNERA__CLI__CODE_CACHE other than on/off is a configuration error naming it (exit 2), not a silent default", () =>
    Effect.gen(function*() {
      const home = freshHome()
      const typo = yield* scan(home, { VULNERA__CLI__CODE_CACHE: "of" })
      expect(typo.code).toBe(2)
      expect(typo.stdout).toBe("")
      expect(typo.stderr).toContain("vulnera: configuration: VULNERA__CLI__CODE_CACHE must be \"on\" or \"off\" (got \"of\")")
      expect(readdirSync(home)).toEqual([])
      // Accepted spellings: any case, blanks around, empty for on.
      for (const value of [" OFF ", "On", ""]) expect((yield* scan(freshHome(), { VULNERA__CLI__CODE_CACHE: value })).code).toBe(1)
    }))
})
