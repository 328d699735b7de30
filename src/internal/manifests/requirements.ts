/**
 * pip requirements files, following pip's own reader (`pip/_internal/req/req_file.py`): lines
 * ending in `\` are joined, `#` comments removed, options split from the requirement at the first
 * token starting with `-` (so `pkg==1.2 --hash=...` keeps `pkg==1.2`), `-r`/`-c` includes read
 * relative to the including file (each file once, so cycles end), and the requirement read as
 * PEP 508 (name, extras, specifiers, markers). Hand-written: no maintained JavaScript library reads
 * requirements files, and the grammar is small.
 *
 * Only an exact pin (`==1.2.3`, `===1.2.3`) names an installed version; anything else (a range,
 * a wildcard `==1.0.*`, an unexpanded `${VAR}`, an empty pin, a URL, an editable) is skipped with
 * its reason. A pin from a `-c` constraints file applies to a requirement that is not pinned itself.
 * Environment markers are kept, not evaluated: the dependency is checked on every platform (false
 * positives over false negatives).
 */
import { readFileSync } from "node:fs"
import { dirname, isAbsolute, resolve } from "node:path"
import { valid as validPep440 } from "@renovatebot/pep440"
import type { Dependency } from "../../Manifest.js"
import { Collector, ParseFailure, type Parsed, splitLines } from "./common.js"

interface LogicalLine {
  readonly line: number
  readonly text: string
}

/** pip's `join_lines` + `ignore_comments`: one logical line per requirement, with its first line. */
const logicalLines = (text: string): Array<LogicalLine> => {
  const out: Array<LogicalLine> = []
  let pending: Array<string> = []
  let start = 0
  const comment = /(^|\s+)#.*$/
  splitLines(text).forEach((raw, i) => {
    const isComment = /^\s*#/.test(raw)
    if (!raw.endsWith("\\") || isComment) {
      if (pending.length > 0) {
        pending.push(isComment ? "" : raw)
        out.push({ line: start, text: pending.join("") })
        pending = []
      } else out.push({ line: i + 1, text: raw })
    } else {
      if (pending.length === 0) start = i + 1
      pending.push(raw.slice(0, -1))
    }
  })
  if (pending.length > 0) out.push({ line: start, text: pending.join("") })
  return out.map((l) => ({ line: l.line, text: l.text.replace(comment, "").trim() })).filter((l) => l.text !== "")
}

/** pip's `break_args_options`: the requirement is every token before the first one starting with `-`. */
const splitOptions = (text: string): { requirement: string; options: string } => {
  const tokens = text.split(" ")
  const index = tokens.findIndex((t) => t.startsWith("-"))
  return index < 0
    ? { requirement: text, options: "" }
    : { requirement: tokens.slice(0, index).join(" ").trim(), options: tokens.slice(index).join(" ") }
}

/** An include option: `-r file`, `-rfile`, `--requirement=file`, `-c file`, `--constraint file`. */
const includeOf = (text: string): { kind: "requirement" | "constraint"; target: string } | undefined => {
  const match = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-[rc]))(\S.*)$/.exec(text)
  if (match === null) return undefined
  return { kind: match[1] === "-r" || match[1] === "--requirement" ? "requirement" : "constraint", target: match[2]!.trim() }
}

type Requirement =
  | { readonly _tag: "Pinned"; readonly name: string; readonly version: string }
  | { readonly _tag: "Unpinned"; readonly name: string; readonly reason: string }
  | { readonly _tag: "NotARequirement"; readonly reason: string }

