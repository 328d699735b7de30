/**
 * The layout rules of docs/architecture.md, checked on the real import graph with madge (a maintained
 * dependency-graph tool) rather than a hand-written parser: no import cycles in `src/`, the library
 * never imports the CLI, and no CLI command imports another command (shared pieces live beside them).
 *
 * Type-only imports are skipped by the first check: TypeScript erases them, so they load nothing and
 * cannot form a run-time cycle; and they are the intended direction (an internal implementation
 * imports the types of the public module it implements, e.g. `internal/manager/manager.ts` imports
 * `VulnerabilityManagerShape`), see docs/architecture.md. The second check counts them and allows
 * only that shape: one public module and its internal part (or a CLI command's options file and its
 * handler), so two public modules never form a cycle even through types.
 */
import { describe, expect, it } from "@effect/vitest"
import madge from "madge"
import { fileURLToPath } from "node:url"

const srcDir = fileURLToPath(new URL("../src", import.meta.url))
const tsConfig = fileURLToPath(new URL("../tsconfig.json", import.meta.url))

const graph = (options: { readonly typeImports: boolean } = { typeImports: false }) =>
  madge(srcDir, {
    fileExtensions: ["ts"],
    tsConfig,
    detectiveOptions: { ts: { skipTypeImports: !options.typeImports }, tsx: { skipTypeImports: !options.typeImports } }
  })

/** Whether a cycle (counting type-only imports) is a public module and its own internal part, or a command and its handler. */
const isOwnerCycle = (cycle: ReadonlyArray<string>): boolean => {
  const command = cycle.map((file) => /^cli\/(?:commands|run)\/(.+)$/.exec(file)?.[1])
  if (command.every((name) => name !== undefined && name === command[0])) return true
  const outside = cycle.filter((file) => !file.startsWith("internal/"))
  return outside.length === 1 && /^[A-Z][A-Za-z]*\.ts$/.test(outside[0]!)
}

describe("architecture", () => {
  it("has no import cycles in src/, no library module imports the CLI, no command imports another", async () => {
    const result = await graph()
    const modules = result.obj()
    // The graph really covers the tree (a wrong base directory would pass vacuously).
    expect(Object.keys(modules)).toEqual(
      expect.arrayContaining(["VulnerabilityManager.ts", "internal/manager/manager.ts", "cli/main.ts"])
    )
    expect(result.circular()).toEqual([])
    const libraryToCli = Object.entries(modules).flatMap(([file, imports]) =>
      file.startsWith("cli/") ? [] : imports.filter((i) => i.startsWith("cli/")).map((i) => `${file} -> ${i}`)
    )
    expect(libraryToCli).toEqual([])
    const isCommand = (file: string) => /^cli\/(commands|run)\//.test(file)
    const commandName = (file: string) => file.replace(/^cli\/(commands|run)\//, "")
    const commandToCommand = Object.entries(modules).flatMap(([file, imports]) =>
      isCommand(file)
        ? imports.filter((i) => isCommand(i) && commandName(i) !== commandName(file)).map((i) => `${file} -> ${i}`)
        : []
    )
    expect(commandToCommand).toEqual([])
  }, 120_000)

  it("cycles through type-only imports are only a public module with its internal part, or a command with its handler", async () => {
    const cycles = (await graph({ typeImports: true })).circular()
    expect(cycles.filter((cycle) => !isOwnerCycle(cycle))).toEqual([])
  }, 120_000)
})
