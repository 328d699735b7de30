/**
 * The published package works for a consumer and stays small: `npm pack` from a clean clone's files (its `prepack`
 * builds dist/, the library with tsc and the CLI bundle with esbuild), the tarball unpacked
 * into a fresh project (its dependencies linked from this checkout, so no network is needed), then a
 * consumer file is type-checked against the shipped `.d.ts` files and run with plain Node (ESM).
 * Then the tarball is installed for real (npm, from its cache or the registry) into an empty project
 * that already has `effect`: the added node_modules size is printed and held to 25 MB, and the
 * installed bin runs. The import graph of the core is checked with an esbuild metafile: importing
 * `vulnera-advisor` loads neither `@effect/platform-node`, `@effect/cli` nor the printer packages.
 */
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const run = (command: string, args: ReadonlyArray<string>, cwd: string) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

describe("npm pack", () => {
  it("produces a package a consumer can import, with types", () => {
    const work = mkdtempSync(join(tmpdir(), "vulnera-pack-"))
    try {
      // Pack from a staging copy laid out like a clean clone (no dist/): `prepack` must build it.
      const stage = join(work, "stage")
      mkdirSync(stage)
      const sources = ["src", "scripts", "examples", "README.md", "package.json", "tsconfig.json", "tsconfig.build.json"]
      run("cp", ["-r", ...sources.map((entry) => join(root, entry)), stage], root)
      symlinkSync(join(root, "node_modules"), join(stage, "node_modules"), "dir")
      const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], stage)) as Array<{
        filename: string
        files: Array<{ path: string }>
      }>
      const files = packed[0]!.files.map((f) => f.path)
      expect(files).toContain("dist/index.js")
      expect(files).toContain("dist/index.d.ts")
      expect(files).toContain("dist/VulnerabilityManager.d.ts")
      expect(files).toContain("dist/bin/vulnera.js")
      expect(files.some((f) => f.startsWith("test/") || f.startsWith("bench/"))).toBe(false)

      const consumer = join(work, "consumer")
      const modules = join(consumer, "node_modules")
      mkdirSync(join(modules, "vulnera-advisor"), { recursive: true })
      run("tar", ["-xzf", join(work, packed[0]!.filename), "-C", join(modules, "vulnera-advisor"), "--strip-components=1"], work)
      for (const entry of readdirSync(join(root, "node_modules"))) {
        if (entry === ".bin" || entry.startsWith(".")) continue
        symlinkSync(join(root, "node_modules", entry), join(modules, entry))
      }
      writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }))
      writeFileSync(
        join(consumer, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out", types: ["node"], skipLibCheck: true }
        })
      )
      writeFileSync(
        join(consumer, "main.ts"),
        `import { Effect, Layer, Option } from "effect"
import { Advisory, AdvisoryStore, MemoryStore, PackageKey, VulnerabilityManager } from "vulnera-advisor"
import * as Versions from "vulnera-advisor/Versions"

const advisory: Advisory.Advisory = { id: "GHSA-test-0001", affected: [{ package: { ecosystem: "PyPI", name: "Django" }, versions: ["3.2.0"] }] }
const program = Effect.gen(function*() {
  const store = yield* AdvisoryStore.AdvisoryStore
  yield* store.upsertBatch([advisory], "consumer")
  const found = yield* store.getByPackage("pip", "django")
  const one = yield* store.getAdvisory("GHSA-test-0001")
  return { found: found.map((a) => a.id), some: Option.isSome(one), cmp: Versions.compare("PyPI", "1.0a1", "1.0") }
})
const layerType: typeof VulnerabilityManager.layerFromEnv = VulnerabilityManager.layerFromEnv
void layerType
const result = await Effect.runPromise(program.pipe(Effect.provide(MemoryStore.layerDefault.pipe(Layer.orDie))))
console.log(JSON.stringify({ ...result, key: PackageKey.unsafeMake("PIP", "Django_Rest") }))
`
      )
      try {
        run(join(root, "node_modules", ".bin", "tsc"), ["-p", "."], consumer)
      } catch (error) {
        throw new Error(`consumer type check failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`)
      }
      // The bundled bin runs from the installed package (its native externals resolved from node_modules).
      const bin = join(modules, "vulnera-advisor", "dist", "bin", "vulnera.js")
      expect(run("node", [bin, "--version"], consumer).trim()).toBe((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version)
      expect(run("node", [bin, "--help"], consumer)).toMatch(/^usage: vulnera <command>/)
      const output = JSON.parse(run("node", [join(consumer, "out", "main.js")], consumer)) as Record<string, unknown>
      const tarball = join(work, packed[0]!.filename)
      measureInstall(work, tarball)
      expect(output).toEqual({
        found: ["GHSA-test-0001"],
        some: true,
        cmp: { _id: "Either", _tag: "Right", right: -1 },
        key: { ecosystem: "pypi", name: "django-rest" }
      })
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }, 600_000)

  it("the core's import graph leaves out the Node wiring, the CLI and the printer", async () => {
    const result = await build({
      entryPoints: [join(root, "src", "index.ts")],
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "node",
      external: ["@toondepauw/node-zstd", "lmdb", "ioredis"],
      logLevel: "silent"
    })
    const loaded = Object.keys(result.metafile.inputs)
    expect(loaded.some((path) => path.includes("node_modules/effect/"))).toBe(true)
    const forbidden = ["@effect/platform-node", "@effect/cli", "@effect/printer", "src/cli/", "src/node.ts"]
    expect(loaded.filter((path) => forbidden.some((name) => path.includes(name)))).toEqual([])
  }, 60_000)
})