/** PEP 508: `name[extras] (specifiers) ; markers`, or `name @ url`. */
const readRequirement = (text: string): Requirement => {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/.exec(text)
  if (match === null || /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^[./~]/.test(text) || /\.(whl|zip|tar\.gz)$/i.test(text)) {
    return { _tag: "NotARequirement", reason: "a URL or path, not a pinned requirement" }
  }
  const name = match[1]!
  const rest = match[3]!.split(";")[0]!.trim()
  if (rest.startsWith("@")) return { _tag: "Unpinned", name, reason: "a direct URL reference, not a registry version" }
  if (rest === "") return { _tag: "Unpinned", name, reason: "no version specifier" }
  const specifiers = rest.replace(/^\(|\)$/g, "").split(",").map((s) => s.trim())
  const parsed = specifiers.map((s) => /^(===|==|!=|~=|<=|>=|<|>)\s*(.*)$/.exec(s))
  if (parsed.some((p) => p === null)) return { _tag: "NotARequirement", reason: "not a valid version specifier" }
  const exact = parsed.filter((p) => p![1] === "==" || p![1] === "===")
  if (exact.length === 0) return { _tag: "Unpinned", name, reason: "not an exact pin (a range)" }
  const [, op, version] = exact[0]!
  if (version === "") return { _tag: "Unpinned", name, reason: "empty pin (no version after ==)" }
  if (version!.includes("${")) return { _tag: "Unpinned", name, reason: "version is an unexpanded environment variable" }
  if (op === "==" && version!.endsWith(".*")) return { _tag: "Unpinned", name, reason: "a wildcard, not an exact pin" }
  if (op === "==" && validPep440(version!) === null) return { _tag: "Unpinned", name, reason: "not a valid PEP 440 version" }
  return { _tag: "Pinned", name, version: version! }
}

/** The normalized project name (PEP 503), for matching a requirement to its constraint. */
const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-")

interface Pending {
  readonly name: string
  readonly line: number
  readonly file: string | undefined
  readonly text: string
  readonly reason: string
}

/**
 * Reads `text` (the requirements file `file`) and its includes; a missing include fails naming the
 * including line. `readFile` is how includes are read (the file system, by default).
 */
export const parseRequirements = (
  text: string,
  file: string,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8")
): Parsed => {
  const out = new Collector()
  const constraints = new Map<string, Dependency>()
  const unpinned: Array<Pending> = []
  const visited = new Set<string>([resolve(file)])
  const root = resolve(file)

  const visit = (content: string, path: string, kind: "requirement" | "constraint") => {
    const here = path === root ? undefined : path
    for (const { line, text: entry } of logicalLines(content)) {
      const include = includeOf(entry)
      if (include !== undefined) {
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(include.target)) {
          out.skip(entry, "a remote include (not fetched)", line, here)
          continue
        }
        const target = isAbsolute(include.target) ? include.target : resolve(dirname(path), include.target)
        if (visited.has(target)) {
          out.skip(entry, "already read (an include cycle or a repeated include)", line, here)
          continue
        }
        visited.add(target)
        let included: string
        try {
          included = readFile(target)
        } catch (error) {
          throw new ParseFailure(`cannot read ${include.target}: ${(error as Error).message}`, line, path)
        }
        visit(included, target, kind === "constraint" ? "constraint" : include.kind)
        continue
      }
      if (entry.startsWith("-e") || entry.startsWith("--editable")) {
        out.skip(entry, "an editable install (a local or VCS checkout)", line, here)
        continue
      }
      if (entry.startsWith("-")) {
        out.skip(entry, "a pip option, not a requirement", line, here)
        continue
      }
      const { requirement } = splitOptions(entry)
      const read = readRequirement(requirement)
      if (read._tag === "Pinned") {
        const dependency = { ecosystem: "PyPI", name: read.name, version: read.version, line, file: here }
        if (kind === "constraint") constraints.set(normalizeName(read.name), dependency)
        else out.add(dependency)
      } else if (kind === "requirement") {
        if (read._tag === "Unpinned") unpinned.push({ name: read.name, line, file: here, text: entry, reason: read.reason })
        else out.skip(entry, read.reason, line, here)
      }
    }
  }
  visit(text, root, "requirement")
  for (const pending of unpinned) {
    const constrained = constraints.get(normalizeName(pending.name))
    if (constrained !== undefined) out.add(constrained)
    else out.skip(pending.text, pending.reason, pending.line, pending.file)
  }
  return out.result()
}
