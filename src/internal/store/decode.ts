/**
 * Decoding stored advisories for the core: a synchronous decode (a batch decodes without an effect
 * per value), a cache of decoded values keyed by their exact stored bytes, and the memoized index
 * suffixes of a decoded advisory.
 */
import { Either, ParseResult, Schema } from "effect"
import { Advisory } from "../../Advisory.js"
import { CorruptEntry } from "../../Errors.js"
import * as Codec from "./storeCodec.js"

const isAdvisory = Schema.is(Advisory)
const decodeAdvisory = Schema.decodeUnknownEither(Advisory)
const utf8 = new TextDecoder("utf-8", { fatal: true })

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)
/** `true` when `key` is absent from `object` or holds a value passing `check`. */
const optional = (object: Json, key: string, check: (value: unknown) => boolean): boolean => {
  const value = object[key]
  return value === undefined || check(value)
}
const isString = (value: unknown): boolean => typeof value === "string"
const isArrayOf = (check: (value: unknown) => boolean) => (value: unknown): boolean => {
  if (!Array.isArray(value)) return false
  for (const item of value) if (!check(item)) return false
  return true
}
const isStrings = isArrayOf(isString)
const rangeTypes: ReadonlySet<unknown> = new Set(["SEMVER", "ECOSYSTEM", "GIT"])
const severities: ReadonlySet<unknown> = new Set(["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"])
const isNumber = (value: unknown): boolean => typeof value === "number"
const isBoolean = (value: unknown): boolean => typeof value === "boolean"

const isSeverityScore = (value: unknown): boolean =>
  isObject(value) && typeof value.type === "string" && typeof value.score === "string"
const isSeverityScores = isArrayOf(isSeverityScore)
const isEvent = (value: unknown): boolean =>
  isObject(value) && optional(value, "introduced", isString) && optional(value, "fixed", isString) &&
  optional(value, "last_affected", isString) && optional(value, "limit", isString)
// The array checks are made once, here: a check made inside the walk is a new closure per value.
const isEvents = isArrayOf(isEvent)
const isRange = (value: unknown): boolean =>
  isObject(value) && rangeTypes.has(value.type) && isEvents(value.events) && optional(value, "repo", isString)
const isRanges = isArrayOf(isRange)
const isPackage = (value: unknown): boolean =>
  isObject(value) && typeof value.ecosystem === "string" && typeof value.name === "string" &&
  optional(value, "purl", isString)
const isAffected = (value: unknown): boolean =>
  isObject(value) && optional(value, "package", isPackage) && optional(value, "ranges", isRanges) &&
  optional(value, "versions", isStrings) && optional(value, "severity", isSeverityScores)
const isAffectedList = isArrayOf(isAffected)
const isReference = (value: unknown): boolean =>
  isObject(value) && typeof value.type === "string" && typeof value.url === "string"
const isReferences = isArrayOf(isReference)
const isCredit = (value: unknown): boolean =>
  isObject(value) && typeof value.name === "string" && optional(value, "contact", isStrings) &&
  optional(value, "type", isString)
const isCredits = isArrayOf(isCredit)
const isEnrichment = (value: unknown): boolean =>
  isObject(value) && isBoolean(value.is_kev) && optional(value, "epss_score", isNumber) &&
  optional(value, "epss_percentile", isNumber) && optional(value, "epss_date", isString) &&
  optional(value, "kev_due_date", isString) && optional(value, "kev_date_added", isString) &&
  optional(value, "kev_ransomware", isBoolean) && optional(value, "cvss_v3_score", isNumber) &&
  optional(value, "cvss_v3_severity", (s) => severities.has(s))

const stringFields = ["schema_version", "modified", "published", "withdrawn", "summary", "details"] as const
const stringArrayFields = ["aliases", "related", "upstream"] as const

/**
 * The structural check of marked values: every field the schema types (and matching, reports and
 * enrichment read) has its type; `null` is refused, since marked values never contain it. Nested
 * `Unknown` fields (`database_specific`, `ecosystem_specific`) are not looked at, as the schema does not.
 * Hand-written because it replaces the Schema on the hot path: a plain walk costs a few µs per record.
 */
export const isTrustedAdvisory = (value: unknown): value is Advisory => {
  if (!isObject(value) || typeof value.id !== "string" || value.id.length === 0) return false
  for (const field of stringFields) if (!optional(value, field, isString)) return false
  for (const field of stringArrayFields) if (!optional(value, field, isStrings)) return false
  return optional(value, "severity", isSeverityScores) && optional(value, "affected", isAffectedList) &&
    optional(value, "references", isReferences) && optional(value, "credits", isCredits) &&
    optional(value, "enrichment", isEnrichment)
}

const markerBytes = new TextEncoder().encode(Codec.trustedMarker)
const hasMarker = (bytes: Uint8Array): boolean => {
  if (bytes.length < markerBytes.length) return false
  for (let i = 0; i < markerBytes.length; i++) if (bytes[i] !== markerBytes[i]) return false
  return true
}

/**
 * An advisory from stored (decompressed) bytes. Values this library wrote start with
 * `Codec.trustedMarker`: `JSON.parse` plus `isTrustedAdvisory` (a marked value failing it is corrupt).
 * Unmarked values (Rust-written, with `null` for absent fields, or older) take the full path: the
 * type guard, then the decode.
 */
