/**
 * Bundles the `vulnera` command line with esbuild into `dist/bin/` (part of `npm run build`, so
 * `npm pack` ships it): `vulnera.js`, the bin entry, tiny, plus one chunk with the rest of the CLI
 * that it loads with `import()` unless it can answer alone (`--version`). One bundle instead of the
 * ~1,000 files of the CLI and its dependencies is what makes a new process start fast: Node
 * resolves, reads and compiles one file instead of walking node_modules.
 *
 * Native bindings stay external (they load `.node` files next to their own package); they are
 * required at run time from the installed dependencies. The library (`dist/*.js`, built by tsc)
 * is not bundled: it stays one ES module per concept, tree-shakable by the consumer's bundler.
 *
 * Run: `npx tsx scripts/build-cli.ts [outdir]` (default `dist/bin`).
 */
import { build } from "esbuild"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { prerenderedFile, prerenderedWidth } from "../src/cli/helpRequest.js"

/** Packages with native code (or optional native helpers), never bundled. */
export const nativeExternals = ["@toondepauw/node-zstd", "@mongodb-js/zstd", "lmdb", "msgpackr-extract"] as const

/**
 * Bundles `src/cli/vulnera.ts` (and the chunks it imports lazily) into `outdir`, and writes the
 * help texts at the width of a pipe (`vulnera-help.json`, rendered here by the CLI's own help
 * code), which the entry serves without loading @effect/cli.
 */
export const bundleCli = async (outdir: string): Promise<void> => {
  await build({
    entryPoints: [fileURLToPath(new URL("../src/cli/vulnera.ts", import.meta.url))],
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: [...nativeExternals],
    chunkNames: "vulnera-[name]-[hash]",
    // jsonc-parser's `main` is a UMD build whose `require("./impl/...")` calls esbuild cannot follow; its ES build can be bundled.
    alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
    // Bundled CommonJS dependencies (ioredis, ...) call `require` for Node built-ins.
    banner: { js: "import { createRequire as __vulneraCreateRequire } from \"node:module\"; const require = __vulneraCreateRequire(import.meta.url);" },
    legalComments: "linked",
    logLevel: "warning"
  })
  const { allHelpTexts } = await import("../src/cli/commandList.js")
  writeFileSync(join(outdir, prerenderedFile), JSON.stringify(allHelpTexts(prerenderedWidth)))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleCli(process.argv[2] ?? fileURLToPath(new URL("../dist/bin", import.meta.url)))
}
