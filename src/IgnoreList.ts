/**
 * Findings a project has decided to accept, read from `vulnera.toml`:
 *
 * ```toml
 * [[ignore]]
 * id = "GHSA-35jh-r3h4-6jhm"      # an advisory id or any of its aliases (CVE-…)
 * package = "lodash"              # optional: only for this package (any spelling)
 * reason = "_.template is never called with user input"
 * until = 2026-06-30              # optional: ignored before this date (UTC), reported again from it
 * ```
 *
 * and from osv-scanner's `osv-scanner.toml` (`[[IgnoredVulns]]` with `id`, `ignoreUntil`,
 * `reason`; its other tables are osv-scanner's business and are left alone).
 *
 * An entry whose `until` has passed stops ignoring and is reported as expired, so an exception
 * cannot outlive its review date silently. A file that cannot be read, is not TOML, or has an
 * entry with a missing id, an unknown key (a typo'd `untill` would otherwise ignore forever) or a
 * bad date is an `IgnoreFileError` naming the file (and line, when TOML says), never an empty list.
 *
 * @since 0.1.0
 */
import type { FileSystem } from "@effect/platform"
import { Effect, Either, Predicate, Schema } from "effect"
import { parse as parseToml, TomlError } from "smol-toml"
import { fileSystem } from "./internal/platform.js"
import * as PackageKey from "./PackageKey.js"

/**
 * One ignore entry.
 *
 * @since 0.1.0
 * @category Models
 */
export interface IgnoreRule {
  /** Advisory id or alias, as written. */
  readonly id: string
  /** Only findings in this package (matched with `PackageKey` normalization); `null`: any package. */
  readonly package: string | null
  readonly reason: string | null
  /** Ignored while the clock is before this instant (a date means its 00:00 UTC); `null`: no end. */
  readonly until: Date | null
  /** The file the entry came from. */
  readonly file: string
}

/**
 * The entries of one or more ignore files.
 *
 * @since 0.1.0
 * @category Models
 */
export interface IgnoreList {
  readonly rules: ReadonlyArray<IgnoreRule>
  /** The files read, in order. */
  readonly files: ReadonlyArray<string>
}

/**
 * No entries.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const empty: IgnoreList = { rules: [], files: [] }

/**
 * An ignore file that cannot be used.
 *
 * @since 0.1.0
 * @category Errors
 */
