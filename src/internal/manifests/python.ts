/**
 * Python lockfiles: poetry.lock, uv.lock, pdm.lock and pylock.toml (PEP 751) through `smol-toml`,
 * Pipfile.lock as JSON. Packages from an index are checked; git, path, URL, editable and the
 * project's own entries are skipped with the reason.
 */
import { Collector, fail, isRecord, type Parsed, str } from "./common.js"
import { readJson, readToml, tableLines } from "./structured.js"

/** The `[[header]]` array of a TOML lockfile, each table with the line it starts on. */
const tables = (text: string, header: string, what: string, required: (doc: Record<string, unknown>) => boolean) => {
  const doc = readToml(text)
  if (!required(doc)) return fail(`not a ${what}`, 1)
  const list = doc[header]
  if (list !== undefined && !Array.isArray(list)) return fail(`"${header}" is not an array of tables`)
  const lines = tableLines(text, header)
  const entries = (list ?? []) as Array<unknown>
  return entries.map((entry, i) => {
    const line = lines.length === entries.length ? lines[i] : undefined
    if (!isRecord(entry)) return fail(`${header} #${i + 1} is not a table`, line)
    return { entry, line }
  })
}

/** Name and version of a lockfile table; a table without a name is unreadable. */
const nameOf = (entry: Record<string, unknown>, line: number | undefined) =>
  str(entry.name) ?? fail("package without a name", line)

/** poetry.lock: `source.type` git/directory/file/url entries are not from an index (legacy is). */
export const parsePoetryLock = (text: string): Parsed => {
  const out = new Collector()
  for (const { entry, line } of tables(text, "package", "poetry.lock (no [metadata] or [[package]])", (d) => isRecord(d.metadata) || Array.isArray(d.package))) {
    const name = nameOf(entry, line)
    const version = str(entry.version)
    const type = isRecord(entry.source) ? str(entry.source.type) : undefined
    if (version === undefined) out.skip(name, "no version", line)
    else if (type !== undefined && type !== "legacy") out.skip(`${name} ${version}`, `from a ${type} source, not an index`, line)
    else out.add({ ecosystem: "PyPI", name, version, line })
  }
  return out.result()
}

/** uv.lock: only `source = { registry = ... }` packages; editable/virtual (the project), git, path, url are skipped. */
export const parseUvLock = (text: string): Parsed => {
  const out = new Collector()
  for (const { entry, line } of tables(text, "package", "uv.lock (no version or [[package]])", (d) => d.version !== undefined || Array.isArray(d.package))) {
    const name = nameOf(entry, line)
    const version = str(entry.version)
    const source = isRecord(entry.source) ? entry.source : {}
    if (source.registry === undefined) {
      const kind = Object.keys(source)[0] ?? "unknown"
      out.skip(`${name}${version === undefined ? "" : ` ${version}`}`, `a ${kind} source, not a registry`, line)
    } else if (version === undefined) out.skip(name, "no version", line)
    else out.add({ ecosystem: "PyPI", name, version, line })
  }
  return out.result()
}

/** pdm.lock: entries with `git`, `path` or `url` are not from an index. */
export const parsePdmLock = (text: string): Parsed => {
  const out = new Collector()
  for (const { entry, line } of tables(text, "package", "pdm.lock (no [metadata] or [[package]])", (d) => isRecord(d.metadata) || Array.isArray(d.package))) {
    const name = nameOf(entry, line)
    const version = str(entry.version)
    const kind = ["git", "path", "url"].find((k) => entry[k] !== undefined)
    if (kind !== undefined) out.skip(`${name} ${version ?? ""}`.trim(), `a ${kind} dependency, not from an index`, line)
    else if (version === undefined) out.skip(name, "no version", line)
    else out.add({ ecosystem: "PyPI", name, version, line })
  }
  return out.result()
}

/** pylock.toml (PEP 751): `[[packages]]` with a version; vcs and directory packages skipped. */
export const parsePylock = (text: string): Parsed => {
  const out = new Collector()
  for (const { entry, line } of tables(text, "packages", "pylock.toml (no lock-version)", (d) => d["lock-version"] !== undefined)) {
    const name = nameOf(entry, line)
    const version = str(entry.version)
    const kind = ["vcs", "directory"].find((k) => entry[k] !== undefined)
    if (kind !== undefined) out.skip(`${name} ${version ?? ""}`.trim(), `a ${kind} package, not from an index`, line)
    else if (version === undefined) out.skip(name, "no version", line)
    else out.add({ ecosystem: "PyPI", name, version, line })
  }
  return out.result()
}

/** Pipfile.lock: `default` and `develop` sections, versions written `==1.2.3`. */
export const parsePipfileLock = (text: string): Parsed => {
  const doc = readJson(text, { comments: false })
  const lock = doc.value
  if (!isRecord(lock) || !isRecord(lock._meta)) return fail("not a Pipfile.lock (no _meta)", 1)
  const out = new Collector()
  for (const section of ["default", "develop"]) {
    const packages = lock[section]
    if (!isRecord(packages)) continue
    for (const [name, entry] of Object.entries(packages)) {
      const line = doc.lineOf([section, name])
      const version = isRecord(entry) ? str(entry.version) : undefined
      const kind = isRecord(entry) ? ["git", "path", "file", "editable"].find((k) => entry[k] !== undefined) : undefined
      if (kind !== undefined) out.skip(name, `a ${kind} dependency, not from an index`, line)
      else if (version === undefined || !version.startsWith("==") || version.length === 2) {
        out.skip(`${name} ${version ?? ""}`.trim(), "not an exact version", line)
      } else out.add({ ecosystem: "PyPI", name, version: version.slice(2), line })
    }
  }
  return out.result()
}
