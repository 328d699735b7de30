/**
 * Encoding shared by every store implementation: advisory JSON bytes, the packages an advisory is
 * indexed under, enrichment and OSS Index entries. Keeping it in one place keeps the stores'
 * observable behaviour identical.
 */
import { Effect, type Either, ParseResult, Schema } from "effect"
import { Advisory, type Affected, validateAdvisoryId } from "../../Advisory.js"
import { EnrichmentData } from "../../EnrichmentData.js"
import { CorruptEntry, InvalidInput } from "../../Errors.js"
import { OssIndexCacheEntry } from "../../OssIndexCacheEntry.js"
import * as PackageKey from "../../PackageKey.js"
import { indexSuffix } from "./keys.js"

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder("utf-8", { fatal: true })

const decodeAdvisoryEither = Schema.decodeUnknownEither(Advisory)

/** Parses JSON bytes read from `key`; anything unreadable is a `CorruptEntry` naming the key. */
export const jsonFromBytes = (key: string, bytes: Uint8Array): Effect.Effect<unknown, CorruptEntry> =>
  Effect.try({
    try: () => JSON.parse(textDecoder.decode(bytes)) as unknown,
    catch: (cause) => new CorruptEntry({ key, detail: `invalid JSON: ${String(cause)}`, cause })
  })

/** Decodes an advisory read from `key`. */
export const advisoryFromBytes = (key: string, bytes: Uint8Array): Effect.Effect<Advisory, CorruptEntry> =>
  decodeAt(key, bytes, decodeAdvisoryEither)

/** JSON at `key` through a schema decoder; a value the schema rejects is a `CorruptEntry` with the parse tree. */
const decodeAt = <A>(
  key: string,
  bytes: Uint8Array,
  decode: (json: unknown) => Either.Either<A, ParseResult.ParseError>
): Effect.Effect<A, CorruptEntry> =>
  Effect.flatMap(jsonFromBytes(key, bytes), (json) => {
    const result = decode(json)
    return result._tag === "Right"
      ? Effect.succeed(result.right)
      : Effect.fail(
        new CorruptEntry({ key, detail: ParseResult.TreeFormatter.formatErrorSync(result.left), cause: result.left })
      )
  })

/**
 * The index suffixes (`<ecosystem>:<name>`) an advisory is listed under, none when it is
 * withdrawn. This is the one place that decides them, so every backend indexes alike:
 * - one per distinct normalized package (`debian:12:openssl`), as the Rust crate wrote them;
 * - for a package of a variant ecosystem, also its base's listing (`debian:openssl`), so a query
 *   for the base finds every variant in one set read. A base listing is the same key the base's
 *   own records use; a variant listing always has a `:` in its ecosystem part, which no base
 *   has, so the two never collide for names without `:` (distribution and Packagist names);
 * - one per repository named by a `GIT` range (`git:github.com/owner/repo`), so repository
 *   queries are as cheap as package lookups.
 * Entries with an empty ecosystem, name or repository are not indexable and are skipped (they
 * stay in the stored document).
 */
export const indexSuffixes = (advisory: Advisory): ReadonlyArray<string> => {
  if (advisory.withdrawn !== undefined) return []
  const suffixes = new Set<string>()
  for (const affected of advisory.affected ?? []) for (const suffix of entryIndexSuffixes(affected)) suffixes.add(suffix)
  return Array.from(suffixes).sort()
}

/** The index suffixes one `affected` entry puts its advisory under (see `indexSuffixes`; may repeat one). */
export const entryIndexSuffixes = (affected: Affected): Array<string> => {
  const suffixes: Array<string> = []
  const pkg = affected.package
  if (pkg && pkg.ecosystem.trim() !== "" && pkg.name.trim() !== "") {
    suffixes.push(indexSuffix(PackageKey.unsafeMake(pkg.ecosystem, pkg.name)))
    if (PackageKey.isVariant(pkg.ecosystem)) {
      const base = PackageKey.baseEcosystem(pkg.ecosystem)
      if (base !== "") suffixes.push(indexSuffix(PackageKey.unsafeMake(base, pkg.name)))
    }
  }
  for (const range of affected.ranges ?? []) {
    if (range.type !== "GIT" || range.repo === undefined) continue
    const repo = PackageKey.normalizeRepoUrl(range.repo)
    if (repo !== "") suffixes.push(indexSuffix({ ecosystem: "git", name: repo }))
  }
  return suffixes
}

