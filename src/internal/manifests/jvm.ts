/**
 * Maven pom.xml (through `@rgrove/parse-xml`) and Gradle's gradle.lockfile (a line format).
 *
 * A pom.xml is read on its own, with no network: declared versions, with `${...}` properties
 * resolved from the file's `<properties>` and `project.*` values. A version that needs a parent POM
 * or an imported BOM (no version in the file, or an unknown property) is skipped with the reason,
 * as is a version range.
 */
import { Collector, fail, isRecord, type Parsed, splitLines } from "./common.js"
import { readXml, textOf } from "./xml.js"

const asArray = (value: unknown): Array<unknown> => (Array.isArray(value) ? value : value === undefined ? [] : [value])

/** pom.xml: `<dependencies>` and `<dependencyManagement>`, of the project and its profiles. */
export const parsePom = (text: string): Parsed => {
  const doc = readXml(text, new Set(["dependency", "profile"]))
  const project = doc.root.project
  if (!isRecord(project)) return fail("not a Maven POM (no <project>)", 1)
  const parent = isRecord(project.parent) ? project.parent : {}
  const properties = new Map<string, string>()
  const own = (key: string, value: unknown) => {
    const text = textOf(value)
    if (text !== undefined) properties.set(key, text)
  }
  const profiles = isRecord(project.profiles) ? asArray(project.profiles.profile).filter(isRecord) : []
  for (const scope of [project, ...profiles]) {
    if (isRecord(scope.properties)) {
      for (const [key, value] of Object.entries(scope.properties)) if (!properties.has(key)) own(key, value)
    }
  }
  for (const field of ["groupId", "artifactId", "version"]) {
    own(`project.parent.${field}`, parent[field])
    own(`project.${field}`, project[field] ?? parent[field])
    own(`pom.${field}`, project[field] ?? parent[field])
  }
  if (!properties.has("version") && properties.has("project.version")) properties.set("version", properties.get("project.version")!)

  /** Resolves `${name}` references (nested, cycle-safe); `undefined` names the first unknown one. */
  const resolve = (value: string, seen: ReadonlySet<string> = new Set()): { value?: string; unknown?: string } => {
    let unknown: string | undefined
    const out = value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const found = properties.get(name)
      if (found === undefined || seen.has(name)) {
        unknown ??= name
        return whole
      }
      const inner = resolve(found, new Set([...seen, name]))
      if (inner.unknown !== undefined) unknown ??= inner.unknown
      return inner.value ?? whole
    })
    return unknown === undefined ? { value: out } : { unknown }
  }

  const dependencyLists = (scope: Record<string, unknown>) => [
    ...(isRecord(scope.dependencies) ? asArray(scope.dependencies.dependency) : []),
    ...(isRecord(scope.dependencyManagement) && isRecord(scope.dependencyManagement.dependencies)
      ? asArray(scope.dependencyManagement.dependencies.dependency)
      : [])
  ]
  const all = [project, ...profiles].flatMap(dependencyLists).filter(isRecord)
  // Versions managed in this file, for dependencies declared without one.
  const managed = new Map<string, string>()
  const managementLists = [project, ...profiles].flatMap((scope) =>
    isRecord(scope.dependencyManagement) && isRecord(scope.dependencyManagement.dependencies)
      ? asArray(scope.dependencyManagement.dependencies.dependency)
      : []
  ).filter(isRecord)
  for (const d of managementLists) {
    const version = textOf(d.version)
    if (version !== undefined) managed.set(`${textOf(d.groupId)}:${textOf(d.artifactId)}`, version)
  }

  const out = new Collector()
  for (const dependency of all) {
    const line = doc.lineOf(dependency)
    const groupId = resolve(textOf(dependency.groupId) ?? "").value
    const artifactId = resolve(textOf(dependency.artifactId) ?? "").value
    if (!groupId || !artifactId) {
      out.skip(`${textOf(dependency.groupId) ?? "?"}:${textOf(dependency.artifactId) ?? "?"}`, "groupId or artifactId not resolvable in this file", line)
      continue
    }
    const name = `${groupId}:${artifactId}`
    const declared = textOf(dependency.version) ?? managed.get(`${textOf(dependency.groupId)}:${textOf(dependency.artifactId)}`)
    if (declared === undefined || declared === "") {
      out.skip(name, "no version in this file (managed by a parent POM or an imported BOM)", line)
      continue
    }
    const resolved = resolve(declared)
    if (resolved.value === undefined) out.skip(`${name}:${declared}`, `property \${${resolved.unknown}} is not defined in this file`, line)
    else if (/^[[(]/.test(resolved.value)) out.skip(`${name}:${resolved.value}`, "a version range, not a version", line)
    else out.add({ ecosystem: "Maven", name, version: resolved.value, line })
  }
  return out.result()
}

/** gradle.lockfile: `group:artifact:version=configurations` lines, `empty=...` and `#` comments. */
export const parseGradleLockfile = (text: string): Parsed => {
  const out = new Collector()
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || line.startsWith("empty=")) return
    const match = /^([^:=\s]+):([^:=\s]+):([^:=\s]+)=(.*)$/.exec(line)
    if (match === null) return fail(`not a gradle.lockfile line (expected: group:artifact:version=configurations): ${line}`, i + 1)
    out.add({ ecosystem: "Maven", name: `${match[1]}:${match[2]}`, version: match[3]!, line: i + 1 })
  })
  return out.result()
}