/** Bytes under `dir` as `du` counts them (disk usage, what a user sees). */
const diskUsage = (dir: string): number => Number(run("du", ["-sk", dir], dir).split("\t")[0]) * 1024

/**
 * Installs `tarball` into an empty project that already has `preinstalled` (this checkout's
 * versions) and returns the bytes it adds to node_modules.
 */
const addedSize = (work: string, tarball: string, name: string, preinstalled: ReadonlyArray<string>): number => {
  const project = join(work, name)
  mkdirSync(project)
  writeFileSync(join(project, "package.json"), JSON.stringify({ name, type: "module", private: true }))
  const versionOf = (pkg: string) => (JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version
  const npm = (args: ReadonlyArray<string>) => run("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], project)
  npm(["install", ...preinstalled.map((pkg) => `${pkg}@${versionOf(pkg)}`)])
  const before = diskUsage(join(project, "node_modules"))
  npm(["install", tarball])
  return diskUsage(join(project, "node_modules")) - before
}

/**
 * Prints what installing `tarball` adds to a project that has `effect` (the required peer
 * `@effect/platform` comes with it) and to one that has `effect` and `@effect/platform` (an Effect
 * application); holds the latter to 25 MB, and runs the installed bin.
 */
const measureInstall = (work: string, tarball: string): void => {
  const withEffect = addedSize(work, tarball, "with-effect", ["effect"])
  const withPlatform = addedSize(work, tarball, "with-platform", ["effect", "@effect/platform"])
  console.log(
    `vulnera-advisor adds ${(withEffect / 1e6).toFixed(1)} MB to a project that has effect ` +
      `(@effect/platform included), ${(withPlatform / 1e6).toFixed(1)} MB to one that has effect and @effect/platform`
  )
  expect(withPlatform).toBeLessThanOrEqual(25e6)
  const project = join(work, "with-platform")
  const bin = join(project, "node_modules", ".bin", "vulnera")
  expect(run(bin, ["--help"], project)).toContain("usage: vulnera")
  expect(run(bin, ["query", "npm", "lodash", "--package-version", "4.17.20", "--demo"], project)).toContain("GHSA")
}
