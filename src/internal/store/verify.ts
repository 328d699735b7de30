/**
 * `AdvisoryStore.verify`, over the driver primitives: walks every index set and the `ids`
 * bookkeeping and finds references to advisory data that is gone — what a Redis server with an
 * eviction policy leaves behind, since eviction drops keys without telling the writer. The repair
 * removes those references (the core's `purge`, atomic per id and a no-op when the data came
 * back) and clears the sync timestamps of the units the lost advisories came from, so the next
 * sync of those units is full and writes them again. It also counts index entries whose match
 * summary is missing (reads rebuild it from the record, so this costs speed, not answers), and
 * compares every present summary with the record it summarizes: a summary is trusted to say "not
 * affected" without the record being read, so one that disagrees with its record (the record
 * re-written by a writer that does not maintain summaries, like the Rust crate) can hide an
 * advisory; the repair deletes those (reads then rebuild them from the record). Records that
 * exist but cannot be read are listed, not deleted: one written by a newer version (a dictionary
 * this one does not ship) is unreadable here, not damaged. Orphan summaries (a summary key without
 * its membership) are not looked for: that needs a walk of every summary key, and a write or
 * removal deletes a membership's summary with it, atomically; nothing reads a summary without its
 * membership.
 */
import { Array as Arr, Clock, Effect, Either, Stream } from "effect"
import type { Advisory } from "../../Advisory.js"
import type { VerifyReport } from "../../AdvisoryStore.js"
import type { CompressionShape } from "../../Compression.js"
import type { CorruptEntry, StoreError } from "../../Errors.js"
import * as PackageKey from "../../PackageKey.js"
import type { StoreDriver } from "./driver.js"
import { packageOfIndexSuffix } from "./keys.js"
import { maxSummariesPerAdvisory, summaryBytes, summaryTexts } from "./summary.js"

/** Index sets checked at once. */
const concurrency = 8
/** Ids whose data is checked per driver call. */
const chunkSize = 500

