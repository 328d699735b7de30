/**
 * The sync driver: runs advisory sources into a store, unit by unit (OSV: one unit per
 * ecosystem), with bounded concurrency, bounded batches and observable progress.
 *
 * Rules (each one fixes a bug of the Rust crate):
 * - the unit's sync time is read from the clock *before* fetching and saved only when the unit's
 *   stream completed without a retryable failure, so nothing modified during a sync, and nothing
 *   that failed transiently, is skipped by the next incremental sync;
 * - a unit that fails (download error, corrupt archive, store error) is reported with its reason
 *   and its timestamp stays; other units go on;
 * - per-record failures are counted and listed with their ids; a record the store would reject
 *   (the store's own rules: `storeCodec.validateAdvisory`) is rejected here, before batching, so one
 *   bad record never fails its batch, its unit, or every later sync of that unit. Such a rejection
 *   is permanent (fetching the same record again cannot fix it): the unit is `partial` and its
 *   timestamp advances. Only retryable failures hold the timestamp back;
 * - store writes are retried with the `Retry` policy (retryable errors only: connection lost,
 *   server restarting, transient OOM); a batch is an idempotent upsert, so writing it again after
 *   a failure mid-batch converges to the same state. A store that stays down fails the unit with
 *   `storeUnavailable` set;
 * - every advisory is written atomically with its index entries, so interrupting a sync leaves
 *   the store consistent, and two syncs of one store at the same time converge to the same state
 *   (writes are idempotent upserts; proven by a test).
 *
 * @since 0.1.0
 */
import { Chunk, Clock, Data, Effect, Either, Option, Queue, Stream } from "effect"
import type { Advisory } from "./Advisory.js"
import type { AdvisorySource, SourceItem } from "./AdvisorySource.js"
import type { AdvisoryStoreShape } from "./AdvisoryStore.js"
import type { AdvisoryStoreError } from "./Errors.js"
import { sanitizeForDisplay } from "./internal/sanitize.js"
import * as Codec from "./internal/store/storeCodec.js"
import { retryTransient } from "./Retry.js"
import * as Metrics from "./Metrics.js"

/**
 * One failed record. `id` and `detail` are for display: control characters escaped, credentials
 * masked, an id longer than 200 characters shortened.
 *
 * @since 0.1.0
 * @category Models
 */
export interface RecordFailure {
  readonly id: string
  readonly detail: string
  /** Fetching it again may succeed (network, 5xx): the unit's timestamp was not advanced. */
  readonly retryable: boolean
  /** `source`: the source could not fetch or decode it; `rejected`: the store's rules reject it. */
  readonly kind: "source" | "rejected"
}

/**
 * What happened to one unit.
 *
 * @since 0.1.0
 * @category Models
 */
export interface UnitStats {
  readonly source: string
  readonly unit: string
  /** `full` (no previous sync) or `incremental`. */
  readonly mode: "full" | "incremental"
  /** `succeeded`: no failures; `partial`: completed with record failures; `failed`: the unit did not complete. */
  readonly status: "succeeded" | "partial" | "failed"
  /** Records received from the source. */
  readonly fetched: number
  /** Records written (inserted + updated). */
  readonly written: number
  readonly inserted: number
  readonly updated: number
  /** Withdrawn records (kept by id, removed from indexes). */
  readonly withdrawn: number
  /** Index memberships removed because a record no longer names that package. */
  readonly staleIndexEntriesRemoved: number
  /** Number of failed records (source failures and rejected records). */
  readonly failed: number
  /** Of `failed`, the records rejected by the store's rules (invalid id, not an OSV document, ...). */
  readonly rejected: number
  /** The failed records (at most `maxListedFailures`). */
  readonly failures: ReadonlyArray<RecordFailure>
  /** Why the unit failed, when it did. */
  readonly error: string | undefined
  /** The unit failed because the store stayed unreachable through every retry. */
  readonly storeUnavailable: boolean
  /** Whether the unit's sync timestamp was advanced (to `startedAt`). */
  readonly timestampAdvanced: boolean
  /** Epoch ms when the fetch started (the timestamp saved on success). */
  readonly startedAt: number
  readonly durationMs: number
}

/**
 * What `syncAll` did.
 *
 * @since 0.1.0
 * @category Models
 */
