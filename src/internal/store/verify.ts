/**
 * `AdvisoryStore.verify`, over the driver primitives: walks every index set and the `ids`
 * bookkeeping and finds references to advisory data that is gone — what a Redis server with an
 * eviction policy leaves behind, since eviction drops keys without telling the writer. The repair
 * removes those references (the core's `purge`, atomic per id and a no-op when the data came
 * back) and clears the sync timestamps of the units the lost advisories came from, so the next
 * sync of those units is full and writes them again. It also counts index entries whose match
 * summary is missing (reads rebuild it from the record, so this costs speed, not answers); orphan
 * summaries (a summary key without its membership) are not looked for: that needs a walk of every
 * summary key, and a write or removal deletes a membership's summary with it, atomically.
 */
import { Array as Arr, Clock, Effect, Stream } from "effect"
import type { VerifyReport } from "../../AdvisoryStore.js"
import type { StoreError } from "../../Errors.js"
import * as PackageKey from "../../PackageKey.js"
import type { StoreDriver } from "./driver.js"
import { packageOfIndexSuffix } from "./keys.js"

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
}

/**
 * The ecosystem an advisory sync unit covers: units are named `<source>.<ecosystem>` (`osv.npm`,
 * `osv.crates.io`); `undefined` for units that carry no advisories per ecosystem (`kev`, `epss`).
 */
const unitEcosystem = (unit: string): string | undefined => {
  const dot = unit.indexOf(".")
  return dot === -1 ? undefined : PackageKey.baseEcosystem(unit.slice(dot + 1))
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
    const presentKeys = (keyList: ReadonlyArray<string>) =>
      Effect.map(
        Effect.forEach(Arr.chunksOf(keyList, chunkSize), (chunk) => driver.exists(operation, chunk, now)),
        (chunks) => chunks.flat()
      )
    const present = (ids: ReadonlyArray<string>) => presentKeys(ids.map(keys.data))

    const seenSets = new Set<string>()
    let indexEntries = 0
    let danglingIndexEntries = 0
    let missingSummaries = 0
    yield* Stream.runForEach(driver.indexSuffixPages(operation), (page) =>
      Effect.forEach(page.filter((suffix) => !seenSets.has(suffix) && seenSets.add(suffix)), (suffix) =>
        Effect.gen(function*() {
          const ids = yield* driver.members(operation, keys.index(suffix))
          const exists = yield* present(ids)
          const summarized = yield* presentKeys(ids.map((id) => keys.summary(suffix, id)))
          indexEntries += ids.length
          for (let i = 0; i < ids.length; i++) {
            if (exists[i]) {
              if (!summarized[i]) missingSummaries++
              continue
            }
            danglingIndexEntries++
            goneEntry(ids[i]!).add(suffix)
          }
        }), { concurrency, discard: true }))

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

    // The ecosystems the lost advisories came from; a git listing or a bare `ids` entry does not say.
    const ecosystems = new Set<string>()
    let unknownEcosystem = false
    for (const suffixes of gone.values()) {
      let known = false
      for (const suffix of suffixes) {
        const ecosystem = packageOfIndexSuffix(suffix)?.ecosystem
        if (ecosystem === undefined || ecosystem === "git") continue
        ecosystems.add(PackageKey.baseEcosystem(ecosystem))
        known = true
      }
      if (!known) unknownEcosystem = true
    }

    const found = gone.size > 0
    let resetSources: ReadonlyArray<string> = []
    if (repair && found) {
      yield* deps.purge(operation, Array.from(gone, ([id, suffixes]) => [id, Array.from(suffixes)] as const))
      const units = yield* driver.members(operation, keys.sources)
      const affected = units.filter((unit) => {
        const ecosystem = unitEcosystem(unit)
        return ecosystem !== undefined && (unknownEcosystem || ecosystems.has(ecosystem))
      })
      resetSources = (yield* deps.clearTimestamps(operation, affected)).slice().sort()
    }
    return {
      indexSets: seenSets.size,
      indexEntries,
      danglingIndexEntries,
      missingSummaries,
      recordedAdvisories: seenIds.size,
      danglingRecords,
      missingAdvisories: gone.size,
      affectedEcosystems: Array.from(ecosystems).sort(),
      repaired: repair && found,
      resetSources
    } satisfies VerifyReport
  })
