/**
 * Dependency lists `vulnera scan` reads: npm `package-lock.json` / `npm-shrinkwrap.json`
 * (lockfile v1, v2, v3), a PURL list (one per line, `#` comments), pip `requirements.txt` (pinned
 * `==` lines), `Cargo.lock` and `go.sum`.
 *
 * Each parser returns every package it can check and says what it skipped and why (a workspace
 * link, an unpinned requirement); input it cannot read at all is an error naming the line, never a
 * silent drop. The formats are simple line/JSON formats, read by hand: no TOML or requirements
 * parser is among the dependencies, and only the few fields named here are needed.
 */
import { Effect, Either } from "effect"
import { InvalidInput } from "../Errors.js"
import * as Purl from "../Purl.js"

/** The formats `scan` understands. */
export const formats = ["npm", "purl", "requirements", "cargo", "gosum"] as const

/** One of `formats`. */
export type Format = (typeof formats)[number]

/** A package to check. */
export interface Dependency {
  /** The OSV ecosystem (`npm`, `PyPI`, `crates.io`, `Go`, ...). */
  readonly ecosystem: string
  readonly name: string
  readonly version: string
  /** Where it came from: a lockfile path (`node_modules/a/node_modules/b`) or `line N`. */
  readonly origin: string
}

/** What a parser read. */
export interface Manifest {
  readonly format: Format
  /** Unique (ecosystem, name, version), in file order. */
  readonly dependencies: ReadonlyArray<Dependency>
  /** Entries deliberately not checked, with the reason. */
  readonly skipped: ReadonlyArray<{ readonly entry: string; readonly reason: string }>
}

/** The format a file name suggests (`undefined`: look at the content). */
export const formatOfName = (path: string): Format | undefined => {
  const base = path.split(/[\\/]/).pop()!.toLowerCase()
  if (base === "package-lock.json" || base === "npm-shrinkwrap.json") return "npm"
  if (base === "cargo.lock") return "cargo"
  if (base === "go.sum") return "gosum"
  if (/^requirements.*\.txt$/.test(base) || base.endsWith(".requirements.txt")) return "requirements"
  return undefined
}

