/**
 * npm-ecosystem lockfiles: package-lock.json / npm-shrinkwrap.json (v1-v3), yarn.lock (classic
 * and berry, through `@yarnpkg/parsers`), pnpm-lock.yaml (v5-v9, through `yaml`) and bun.lock
 * (JSONC, through `jsonc-parser`). Only registry packages are checked; workspace, git, file and
 * link entries are skipped with the reason.
 */
import { parseSyml } from "@yarnpkg/parsers"
import { Collector, fail, isRecord, isReleaseVersion, type Parsed, splitLines, str } from "./common.js"
import { readJson, readYaml } from "./structured.js"

/** `npm:real-name@1.2.3` (an aliased dependency) → the real package. */
const aliasTarget = (version: string): { name: string; version: string } | undefined => {
  const match = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(version)
  return match === null ? undefined : { name: match[1]!, version: match[2]! }
}

/** A version npm resolved from the registry (not a git URL, tarball or directory). */
const isRegistryVersion = (version: string) => /^\d+\.\d+\.\d+/.test(version)

/** Splits `name@range` at the `@` that ends the name (a scoped name starts with one). */
const splitDescriptor = (descriptor: string): { name: string; range: string } => {
  const at = descriptor.indexOf("@", 1)
  return at < 0 ? { name: descriptor, range: "" } : { name: descriptor.slice(0, at), range: descriptor.slice(at + 1) }
}

/** npm lockfile v1 (`dependencies` tree), v2 and v3 (`packages` map, preferred when present). */
export const parseNpmLock = (text: string): Parsed => {
  const doc = readJson(text, { comments: false })
  const lock = doc.value
  if (!isRecord(lock) || lock.lockfileVersion === undefined) return fail("not an npm lockfile (no lockfileVersion)", 1)
  const out = new Collector()
  const add = (name: string, rawVersion: string, origin: string, path: ReadonlyArray<string>) => {
    const real = aliasTarget(rawVersion) ?? { name, version: rawVersion }
    const line = doc.lineOf(path)
    if (!isRegistryVersion(real.version)) out.skip(`${origin}: ${rawVersion}`, "not a registry version", line)
    else out.add({ ecosystem: "npm", name: real.name, version: real.version, line })
  }
  if (isRecord(lock.packages)) {
    for (const [path, value] of Object.entries(lock.packages)) {
      if (path === "") continue
      const line = doc.lineOf(["packages", path])
      const at = path.lastIndexOf("node_modules/")
      if (at < 0) out.skip(path, "workspace package (not from the registry)", line)
      else if (isRecord(value) && value.link === true) out.skip(path, "link to a workspace package", line)
      else if (!isRecord(value) || typeof value.version !== "string") out.skip(path, "no version", line)
      else add(str(value.name) ?? path.slice(at + "node_modules/".length), value.version, path, ["packages", path])
    }
  } else if (isRecord(lock.dependencies)) {
    const walk = (deps: Record<string, unknown>, prefix: string, path: ReadonlyArray<string>) => {
      for (const [name, value] of Object.entries(deps)) {
        const origin = `${prefix}node_modules/${name}`
        const here = [...path, name]
        if (isRecord(value) && typeof value.version === "string") add(name, value.version, origin, here)
        else out.skip(origin, "no version", doc.lineOf(here))
        if (isRecord(value) && isRecord(value.dependencies)) walk(value.dependencies, `${origin}/`, [...here, "dependencies"])
      }
    }
    walk(lock.dependencies, "", ["dependencies"])
  }
  return out.result()
}