export class IgnoreFileError extends Schema.TaggedError<IgnoreFileError>("vulnera-advisor/IgnoreFileError")("IgnoreFileError", {
  file: Schema.String,
  line: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.file}${this.line === undefined ? "" : `:${this.line}`}: ${this.detail}`
  }
}

/**
 * The two file layouts: vulnera's own, and osv-scanner's.
 *
 * @since 0.1.0
 * @category Models
 */
export type Layout = "vulnera" | "osv-scanner"

/**
 * The layout a file name implies: `osv-scanner.toml` is osv-scanner's, anything else vulnera's.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const layoutOf = (file: string): Layout =>
  /(^|[\\/])osv-scanner\.toml$/i.test(file) ? "osv-scanner" : "vulnera"

const layouts = {
  vulnera: { table: "ignore", id: "id", until: "until", reason: "reason", package: "package" },
  "osv-scanner": { table: "IgnoredVulns", id: "id", until: "ignoreUntil", reason: "reason", package: undefined }
} as const

const datePattern = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$/

/** A TOML date (local dates are UTC midnight, as smol-toml reads them) or an RFC 3339 string. */
const toDate = (value: unknown): Date | undefined => {
  // A plain Date: smol-toml's TomlDate prints local dates without a time, which reads as another value.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : new Date(value.getTime())
  if (typeof value !== "string" || !datePattern.test(value.trim())) return undefined
  const text = value.trim()
  const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : text)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/**
 * Reads one ignore file's text (`layout` from the file name unless given).
 *
 * @since 0.1.0
 * @category Parsing
 */
export const parse = (text: string, file: string, layout: Layout = layoutOf(file)): Either.Either<IgnoreList, IgnoreFileError> => {
  const fail = (detail: string, line?: number) =>
    Either.left(new IgnoreFileError({ file, detail, ...(line === undefined ? {} : { line }) }))
  let document: Record<string, unknown>
  try {
    document = parseToml(text)
  } catch (error) {
    if (error instanceof TomlError) return fail(`not valid TOML: ${error.message.split("\n")[0]}`, error.line)
    return fail(`not valid TOML: ${String(error)}`)
  }
  const names = layouts[layout]
  if (layout === "vulnera") {
    const unknown = Object.keys(document).filter((k) => k !== names.table)
    if (unknown.length > 0) return fail(`unknown key ${JSON.stringify(unknown[0])} (expected [[${names.table}]] entries)`)
  }
  const entries = document[names.table] ?? []
  if (!Array.isArray(entries)) return fail(`${names.table} must be an array of tables ([[${names.table}]])`)
  const known = new Set<string>([names.id, names.reason, names.until, ...(names.package === undefined ? [] : [names.package])])
  const rules: Array<IgnoreRule> = []
  for (const [index, entry] of entries.entries()) {
    const where = `[[${names.table}]] entry ${index + 1}`
    if (!Predicate.isRecord(entry)) return fail(`${where}: not a table`)
    const unknown = Object.keys(entry).filter((k) => !known.has(k))
    if (unknown.length > 0) {
      return fail(`${where}: unknown key ${JSON.stringify(unknown[0])} (expected ${Array.from(known).join(", ")})`)
    }
    const id = entry[names.id]
    if (typeof id !== "string" || id.trim() === "") return fail(`${where}: "${names.id}" must be a non-empty string`)
    const reason = entry[names.reason]
    if (reason !== undefined && typeof reason !== "string") return fail(`${where}: "${names.reason}" must be a string`)
    const pkg = names.package === undefined ? undefined : entry[names.package]
    if (pkg !== undefined && (typeof pkg !== "string" || pkg.trim() === "")) {
      return fail(`${where}: "package" must be a non-empty string`)
    }
    const rawUntil = entry[names.until]
    const until = rawUntil === undefined ? null : toDate(rawUntil)
    if (until === undefined) {
      return fail(`${where}: "${names.until}" must be a date (2026-06-30) or an RFC 3339 date-time`)
    }
    rules.push({
      id: id.trim(),
      package: typeof pkg === "string" ? pkg.trim() : null,
      reason: typeof reason === "string" && reason.trim() !== "" ? reason.trim() : null,
      until,
      file
    })
  }
  return Either.right({ rules, files: [file] })
}

/**
 * Reads ignore files and merges them in order; a file that cannot be read is an `IgnoreFileError`.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const load = (
  files: ReadonlyArray<string>
): Effect.Effect<IgnoreList, IgnoreFileError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* fileSystem
    const lists = yield* Effect.forEach(files, (file) =>
      fs.readFileString(file).pipe(
        Effect.mapError((e) => new IgnoreFileError({ file, detail: `cannot read: ${e.message}` })),
        Effect.flatMap((text) => parse(text, file))
      ))
    return merge(lists)
  })

/**
 * Several lists as one (rules and files in order).
 *
 * @since 0.1.0
 * @category Combinators
 */
export const merge = (lists: ReadonlyArray<IgnoreList>): IgnoreList => ({
  rules: lists.flatMap((l) => l.rules),
  files: lists.flatMap((l) => l.files)
})

/**
 * Whether a rule has expired at `now` (`until` reached).
 *
 * @since 0.1.0
 * @category Matching
 */
export const isExpired = (rule: IgnoreRule, now: Date): boolean => rule.until !== null && now.getTime() >= rule.until.getTime()

/**
 * The unexpired rule that ignores this finding in this package, if any. A rule names the finding
 * by its id or one of its aliases (case-insensitive), and its package by any spelling.
 *
 * @since 0.1.0
 * @category Matching
 */
export const find = (
  list: IgnoreList,
  finding: { readonly id: string; readonly aliases: ReadonlyArray<string> },
  dependency: { readonly ecosystem: string; readonly name: string },
  now: Date
): IgnoreRule | undefined => {
  const ids = new Set([finding.id, ...finding.aliases].map((i) => i.toUpperCase()))
  const key = PackageKey.unsafeMake(dependency.ecosystem, dependency.name)
  return list.rules.find((rule) =>
    !isExpired(rule, now) && ids.has(rule.id.toUpperCase()) &&
    (rule.package === null || PackageKey.same({ ecosystem: dependency.ecosystem, name: rule.package }, key))
  )
}

/**
 * The rules that have expired at `now` (reported so their owners review them).
 *
 * @since 0.1.0
 * @category Matching
 */
export const expired = (list: IgnoreList, now: Date): ReadonlyArray<IgnoreRule> => list.rules.filter((r) => isExpired(r, now))
