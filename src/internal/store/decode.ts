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

/**
 * An advisory from stored (decompressed) bytes. Values this library wrote pass the type guard as
 * they are (~4x cheaper than a decode); Rust-written ones (`null` for absent fields) take the full decode.
 */
export const advisoryFromBytes = (key: string, bytes: Uint8Array): Either.Either<Advisory, CorruptEntry> => {
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(bytes))
  } catch (cause) {
    return Either.left(new CorruptEntry({ key, detail: `invalid JSON: ${String(cause)}`, cause }))
  }
  if (isAdvisory(json)) return Either.right(json)
  return Either.mapLeft(
    decodeAdvisory(json),
    (error) => new CorruptEntry({ key, detail: ParseResult.TreeFormatter.formatErrorSync(error), cause: error })
  )
}

/** A `null` JSON literal as `JSON.stringify` writes it (the same text inside a string only causes a false alarm). */
const nullLiteral = /[:[,]null[,\]}]/

/**
 * What decoding the JSON just written would return, computed without the schema where that is
 * certain to give the same value: JSON with no `null` (nullable optionals decode as absent) and no
 * enrichment lacking `is_kev` (it defaults to `false`) decodes to itself, so `JSON.parse` of the
 * text (a private copy, ~15µs) equals the decoded value (~90µs with the schema). Otherwise `undefined`.
 */
export const decodedWithoutSchema = (advisory: Advisory, json: string): Advisory | undefined =>
  nullLiteral.test(json) || (advisory.enrichment !== undefined && typeof advisory.enrichment.is_kev !== "boolean")
    ? undefined
    : (JSON.parse(json) as Advisory)

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a === b || (a.byteLength === b.byteLength && Buffer.compare(a, b) === 0)

/**
 * Decoded advisories by data key, reused while the stored bytes are byte-for-byte the same (so it
 * can never serve a stale or expired value: the bytes are read every time). A hit saves
 * decompression, JSON parsing and validation. Least recently used entries are evicted beyond
 * `capacity` (0 disables it).
 */
export class DecodedCache {
  private readonly entries = new Map<string, { readonly bytes: Uint8Array; readonly advisory: Advisory }>()
  constructor(private readonly capacity: number) {}
  get(key: string, bytes: Uint8Array): Advisory | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined || !sameBytes(entry.bytes, bytes)) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.advisory
  }
  set(key: string, bytes: Uint8Array, advisory: Advisory): void {
    if (this.capacity === 0) return
    this.entries.delete(key)
    this.entries.set(key, { bytes, advisory })
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