export interface SyncStats {
  readonly units: ReadonlyArray<UnitStats>
  readonly succeeded: number
  /** Units that completed with failed or rejected records. */
  readonly partial: number
  readonly failed: number
  readonly fetched: number
  readonly written: number
  /** Records rejected by the store's rules, over all units. */
  readonly rejected: number
  /** Some unit failed because the store stayed unreachable. */
  readonly storeUnavailable: boolean
  readonly durationMs: number
}

/**
 * Progress events, in order per unit: `UnitStarted`, `UnitProgress`..., then `UnitFinished`.
 *
 * @since 0.1.0
 * @category Models
 */
export type SyncEvent = Data.TaggedEnum<{
  SyncStarted: { readonly units: ReadonlyArray<string> }
  UnitStarted: { readonly unit: string; readonly mode: "full" | "incremental"; readonly expected: number | undefined }
  UnitProgress: {
    readonly unit: string
    readonly fetched: number
    readonly written: number
    readonly failed: number
    readonly expected: number | undefined
    readonly elapsedMs: number
  }
  UnitFinished: { readonly stats: UnitStats }
  SyncFinished: { readonly stats: SyncStats }
}>

/**
 * Constructors for `SyncEvent`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const SyncEvent = Data.taggedEnum<SyncEvent>()

/**
 * @since 0.1.0
 * @category Models
 */
export interface SyncOptions {
  /** Units synced at the same time (default 2). */
  readonly concurrency?: number
  /** Records per store write (default 500). */
  readonly batchSize?: number
  /** Failures listed per unit (default 100; all are counted). */
  readonly maxListedFailures?: number
  /** Only these units (names as `osv.npm`, or a source name for all its units). */
  readonly only?: ReadonlyArray<string>
  /** Receives progress events. */
  readonly onEvent?: (event: SyncEvent) => Effect.Effect<void>
}

interface Counters {
  mode: "full" | "incremental"
  expected: number | undefined
  fetched: number
  inserted: number
  updated: number
  withdrawn: number
  stale: number
  failed: number
  rejected: number
  retryableFailures: number
  failures: Array<RecordFailure>
}

/** Ids and details as shown in failure lists: sanitized, and at most 200 characters. */
const shown = (text: string) => {
  const clean = sanitizeForDisplay(text)
  return clean.length > 200 ? `${clean.slice(0, 200)}…(${text.length} chars)` : clean
}

const idOf = (advisory: Advisory): string =>
  typeof advisory === "object" && advisory !== null && typeof advisory.id === "string" ? advisory.id : "<no id>"

/** The store error's text, for a failure list. */
const reasonOf = (error: AdvisoryStoreError) =>
  error._tag === "InvalidInput" ? `${error.field}: ${error.detail}` : error.message

/** A failure that says the store could not be reached (as opposed to a rejected command or bad data). */
const isUnavailable = (error: unknown) =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "StoreError" &&
  (error as { reason?: unknown }).reason === "Unavailable"

/** The longest a received record waits for its batch to fill while items keep arriving. */
const flushIntervalMillis = 1_000

const selected = (sources: ReadonlyArray<AdvisorySource>, only: ReadonlyArray<string> | undefined) => {
  const wanted = only?.map((u) => u.trim().toLowerCase())
  return sources.flatMap((source) =>
    source.units
      .filter((unit) => !wanted || wanted.includes(unit) || wanted.includes(source.name) || wanted.includes(unit.slice(source.name.length + 1)))
      .map((unit) => ({ source, unit }))
  )
}

/**
 * Syncs one unit of a source into the store. Never fails: failures are in the returned stats.
 *
 * @since 0.1.0
 * @category Sync
 */
