/**
 * The store's health as reported by `healthCheck`.
 *
 * `status`:
 * - `Healthy`: the server answered PING within `degradedLatencyMillis` (default 250 ms) and reports
 *   no condition below.
 * - `Degraded`: reachable, but one of: PING slower than the threshold; the dataset is still
 *   loading (`loading:1`); the server is a read-only replica; memory use above 90% of
 *   `maxmemory`; the server runs in cluster mode (unsupported); the advisory count could not be
 *   read; or the server can evict keys (`maxmemory-policy` other than `noeviction`, DragonflyDB
 *   `cache_mode`, or keys already evicted): then `evictionRisk` says why and `detail` adds "count
 *   may be stale: N advisories recorded; run vulnera verify" (eviction drops data the count's
 *   bookkeeping still lists). `detail` says which.
 * - LMDB (`LmdbStore`): `Degraded` when the map is more than 90% full or the directory is not
 *   writable; `path` and `usage` are always reported.
 * - `Unavailable`: no connection or no PING answer (within the connect timeout). `healthCheck`
 *   never fails: an unreachable server is reported, not raised.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category Models
 */
export const StoreStatus = Schema.Literal("Healthy", "Degraded", "Unavailable")
/** @since 0.1.0 @category Models */
export type StoreStatus = typeof StoreStatus.Type

/**
 * @since 0.1.0
 * @category Models
 */
export class HealthStatus extends Schema.Class<HealthStatus>("vulnera-advisor/HealthStatus")({
  status: StoreStatus,
  /** Advisories currently stored (not expired); 0 when unknown. */
  advisoryCount: Schema.Number,
  /** The most recent successful sync of any source (RFC 3339), when known. */
  lastSync: Schema.optional(Schema.String),
  /** Round-trip time of a PING in milliseconds (0 for the in-memory store). */
  latencyMs: Schema.Number,
  /** Redis/Dragonfly version, when known (`memory` for the in-memory store). */
  serverVersion: Schema.optional(Schema.String),
  /** Where the data lives, for a store on disk (the LMDB directory). */
  path: Schema.optional(Schema.String),
  /** Share of the store's capacity in use, 0..1, when it has one (the LMDB map). */
  usage: Schema.optional(Schema.Number),
  /** Why the server may drop stored data on its own (Redis eviction); absent when it never does. */
  evictionRisk: Schema.optional(Schema.String),
  /** Why the status is not `Healthy`. */
  detail: Schema.optional(Schema.String)
}) {}