/** What verify needs from the core besides the driver. */
export interface VerifyDeps {
  /** Removes every reference to the ids (and from the listed index suffixes) whose data is gone. */
  readonly purge: (operation: string, gone: ReadonlyArray<readonly [id: string, suffixes: ReadonlyArray<string>]>) => Effect.Effect<void, StoreError>
  /** Clears the sync timestamps of these sources; returns the ones that had one. */
  readonly clearTimestamps: (operation: string, sources: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /** The stored records of `ids`, in order: `undefined` when absent, a `CorruptEntry` when unreadable. */
  readonly readRecords: (
    operation: string,
    ids: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<Either.Either<Advisory, CorruptEntry> | undefined>, StoreError>
  /** The codec summaries are stored with. */
  readonly summaryCompression: CompressionShape
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The decompressed text of a stored summary, or `undefined` when it is not UTF-8 text. */
const textOf = (bytes: Uint8Array): string | undefined => {
  const text = Either.try(() => utf8.decode(bytes))
  return Either.isRight(text) ? text.right : undefined
}

/**
 * The ecosystem an advisory sync unit covers: units are named `<source>.<ecosystem>` (`osv.npm`,
 * `osv.crates.io`); `undefined` for units that carry no advisories per ecosystem (`kev`, `epss`).
 */
const unitEcosystem = (unit: string): string | undefined => {
  const dot = unit.indexOf(".")
  return dot === -1 ? undefined : PackageKey.baseEcosystem(unit.slice(dot + 1))
}

/**
 * The ecosystems (canonical, base) of advisories listed under these groups of index suffixes, and
 * whether some group names none (only git listings, or no listing): its unit is then unknown.
 */
const ecosystemsOf = (groups: Iterable<Iterable<string>>) => {
  const ecosystems = new Set<string>()
  let unknown = false
  for (const suffixes of groups) {
    let known = false
    for (const suffix of suffixes) {
      const ecosystem = packageOfIndexSuffix(suffix)?.ecosystem
      if (ecosystem === undefined || ecosystem === "git") continue
      ecosystems.add(PackageKey.baseEcosystem(ecosystem))
      known = true
    }
    if (!known) unknown = true
  }
  return { ecosystems, unknown }
}

/** Walks the store (see the module comment); `repair` removes what it found. */
export const verifyStore = (
  driver: StoreDriver,
  deps: VerifyDeps,
  operation: string,
  repair: boolean
): Effect.Effect<VerifyReport, StoreError> =>
  Effect.gen(function*() {
    const { keys } = driver
    const now = yield* Clock.currentTimeMillis
    /** Ids whose data is gone → the index suffixes still listing them. */
    const gone = new Map<string, Set<string>>()
    const goneEntry = (id: string) => {
      let suffixes = gone.get(id)
      if (suffixes === undefined) gone.set(id, suffixes = new Set())
      return suffixes
    }
    /** Whether each id's data is stored. */
    const present = (ids: ReadonlyArray<string>) =>
      Effect.map(
        Effect.forEach(Arr.chunksOf(ids, chunkSize), (chunk) => driver.exists(operation, chunk.map(keys.data), now)),
        (chunks) => chunks.flat()
      )

    const seenSets = new Set<string>()
    let indexEntries = 0
    let danglingIndexEntries = 0
    /** Ids with stored data → the index suffixes listing them. */
    const listedUnder = new Map<string, Array<string>>()
    yield* Stream.runForEach(driver.indexSuffixPages(operation), (page) =>
      Effect.forEach(page.filter((suffix) => !seenSets.has(suffix) && seenSets.add(suffix)), (suffix) =>
        Effect.gen(function*() {
          const ids = yield* driver.members(operation, keys.index(suffix))
          const exists = yield* present(ids)
          indexEntries += ids.length
          for (let i = 0; i < ids.length; i++) {
            if (exists[i]) {
              const listed = listedUnder.get(ids[i]!)
              if (listed === undefined) listedUnder.set(ids[i]!, [suffix])
              else listed.push(suffix)
              continue
            }
            danglingIndexEntries++
            goneEntry(ids[i]!).add(suffix)
          }
        }), { concurrency, discard: true }))

    // Every indexed record read once; each membership's summary read and compared with the one
    // its record gives now (absent: counted as missing).
    let missingSummaries = 0
    const stale: Array<string> = []
    const corrupt: Array<string> = []
    const corruptListings: Array<ReadonlyArray<string>> = []
    for (const chunk of Arr.chunksOf(Array.from(listedUnder.keys()), chunkSize)) {
      const records = yield* deps.readRecords(operation, chunk)
      const pairs: Array<{ readonly key: string; readonly expected: string | undefined }> = []
      for (let r = 0; r < chunk.length; r++) {
        const id = chunk[r]!
        const record = records[r]
        const suffixes = listedUnder.get(id)!
        if (record === undefined) continue // gone since the walk: nothing to compare
        if (Either.isLeft(record)) {
          corrupt.push(id)
          corruptListings.push(suffixes)
          continue
        }
        // An advisory naming too many packages gets no summaries: any present one is stale.
        const texts = suffixes.length <= maxSummariesPerAdvisory ? summaryTexts(record.right, suffixes) : undefined
        for (let s = 0; s < suffixes.length; s++) pairs.push({ key: keys.summary(suffixes[s]!, id), expected: texts?.[s] })
      }
      for (const part of Arr.chunksOf(pairs, chunkSize)) {
        const values = yield* driver.getValues(operation, part.map((p) => p.key), now)
        const stored: Array<number> = []
        for (let i = 0; i < values.length; i++) {
          if (values[i] === undefined) missingSummaries++
          else stored.push(i)
        }
        // Decompressed in batches (Compression `decompressAll`), so the duplicate values of an
        // advisory's equal texts cost little.
        const raws = yield* summaryBytes(deps.summaryCompression, stored.map((i) => values[i]!))
        for (let s = 0; s < stored.length; s++) {
          const raw = raws[s]!
          const pair = part[stored[s]!]!
          const text = Either.isRight(raw) ? textOf(raw.right) : undefined
          if (pair.expected === undefined || text === undefined || text !== pair.expected) stale.push(pair.key)
        }
      }
    }
    if (repair && stale.length > 0) {
      for (const part of Arr.chunksOf(stale, chunkSize)) {
        yield* driver.write(operation, part.map((key) => ({ op: "del", key }) as const), now)
      }
    }

    const seenIds = new Set<string>()
    let danglingRecords = 0
    yield* Stream.runForEach(driver.recordedIdPages(operation), (page) =>
      Effect.gen(function*() {
        // Expired ids are the sweep's business; a SCAN page may repeat an id.
        const live = page.filter((r) => r.expiresAt > now && !seenIds.has(r.id) && seenIds.add(r.id)).map((r) => r.id)
        const exists = yield* present(live)
        for (let i = 0; i < live.length; i++) {
          if (exists[i]) continue
          danglingRecords++
          goneEntry(live[i]!)
        }
      }))

    const lost = ecosystemsOf(gone.values())
    const unreadable = ecosystemsOf(corruptListings)
    const found = gone.size > 0
    let resetSources: ReadonlyArray<string> = []
    if (repair && (found || corrupt.length > 0)) {
      if (found) yield* deps.purge(operation, Array.from(gone, ([id, suffixes]) => [id, Array.from(suffixes)] as const))
      // Unreadable records are kept (see the module comment); the next sync of their units writes them again.
      const units = yield* driver.members(operation, keys.sources)
      const affected = units.filter((unit) => {
        const ecosystem = unitEcosystem(unit)
        return ecosystem !== undefined &&
          (lost.unknown || lost.ecosystems.has(ecosystem) || unreadable.unknown || unreadable.ecosystems.has(ecosystem))
      })
      resetSources = (yield* deps.clearTimestamps(operation, affected)).slice().sort()
    }
    return {
      indexSets: seenSets.size,
      indexEntries,
      danglingIndexEntries,
      missingSummaries,
      staleSummaries: stale.length,
      corruptRecords: corrupt.sort(),
      recordedAdvisories: seenIds.size,
      danglingRecords,
      missingAdvisories: gone.size,
      affectedEcosystems: Array.from(lost.ecosystems).sort(),
      repaired: repair && (found || stale.length > 0 || corrupt.length > 0),
      resetSources
    } satisfies VerifyReport
  })