export const syncUnit = (
  store: AdvisoryStoreShape,
  source: AdvisorySource,
  unit: string,
  options: SyncOptions = {}
): Effect.Effect<UnitStats> =>
  Effect.gen(function*() {
    const emit = options.onEvent ?? (() => Effect.void)
    const batchSize = Math.max(1, options.batchSize ?? 500)
    const maxListed = options.maxListedFailures ?? 100
    const startedAt = yield* Clock.currentTimeMillis
    const c: Counters = {
      mode: "full",
      expected: undefined,
      fetched: 0,
      inserted: 0,
      updated: 0,
      withdrawn: 0,
      stale: 0,
      failed: 0,
      rejected: 0,
      retryableFailures: 0,
      failures: []
    }
    const fail = (failure: RecordFailure) => {
      c.failed++
      if (failure.retryable) c.retryableFailures++
      if (failure.kind === "rejected") c.rejected++
      if (c.failures.length < maxListed) c.failures.push(failure)
    }
    const reject = (advisory: Advisory, error: AdvisoryStoreError) =>
      fail({ id: shown(idOf(advisory)), detail: shown(reasonOf(error)), retryable: false, kind: "rejected" })
    const progress = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      emit(SyncEvent.UnitProgress({
        unit,
        fetched: c.fetched,
        written: c.inserted + c.updated,
        failed: c.failed,
        expected: c.expected,
        elapsedMs: now - startedAt
      })))

    /** Records received and not yet written (fewer than `batchSize` between writes). */
    let pending: Array<Advisory> = []
    let lastWrite = startedAt

    const count = (result: { inserted: number; updated: number; withdrawn: number; staleIndexEntriesRemoved: number }) => {
      c.inserted += result.inserted
      c.updated += result.updated
      c.withdrawn += result.withdrawn
      c.stale += result.staleIndexEntriesRemoved
    }
    // Retried on retryable errors only; re-writing a batch is an idempotent upsert (a record
    // written by the failed attempt then counts as `updated`).
    const upsert = (records: ReadonlyArray<Advisory>) => retryTransient(store.upsertBatch(records, unit))

    /**
     * Writes the pending records (if any) and reports progress. When the store still rejects the
     * batch as invalid (a rule the check before batching does not know), the records are written
     * one by one, so only the bad ones are rejected.
     */
    const write = Effect.gen(function*() {
      const records = pending
      pending = []
      if (records.length > 0) {
        const written = yield* Effect.either(upsert(records))
        if (Either.isRight(written)) count(written.right)
        else if (written.left._tag !== "InvalidInput") return yield* Effect.fail(written.left)
        else {
          for (const advisory of records) {
            const one = yield* Effect.either(upsert([advisory]))
            if (Either.isRight(one)) count(one.right)
            else if (one.left._tag === "InvalidInput") reject(advisory, one.left)
            else return yield* Effect.fail(one.left)
          }
        }
      }
      lastWrite = yield* Clock.currentTimeMillis
      yield* progress
    })

    // Batching is done here rather than with `Stream.groupedWithin(batchSize, "1 second")`: sources
    // emit about one record per stream chunk, and groupedWithin hands every chunk to another fiber,
    // which cost ~70µs of CPU per record, a quarter of a full sync's CPU time (bench/sync.ts). The
    // same bounds hold: a write every `batchSize` records, and a partial batch is written (and
    // progress reported) when an item arrives a second or more after the previous write, and at
    // the end. (A source that stalls keeps its partial batch until it resumes or ends.)
    const handleChunk = (items: Chunk.Chunk<SourceItem>) =>
      Effect.gen(function*() {
        for (const item of items) {
          switch (item._tag) {
            case "Started":
              c.mode = item.mode
              c.expected = item.expected
              yield* emit(SyncEvent.UnitStarted({ unit, mode: item.mode, expected: item.expected }))
              break
            case "Record": {
              c.fetched++
              // The store's own rule, checked before batching: one bad record must not fail a batch.
              const valid = yield* Effect.either(Codec.validateAdvisory(item.advisory))
              if (Either.isLeft(valid)) {
                reject(item.advisory, valid.left)
                break
              }
              pending.push(item.advisory)
              if (pending.length >= batchSize) yield* write
              break
            }
            case "Failed":
              fail({ id: shown(item.id), detail: shown(item.detail), retryable: item.retryable, kind: "source" })
              break
          }
        }
        if ((yield* Clock.currentTimeMillis) - lastWrite >= flushIntervalMillis) yield* write
      })

    const run = Effect.gen(function*() {
      const since = yield* retryTransient(store.lastSync(unit))
      c.mode = Option.isSome(since) ? "incremental" : "full"
      const streamed = yield* Effect.either(Stream.runForEachChunk(source.fetch(unit, since), handleChunk))
      if (streamed._tag === "Right") return yield* write
      // Records read before the source failed are valid: keep them (the unit still fails, its
      // timestamp stays, and a store failure here does not hide the source's reason).
      yield* Effect.ignore(write)
      return yield* Effect.fail(streamed.left)
    })

    const outcome = yield* Effect.either(run)
    const completed = outcome._tag === "Right"
    const advance = completed && c.retryableFailures === 0
    const saved = advance
      ? yield* Effect.either(retryTransient(store.updateSyncTimestamp(unit, new Date(startedAt))))
      : undefined
    const finishedAt = yield* Clock.currentTimeMillis
    const error = outcome._tag === "Left"
      ? (isUnavailable(outcome.left) ? "the store stayed unreachable: " : "") + outcome.left.message
      : saved?._tag === "Left"
      ? `records written, but saving the sync time failed: ${saved.left.message}`
      : c.retryableFailures > 0
      ? `${c.retryableFailures} record(s) failed transiently; the sync time was not advanced so they are fetched again next time`
      : undefined
    const stats: UnitStats = {
      source: source.name,
      unit,
      mode: c.mode,
      status: !completed || saved?._tag === "Left" ? "failed" : c.failed > 0 ? "partial" : "succeeded",
      fetched: c.fetched,
      written: c.inserted + c.updated,
      inserted: c.inserted,
      updated: c.updated,
      withdrawn: c.withdrawn,
      staleIndexEntriesRemoved: c.stale,
      failed: c.failed,
      rejected: c.rejected,
      failures: c.failures,
      error,
      storeUnavailable: (outcome._tag === "Left" && isUnavailable(outcome.left)) ||
        (saved?._tag === "Left" && isUnavailable(saved.left)),
      timestampAdvanced: advance && saved?._tag === "Right",
      startedAt,
      durationMs: finishedAt - startedAt
    }
    if (stats.status === "failed") {
      yield* Effect.logWarning("sync unit failed").pipe(Effect.annotateLogs({ unit, error: stats.error }))
    }
    yield* Metrics.recordSyncUnit(stats)
    yield* emit(SyncEvent.UnitFinished({ stats }))
    return stats
  }).pipe(Effect.withSpan("Sync.syncUnit", { attributes: { unit } }))

