/**
 * Bundles the `vulnera` command line with esbuild into `dist/bin/` (part of `npm run build`, so
 * `npm pack` ships it): `vulnera.js`, the bin entry, tiny, plus the rest of the CLI as minified
 * CommonJS chunks (`vulnera-*.cjs`) that it loads through `src/cli/bundleLoader.ts` (with a V8
 * code cache) unless it can answer alone (`--version`, `--help` at 80 columns), each command's
 * handler only when that command runs. A bundle instead of the ~1,000 files of the CLI and its
 * dependencies is what makes a new process start fast: Node resolves, reads and compiles a few
 * files instead of walking node_modules.
 *
 * Native bindings stay external (they load `.node` files next to their own package); they are
 * required at run time from the installed dependencies. The library (`dist/*.js`, built by tsc)
 * is not bundled: it stays one ES module per concept, tree-shakable by the consumer's bundler.
 *
 * Run: `npx tsx scripts/build-cli.ts [outdir] [--no-minify]` (default `dist/bin`; `--no-minify` for
 * reading a profile).
 */
import { build, transform } from "esbuild"
import { isAscii } from "node:buffer"
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { basename, join } from "node:path"
import { fileURLToPath } from "node:url"
import { prerenderedFile, prerenderedWidth } from "../src/cli/helpRequest.js"

/** Packages with native code (or optional native helpers), never bundled. */
export const nativeExternals = ["@toondepauw/node-zstd", "@mongodb-js/zstd", "lmdb", "msgpackr-extract"] as const

/** Set (by `define`) in the bundled entry to the main bundle file's name; undefined when run from source. */
const mainChunkGlobal = "__vulneraMainChunk"

/**
 * Bundles the command line into `outdir`, replacing what an earlier build left there (old chunks
 * have other content hashes, and `npm pack` would ship them all):
 *
 * 1. `src/cli/main.ts` and the per-command modules it imports with `import()`, minified, split into
 *    chunks by esbuild (ES modules), then each chunk turned into a CommonJS file (`.cjs`;
 *    `import()` of a chunk becomes a `require` in a promise): `src/cli/bundleLoader.ts` loads
 *    them through `vm.Script` with a V8 code cache, which Node 20 offers only for scripts;
 * 2. `src/cli/vulnera.ts`, the bin entry, with the main file's name built in;
 * 3. the help texts at the width of a pipe (`vulnera-help.json`, rendered here by the CLI's own
 *    help code), which the entry serves without loading @effect/cli.
 */
export const bundleCli = async (outdir: string, { minify = true }: { readonly minify?: boolean } = {}): Promise<void> => {
  mkdirSync(outdir, { recursive: true })
  for (const name of readdirSync(outdir)) {
    if (name.startsWith("vulnera")) rmSync(join(outdir, name), { force: true })
  }
  const chunks = await build({
    entryPoints: [fileURLToPath(new URL("../src/cli/main.ts", import.meta.url))],
    outdir,
    write: false,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify,
    external: [...nativeExternals],
    entryNames: "vulnera-[name]-[hash]",
    chunkNames: "vulnera-[name]-[hash]",
    outExtension: { ".js": ".cjs" },
    // jsonc-parser's `main` is a UMD build whose `require("./impl/...")` calls esbuild cannot follow; its ES build can be bundled.
    alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
    legalComments: "linked",
    logLevel: "warning"
  })
  let mainChunk: string | undefined
  for (const file of chunks.outputFiles) {
    const name = basename(file.path)
    if (!name.endsWith(".cjs")) {
      writeFileSync(file.path, file.contents) // the legal comments
      continue
    }
    if (name.startsWith("vulnera-main-")) mainChunk = name
    const commonJs = await transform(file.text.replace(/^#!.*\n/, ""), {
      format: "cjs",
      target: "node20",
      minifyWhitespace: minify,
      // `import("./chunk")` → `Promise.resolve().then(() => require("./chunk"))`: the loader's `require` serves chunks.
      supported: { "dynamic-import": false },
      // `import.meta.url` (new URL(..., import.meta.url), createRequire) as in the ES module.
      define: { "import.meta.url": "__vulneraImportMetaUrl" },
      banner: "var __vulneraImportMetaUrl=require(\"node:url\").pathToFileURL(__filename).href;",
      logLevel: "warning"
    })
    // Comments (kept only unminified) may not be; the loader decodes UTF-8 then, more slowly.
    if (minify && !isAscii(Buffer.from(commonJs.code))) throw new Error(`${name} is not ASCII: the loader reads it as Latin-1`)
    writeFileSync(file.path, commonJs.code)
  }
  if (mainChunk === undefined) throw new Error("esbuild wrote no vulnera-main-*.cjs")
  await build({
    entryPoints: [fileURLToPath(new URL("../src/cli/vulnera.ts", import.meta.url))],
    outfile: join(outdir, "vulnera.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    define: { [mainChunkGlobal]: JSON.stringify(mainChunk) },
    // Only a run from source imports main.ts; the bundled entry loads the main chunk by name.
    plugins: [{ name: "main-external", setup: (b) => b.onResolve({ filter: /^\.\/main\.js$/ }, (args) => ({ path: args.path, external: true })) }],
    logLevel: "warning"
  })
  const { allHelpTexts } = await import("../src/cli/commandList.js")
  writeFileSync(join(outdir, prerenderedFile), JSON.stringify(allHelpTexts(prerenderedWidth)))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [outdir] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"))
  await bundleCli(outdir ?? fileURLToPath(new URL("../dist/bin", import.meta.url)), { minify: !process.argv.includes("--no-minify") })
}
