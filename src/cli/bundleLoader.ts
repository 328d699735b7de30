/**
 * Loads the bundled command line (`dist/bin/vulnera-*.cjs`, CommonJS files written by
 * `scripts/build-cli.ts`) through V8 with a **code cache**: Node 20 has no compile cache for
 * modules (`module.enableCompileCache` is Node 22), so each new process would parse and compile
 * the same megabytes of JavaScript again. Each file is compiled as a `vm.Script` with the cached
 * data of an earlier run; after a run that had none (or whose cache V8 rejected), the code V8
 * compiled during the run (`script.createCachedData()` at exit, so it holds the functions the
 * command actually ran, not only the top level) is written for the next one.
 *
 * Hand-written rather than `v8-compile-cache`: that package hooks `require` of CommonJS files in
 * `node_modules` and keeps one blob in the temporary directory, made with `produceCachedData`
 * when a file is compiled (top-level code only); here the files are ours, loaded by this code,
 * and the cache is made after the run and kept in the user's cache directory.
 *
 * Where: `$XDG_CACHE_HOME/vulnera-code-cache/` (else `~/.cache/vulnera-code-cache/`), never in a
 * store directory (the default LMDB store is `$XDG_CACHE_HOME/vulnera`). One file per bundle
 * file, named by that file's name (which carries esbuild's content hash), its size and mtime,
 * the Node version and the architecture; written to a temporary name and renamed, so a reader
 * never sees half a file. `VULNERA__CLI__CODE_CACHE=off` turns it off. A missing, foreign or
 * corrupt cache only means a normal compile (V8 checks its own version, flags and the source
 * length and rejects what does not fit); an unwritable directory only means no cache. Nothing here
 * prints, fails or waits: `NODE_DEBUG=vulnera-code-cache` shows what it did, on stderr.
 */
import { isAscii } from "node:buffer"
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { debuglog } from "node:util"
import { Script } from "node:vm"
import { crc32 } from "node:zlib"
import { cacheRoot } from "./cacheRoot.js"

const debug = debuglog("vulnera-code-cache")

/** Cache files not used for this long are removed when a new one is written (other installs' leftovers). */
const staleMillis = 7 * 24 * 60 * 60 * 1000

/** The variable that turns the code cache off. */
export const codeCacheVariable = "VULNERA__CLI__CODE_CACHE"

/**
 * Why the value of `VULNERA__CLI__CODE_CACHE` is not one it accepts (`on`, `off`, or unset/empty
 * for on; any case, surrounding blanks ignored), or `undefined` when it is fine: a typo such as
 * `of` must not leave the cache silently on.
 */
export const codeCacheSettingProblem = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const setting = codeCacheSetting(env)
  return setting === "" || setting === "on" || setting === "off"
    ? undefined
    : `${codeCacheVariable} must be "on" or "off" (got ${JSON.stringify(env[codeCacheVariable]!.slice(0, 40))})`
}

/** The value of `VULNERA__CLI__CODE_CACHE` as compared: lower case, blanks trimmed, `""` when unset. */
const codeCacheSetting = (env: NodeJS.ProcessEnv): string => (env[codeCacheVariable] ?? "").trim().toLowerCase()

/** The code cache directory, or `undefined` when it is turned off. */
export const codeCacheDir = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  if (codeCacheSetting(env) === "off") return undefined
  try {
    return join(cacheRoot(env.XDG_CACHE_HOME), "vulnera-code-cache")
  } catch {
    return undefined // no home directory (no HOME, no passwd entry): no cache
  }
}

/** A bundle file once loaded: its compiled script, and where its cache goes when it has to be written. */
interface Loaded {
  readonly module: { exports: unknown }
  readonly script: Script
  readonly cacheFile: string | undefined
  readonly writeCache: boolean
}

/**
 * Runs the bundle file `entry` (a file name in `dir`) and returns its exports. The files it
 * requires by a relative `./vulnera-*.cjs` name are loaded the same way (once each); any other
 * `require` is Node's.
 */
