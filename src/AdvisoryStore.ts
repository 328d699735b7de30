/**
 * The storage port: where advisories, enrichment entries, sync timestamps and the OSS Index cache
 * live. Two implementations pass one contract suite: `DragonflyStore` (Redis / DragonflyDB) and
 * `MemoryStore` (in-process).
 *
 * Guarantees every implementation gives:
 * - package lookups normalize spellings through `PackageKey` (`PyPI`/`pip`, `Django`/`django`);
 * - an advisory and its index entries change together (no reader sees one without the other);
 * - when an advisory's affected packages change, it leaves the old packages' indexes;
 *   a withdrawn advisory (`withdrawn` set) stays readable by id but leaves every index;
 * - with a TTL, an expired advisory is never returned, by id or through an index;
 * - a corrupt stored value fails with `CorruptEntry` naming its key (never silently skipped);
 * - `advisoryCount` and `healthCheck` do not walk the keyspace.
 *
 * @since 0.1.0
 */
import type { Effect, Either, Option, Stream } from "effect"
import { Context } from "effect"
import type { Advisory } from "./Advisory.js"
import type { EnrichmentData } from "./EnrichmentData.js"
import type { AdvisoryStoreError, InvalidInput, StoreError } from "./Errors.js"
import type { HealthStatus } from "./HealthStatus.js"
import type { OssIndexCacheEntry } from "./OssIndexCacheEntry.js"

/**
 * A package named by ecosystem and name (any spelling `PackageKey` normalizes), for batch reads.
 *
 * @since 0.3.0
 * @category Models
 */
export interface PackageRef {
  readonly ecosystem: string
  readonly name: string
}

/**
 * What `upsertBatch` did.
 *
 * @since 0.1.0
 * @category Models
 */
export interface UpsertResult {
  /** The source label the batch was written for. */
  readonly source: string
  /** Advisories in the batch (after de-duplicating ids: the last occurrence wins). */
  readonly received: number
  /** Ids that were not stored before. */
  readonly inserted: number
  /** Ids that replaced a stored advisory. */
  readonly updated: number
  /** Advisories stored with `withdrawn` set (readable by id, in no index). */
  readonly withdrawn: number
  /** Index memberships removed because an advisory no longer names that package. */
  readonly staleIndexEntriesRemoved: number
}

/**
 * What `verify` found: references to advisory data that is gone (evicted by Redis, or expired and
 * not yet swept). A healthy store has zero in every `dangling*` field.
 *
 * @since 0.2.0
 * @category Models
 */
