/**
 * `syncEnrichment`: the CISA KEV catalog and FIRST EPSS scores merged per CVE into `enrich:<CVE>`
 * entries.
 *
 * Memory stays bounded: KEV (~1.5k entries) is held in a map, EPSS (~300k rows) is streamed and
 * written in chunks. Each chunk is merged with what is already stored, so a source that failed this
 * time does not wipe the other's data (the Rust crate rewrote entries wholesale, losing EPSS when
 * its fetch failed). When KEV was fetched, it is authoritative for the CVEs written (a CVE that left
 * the catalog gets `isKev: false`); when EPSS was fetched, it is authoritative for its rows.
 */
import { Chunk, Clock, Effect, Option, Stream } from "effect"
import type { AdvisoryStoreShape } from "../../AdvisoryStore.js"
import { EnrichmentData } from "../../EnrichmentData.js"
import type { EpssSourceShape } from "../../EpssSource.js"
import type { AdvisoryStoreError, InvalidInput } from "../../Errors.js"
import type { KevEntry, KevSourceShape } from "../../KevSource.js"

/**
 * The result of one enrichment sync.
 */
export interface EnrichmentSyncResult {
  readonly kev: {
    readonly status: "succeeded" | "failed"
    /** Catalog entries read. */
    readonly entries: number
    /** Catalog entries that did not decode (reported, skipped). */
    readonly malformed: number
    readonly catalogVersion: string | undefined
    readonly error: string | undefined
  }
  readonly epss: {
    readonly status: "succeeded" | "failed"
    /** Scores read from the bulk file (before a failure, if it failed part-way). */
    readonly scores: number
    readonly malformed: number
    readonly scoreDate: string | undefined
    readonly modelVersion: string | undefined
    readonly error: string | undefined
  }
  /** Explicitly requested CVEs, scored through the EPSS API (absent when none were requested). */
  readonly api:
    | {
      readonly requested: number
      readonly scores: number
      readonly missing: ReadonlyArray<string>
      readonly failed: ReadonlyArray<string>
    }
    | undefined
  /** Enrichment entries written. */
  readonly written: number
  readonly durationMs: number
}

interface Score {
  readonly epss: number
  readonly percentile: number
  readonly date: string | undefined
}

const chunkSize = 1000

const kevFields = (entry: KevEntry | undefined) =>
  entry === undefined
    ? { isKev: false, kevDateAdded: undefined, kevDueDate: undefined, kevRansomware: undefined }
    : {
      isKev: true,
      kevDateAdded: entry.dateAdded,
      kevDueDate: entry.dueDate,
      kevRansomware: entry.knownRansomwareCampaignUse === undefined
        ? undefined
        : entry.knownRansomwareCampaignUse === "Known"
    }

/** The date part of an EPSS score date (`2026-08-16T12:55:00Z` → `2026-08-16`). */
const dateOnly = (value: string | undefined) => (value === undefined ? undefined : value.slice(0, 10))