/** Validates an advisory before writing: id rules, schema conformance. */
export const validateAdvisory = (advisory: Advisory): Effect.Effect<Advisory, InvalidInput> =>
  typeof advisory?.id !== "string"
    ? Effect.fail(InvalidInput.of("advisory.id", String(advisory?.id), "must be a string"))
    : Effect.as(validateAdvisoryId(advisory.id, "advisory.id"), advisory)

/**
 * The format marker of advisory values this library writes: JSON whitespace (tab, newline, tab)
 * before the JSON text. `JSON.stringify` never starts with whitespace, and any JSON parser
 * (the Rust crate's serde_json included) skips it, so marked values stay plain JSON. Only values
 * whose `JSON.parse` equals their Schema decode carry it (see `prepareAdvisory`): reads of marked
 * bytes replace the Schema with a structural check (src/internal/store/decode.ts).
 */
export const trustedMarker = "\t\n\t"

/** A `null` JSON literal as `JSON.stringify` writes it (the same text inside a string only costs the marker). */
const nullLiteral = /[:[,]null[,\]}]/

/**
 * `true` when decoding `json` (the JSON text of `advisory`) with the schema returns what `JSON.parse`
 * returns: no `null` (nullable optionals decode as absent) and no enrichment lacking `is_kev` (it
 * defaults to `false`).
 */
const decodesToItself = (advisory: Advisory, json: string): boolean =>
  !nullLiteral.test(json) && (advisory.enrichment === undefined || typeof advisory.enrichment.is_kev === "boolean")

/** An advisory checked before writing, with its JSON text and index suffixes computed once. */
export interface PreparedAdvisory {
  readonly advisory: Advisory
  /**
   * `JSON.stringify(advisory)` (Advisory's Type and Encoded forms are identical, and a schema encode
   * costs ~80µs), preceded by `trustedMarker` when it decodes to itself.
   */
  readonly json: string
  readonly suffixes: ReadonlyArray<string>
}

/**
 * Cheap checks before a write (an object with a valid `id`), then the JSON text and index suffixes.
 * Values that are not JSON data (cycles, BigInt, a non-array `affected`) are `InvalidInput`, not a defect.
 */
export const prepareAdvisory = (advisory: Advisory): Effect.Effect<PreparedAdvisory, InvalidInput> =>
  Effect.flatMap(
    typeof advisory !== "object" || advisory === null
      ? Effect.fail(InvalidInput.of("advisory", String(advisory), "must be an object"))
      : validateAdvisory(advisory),
    (valid) =>
      Effect.try({
        try: () => {
          const json = JSON.stringify(valid)
          return {
            advisory: valid,
            json: decodesToItself(valid, json) ? trustedMarker + json : json,
            suffixes: indexSuffixes(valid)
          }
        },
        catch: (error) => InvalidInput.of("advisory", valid.id, `not an OSV document: ${String(error)}`)
      })
  )

const encodeEnrichment = Schema.encodeSync(Schema.parseJson(EnrichmentData))
const decodeEnrichment = Schema.decodeUnknownEither(EnrichmentData)

/** JSON text of an enrichment entry (Rust-compatible snake_case keys). */
export const enrichmentToJson = (data: EnrichmentData): Effect.Effect<string, InvalidInput> =>
  Effect.try({
    try: () => encodeEnrichment(data),
    catch: (error) => InvalidInput.of("enrichment", String(error), "does not match EnrichmentData")
  })

/** Decodes an enrichment entry read from `key`. */
export const enrichmentFromJson = (key: string, text: string): Effect.Effect<EnrichmentData, CorruptEntry> =>
  Effect.flatMap(jsonFromBytes(key, textEncoder.encode(text)), (json) => {
    const result = decodeEnrichment(json)
    return result._tag === "Right"
      ? Effect.succeed(result.right)
      : Effect.fail(
        new CorruptEntry({ key, detail: ParseResult.TreeFormatter.formatErrorSync(result.left), cause: result.left })
      )
  })

const encodeOssEntry = Schema.encodeSync(OssIndexCacheEntry)
const decodeOssEntry = Schema.decodeUnknownEither(OssIndexCacheEntry)

/** JSON bytes of an OSS Index cache entry. */
export const ossEntryToBytes = (entry: OssIndexCacheEntry): Effect.Effect<Uint8Array, InvalidInput> =>
  Effect.try({
    try: () => textEncoder.encode(JSON.stringify(encodeOssEntry(entry))),
    catch: (error) => InvalidInput.of("ossIndexCacheEntry", entry.purl, String(error))
  })

/** Decodes an OSS Index cache entry read from `key`. */
export const ossEntryFromBytes = (key: string, bytes: Uint8Array): Effect.Effect<OssIndexCacheEntry, CorruptEntry> =>
  decodeAt(key, bytes, decodeOssEntry)