/** The format of a file's content: JSON with `lockfileVersion` is npm; otherwise a PURL list. */
export const formatOfContent = (text: string): Format =>
  /^\s*\{/.test(text) && /"lockfileVersion"\s*:/.test(text) ? "npm" : "purl"

const invalid = (file: string, detail: string) => InvalidInput.of("file", file, detail)

const unique = (dependencies: ReadonlyArray<Dependency>): ReadonlyArray<Dependency> => {
  const seen = new Set<string>()
  return dependencies.filter((d) => {
    const key = `${d.ecosystem}\u0000${d.name}\u0000${d.version}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

interface LockEntry {
  readonly version?: unknown
  readonly name?: unknown
  readonly link?: unknown
  readonly dependencies?: unknown
}

/** `npm:real-name@1.2.3` (an aliased dependency) → the real package. */
const aliasTarget = (version: string): { name: string; version: string } | undefined => {
  const match = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(version)
  return match === null ? undefined : { name: match[1]!, version: match[2]! }
}

/** A version npm resolved from the registry (not a git URL, tarball or directory). */
const isRegistryVersion = (version: string) => /^\d+\.\d+\.\d+/.test(version)

/** npm lockfile v1 (`dependencies` tree), v2 and v3 (`packages` map, preferred when present). */
export const parseNpmLock = (text: string, file: string): Either.Either<Manifest, InvalidInput> => {
  let lock: { lockfileVersion?: unknown; packages?: unknown; dependencies?: unknown }
  try {
    lock = JSON.parse(text)
  } catch (error) {
    return Either.left(invalid(file, `not valid JSON: ${(error as Error).message}`))
  }
  if (typeof lock !== "object" || lock === null || lock.lockfileVersion === undefined) {
    return Either.left(invalid(file, "not an npm lockfile (no lockfileVersion)"))
  }
  const found: Array<Dependency> = []
  const skipped: Array<{ entry: string; reason: string }> = []
  const add = (name: string, rawVersion: string, origin: string) => {
    const alias = aliasTarget(rawVersion)
    const real = alias ?? { name, version: rawVersion }
    if (!isRegistryVersion(real.version)) skipped.push({ entry: origin, reason: `not a registry version: ${rawVersion}` })
    else found.push({ ecosystem: "npm", name: real.name, version: real.version, origin })
  }
  if (typeof lock.packages === "object" && lock.packages !== null) {
    for (const [path, value] of Object.entries(lock.packages as Record<string, LockEntry>)) {
      if (path === "") continue
      const at = path.lastIndexOf("node_modules/")
      if (at < 0) {
        skipped.push({ entry: path, reason: "workspace package (not from the registry)" })
        continue
      }
      if (value?.link === true) {
        skipped.push({ entry: path, reason: "link to a workspace package" })
        continue
      }
      if (typeof value?.version !== "string") {
        skipped.push({ entry: path, reason: "no version" })
        continue
      }
      const name = typeof value.name === "string" ? value.name : path.slice(at + "node_modules/".length)
      add(name, value.version, path)
    }
  } else if (typeof lock.dependencies === "object" && lock.dependencies !== null) {
    const walk = (deps: Record<string, LockEntry>, prefix: string) => {
      for (const [name, value] of Object.entries(deps)) {
        const origin = `${prefix}node_modules/${name}`
        if (typeof value?.version === "string") add(name, value.version, origin)
        else skipped.push({ entry: origin, reason: "no version" })
        if (typeof value?.dependencies === "object" && value.dependencies !== null) {
          walk(value.dependencies as Record<string, LockEntry>, `${origin}/`)
        }
      }
    }
    walk(lock.dependencies as Record<string, LockEntry>, "")
  }
  return Either.right({ format: "npm", dependencies: unique(found), skipped })
}

const lines = (text: string) => text.split(/\r?\n/).map((line, i) => ({ line: line.trim(), number: i + 1 }))

/**
 * One PURL (or `git+<repository URL>@<tag or commit>`) per line; `pkg:github/owner/repo` is also
 * looked up as a git repository (`Purl.queryTargets`). Blank lines and lines starting with `#` are ignored, as is a trailing
 * ` # comment` (a `#` right after the PURL is its subpath). A line that is not a PURL fails the
 * whole file: a scanner must not quietly check less than it was given.
 */
export const parsePurlList = (text: string, file: string): Effect.Effect<Manifest, InvalidInput> =>
  Effect.gen(function*() {
    const found: Array<Dependency> = []
    const skipped: Array<{ entry: string; reason: string }> = []
    for (const { line, number } of lines(text)) {
      const content = line.replace(/\s+#.*$/, "")
      if (content === "" || content.startsWith("#")) continue
      const git = Purl.parseGitReference(content)
      if (git !== undefined) {
        found.push({ ecosystem: "GIT", name: git.url, version: git.ref, origin: `line ${number}` })
        continue
      }
      const purl = yield* Effect.mapError(
        Purl.parse(content),
        (e) => invalid(file, `line ${number}: not a PURL (${e.detail}): ${content}`)
      )
      if (purl.version === undefined) {
        skipped.push({ entry: `line ${number}: ${content}`, reason: "no version" })
        continue
      }
      for (const target of Purl.queryTargets(purl)) found.push({ ...target, version: purl.version, origin: `line ${number}` })
    }
    return { format: "purl" as const, dependencies: unique(found), skipped }
  })

/**
 * pip requirements: `name==version` (extras and environment markers allowed; `===` too). Other
 * lines (ranges, URLs, `-r`/`-e` options) cannot be checked without resolving and are listed as
 * skipped.
 */
export const parseRequirements = (text: string): Manifest => {
  const found: Array<Dependency> = []
  const skipped: Array<{ entry: string; reason: string }> = []
  // Continuation lines (`\` at the end) carry hashes; join them first.
  const joined = text.replace(/\\\r?\n/g, " ")
  for (const { line, number } of lines(joined)) {
    const content = line.replace(/(^|\s)#.*$/, "").trim()
    if (content === "") continue
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)\s*(?:;.*)?(?:\s--hash=\S+)*$/.exec(content)
    if (match === null) {
      skipped.push({ entry: `line ${number}: ${content.slice(0, 80)}`, reason: "not pinned with ==" })
      continue
    }
    found.push({ ecosystem: "PyPI", name: match[1]!, version: match[2]!, origin: `line ${number}` })
  }
  return { format: "requirements", dependencies: unique(found), skipped }
}

/** `Cargo.lock`: every `[[package]]` from a registry (path and git crates are skipped). */
export const parseCargoLock = (text: string): Manifest => {
  const found: Array<Dependency> = []
  const skipped: Array<{ entry: string; reason: string }> = []
  const blocks = text.split(/^\[\[package\]\]\s*$/m).slice(1)
  for (const block of blocks) {
    const field = (name: string) => new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m").exec(block)?.[1]
    const name = field("name")
    const version = field("version")
    const source = field("source")
    if (name === undefined || version === undefined) continue
    if (source === undefined || !source.startsWith("registry+")) {
      skipped.push({ entry: `${name} ${version}`, reason: source === undefined ? "local crate" : "not from a registry" })
      continue
    }
    found.push({ ecosystem: "crates.io", name, version, origin: `${name} ${version}` })
  }
  return { format: "cargo", dependencies: unique(found), skipped }
}

/**
 * `go.sum`: `module version hash` lines; `version/go.mod` lines only record a module's go.mod and
 * are skipped when the module's own line is present. Versions keep Go's `v` prefix (OSV's Go ranges
 * are compared with it understood).
 */
export const parseGoSum = (text: string): Manifest => {
  const found: Array<Dependency> = []
  const modOnly: Array<Dependency> = []
  for (const { line, number } of lines(text)) {
    const [module, version] = line.split(/\s+/)
    if (module === undefined || version === undefined || module === "") continue
    const dependency = { ecosystem: "Go", name: module, version: version.replace(/\/go\.mod$/, ""), origin: `line ${number}` }
    if (version.endsWith("/go.mod")) modOnly.push(dependency)
    else found.push(dependency)
  }
  const full = new Set(found.map((d) => `${d.name}@${d.version}`))
  return {
    format: "gosum",
    dependencies: unique(found),
    skipped: modOnly.filter((d) => !full.has(`${d.name}@${d.version}`)).map((d) => ({
      entry: `${d.name}@${d.version}`,
      reason: "only its go.mod is in the build graph"
    }))
  }
}

/** Parses `text` (read from `file`) as `format`. */
export const parse = (text: string, file: string, format: Format): Effect.Effect<Manifest, InvalidInput> => {
  switch (format) {
    case "npm":
      return parseNpmLock(text, file)
    case "purl":
      return parsePurlList(text, file)
    case "requirements":
      return Effect.succeed(parseRequirements(text))
    case "cargo":
      return Effect.succeed(parseCargoLock(text))
    case "gosum":
      return Effect.succeed(parseGoSum(text))
  }
}
