/**
 * The published package works for a consumer and stays small: `npm pack` from a clean clone's files (its `prepack`
 * builds dist/, the library with tsc and the CLI bundle with esbuild), the tarball unpacked
 * into a fresh project (its dependencies linked from this checkout, so no network is needed), then a
 * consumer file is type-checked against the shipped `.d.ts` files and run with plain Node (ESM).
 * Then the tarball is installed for real (npm, from its cache or the registry) into an empty project
 * that has only `effect` and into one that also has `@effect/platform`: the added node_modules size
 * (and its largest packages) is printed and held to 25 MB, the core answers from a store without
 * `@effect/platform`, and the installed bin runs. The import graph of the core is checked with an
 * esbuild metafile: importing `vulnera-advisor` loads neither `@effect/platform-node`, `@effect/cli`
 * nor the printer packages, and reaches `@effect/platform` only through a dynamic `import()`.
 */
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"

const root = resolve(import.meta.dirname, "..")
const execFileAsync = promisify(execFile)
// Asynchronous, so the test worker stays responsive to vitest during minutes of npm and tar.
const run = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<string> =>
  (await execFileAsync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })).stdout

describe("npm pack", () => {
  it("produces a package a consumer can import, with types", async () => {
    const work = mkdtempSync(join(tmpdir(), "vulnera-pack-"))
    try {
      // Pack from a staging copy laid out like a clean clone (no dist/): `prepack` must build it.
      const stage = join(work, "stage")
      mkdirSync(stage)
      const sources = ["src", "scripts", "examples", "README.md", "package.json", "tsconfig.json", "tsconfig.build.json"]
      await run("cp", ["-r", ...sources.map((entry) => join(root, entry)), stage], root)
      symlinkSync(join(root, "node_modules"), join(stage, "node_modules"), "dir")
      const packed = JSON.parse(await run("npm", ["pack", "--json", "--pack-destination", work], stage)) as Array<{
        filename: string
        files: Array<{ path: string }>
      }>
      const files = packed[0]!.files.map((f) => f.path)
      expect(files).toContain("dist/index.js")
      expect(files).toContain("dist/index.d.ts")
      expect(files).toContain("dist/VulnerabilityManager.d.ts")
      expect(files).toContain("dist/bin/vulnera.js")
      expect(files.some((f) => f.startsWith("test/") || f.startsWith("bench/"))).toBe(false)
      // No TypeScript sources, source maps or tsc output of the CLI (the bin is the bundle): dead weight in an install.
      expect(files.filter((f) => f.startsWith("src/") || f.endsWith(".map") || f.startsWith("dist/cli/"))).toEqual([])

      const consumer = join(work, "consumer")
      const modules = join(consumer, "node_modules")
      mkdirSync(join(modules, "vulnera-advisor"), { recursive: true })
      await run("tar", ["-xzf", join(work, packed[0]!.filename), "-C", join(modules, "vulnera-advisor"), "--strip-components=1"], work)
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
        await run(join(root, "node_modules", ".bin", "tsc"), ["-p", "."], consumer)
      } catch (error) {
        throw new Error(`consumer type check failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`)
      }
      // The bundled bin runs from the installed package (its native externals resolved from node_modules).
      const bin = join(modules, "vulnera-advisor", "dist", "bin", "vulnera.js")
      expect((await run("node", [bin, "--version"], consumer)).trim()).toBe((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version)
      expect(await run("node", [bin, "--help"], consumer)).toMatch(/^usage: vulnera <command>/)
      const output = JSON.parse(await run("node", [join(consumer, "out", "main.js")], consumer)) as Record<string, unknown>
      const tarball = join(work, packed[0]!.filename)
      await measureInstall(work, tarball)
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

  it("the core's import graph leaves out the Node wiring, the CLI, the printer and (until a source runs) @effect/platform", async () => {
    const result = await build({
      entryPoints: [join(root, "src", "index.ts")],
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "node",
      external: ["@toondepauw/node-zstd", "lmdb", "ioredis", "@effect/platform"],
      logLevel: "silent"
    })
    const loaded = Object.keys(result.metafile.inputs)
    expect(loaded.some((path) => path.includes("node_modules/effect/"))).toBe(true)
    const forbidden = ["@effect/platform-node", "@effect/cli", "@effect/printer", "src/cli/", "src/node.ts"]
    expect(loaded.filter((path) => forbidden.some((name) => path.includes(name)))).toEqual([])
    // @effect/platform is an optional peer: loaded on first use by a source, never by the import.
    const platformImports = Object.entries(result.metafile.inputs).flatMap(([from, input]) =>
      input.imports.filter((i) => /^@effect\/platform(\/|$)/.test(i.path)).map((i) => ({ from, path: i.path, kind: i.kind }))
    )
    expect(platformImports.length).toBeGreaterThan(0)
    expect(platformImports.filter((i) => i.kind !== "dynamic-import")).toEqual([])
  }, 60_000)
})

/** Bytes under `dir` as `du` counts them (disk usage, what a user sees). */
const diskUsage = async (dir: string): Promise<number> => Number((await run("du", ["-sk", dir], dir)).split("\t")[0]) * 1024

/** Each package directory in `modules` (scoped ones as `@scope/name`) with its disk usage. */
const packageSizes = async (modules: string): Promise<Map<string, number>> => {
  const sizes = new Map<string, number>()
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith(".")) continue
    const names = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`) : [entry]
    for (const name of names) sizes.set(name, await diskUsage(join(modules, name)))
  }
  return sizes
}

/** What installing the tarball added to one project: in total, and per package. */
interface Added {
  readonly project: string
  readonly bytes: number
  readonly packages: ReadonlyArray<readonly [string, number]>
}

/**
 * Installs `tarball` into an empty project that already has `preinstalled` (this checkout's
 * versions) and returns what it adds to node_modules.
 */
const addedSize = async (work: string, tarball: string, name: string, preinstalled: ReadonlyArray<string>): Promise<Added> => {
  const project = join(work, name)
  mkdirSync(project)
  writeFileSync(join(project, "package.json"), JSON.stringify({ name, type: "module", private: true }))
  const versionOf = (pkg: string) => (JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version
  const npm = (args: ReadonlyArray<string>) => run("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], project)
  await npm(["install", ...preinstalled.map((pkg) => `${pkg}@${versionOf(pkg)}`)])
  const modules = join(project, "node_modules")
  const before = await diskUsage(modules)
  const beforePackages = await packageSizes(modules)
  await npm(["install", tarball])
  const packages = Array.from(await packageSizes(modules)).filter(([pkg, size]) => beforePackages.get(pkg) !== size)
  return { project, bytes: (await diskUsage(modules)) - before, packages: packages.sort((a, b) => b[1] - a[1]) }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

/**
 * Prints what installing `tarball` adds to a project that has only `effect` and to one that has
 * `effect` and `@effect/platform` (an Effect application that does HTTP), with the largest added
 * packages, and holds both to 25 MB. `@effect/platform` is an optional peer, so the first project
 * does not get it; there the core still imports and answers from a store, and the installed bin runs.
 */
const measureInstall = async (work: string, tarball: string): Promise<void> => {
  const withEffect = await addedSize(work, tarball, "with-effect", ["effect"])
  const withPlatform = await addedSize(work, tarball, "with-platform", ["effect", "@effect/platform"])
  const largest = (added: Added) => added.packages.slice(0, 12).map(([pkg, size]) => `${pkg} ${mb(size)}`).join(", ")
  console.log(
    `vulnera-advisor adds ${mb(withEffect.bytes)} to a project that has effect (largest: ${largest(withEffect)}), ` +
      `${mb(withPlatform.bytes)} to one that has effect and @effect/platform`
  )
  expect(withEffect.packages.map(([pkg]) => pkg)).not.toContain("@effect/platform")
  expect(withEffect.bytes).toBeLessThanOrEqual(25e6)
  expect(withPlatform.bytes).toBeLessThanOrEqual(25e6)

  // Without @effect/platform the core imports and answers "which advisories affect P at V" from a
  // store (one synced by `vulnera sync`, here the memory store); only the sources would need it.
  writeFileSync(
    join(withEffect.project, "query.js"),
    `import { Effect, Layer } from "effect"
import { AdvisoryStore, MemoryStore, PackageKey, Versions } from "vulnera-advisor"
const advisory = {
  id: "GHSA-test-0002",
  affected: [{ package: { ecosystem: "npm", name: "left-pad" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.3.1" }] }] }]
}
const answers = await Effect.runPromise(Effect.gen(function*() {
  const store = yield* AdvisoryStore.AdvisoryStore
  yield* store.upsertBatch([advisory], "consumer")
  const found = yield* store.getByPackage("npm", "left-pad")
  const key = PackageKey.unsafeMake("npm", "left-pad")
  return ["1.3.0", "1.3.1"].map((version) => version + ":" + found.filter((a) => Versions.advisoryAffects(a, key, version).affected).map((a) => a.id))
}).pipe(Effect.provide(MemoryStore.layerDefault.pipe(Layer.orDie))))
console.log(answers.join(" "))
`
  )
  expect((await run("node", ["query.js"], withEffect.project)).trim()).toBe("1.3.0:GHSA-test-0002 1.3.1:")
  for (const project of [withEffect.project, withPlatform.project]) {
    const bin = join(project, "node_modules", ".bin", "vulnera")
    expect(await run(bin, ["--help"], project)).toContain("usage: vulnera")
    expect(await run(bin, ["query", "npm", "lodash", "--package-version", "4.17.20", "--demo"], project)).toContain("GHSA")
  }
}