/**
 * Syncs every unit of every source (bounded concurrency). Never fails: each unit's outcome is in
 * the stats, so one broken ecosystem does not hide the others' results.
 *
 * @since 0.1.0
 * @category Sync
 */
export const syncAll = (
  store: AdvisoryStoreShape,
  sources: ReadonlyArray<AdvisorySource>,
  options: SyncOptions = {}
): Effect.Effect<SyncStats> =>
  Effect.gen(function*() {
    const emit = options.onEvent ?? (() => Effect.void)
    const work = selected(sources, options.only)
    const start = yield* Clock.currentTimeMillis
    yield* emit(SyncEvent.SyncStarted({ units: work.map((w) => w.unit) }))
    const units = yield* Effect.forEach(work, ({ source, unit }) => syncUnit(store, source, unit, options), {
      concurrency: Math.max(1, options.concurrency ?? 2)
    })
    const end = yield* Clock.currentTimeMillis
    const stats: SyncStats = {
      units,
      succeeded: units.filter((u) => u.status === "succeeded").length,
      partial: units.filter((u) => u.status === "partial").length,
      failed: units.filter((u) => u.status === "failed").length,
      fetched: units.reduce((n, u) => n + u.fetched, 0),
      written: units.reduce((n, u) => n + u.written, 0),
      rejected: units.reduce((n, u) => n + u.rejected, 0),
      storeUnavailable: units.some((u) => u.storeUnavailable),
      durationMs: end - start
    }
    yield* emit(SyncEvent.SyncFinished({ stats }))
    return stats
  }).pipe(Effect.withSpan("Sync.syncAll"))

/**
 * `syncAll` as a stream of progress events, ending with `SyncFinished`.
 *
 * @since 0.1.0
 * @category Sync
 */
export const syncAllStream = (
  store: AdvisoryStoreShape,
  sources: ReadonlyArray<AdvisorySource>,
  options: Omit<SyncOptions, "onEvent"> = {}
): Stream.Stream<SyncEvent> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const queue = yield* Effect.acquireRelease(Queue.unbounded<SyncEvent>(), Queue.shutdown)
      yield* Effect.forkScoped(syncAll(store, sources, { ...options, onEvent: (e) => Queue.offer(queue, e) }))
      return Stream.fromQueue(queue).pipe(Stream.takeUntil((e) => e._tag === "SyncFinished"))
    })
  )