export const loadBundle = (dir: string, entry: string, cacheDir: string | undefined = codeCacheDir()): unknown => {
  const loaded = new Map<string, Loaded>()
  const nodeRequire = createRequire(join(dir, entry))

  const load = (name: string): Loaded => {
    const known = loaded.get(name)
    if (known !== undefined) return known
    const filename = join(dir, name)
    const bytes = readFileSync(filename)
    // The bundle is ASCII (the build checks it): decoding it as Latin-1 is a copy, UTF-8 a scan.
    const source = bytes.toString(isAscii(bytes) ? "latin1" : "utf8")
    let cacheFile: string | undefined
    let cachedData: Buffer | undefined
    let corrupt = false // a cache file whose checksum is wrong: compiled without it, and rewritten
    if (cacheDir !== undefined) {
      const { mtimeMs } = statSync(filename)
      cacheFile = join(cacheDir, `${name}.${bytes.length}.${Math.trunc(mtimeMs)}.${process.version}.${process.arch}.v8`)
      try {
        cachedData = unframe(readFileSync(cacheFile))
        corrupt = cachedData === undefined
      } catch {
        cachedData = undefined // none yet (or unreadable): a normal compile, written at exit
      }
    }
    // The wrapper is on a line of its own (`lineOffset: -1`), so stack traces keep the file's lines and columns.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
      filename,
      lineOffset: -1,
      ...(cachedData === undefined ? {} : { cachedData })
    })
    const rejected = corrupt || (cachedData !== undefined && script.cachedDataRejected === true)
    debug("%s: %s", name, cacheFile === undefined ? "code cache off" : rejected ? "cache rejected" : cachedData === undefined ? "no cache" : `cache accepted (${cachedData.length} bytes)`)
    const module = { exports: {} as unknown }
    const self: Loaded = { module, script, cacheFile, writeCache: cacheFile !== undefined && (cachedData === undefined || rejected) }
    loaded.set(name, self)
    const run = script.runInThisContext() as (...args: ReadonlyArray<unknown>) => void
    run.call(module.exports, module.exports, requireFrom, module, filename, dirname(filename))
    return self
  }

  const requireFrom = Object.assign(
    (id: string): unknown => (id.startsWith("./vulnera-") && id.endsWith(".cjs") ? load(id.slice(2)).module.exports : nodeRequire(id)),
    { resolve: nodeRequire.resolve, cache: nodeRequire.cache }
  )

  if (cacheDir !== undefined) process.once("exit", () => writeCaches(cacheDir, loaded))
  return load(entry).module.exports
}

/**
 * A cache file is V8's data after its CRC-32 (4 bytes, big-endian). V8 checks its own header
 * (version, flags, source length, payload length) but, in release builds, not the payload's
 * checksum: a corrupt payload would be run. The check costs about a millisecond per megabyte.
 */
const frame = (data: Buffer): Buffer => {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(crc32(data))
  return Buffer.concat([header, data])
}

/** The data of a cache file, or `undefined` when its checksum does not match. */
const unframe = (file: Buffer): Buffer | undefined => {
  if (file.length < 4) return undefined
  const data = file.subarray(4)
  return crc32(data) === file.readUInt32BE(0) ? data : undefined
}

/** At exit: the caches that were missing or rejected, each written atomically; failures are ignored. */
const writeCaches = (cacheDir: string, loaded: ReadonlyMap<string, Loaded>): void => {
  const pending = Array.from(loaded.values()).filter((file) => file.writeCache)
  if (pending.length === 0) return
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 })
  } catch (error) {
    debug("cannot create %s: %s", cacheDir, (error as Error).message)
    return
  }
  for (const { cacheFile, script } of pending) {
    const temporary = `${cacheFile!}.${process.pid}.tmp`
    try {
      writeFileSync(temporary, frame(script.createCachedData()), { mode: 0o600 })
      renameSync(temporary, cacheFile!)
      debug("wrote %s", cacheFile)
    } catch (error) {
      debug("cannot write %s: %s", cacheFile, (error as Error).message)
      try {
        unlinkSync(temporary)
      } catch {
        // never created
      }
    }
  }
  removeStale(cacheDir, new Set(Array.from(loaded.values(), (file) => file.cacheFile!)))
}

/** Removes cache files (of other versions, other Node versions) untouched for a week, except the ones in use. */
const removeStale = (cacheDir: string, inUse: ReadonlySet<string>): void => {
  try {
    const now = Date.now()
    for (const name of readdirSync(cacheDir)) {
      const file = join(cacheDir, name)
      if (inUse.has(file) || !(name.endsWith(".v8") || name.endsWith(".tmp"))) continue
      if (now - statSync(file).mtimeMs > staleMillis) unlinkSync(file)
    }
  } catch {
    // another process pruned first, or the directory went away: nothing to do
  }
}
