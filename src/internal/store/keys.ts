/**
 * The store's key layout (docs/store-design.md), defined once: the Redis driver writes these keys,
 * the memory and LMDB drivers use the same strings, `CorruptEntry.key` names them, and the contract
 * suite's oracle imports this module.
 */
import { createHash } from "node:crypto"
import type { PackageKey } from "../../PackageKey.js"

/** Escapes Redis glob characters (`*?[]\`) so a prefix matches only itself in SCAN MATCH. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&")

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/**
 * Base ecosystems whose package names contain `:` (Maven `group:artifact`, repository URLs with a
 * port): their names are written as they are, so the Rust crate's keys stay readable.
 */
const colonNamed: ReadonlySet<string> = new Set(["maven", "git", "swifturl"])

const escapeColons = (text: string) => text.replace(/[%:]/g, (c) => (c === "%" ? "%25" : "%3A"))
const escapePercent = (text: string) => text.replace(/%/g, "%25")
const unescape = (text: string) => text.replace(/%3A|%25/g, (e) => (e === "%25" ? "%" : ":"))

/**
 * The index suffix of a normalized package (`<ecosystem>:<name>`, the part after `idx:`), an
 * injective encoding: (`almalinux`, `9:kernel`) and (`almalinux:9`, `kernel`) get different keys.
 * Both parts keep every `:` where a reader can tell it apart, which is every name the Rust crate
 * wrote in practice (unchanged: `npm:lodash`, `maven:org.apache:commons`, `debian:12:openssl`,
 * `git:host:8080/repo`):
 * - a base ecosystem (no `:`) of `colonNamed` keeps the name's `:`; the name is the rest of the key;
 * - every other name has its `:` escaped (`%3A`), so the ecosystem is everything before the last `:`;
 * - a variant of a `colonNamed` base has the `:` of its ecosystem escaped instead.
 * `%` is escaped as `%25` everywhere. Keys that change (names with `%`, or with `:` outside
 * `colonNamed`) need a full re-sync (README "Failure modes").
 */
export const indexSuffix = (key: PackageKey): string => {
  const { ecosystem, name } = key
  const colon = ecosystem.indexOf(":")
  if (colon === -1) return `${escapePercent(ecosystem)}:${colonNamed.has(ecosystem) ? escapePercent(name) : escapeColons(name)}`
  const ecosystemPart = colonNamed.has(ecosystem.slice(0, colon)) ? escapeColons(ecosystem) : escapePercent(ecosystem)
  return `${ecosystemPart}:${escapeColons(name)}`
}

/** The package an index suffix names (the inverse of `indexSuffix`); `undefined` when it has no `:`. */
export const packageOfIndexSuffix = (suffix: string): PackageKey | undefined => {
  const first = suffix.indexOf(":")
  if (first === -1) return undefined
  const head = unescape(suffix.slice(0, first))
  if (head.includes(":") || colonNamed.has(head)) return { ecosystem: head, name: unescape(suffix.slice(first + 1)) }
  const last = suffix.lastIndexOf(":")
  return { ecosystem: unescape(suffix.slice(0, last)), name: unescape(suffix.slice(last + 1)) }
}

/** The key layout under `prefix` (index suffixes already encoded by `indexSuffix`). */
export const makeKeys = (prefix: string) => ({
  prefix,
  data: (id: string) => `${prefix}:data:${id}`,
  dataPrefix: `${prefix}:data:`,
  pkgs: (id: string) => `${prefix}:pkgs:${id}`,
  indexPrefix: `${prefix}:idx:`,
  index: (suffix: string) => `${prefix}:idx:${suffix}`,
  /**
   * The match summary of advisory `id` under index suffix `suffix` (summary.ts): a space separates
   * them, since advisory ids contain no whitespace (`PackageKey.validateAdvisoryId`) and a key is
   * read back by its last space.
   */
  summary: (suffix: string, id: string) => `${prefix}:sum:${suffix} ${id}`,
  summaryPrefix: `${prefix}:sum:`,
  ids: `${prefix}:ids`,
  meta: (source: string) => `${prefix}:meta:${source}`,
  metaPrefix: `${prefix}:meta:`,
  sources: `${prefix}:sources`,
  enrichment: (cve: string) => `${prefix}:enrich:${cve}`,
  enrichmentPrefix: `${prefix}:enrich:`,
  ossIndex: (canonicalPurl: string) => `${prefix}:ossidx:${sha256(canonicalPurl)}`,
  ossIndexPrefix: `${prefix}:ossidx:`
})

/** The (index suffix, advisory id) a summary key names (the inverse of `summary`); `undefined` for other keys. */
export const summaryKeyParts = (
  keys: { readonly summaryPrefix: string },
  key: string
): { readonly suffix: string; readonly id: string } | undefined => {
  if (!key.startsWith(keys.summaryPrefix)) return undefined
  const space = key.lastIndexOf(" ")
  return space < keys.summaryPrefix.length ? undefined : { suffix: key.slice(keys.summaryPrefix.length, space), id: key.slice(space + 1) }
}

/** The store's keys under one prefix. */
export type StoreKeys = ReturnType<typeof makeKeys>
