/**
 * Reading a project's dependencies: lockfiles, manifests and SBOMs of every common ecosystem, a
 * PURL list, or a whole directory of them. Each file gives the packages it pins (with the line
 * that declares each, for code-scanning locations) and every entry it deliberately did not check,
 * with the reason. Input that cannot be read is a `ManifestError` naming the file and line, never
 * an empty result. Text echoed from the input is sanitized (URL credentials and token-like query
 * parameters masked, control characters escaped).
 *
 * @since 0.1.0
 */
import { readdir, readFile, stat } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Effect } from "effect"
import { ManifestError } from "./Errors.js"
import { type Parsed, ParseFailure } from "./internal/manifests/common.js"
import { sanitize } from "./internal/sanitize.js"
import { type Format, formats } from "./internal/manifests/formats.js"

export {
  /**
   * Every format this module reads, with the file names it recognizes.
   *
   * @since 0.1.0
   * @category Models
   */
  type Format,
  /** @since 0.1.0 @category Models */
  formatNames,
  /** @since 0.1.0 @category Models */
  formats
} from "./internal/manifests/formats.js"

/**
 * A package pinned by a manifest.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Dependency {
  /** The OSV ecosystem (`npm`, `PyPI`, `crates.io`, `Go`, `Maven`, ...). */
  readonly ecosystem: string
  readonly name: string
  readonly version: string
  /** The 1-based line that declares it, where the format allows. */
  readonly line?: number
  /** The file that declares it, when not the manifest itself (a requirements `-r` include). */
  readonly file?: string
  /** Its canonical Package URL, when it came from one (SBOMs, PURL lists). */
  readonly purl?: string
}

/**
 * An entry deliberately not checked (a workspace package, a range, a git dependency), with why.
 * `text` is sanitized.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Skipped {
  readonly line?: number
  /** The file it is in, when not the manifest itself (a requirements include). */
  readonly file?: string
  readonly text: string
  readonly reason: string
}

/**
 * What one file holds: unique (ecosystem, name, version) in file order, and what was skipped.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ManifestFile {
  readonly file: string
  readonly format: Format
  readonly dependencies: ReadonlyArray<Dependency>
  readonly skipped: ReadonlyArray<Skipped>
}

const byName: ReadonlyArray<readonly [RegExp, Format]> = [
  [/^(package-lock|npm-shrinkwrap)\.json$/, "npm"],
  [/^yarn\.lock$/, "yarn"],
  [/^pnpm-lock\.ya?ml$/, "pnpm"],
  [/^bun\.lock$/, "bun"],
  [/^(requirements|constraints).*\.(txt|in)$|\.requirements\.txt$/, "requirements"],
  [/^pipfile\.lock$/, "pipenv"],
  [/^poetry\.lock$/, "poetry"],
  [/^uv\.lock$/, "uv"],
  [/^pdm\.lock$/, "pdm"],
  [/^pylock(\.[^.]+)?\.toml$/, "pylock"],
  [/^cargo\.lock$/, "cargo"],
  [/^go\.mod$/, "gomod"],
  [/^go\.sum$/, "gosum"],
  [/^(gemfile\.lock|gems\.locked)$/, "gemfile"],
  [/^composer\.lock$/, "composer"],
  [/^pom\.xml$/, "maven"],
  [/^gradle\.lockfile$/, "gradle"],
  [/^packages\.lock\.json$/, "nuget"],
  [/^pubspec\.lock$/, "pubspec"],
  [/^mix\.lock$/, "mix"],
  [/(\.cdx|^bom|\.bom)\.json$/, "cyclonedx-json"],
  [/(\.cdx|^bom|\.bom)\.xml$/, "cyclonedx-xml"],
  [/\.spdx\.json$/, "spdx-json"]
]

/**
 * The format a file name stands for (`undefined`: not a name this module recognizes).
 *
 * @since 0.1.0
 * @category Detection
 */
export const formatOfName = (path: string): Format | undefined => {
  const base = basename(path).toLowerCase()
  return byName.find(([pattern]) => pattern.test(base))?.[1]
}

/**
 * The format of a file's content, for names that say nothing: an npm lockfile, a CycloneDX or
 * SPDX document (JSON or XML), a POM, or a PURL list (its first entry starts with `pkg:`).
 *
 * @since 0.1.0
 * @category Detection
 */