/** Runs one enrichment sync. Store failures fail the effect; source failures are in the result. */
export const syncEnrichment = (
  store: AdvisoryStoreShape,
  kevSource: KevSourceShape,
  epssSource: EpssSourceShape,
  extraCves: ReadonlyArray<string>
): Effect.Effect<EnrichmentSyncResult, AdvisoryStoreError | InvalidInput> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const kevOutcome = yield* Effect.either(kevSource.fetchCatalog)
    const kev = kevOutcome._tag === "Right"
      ? new Map(kevOutcome.right.entries.map((e) => [e.cveID.toUpperCase(), e] as const))
      : undefined
    if (kevOutcome._tag === "Left") {
      yield* Effect.logWarning("KEV catalog fetch failed; EPSS is still stored").pipe(
        Effect.annotateLogs({ error: kevOutcome.left.message })
      )
    }
    const now = new Date(start).toISOString()
    const kevPending = new Set(kev?.keys() ?? [])
    let written = 0

    /** Writes one chunk of scores merged with KEV and with what is stored. */
    const writeScores = (scores: ReadonlyArray<readonly [cve: string, score: Score | undefined]>) =>
      Effect.gen(function*() {
        if (scores.length === 0) return
        const existing = yield* store.getEnrichmentBatch(scores.map(([cve]) => cve))
        const entries = scores.map(([cve, score]) => {
          const old = existing.get(cve)
          kevPending.delete(cve)
          const kevPart = kev === undefined
            ? {
              isKev: old?.isKev ?? false,
              kevDateAdded: old?.kevDateAdded,
              kevDueDate: old?.kevDueDate,
              kevRansomware: old?.kevRansomware
            }
            : kevFields(kev.get(cve))
          const epssPart = score === undefined
            ? { epssScore: old?.epssScore, epssPercentile: old?.epssPercentile, epssDate: old?.epssDate }
            : { epssScore: score.epss, epssPercentile: score.percentile, epssDate: score.date }
          // Built from values that were already decoded and validated: skip re-validation (hot loop, 360k rows).
          return [cve, new EnrichmentData({ ...epssPart, ...kevPart, updatedAt: now }, true)] as const
        })
        written += yield* store.storeEnrichmentBatch(entries)
      })

    // EPSS bulk, streamed.
    let scoreDate: string | undefined
    let modelVersion: string | undefined
    let bulkScores = 0
    let bulkMalformed = 0
    const bulkOutcome = yield* epssSource.bulk.pipe(
      Stream.tap((item) =>
        Effect.sync(() => {
          if (item._tag === "Metadata") {
            scoreDate = Option.getOrUndefined(item.scoreDate)
            modelVersion = Option.getOrUndefined(item.modelVersion)
          } else if (item._tag === "Malformed") bulkMalformed++
        })
      ),
      Stream.filterMap((item) => (item._tag === "Score" ? Option.some(item) : Option.none())),
      Stream.grouped(chunkSize),
      Stream.runForEach((chunk) => {
        bulkScores += Chunk.size(chunk)
        const date = dateOnly(scoreDate)
        return writeScores(
          Chunk.toReadonlyArray(chunk).map((s) =>
            [s.cve.toUpperCase(), { epss: s.epss, percentile: s.percentile, date }] as const
          )
        )
      }),
      Effect.either
    )
    // A store failure inside the stream is not a source failure: surface it.
    if (bulkOutcome._tag === "Left" && bulkOutcome.left._tag !== "SourceError" && bulkOutcome.left._tag !== "DecodeError") {
      return yield* Effect.fail(bulkOutcome.left)
    }
    if (bulkOutcome._tag === "Left") {
      yield* Effect.logWarning("EPSS bulk download failed; KEV is still stored").pipe(
        Effect.annotateLogs({ error: bulkOutcome.left.message, scoresWritten: bulkScores })
      )
    }

    // Explicitly requested CVEs through the API (fresh scores for exactly those).
    let api: EnrichmentSyncResult["api"] = undefined
    if (extraCves.length > 0) {
      const result = yield* epssSource.scores(extraCves)
      const apiScores = result.scores.map((s) =>
        [s.cve.toUpperCase(), { epss: s.epss, percentile: s.percentile, date: s.date }] as const
      )
      for (let i = 0; i < apiScores.length; i += chunkSize) yield* writeScores(apiScores.slice(i, i + chunkSize))
      api = {
        requested: new Set(extraCves.map((c) => c.trim().toUpperCase())).size,
        scores: result.scores.length,
        missing: result.missing,
        failed: result.failures.flatMap((f) => f.cves)
      }
    }

    // KEV entries with no EPSS row this time: keep their stored EPSS values.
    const rest = Array.from(kevPending, (cve) => [cve, undefined] as const)
    for (let i = 0; i < rest.length; i += chunkSize) yield* writeScores(rest.slice(i, i + chunkSize))

    const end = yield* Clock.currentTimeMillis
    const at = new Date(start)
    if (kevOutcome._tag === "Right") yield* store.updateSyncTimestamp("kev", at)
    if (bulkOutcome._tag === "Right") yield* store.updateSyncTimestamp("epss", at)
    return {
      kev: {
        status: kevOutcome._tag === "Right" ? "succeeded" : "failed",
        entries: kevOutcome._tag === "Right" ? kevOutcome.right.entries.length : 0,
        malformed: kevOutcome._tag === "Right" ? kevOutcome.right.malformed.length : 0,
        catalogVersion: kevOutcome._tag === "Right" ? kevOutcome.right.catalogVersion : undefined,
        error: kevOutcome._tag === "Left" ? kevOutcome.left.message : undefined
      },
      epss: {
        status: bulkOutcome._tag === "Right" ? "succeeded" : "failed",
        scores: bulkScores,
        malformed: bulkMalformed,
        scoreDate,
        modelVersion,
        error: bulkOutcome._tag === "Left" ? bulkOutcome.left.message : undefined
      },
      api,
      written,
      durationMs: end - start
    } satisfies EnrichmentSyncResult
  }).pipe(Effect.withSpan("VulnerabilityManager.syncEnrichment"))
