/**
 * Match summaries: for each index membership (package index suffix, advisory), the part of the
 * advisory that matching reads, stored at `sum:<suffix> <id>` next to the index set so a version
 * can be checked without reading, decompressing and parsing the whole record.
 *
 * A summary is a pruned `Advisory`: its `id` and only the `affected` entries `Versions.advisoryAffects`
 * evaluates for that package (`entryApplies`, the rule advisoryAffects itself uses), each with its
 * `package` (ecosystem, name: the ordering is picked from it), all of its `ranges` (type, repo,
 * events; all of them, since a `MatchIssue` names its range by position) and its `versions`. So
 * `advisoryAffects(summary, key, version)` equals `advisoryAffects(advisory, key, version)` for the
 * key of that suffix: same answer, same issues in the same order (test/corpus/batch-agreement.test.ts
 * checks it on every pair of the corpus). Nothing else is needed before the full record is read:
 * the `MatchOptions` filters and the reports run on the full records of the advisories that match.
 * Withdrawn advisories are in no index, so they have no summary.
 */
import { Clock, Effect, Either } from "effect"
import type { Advisory, Affected, Range } from "../../Advisory.js"
import type { CompressionShape } from "../../Compression.js"
import type { CompressionError } from "../../Errors.js"
import { entryApplies } from "../versions/entries.js"
import { DecodedCache, isTrustedAdvisory } from "./decode.js"
import type { StoreDriver } from "./driver.js"
import type { PackageKey } from "../../PackageKey.js"
import { packageOfIndexSuffix } from "./keys.js"
import { entryIndexSuffixes, type PreparedAdvisory } from "./storeCodec.js"

const pruneRange = (range: Range): Range =>
  range.repo === undefined ? { type: range.type, events: range.events } : { type: range.type, repo: range.repo, events: range.events }

const pruneEntry = (entry: Affected): Affected => {
  const pruned: { -readonly [K in keyof Affected]?: Affected[K] } = {}
  if (entry.package !== undefined) pruned.package = { ecosystem: entry.package.ecosystem, name: entry.package.name }
  if (entry.ranges !== undefined) pruned.ranges = entry.ranges.map(pruneRange)
  if (entry.versions !== undefined) pruned.versions = entry.versions
  return pruned as Affected
}

/** The summary of `advisory` for the package of index suffix `suffix` (see the module comment). */
export const summaryOf = (advisory: Advisory, suffix: string): Advisory => {
  const key = packageOfIndexSuffix(suffix)
  const affected: Array<Affected> = []
  if (key !== undefined) for (const entry of advisory.affected ?? []) if (entryApplies(entry, key)) affected.push(pruneEntry(entry))
  return { id: advisory.id, affected }
}

/**
 * JSON text of the summaries of `advisory` for each of `suffixes` (its index suffixes), in order:
 * what a write stores, before compression. One pass over the entries (an advisory may name 80,000
 * packages): an entry can only apply to the suffixes it puts the advisory under
 * (`entryIndexSuffixes`), and `entryApplies` decides among those, as `summaryOf` does.
 */