export const formatOfContent = (text: string): Format | undefined => {
  const head = text.slice(0, 4096)
  if (/^\s*\{/.test(head)) {
    if (/"bomFormat"\s*:\s*"CycloneDX"/.test(head)) return "cyclonedx-json"
    if (/"spdxVersion"\s*:/.test(head)) return "spdx-json"
    if (/"lockfileVersion"\s*:/.test(text)) return "npm"
    return undefined
  }
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(\w+:)?bom\b[^>]*cyclonedx/i.test(head)) return "cyclonedx-xml"
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<project\b/.test(head)) return "maven"
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"))
  return first !== undefined && (first.startsWith("pkg:") || first.startsWith("git+")) ? "purl" : undefined
}

/** A format's parser: plain code over the text, throwing `ParseFailure`. */
type Parser = (text: string, file: string) => Parsed

/**
 * Each format's parser, imported on first use (one module per ecosystem): a CycloneDX file loads
 * neither the yarn, YAML-lockfile nor TOML-lockfile parsers, and a CLI scan of one format starts
 * faster for it.
 */
const parsers: Record<Format, () => Promise<Parser>> = {
  "npm": () => import("./internal/manifests/javascript.js").then((m) => m.parseNpmLock),
  "yarn": () => import("./internal/manifests/javascript.js").then((m) => m.parseYarnLock),
  "pnpm": () => import("./internal/manifests/javascript.js").then((m) => m.parsePnpmLock),
  "bun": () => import("./internal/manifests/javascript.js").then((m) => m.parseBunLock),
  "requirements": () => import("./internal/manifests/requirements.js").then((m) => m.parseRequirements),
  "pipenv": () => import("./internal/manifests/python.js").then((m) => m.parsePipfileLock),
  "poetry": () => import("./internal/manifests/python.js").then((m) => m.parsePoetryLock),
  "uv": () => import("./internal/manifests/python.js").then((m) => m.parseUvLock),
  "pdm": () => import("./internal/manifests/python.js").then((m) => m.parsePdmLock),
  "pylock": () => import("./internal/manifests/python.js").then((m) => m.parsePylock),
  "cargo": () => import("./internal/manifests/rust.js").then((m) => m.parseCargoLock),
  "gomod": () => import("./internal/manifests/go.js").then((m) => m.parseGoMod),
  "gosum": () => import("./internal/manifests/go.js").then((m) => m.parseGoSum),
  "gemfile": () => import("./internal/manifests/ruby.js").then((m) => m.parseGemfileLock),
  "composer": () => import("./internal/manifests/php.js").then((m) => m.parseComposerLock),
  "maven": () => import("./internal/manifests/jvm.js").then((m) => m.parsePom),
  "gradle": () => import("./internal/manifests/jvm.js").then((m) => m.parseGradleLockfile),
  "nuget": () => import("./internal/manifests/dotnet.js").then((m) => m.parseNugetLock),
  "pubspec": () => import("./internal/manifests/dart.js").then((m) => m.parsePubspecLock),
  "mix": () => import("./internal/manifests/elixir.js").then((m) => m.parseMixLock),
  "cyclonedx-json": () => import("./internal/manifests/sbom.js").then((m) => m.parseCycloneDxJson),
  "cyclonedx-xml": () => import("./internal/manifests/sbom.js").then((m) => m.parseCycloneDxXml),
  "spdx-json": () => import("./internal/manifests/sbom.js").then((m) => m.parseSpdxJson),
  "purl": () => import("./internal/manifests/sbom.js").then((m) => m.parsePurlList)
}

const unsupported = (file: string) =>
  new ManifestError({
    reason: "UnsupportedFormat",
    file: sanitize(file),
    detail: `unsupported format; supported: ${Object.values(formats).join("; ")}`
  })

/**
 * Options for `parse` and `parseFile`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ParseOptions {
  /** The format, when neither the file name nor the content tells it. */
  readonly format?: Format
}

