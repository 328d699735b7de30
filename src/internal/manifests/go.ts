/**
 * go.mod and go.sum. go.mod names the versions the build uses (minimal version selection picks
 * exactly the `require`d ones); go.sum lists every version Go ever considered, so it is read only
 * when no go.mod is available. Hand-written: the go.mod grammar is small (directives, blocks,
 * `//` comments, quoted paths) and no maintained JavaScript parser for it exists.
 */
import { Collector, fail, type Parsed, splitLines } from "./common.js"

interface Directive {
  readonly verb: string
  readonly args: ReadonlyArray<string>
  readonly line: number
  readonly text: string
}

/** Splits a line into tokens (quoted strings as one token), dropping a `//` comment. */
const tokens = (line: string, number: number): { args: Array<string>; comment: string } => {
  const args: Array<string> = []
  let rest = line
  let comment = ""
  while (rest.length > 0) {
    rest = rest.replace(/^\s+/, "")
    if (rest === "") break
    if (rest.startsWith("//")) {
      comment = rest.slice(2).trim()
      break
    }
    const quoted = /^("(?:[^"\\]|\\.)*"|`[^`]*`)/.exec(rest)
    if (quoted !== null) {
      args.push(quoted[1]!.slice(1, -1))
      rest = rest.slice(quoted[1]!.length)
      continue
    }
    if (rest[0] === '"' || rest[0] === "`") return fail("unterminated quoted string", number)
    const bare = /^(=>|[^\s"`]+?)(?=\s|\/\/|$)/.exec(rest) ?? /^\S+/.exec(rest)!
    args.push(bare[0])
    rest = rest.slice(bare[0].length)
  }
  return { args, comment }
}

const knownVerbs = new Set(["module", "go", "toolchain", "require", "replace", "exclude", "retract", "godebug", "tool", "ignore"])

/** The directives of a go.mod, block forms (`require ( ... )`) flattened. */
const directives = (text: string): Array<Directive & { indirect: boolean }> => {
  const out: Array<Directive & { indirect: boolean }> = []
  let block: string | undefined
  splitLines(text).forEach((raw, i) => {
    const number = i + 1
    const { args, comment } = tokens(raw, number)
    if (args.length === 0) return
    if (block !== undefined) {
      if (args.length === 1 && args[0] === ")") block = undefined
      else out.push({ verb: block, args, line: number, text: raw.trim(), indirect: /^indirect\b/.test(comment) })
      return
    }
    const [verb, ...rest] = args
    if (!knownVerbs.has(verb!)) return fail(`unknown directive "${verb}"`, number)
    if (rest.length === 1 && rest[0] === "(") block = verb
    else out.push({ verb: verb!, args: rest, line: number, text: raw.trim(), indirect: /^indirect\b/.test(comment) })
  })
  if (block !== undefined) return fail(`unterminated "${block} (" block`)
  return out
}

const isModuleVersion = (version: string | undefined) => version !== undefined && /^v\d+\.\d+\.\d+/.test(version)
const isLocalPath = (path: string) => /^(\.{1,2}[\\/]|\/|[A-Za-z]:[\\/])/.test(path) || path === "." || path === ".."

/**
 * go.mod: every `require`d module at its version, after `replace` (a module replaced by another
 * module is checked as the replacement; one replaced by a local directory is skipped) and
 * `exclude` (a required version that is excluded is skipped: Go would use a later one).
 */
export const parseGoMod = (text: string): Parsed => {
  const all = directives(text)
  const replaces: Array<{ from: string; fromVersion?: string; to: string; toVersion?: string; line: number }> = []
  const excluded = new Set<string>()
  for (const d of all) {
    if (d.verb === "replace") {
      const arrow = d.args.indexOf("=>")
      if (arrow < 1 || arrow > 2 || d.args.length - arrow - 1 < 1 || d.args.length - arrow - 1 > 2) {
        return fail("malformed replace (expected: module [version] => replacement [version])", d.line)
      }
      replaces.push({ from: d.args[0]!, fromVersion: arrow === 2 ? d.args[1] : undefined, to: d.args[arrow + 1]!, toVersion: d.args[arrow + 2], line: d.line })
    } else if (d.verb === "exclude") {
      if (d.args.length !== 2 || !isModuleVersion(d.args[1])) return fail("malformed exclude (expected: module version)", d.line)
      excluded.add(`${d.args[0]}@${d.args[1]}`)
    }
  }
  const out = new Collector()
  for (const d of all) {
    if (d.verb !== "require") continue
    const [path, version] = d.args
    if (d.args.length !== 2) return fail("malformed require (expected: module version)", d.line)
    if (!isModuleVersion(version)) {
      out.skip(d.text, "not a module version (a branch or query Go has not resolved yet)", d.line)
      continue
    }
    if (excluded.has(`${path}@${version}`)) {
      out.skip(d.text, "this version is excluded (Go selects a later one, unknown without the module graph)", d.line)
      continue
    }
    // A version-specific replace wins over a replace of every version.
    const replace = replaces.find((r) => r.from === path && r.fromVersion === version) ??
      replaces.find((r) => r.from === path && r.fromVersion === undefined)
    if (replace === undefined) out.add({ ecosystem: "Go", name: path!, version: version!, line: d.line })
    else if (isLocalPath(replace.to) || replace.toVersion === undefined) out.skip(d.text, `replaced by a local directory (${replace.to})`, d.line)
    // The replacement's line: that is where the version in use is written.
    else out.add({ ecosystem: "Go", name: replace.to, version: replace.toVersion, line: replace.line })
  }
  return out.result()
}

/**
 * go.sum: `module version hash` lines; `version/go.mod` lines only record a module's go.mod and are
 * skipped when the module's own line is missing. Any other line is an error.
 */
export const parseGoSum = (text: string): Parsed => {
  const out = new Collector()
  const modOnly: Array<{ name: string; version: string; line: number }> = []
  const full = new Set<string>()
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim()
    if (line === "") return
    const fields = line.split(/\s+/)
    const [name, version, hash] = fields
    if (fields.length !== 3 || !/^v\d/.test(version!) || !/^[a-z0-9]+:[A-Za-z0-9+/=]+$/.test(hash!) || name!.includes("@")) {
      return fail("not a go.sum line (expected: module version hash)", i + 1)
    }
    if (version!.endsWith("/go.mod")) modOnly.push({ name: name!, version: version!.slice(0, -"/go.mod".length), line: i + 1 })
    else {
      full.add(`${name}@${version}`)
      out.add({ ecosystem: "Go", name: name!, version: version!, line: i + 1 })
    }
  })
  for (const m of modOnly) {
    if (!full.has(`${m.name}@${m.version}`)) out.skip(`${m.name}@${m.version}`, "only its go.mod is in the build graph", m.line)
  }
  return out.result()
}
