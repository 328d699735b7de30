/**
 * The library's Effect `Metric`s, recorded at batch level (one update per sync unit, per query,
 * per OSS Index batch, per failed store operation), never per item in a hot loop. Export them with
 * any Effect metrics backend, e.g. `@effect/opentelemetry` (README, "Metrics and spans").
 *
 * | metric | type | tags |
 * | --- | --- | --- |
 * | `vulnera_sync_records_total` | counter | `unit` |
 * | `vulnera_sync_failures_total` | counter | `unit` |
 * | `vulnera_query_duration_ms` | histogram | `operation` |
 * | `vulnera_ossindex_cache_hits_total` | counter | |
 * | `vulnera_ossindex_cache_misses_total` | counter | |
 * | `vulnera_store_errors_total` | counter | `operation`, `kind` |
 *
 * @since 0.1.0
 */
import { Effect, Metric } from "effect"

/**
 * Advisories written (inserted or updated) by sync, per unit (`osv:npm`, `kev`, ...).
 *
 * @since 0.1.0
 * @category Metrics
 */
export const recordsSynced = Metric.counter("vulnera_sync_records_total", {
  description: "advisories written by sync (inserted + updated)",
  incremental: true
})

/**
 * Sync units that finished with status `failed`, per unit.
 *
 * @since 0.1.0
 * @category Metrics
 */
export const syncFailures = Metric.counter("vulnera_sync_failures_total", {
  description: "sync units that failed",
  incremental: true
})

/**
 * Latency of the manager's queries in milliseconds (0.1 ms to ~13 s, doubling buckets), tagged
 * with the `operation` (`query`, `queryEnriched`, `queryWithOptions`, `queryBatch`).
 *
 * @since 0.1.0
 * @category Metrics
 */
export const queryDuration = Metric.timerWithBoundaries(
  "vulnera_query_duration_ms",
  Array.from({ length: 18 }, (_, i) => 0.1 * 2 ** i),
  "latency of VulnerabilityManager queries"
)

/**
 * OSS Index PURLs answered from the store's cache.
 *
 * @since 0.1.0
 * @category Metrics
 */
export const ossIndexCacheHits = Metric.counter("vulnera_ossindex_cache_hits_total", {
  description: "OSS Index PURLs answered from the cache",
  incremental: true
})

/**
 * OSS Index PURLs sent to OSS Index (not in the cache, or expired).
 *
 * @since 0.1.0
 * @category Metrics
 */
export const ossIndexCacheMisses = Metric.counter("vulnera_ossindex_cache_misses_total", {
  description: "OSS Index PURLs not in the cache",
  incremental: true
})

/**
 * Failed store operations, tagged with the `operation` and the error's `kind` (`Unavailable`,
 * `CommandFailed`, `Corrupt`, `InvalidInput`, ...: the error's `reason` or `_tag`).
 *
 * @since 0.1.0
 * @category Metrics
 */
export const storeErrors = Metric.counter("vulnera_store_errors_total", {
  description: "failed AdvisoryStore operations by kind",
  incremental: true
})

/** The `kind` tag of an error: its `reason` when it has one, else its `_tag`. */
const kindOf = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return "Unknown"
  const { reason, _tag } = error as { reason?: unknown; _tag?: unknown }
  return typeof reason === "string" ? reason : typeof _tag === "string" ? _tag : "Unknown"
}

/**
 * Counts a failure of `effect` in `storeErrors` (tagged with `operation` and the error's kind).
 *
 * @since 0.1.0
 * @category Combinators
 */
export const countStoreErrors = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapError(effect, (error) =>
    Metric.increment(Metric.tagged(Metric.tagged(storeErrors, "operation", operation), "kind", kindOf(error))))

/**
 * Times `effect` in `queryDuration` under `operation`.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const timeQuery = (operation: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Metric.trackDuration(effect, Metric.tagged(queryDuration, "operation", operation))

/**
 * Records a finished sync unit: its written records, and a failure when it failed.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const recordSyncUnit = (stats: { readonly unit: string; readonly written: number; readonly status: string }): Effect.Effect<void> =>
  Effect.zipRight(
    Metric.incrementBy(Metric.tagged(recordsSynced, "unit", stats.unit), stats.written),
    stats.status === "failed" ? Metric.increment(Metric.tagged(syncFailures, "unit", stats.unit)) : Effect.void
  )