/**
 * Parses `text` as the dependency file `fileName` (the format from `options.format`, else the
 * name, else the content). A requirements file's `-r`/`-c` includes are read from disk, relative
 * to `fileName`.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const parse = (text: string, fileName: string, options: ParseOptions = {}): Effect.Effect<ManifestFile, ManifestError> =>
  Effect.suspend(() => {
    const format = options.format ?? formatOfName(fileName) ?? formatOfContent(text)
    if (format === undefined) return Effect.fail(unsupported(fileName))
    return Effect.flatMap(Effect.promise(parsers[format]), (parser) => Effect.try({
      try: (): ManifestFile => ({ file: fileName, format, ...parser(text.replace(/^\uFEFF/, ""), fileName) }),
      catch: (error) =>
        error instanceof ParseFailure
          ? new ManifestError({
            reason: error.detail.startsWith("cannot read") ? "Unreadable" : "Invalid",
            file: sanitize(error.file ?? fileName),
            line: error.line,
            detail: sanitize(error.detail, 500)
          })
          : new ManifestError({ reason: "Invalid", file: sanitize(fileName), detail: sanitize(`cannot parse: ${String(error)}`, 500) })
    }))
  }).pipe(Effect.withSpan("Manifest.parse", { attributes: { file: fileName } }))

const readText = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (error) => new ManifestError({ reason: "Unreadable", file: sanitize(path), detail: sanitize(`cannot read: ${(error as Error).message}`) })
  })

/**
 * Reads and parses one file. A go.sum with a go.mod beside it is read as that go.mod: go.sum
 * lists every version Go considered, go.mod the ones the build uses.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const parseFile = (path: string, options: ParseOptions = {}): Effect.Effect<ManifestFile, ManifestError> =>
  Effect.gen(function*() {
    if ((options.format ?? formatOfName(path)) === "gosum") {
      const goMod = join(dirname(path), "go.mod")
      const exists = yield* Effect.promise(() => stat(goMod).then((s) => s.isFile(), () => false))
      if (exists) return yield* parse(yield* readText(goMod), goMod, { format: "gomod" })
    }
    return yield* parse(yield* readText(path), path, options)
  })

/** Directories never descended into: installed packages, VCS data, build output. */
const skippedDirectories = new Set(["node_modules", "vendor", "target", "__pycache__", "bower_components", "_build", "deps"])

/**
 * Finds every recognized dependency file under `dir` (by name; node_modules, vendor, target and
 * dot-directories such as .git are not entered; a go.sum beside a go.mod is left out), in path
 * order.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const findFiles = (dir: string): Effect.Effect<ReadonlyArray<string>, ManifestError> =>
  Effect.tryPromise({
    try: async () => {
      const found: Array<string> = []
      const walk = async (current: string) => {
        const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))
        const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name))
        for (const entry of entries) {
          const path = join(current, entry.name)
          if (entry.isDirectory()) {
            if (!entry.name.startsWith(".") && !skippedDirectories.has(entry.name)) await walk(path)
          } else if (entry.isFile()) {
            const format = formatOfName(entry.name)
            if (format === undefined) continue
            if (format === "gosum" && names.has("go.mod")) continue
            found.push(path)
          }
        }
      }
      await walk(dir)
      return found
    },
    catch: (error) => new ManifestError({ reason: "Unreadable", file: sanitize(dir), detail: sanitize(`cannot read directory: ${(error as Error).message}`) })
  })

/**
 * Parses every recognized dependency file under `dir` (see `findFiles`), one result per file. A
 * file that cannot be read fails the scan, naming it: a partial scan would look like a clean one.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const scanDirectory = (dir: string): Effect.Effect<ReadonlyArray<ManifestFile>, ManifestError> =>
  Effect.gen(function*() {
    const files = yield* findFiles(dir)
    return yield* Effect.forEach(files, (file) => Effect.flatMap(readText(file), (text) => parse(text, file)), { concurrency: 4 })
  }).pipe(Effect.withSpan("Manifest.scanDirectory", { attributes: { dir } }))

/**
 * A dependency with the file that declares it (always set), for reports over several files.
 *
 * @since 0.1.0
 * @category Models
 */
export interface LocatedDependency extends Dependency {
  readonly file: string
}

/**
 * A skipped entry with the file it is in (always set).
 *
 * @since 0.1.0
 * @category Models
 */
export interface LocatedSkipped extends Skipped {
  readonly file: string
}

/**
 * Every dependency of several files, each with its file (an include's own, else the manifest's),
 * in file order. The same package in two files is listed twice: it is declared in two places.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const dependenciesOf = (files: ReadonlyArray<ManifestFile>): ReadonlyArray<LocatedDependency> =>
  files.flatMap((f) => f.dependencies.map((d) => ({ ...d, file: d.file ?? f.file })))

/**
 * Every skipped entry of several files, each with its file.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const skippedOf = (files: ReadonlyArray<ManifestFile>): ReadonlyArray<LocatedSkipped> =>
  files.flatMap((f) => f.skipped.map((s) => ({ ...s, file: s.file ?? f.file })))