export const summaryTexts = (advisory: Advisory, suffixes: ReadonlyArray<string>): Array<string> => {
  const bySuffix = new Map<string, { readonly key: PackageKey | undefined; readonly entries: Array<Affected> }>()
  for (const suffix of suffixes) bySuffix.set(suffix, { key: packageOfIndexSuffix(suffix), entries: [] })
  for (const entry of advisory.affected ?? []) {
    let pruned: Affected | undefined
    for (const suffix of new Set(entryIndexSuffixes(entry))) {
      const summary = bySuffix.get(suffix)
      if (summary?.key !== undefined && entryApplies(entry, summary.key)) summary.entries.push(pruned ??= pruneEntry(entry))
    }
  }
  return suffixes.map((suffix) => JSON.stringify({ id: advisory.id, affected: bySuffix.get(suffix)!.entries }))
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * The decompressed bytes of stored summary values, each the value or why it cannot be read. A
 * value starting with `{` is summary JSON stored as text (`summaryEncoding: "json"`) and is
 * returned as it is; any other is a frame of `compression` (a zstd frame starts with 0x28). Reads
 * accept both whatever the driver writes, so a store written by either encoding stays readable.
 */
export const summaryBytes = (
  compression: CompressionShape,
  values: ReadonlyArray<Uint8Array>
): Effect.Effect<Array<Either.Either<Uint8Array, CompressionError>>> => {
  const framed: Array<number> = []
  for (let i = 0; i < values.length; i++) if (values[i]![0] !== 0x7b) framed.push(i)
  if (framed.length === 0) return Effect.succeed(values.map((value) => Either.right(value)))
  return Effect.map(compression.decompressAll(framed.map((i) => values[i]!)), (raws) => {
    const bytes: Array<Either.Either<Uint8Array, CompressionError>> = values.map((value) => Either.right(value))
    for (let f = 0; f < framed.length; f++) bytes[framed[f]!] = raws[f]!
    return bytes
  })
}

/**
 * The summary in decompressed `bytes` read for advisory `id`, or `undefined` when the bytes are not
 * a summary of that id (not JSON, the structural check of trusted values fails, or another id's):
 * the reader then falls back to the full record, so a damaged summary costs a read, never an answer.
 */
export const summaryFromBytes = (id: string, bytes: Uint8Array): Advisory | undefined => {
  const parsed = Either.try(() => JSON.parse(utf8.decode(bytes)) as unknown)
  if (Either.isLeft(parsed)) return undefined
  const value = parsed.right
  return isTrustedAdvisory(value) && value.id === id ? value : undefined
}

/**
 * Advisories naming more packages than this get no summaries (their memberships' summary keys are
 * deleted instead): matching reads their full record, as it would for a missing summary. Real
 * records name at most about 1,000 packages (1,020 in the OSV corpus); a summary per package of a
 * record naming 80,000 would multiply the cost of writing it several times over.
 */
export const maxSummariesPerAdvisory = 10_000

/** Decoded summaries kept per decoded record the driver keeps (see `makeSummaryStore`). */
const summaryCacheFactor = 4

/** Summary values read or decompressed per driver call. */
const readChunk = 2000
const textEncoder = new TextEncoder()

/** The summaries of one index set: decoded ones, and the ids whose summary must be rebuilt from the full record. */
export interface ListedSummaries {
  readonly found: ReadonlyArray<Advisory>
  readonly missing: ReadonlyArray<string>
}

/**
 * Writing and reading summaries over a driver (the core adds the fallback to full records),
 * encoded as the driver says (`StoreDriver.summaryEncoding`): compressed with `compression`, or
 * the JSON text itself.
 * Decoded summaries are cached by their exact stored bytes, like full records (decode.ts), in a
 * cache of their own: `summaryCacheFactor` × the driver's decoded-record entries (16,384 on Redis,
 * about 12 MB when full), since a batch
 * lists several times more (package, advisory) pairs than it matches advisories, and a decoded
 * summary is a fraction of a record.
 */
export const makeSummaryStore = (driver: StoreDriver, compression: CompressionShape) => {
  const { keys } = driver
  const cache = new DecodedCache(driver.decodedCacheEntries * summaryCacheFactor, driver.volatileReads)

  /**
   * The compressed summaries of each advisory of a write chunk, one per index suffix, in order;
   * none for an advisory naming more than `maxSummariesPerAdvisory` packages. Each distinct text is
   * compressed once and its bytes shared by every suffix it is stored under: an entry applies under
   * several suffixes of one advisory (`Debian:11` and its base `Debian`, ...), so the corpus's
   * 148,416 summaries are 84,346 distinct texts, and a zstd call costs ~20 µs whatever its size.
   * With `summaryEncoding: "json"` the encoded texts are the values.
   */
  const compress = (chunk: ReadonlyArray<PreparedAdvisory>) =>
    Effect.gen(function*() {
      const distinct = new Map<string, number>()
      const texts: Array<Uint8Array> = []
      const slots = chunk.map((p) =>
        p.suffixes.length > maxSummariesPerAdvisory ? [] : summaryTexts(p.advisory, p.suffixes).map((text) => {
          let slot = distinct.get(text)
          if (slot === undefined) distinct.set(text, slot = texts.push(textEncoder.encode(text)) - 1)
          return slot
        })
      )
      const values = driver.summaryEncoding === "json" ? texts : yield* compression.compressAll(texts)
      return slots.map((advisorySlots) => advisorySlots.map((slot) => values[slot]!))
    })

  /** The summaries of the ids listed under each of `suffixes` (members in `memberLists`, same order). */
  const read = (operation: string, suffixes: ReadonlyArray<string>, memberLists: ReadonlyArray<ReadonlyArray<string>>) =>
    Effect.gen(function*() {
      const pairKeys: Array<string> = []
      const pairIds: Array<string> = []
      for (let s = 0; s < suffixes.length; s++) {
        for (const id of memberLists[s]!) {
          pairKeys.push(keys.summary(suffixes[s]!, id))
          pairIds.push(id)
        }
      }
      const decoded: Array<Advisory | undefined> = new Array(pairKeys.length)
      cache.startBatch()
      const now = yield* Clock.currentTimeMillis
      // Two chunks in flight, as for full records (core.ts `readChunks`).
      yield* Effect.forEach(Array.from({ length: Math.ceil(pairKeys.length / readChunk) }, (_, c) => c), (c) =>
        Effect.gen(function*() {
          const start = c * readChunk
          const chunkKeys = pairKeys.slice(start, start + readChunk)
          const values = yield* driver.getValues(operation, chunkKeys, now)
          const misses: Array<number> = []
          for (let i = 0; i < values.length; i++) {
            const value = values[i]
            if (value === undefined) continue
            const hit = cache.get(chunkKeys[i]!, value)
            if (hit === undefined) misses.push(i)
            else decoded[start + i] = hit
          }
          if (misses.length === 0) return
          const raws = yield* summaryBytes(compression, misses.map((i) => values[i]!))
          for (let m = 0; m < misses.length; m++) {
            const i = misses[m]!
            const raw = raws[m]!
            const summary = Either.isRight(raw) ? summaryFromBytes(pairIds[start + i]!, raw.right) : undefined
            if (summary === undefined) continue
            decoded[start + i] = summary
            cache.set(chunkKeys[i]!, values[i]!, summary)
          }
        }), { concurrency: 2, discard: true })
      const listed: Array<ListedSummaries> = []
      let pair = 0
      for (let s = 0; s < suffixes.length; s++) {
        const found: Array<Advisory> = []
        const missing: Array<string> = []
        for (const id of memberLists[s]!) {
          const summary = decoded[pair++]
          if (summary === undefined) missing.push(id)
          else found.push(summary)
        }
        listed.push({ found, missing })
      }
      return listed
    })

  return { compress, read }
}