export const advisoryFromBytes = (key: string, bytes: Uint8Array): Either.Either<Advisory, CorruptEntry> => {
  const trusted = hasMarker(bytes)
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(bytes))
  } catch (cause) {
    return Either.left(new CorruptEntry({ key, detail: `invalid JSON: ${String(cause)}`, cause }))
  }
  if (trusted) {
    return isTrustedAdvisory(json)
      ? Either.right(json)
      : Either.left(new CorruptEntry({ key, detail: "marked value is not an advisory (structural check failed)" }))
  }
  if (isAdvisory(json)) return Either.right(json)
  return Either.mapLeft(
    decodeAdvisory(json),
    (error) => new CorruptEntry({ key, detail: ParseResult.TreeFormatter.formatErrorSync(error), cause: error })
  )
}

/**
 * What decoding marked JSON just written returns, computed without the schema, which is certain to
 * give the same value: `Codec.prepareAdvisory` marks exactly the text that decodes to itself, so
 * `JSON.parse` of the text (a private copy, ~15µs) equals the decoded value (~90µs with the schema).
 */
const decodedWithoutSchema = (json: string): Advisory => JSON.parse(json) as Advisory

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a === b || (a.byteLength === b.byteLength && Buffer.compare(a, b) === 0)

/** A cache entry: the decoded advisory, or (written, not read yet) the JSON text it decodes from. */
interface CacheEntry {
  readonly bytes: Uint8Array
  advisory: Advisory | undefined
  json: string | undefined
  /** The read batch that last used or stored it (`DecodedCache.startBatch`). */
  batch: number
}

/**
 * Decoded advisories by data key, reused while the stored bytes are byte-for-byte the same (so it
 * can never serve a stale or expired value: the bytes are read every time). A hit saves
 * decompression, JSON parsing and validation. Least recently used entries are evicted beyond
 * `capacity` (0 disables it).
 *
 * Scan-resistant: a read batch naming more values than `capacity` does not evict what that same
 * batch has already used or stored. Once every entry belongs to the current batch (the least
 * recently used one does), further misses of that batch are decoded and returned without being
 * cached. Plain LRU would insert and evict every value of such a batch (each repetition of it then
 * misses everything, and every evicted advisory has lived long enough to be promoted to the old
 * generation, which makes the garbage collector the largest cost of the read); with this rule a
 * repeated batch of N > capacity values hits `capacity` of them.
 */
export class DecodedCache {
  private readonly entries = new Map<string, CacheEntry>()
  private batch = 0
  /**
   * `copyReadBytes`: the bytes given to `set` may be reused by their reader (a driver with
   * `volatileReads`), so a kept entry holds a copy; only kept ones are copied.
   */
  constructor(private readonly capacity: number, private readonly copyReadBytes = false) {}
  /** Starts a read batch: the values read until the next call are one batch for the eviction rule. */
  startBatch(): void {
    this.batch++
  }
  get(key: string, bytes: Uint8Array): Advisory | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined || !sameBytes(entry.bytes, bytes)) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    entry.batch = this.batch
    if (entry.advisory === undefined) {
      entry.advisory = decodedWithoutSchema(entry.json!)
      entry.json = undefined
    }
    return entry.advisory
  }
  /**
   * Whether a value read now would be cached by `set` (so a caller can skip copying its bytes when
   * it would not be).
   */
  admits(key: string): boolean {
    if (this.capacity === 0) return false
    if (this.entries.size < this.capacity || this.entries.has(key)) return true
    return this.entries.values().next().value!.batch !== this.batch
  }
  /** Keeps a value decoded from bytes just read, when the current batch `admits` it. */
  set(key: string, bytes: Uint8Array, advisory: Advisory): void {
    if (!this.admits(key)) return
    this.put(key, { bytes: this.copyReadBytes ? Uint8Array.from(bytes) : bytes, advisory, json: undefined, batch: this.batch })
  }
  /**
   * Remembers the JSON text just written as `bytes`, when it decodes to itself (marked): parsed on the
   * first read, so a bulk write (most of whose entries are evicted unread) parses nothing. Writes are
   * not read batches: they evict by plain LRU.
   */
  setWritten(key: string, bytes: Uint8Array, json: string): void {
    if (json.startsWith(Codec.trustedMarker)) this.put(key, { bytes, advisory: undefined, json, batch: this.batch })
    else this.entries.delete(key)
  }
  private put(key: string, entry: CacheEntry): void {
    if (this.capacity === 0) return
    this.entries.delete(key)
    this.entries.set(key, entry)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
  }
  delete(key: string): void {
    this.entries.delete(key)
  }
}

/**
 * The index suffixes of an advisory, memoized per object: decoded advisories served from the cache
 * are the same objects on every read, and some name hundreds of packages.
 */
const suffixMemo = new WeakMap<Advisory, ReadonlySet<string>>()

/** `true` when `advisory` is listed under `suffix` by `Codec.indexSuffixes`. */
export const indexedUnder = (advisory: Advisory, suffix: string): boolean => {
  let suffixes = suffixMemo.get(advisory)
  if (suffixes === undefined) suffixMemo.set(advisory, suffixes = new Set(Codec.indexSuffixes(advisory)))
  return suffixes.has(suffix)
}