export interface VerifyReport {
  /** Index sets walked (one per package name and ecosystem). */
  readonly indexSets: number
  /** Index entries (package → advisory id) checked. */
  readonly indexEntries: number
  /** Index entries whose advisory data is missing or expired (a query would skip them). */
  readonly danglingIndexEntries: number
  /**
   * Index entries whose advisory is stored but whose match summary is missing (Redis eviction, a
   * record written by the Rust crate, or an advisory naming more than 10,000 packages, which gets
   * none): matching reads their full record instead, so answers are unchanged; a sync of the unit
   * writes them again. Not repaired, and not counted as a problem.
   *
   * @since 0.4.0
   */
  readonly missingSummaries: number
  /**
   * Match summaries that disagree with the record they summarize (a record re-written by another
   * writer, such as the Rust crate, which does not update summaries; or one damaged in place).
   * Matching trusts a summary that says "not affected" without reading the record, so these can
   * hide an advisory: `repair: true` deletes them (matching then reads those records). Index
   * entries under an advisory whose record is corrupt are not compared (see `corruptRecords`).
   *
   * @since 0.4.0
   */
  readonly staleSummaries: number
  /**
   * Ids whose stored record exists but cannot be read (cannot be decompressed, or is not an
   * advisory): every query of a package listing it fails with `CorruptEntry`, or, when a summary
   * decides that package without the record, the record is never read. Sorted. The repair keeps
   * them (a record written by a newer version, with a dictionary this one lacks, is unreadable here
   * but not damaged) and clears the sync timestamps of their units, so the next sync writes them again.
   *
   * @since 0.4.0
   */
  readonly corruptRecords: ReadonlyArray<string>
  /** Unexpired ids in the count's bookkeeping (`advisoryCount` before repair). */
  readonly recordedAdvisories: number
  /** Of those, ids whose data is missing (the count overstates the store by this many). */
  readonly danglingRecords: number
  /** Distinct advisory ids referenced by an index or the bookkeeping whose data is gone. */
  readonly missingAdvisories: number
  /** Ecosystems (canonical, base) of the dangling index entries, sorted. */
  readonly affectedEcosystems: ReadonlyArray<string>
  /**
   * Whether the repair ran (`repair: true` and something was found): dangling entries removed,
   * stale summaries deleted, sync timestamps of the units of lost or unreadable records cleared.
   */
  readonly repaired: boolean
  /**
   * Sync timestamps cleared by the repair (so the next sync of those units is full): the units of
   * the affected ecosystems and of the unreadable records' ecosystems, or every unit when such an
   * id's ecosystem is unknown.
   */
  readonly resetSources: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface AdvisoryStoreShape {
  /** Writes one advisory (same semantics as a batch of one). */
  readonly storeAdvisory: (advisory: Advisory, source?: string) => Effect.Effect<UpsertResult, AdvisoryStoreError>
  /**
   * Writes advisories and their index entries, in bounded pipelined chunks; each advisory is
   * written atomically with its index entries.
   */
  readonly upsertBatch: (
    advisories: Iterable<Advisory>,
    source: string
  ) => Effect.Effect<UpsertResult, AdvisoryStoreError>
  /** One advisory by id; `None` when absent or expired. */
  readonly getAdvisory: (id: string) => Effect.Effect<Option.Option<Advisory>, AdvisoryStoreError>
  /** Advisories by id, in input order; absent ids are left out. Reads in bounded batches. */
  readonly getBatch: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Advisory>, AdvisoryStoreError>
  /** Every advisory indexed under the package (any spelling), sorted by id. */
  readonly getByPackage: (
    ecosystem: string,
    name: string
  ) => Effect.Effect<ReadonlyArray<Advisory>, AdvisoryStoreError>
  /**
   * `getByPackage` for many packages in a few batched reads (all index sets in one round trip, then
   * every distinct advisory once): one answer per package, in input order. A package's own problem
   * (invalid name, a corrupt advisory under it) is its answer; only a failure of the store itself
   * fails the whole batch.
   */
  readonly getByPackages: (
    packages: ReadonlyArray<PackageRef>
  ) => Effect.Effect<ReadonlyArray<Either.Either<ReadonlyArray<Advisory>, AdvisoryStoreError>>, StoreError>
  /**
   * The match summaries of every advisory indexed under each package: per package, in input order,
   * pruned advisories sorted by id, each holding the advisory's `id` and only the `affected`
   * entries `Versions.advisoryAffects` evaluates for that package (`package`, `ranges`, `versions`),
   * so `advisoryAffects(summary, key, version)` answers as it does on the full record. They are
   * written with each advisory, next to the index (`sum:<suffix> <id>`); a summary that is missing
   * (data written by the Rust crate, a key Redis evicted) or unreadable is rebuilt from the full
   * record in memory (not written back), so an answer never depends on it. For matching: read the
   * full records of the advisories that match with `getBatchEach`. Errors as in `getByPackages`.
   *
   * @since 0.4.0
   */
  readonly getSummariesByPackages: (
    packages: ReadonlyArray<PackageRef>
  ) => Effect.Effect<ReadonlyArray<Either.Either<ReadonlyArray<Advisory>, AdvisoryStoreError>>, StoreError>
  /**
   * Advisories by id in bounded batches, each id's own outcome: absent (or expired) ids are not in
   * the map and their index entries are removed (cleaned when read); an invalid id or an
   * undecodable value is that id's error, not the call's.
   *
   * @since 0.4.0
   */
  readonly getBatchEach: (
    ids: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, Either.Either<Advisory, AdvisoryStoreError>>, StoreError>
  /** The same as `getByPackage` as a stream that holds at most one page (100 advisories) in memory. Unordered. */
  readonly streamByPackage: (ecosystem: string, name: string) => Stream.Stream<Advisory, AdvisoryStoreError>
  /** The ids indexed under the package, sorted. */
  readonly idsByPackage: (ecosystem: string, name: string) => Effect.Effect<ReadonlyArray<string>, AdvisoryStoreError>
  /** Deletes an advisory and its index entries; `true` if it existed. */
  readonly removeAdvisory: (id: string) => Effect.Effect<boolean, AdvisoryStoreError>
  /** Number of stored (unexpired) advisories, in constant or logarithmic time. */
  readonly advisoryCount: Effect.Effect<number, StoreError>

  /** Stores enrichment for one CVE (overwrites). TTL = `StoreConfig.ttlSeconds`. */
  readonly storeEnrichment: (cve: string, data: EnrichmentData) => Effect.Effect<void, AdvisoryStoreError>
  /** Stores many entries in bounded pipelined chunks; returns how many were written. */
  readonly storeEnrichmentBatch: (
    entries: Iterable<readonly [cve: string, data: EnrichmentData]>
  ) => Effect.Effect<number, AdvisoryStoreError>
  readonly getEnrichment: (cve: string) => Effect.Effect<Option.Option<EnrichmentData>, AdvisoryStoreError>
  /** Entries for the CVEs that have one (absent CVEs are not in the map). */
  readonly getEnrichmentBatch: (
    cves: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, EnrichmentData>, AdvisoryStoreError>

  /** When `source` (case-insensitive) last synced successfully. */
  readonly lastSync: (source: string) => Effect.Effect<Option.Option<Date>, AdvisoryStoreError>
  readonly updateSyncTimestamp: (source: string, at: Date) => Effect.Effect<void, AdvisoryStoreError>
  /** Forgets the timestamp (the next sync of that source is a full one); `true` if one existed. */
  readonly resetSyncTimestamp: (source: string) => Effect.Effect<boolean, AdvisoryStoreError>
  /** Forgets every timestamp; returns how many were removed. */
  readonly resetAllSyncTimestamps: Effect.Effect<number, AdvisoryStoreError>
  /** Every source's last successful sync. */
  readonly syncTimestamps: Effect.Effect<ReadonlyMap<string, Date>, AdvisoryStoreError>

  /** Caches the OSS Index answer for a PURL (normalized) for `StoreConfig.ossIndexTtlSeconds`. */
  readonly storeOssIndexCache: (
    purl: string,
    advisories: ReadonlyArray<Advisory>
  ) => Effect.Effect<OssIndexCacheEntry, AdvisoryStoreError>
  /** Caches many answers in one pipelined round trip per chunk. */
  readonly storeOssIndexCacheBatch: (
    entries: ReadonlyArray<readonly [purl: string, advisories: ReadonlyArray<Advisory>]>
  ) => Effect.Effect<ReadonlyArray<OssIndexCacheEntry>, AdvisoryStoreError>
  /** The cached answer; `None` when absent or expired. */
  readonly getOssIndexCache: (purl: string) => Effect.Effect<Option.Option<OssIndexCacheEntry>, AdvisoryStoreError>
  /** Cached answers for many PURLs (keyed by the PURL as given), one round trip per chunk. */
  readonly getOssIndexCacheBatch: (
    purls: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, OssIndexCacheEntry>, AdvisoryStoreError>
  /** `true` if an entry was removed. */
  readonly invalidateOssIndexCache: (purl: string) => Effect.Effect<boolean, AdvisoryStoreError>
  /** Removes every cached answer without blocking the server; returns how many were removed. */
  readonly invalidateAllOssIndexCache: Effect.Effect<number, AdvisoryStoreError>

  /** Never fails: an unreachable store is `Unavailable`. */
  readonly healthCheck: Effect.Effect<HealthStatus>
  /**
   * Walks every index and the count's bookkeeping and counts references to advisory data that is
   * gone (Redis eviction); reads every indexed record once and compares each match summary with
   * it (`staleSummaries`, `corruptRecords`). `repair: true` removes the references to gone data
   * (atomically per id, and only while the data is still absent), clears the sync timestamps of
   * the affected units, so the next sync writes them again, and deletes stale summaries.
   * O(stored index entries) reads and one decode per stored record: a maintenance operation.
   */
  readonly verify: (options?: { readonly repair?: boolean }) => Effect.Effect<VerifyReport, AdvisoryStoreError>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class AdvisoryStore extends Context.Tag("vulnera-advisor/AdvisoryStore")<AdvisoryStore, AdvisoryStoreShape>() {}

/** Re-exported for implementations' signatures. @since 0.1.0 @category Errors */
export type { AdvisoryStoreError, InvalidInput, StoreError }