/** The line of each top-level yarn.lock entry, keyed by its first descriptor (quotes removed). */
const yarnEntryLines = (text: string): Map<string, number> => {
  const lines = new Map<string, number>()
  splitLines(text).forEach((line, i) => {
    if (line === "" || /^[\s#]/.test(line) || !line.endsWith(":")) return
    const first = line.slice(0, -1).split(",")[0]!.trim().replace(/^"|"$/g, "")
    lines.set(first, i + 1)
  })
  return lines
}

/** The version inside a berry `patch:` resolution (`resolve@patch:resolve@npm%3A1.22.1#...`). */
const patchedNpmVersion = (resolution: string): string | undefined => {
  const match = /@patch:.*?@npm%3A([^#]+)#/.exec(resolution)
  return match === null ? undefined : decodeURIComponent(match[1]!)
}

/** yarn.lock, classic (v1) and berry (v2+): one entry per resolved package. */
export const parseYarnLock = (text: string): Parsed => {
  let lock: Record<string, unknown>
  try {
    lock = parseSyml(text) as Record<string, unknown>
  } catch (error) {
    const location = (error as { location?: { start?: { line?: number } } }).location?.start?.line
    const line = location ?? Number(/line (\d+)/i.exec(String((error as Error).message))?.[1] ?? NaN)
    return fail(`not a valid yarn.lock: ${String((error as Error).message).split("\n")[0]}`, Number.isNaN(line) ? undefined : line)
  }
  if (!isRecord(lock)) return fail("not a valid yarn.lock")
  const lines = yarnEntryLines(text)
  const out = new Collector()
  for (const [key, entry] of Object.entries(lock)) {
    if (key === "__metadata") continue
    const descriptor = key.split(",")[0]!.trim()
    const line = lines.get(descriptor)
    if (!isRecord(entry)) return fail(`entry "${descriptor}" is not a mapping`, line)
    const version = str(entry.version) ?? (typeof entry.version === "number" ? String(entry.version) : undefined)
    const resolution = str(entry.resolution)
    if (version === undefined) {
      out.skip(descriptor, "no version", line)
      continue
    }
    if (resolution !== undefined) {
      // berry: `name@npm:1.2.3` is from the registry; workspace:, git, file:, link:, portal: are not.
      const { name, range } = splitDescriptor(resolution)
      if (range.startsWith("npm:")) out.add({ ecosystem: "npm", name, version, line })
      else if (range.startsWith("patch:") && patchedNpmVersion(resolution) !== undefined) {
        out.add({ ecosystem: "npm", name, version: patchedNpmVersion(resolution)!, line })
      } else out.skip(resolution, range.startsWith("workspace:") ? "workspace package" : "not from the registry", line)
      continue
    }
    // classic: the name is the descriptor's (after an `npm:` alias), the source is `resolved`.
    let { name, range } = splitDescriptor(descriptor)
    if (range.startsWith("npm:")) name = splitDescriptor(range.slice(4)).name
    const resolved = str(entry.resolved) ?? ""
    if (/^(git\+|git:|github:|file:|link:)|codeload\.github\.com|\.git(#|$)/.test(resolved) || /^(file:|link:|git)/.test(range)) {
      out.skip(`${descriptor} ${resolved}`.trim(), "not from the registry", line)
    } else if (!isReleaseVersion(version)) out.skip(`${descriptor} ${version}`, "not a release version", line)
    else out.add({ ecosystem: "npm", name, version, line })
  }
  return out.result()
}

/** pnpm-lock.yaml v5 (`/name/1.0.0_peer`), v6 (`/name@1.0.0(peer)`) and v9 (`name@1.0.0`). */
export const parsePnpmLock = (text: string): Parsed => {
  const doc = readYaml(text)
  const lock = doc.value
  const lockfileVersion = Number.parseFloat(String(lock.lockfileVersion ?? ""))
  if (Number.isNaN(lockfileVersion)) return fail("not a pnpm lockfile (no lockfileVersion)", 1)
  const out = new Collector()
  const packages = isRecord(lock.packages) ? lock.packages : {}
  for (const [key, entry] of Object.entries(packages)) {
    const line = doc.keyLine("packages", key)
    const info = isRecord(entry) ? entry : {}
    const resolution = isRecord(info.resolution) ? info.resolution : {}
    if (resolution.tarball !== undefined || resolution.type !== undefined || resolution.directory !== undefined) {
      out.skip(key, "not from the registry (tarball, git or directory)", line)
      continue
    }
    // Peer-dependency suffixes: `(react@18.0.0)` from v6 on, `_react@18.0.0` before.
    const bare = key.replace(/^\//, "").replace(/\(.*$/, "")
    let name: string | undefined
    let version: string | undefined
    if (lockfileVersion < 6) {
      // `/name/1.0.0` is from the default registry, `host/name/1.0.0` from another one.
      const path = key.startsWith("/") ? key.slice(1) : key.includes("/") ? key.slice(key.indexOf("/") + 1) : ""
      const withoutPeers = path.replace(/_.*$/, "")
      const slash = withoutPeers.lastIndexOf("/")
      name = withoutPeers.slice(0, slash)
      version = withoutPeers.slice(slash + 1)
    } else {
      ;({ name, range: version } = splitDescriptor(bare))
    }
    name = str(info.name) ?? name
    version = str(info.version) ?? version
    if (!name || !version || !isRegistryVersion(version) || key.includes("://")) {
      out.skip(key, "not from the registry", line)
      continue
    }
    out.add({ ecosystem: "npm", name, version, line })
  }
  return out.result()
}

/** bun.lock (text lockfile, JSONC): `packages: { key: ["name@1.2.3", registry, info, integrity] }`. */
export const parseBunLock = (text: string): Parsed => {
  const doc = readJson(text, { comments: true })
  const lock = doc.value
  if (!isRecord(lock) || lock.lockfileVersion === undefined) return fail("not a bun.lock (no lockfileVersion)", 1)
  const out = new Collector()
  for (const [key, entry] of Object.entries(isRecord(lock.packages) ? lock.packages : {})) {
    const line = doc.lineOf(["packages", key])
    const spec = Array.isArray(entry) ? str(entry[0]) : undefined
    if (spec === undefined) return fail(`package "${key}" has no "name@version" entry`, line)
    const { name, range } = splitDescriptor(spec)
    if (!isRegistryVersion(range)) out.skip(spec, range.startsWith("workspace:") ? "workspace package" : "not from the registry", line)
    else out.add({ ecosystem: "npm", name, version: range, line })
  }
  return out.result()
}
