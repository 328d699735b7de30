/**
 * The published package works for a consumer: `npm pack` from a clean clone's files (its `prepack`
 * builds dist/, the library with tsc and the CLI bundle with esbuild), the tarball unpacked
 * into a fresh project (its dependencies linked from this checkout, so no network is needed), then a
 * consumer file is type-checked against the shipped `.d.ts` files and run with plain Node (ESM).
 */
import { describe, expect, it } from "@effect/vitest"
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
      expect(output).toEqual({
        found: ["GHSA-test-0001"],
        some: true,
        cmp: { _id: "Either", _tag: "Right", right: -1 },
        key: { ecosystem: "pypi", name: "django-rest" }
      })
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }, 300_000)
})
