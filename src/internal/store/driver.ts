/**
 * The driver interface under the store core (src/internal/store/core.ts): the few primitives a
 * backend offers — bytes by key with optional expiry, sets, an id → expiry index with a count, one
 * atomic write per advisory, prefix deletion and a health probe. A driver knows nothing about
 * advisories' contents; every `AdvisoryStore` rule lives in the core. Shape after Effect's
 * `MessageStorage.makeEncoded` (a typed service over an encoded driver).
 */
import type { Effect, Stream } from "effect"
import type { StoreError } from "../../Errors.js"
import type { StoreKeys } from "./keys.js"

/** How a driver's match summaries are stored (`StoreDriver.summaryEncoding`). */
export type SummaryEncoding = "zstd" | "json"

/**
 * One change to an advisory, applied atomically with its index memberships, their match summaries
 * and bookkeeping.
 * - `put`: store `value` at `data:<id>`, list the id under exactly `suffixes` (leaving every index
 *   it was in before), store `summaries[i]` at `sum:<suffixes[i]> <id>` with the data's expiry,
 *   delete the summaries of the memberships it leaves, record its expiry in `ids`.
 * - `del`: delete it, leave every index and delete every summary of it.
 * - `purge`: if its data is gone (expired), leave every index (deleting those summaries) and `ids`;
 *   otherwise change nothing.
 */
export interface AdvisoryWrite {
  readonly mode: "put" | "del" | "purge"
  readonly id: string
  readonly value?: Uint8Array | undefined
  readonly suffixes: ReadonlyArray<string>
  /** `put`: the stored match summary (encoded as `StoreDriver.summaryEncoding` says) for each of `suffixes`, in the same order. */
  readonly summaries?: ReadonlyArray<Uint8Array> | undefined
  /** Index suffixes known (or suspected) to hold the id that it must leave. */
  readonly leave: ReadonlyArray<string>
}

/** What one `AdvisoryWrite` did. */
export interface AdvisoryWriteResult {
  /** The data existed before (for `purge`: the advisory was alive and left alone). */
  readonly existed: boolean
  /** Index memberships removed. */
  readonly removed: number
}

/** When written values expire: absolute (Clock epoch ms) and relative; both `undefined` = never. */
export interface Expiry {
  readonly expiresAt: number | undefined
  readonly ttlMillis: number | undefined
}

/** An id in the `ids` bookkeeping and when it expires (epoch ms, +Infinity = never). */
export interface RecordedId {
  readonly id: string
  readonly expiresAt: number
}

/** One primitive change inside an atomic `write`. */
export type ValueWrite =
  | { readonly op: "set"; readonly key: string; readonly value: Uint8Array; readonly expiry: Expiry }
  | { readonly op: "del"; readonly key: string }
  | { readonly op: "sadd"; readonly key: string; readonly member: string }
  | { readonly op: "srem"; readonly key: string; readonly member: string }

/** The backend's own view of its health (the core adds the count and sync timestamps). */
export type DriverHealth =
  | { readonly reachable: false; readonly latencyMs: number; readonly detail: string }
  | {
    readonly reachable: true
    readonly latencyMs: number
    readonly serverVersion?: string | undefined
    /** Why the backend is not healthy (empty: healthy). */
    readonly reasons: ReadonlyArray<string>
    /** Where the data lives (LMDB directory). */
    readonly path?: string | undefined
    /** Share of the backend's capacity in use, 0..1 (LMDB map). */
    readonly usage?: number | undefined
    /**
     * Why the backend may drop keys on its own (Redis eviction): the `ids` bookkeeping can then
     * count advisories whose data is gone, and the core says the count may be stale.
     */
    readonly evictionRisk?: string | undefined
    /** Keys in the backend's database, all prefixes (Redis DBSIZE): fewer than the count proves a loss. */
    readonly keyCount?: number | undefined
  }

/**
 * Old index memberships of an advisory whose membership list is missing (written by the Rust
 * crate): the core decodes the old value. Only the Redis driver needs it.
 */
export type OldSuffixes = (id: string, value: Uint8Array) => Effect.Effect<ReadonlyArray<string>>

/** See the module comment. Every `operation` argument names the public operation for errors. */
export interface StoreDriver {
  /** Backend name for spans (`vulnera.store`). */
  readonly name: string
  readonly keys: StoreKeys
  /** Advisories per atomic write call. */
  readonly writeChunkSize: number
  /** Decoded advisories the core keeps for reuse while their stored bytes are unchanged. */
  readonly decodedCacheEntries: number
  /** `true` when byte arrays returned by `getValues` may be reused by the driver (copy before keeping). */
  readonly volatileReads: boolean
  /**
   * How match summaries are written (summary.ts; reads accept both): `zstd` with the summary codec
   * (Redis, memory: their size is memory someone pays for), or `json`, the text itself (LMDB: on
   * disk, where the 3.5× the dictionary saves matters less than a zstd call per summary written,
   * 40–55 µs of CPU whatever the size with the binding used; docs/store-design.md has the figures).
   */
  readonly summaryEncoding: SummaryEncoding
  /** Bound on each read the health check makes. */
  readonly healthTimeoutMillis: number

  /** Live values at `keys` (`undefined` when absent or expired at `now`), in order. */
  readonly getValues: (
    operation: string,
    keys: ReadonlyArray<string>,
    now: number
  ) => Effect.Effect<Array<Uint8Array | undefined>, StoreError>
  /** Whether a live value exists at each key. */
  readonly exists: (operation: string, keys: ReadonlyArray<string>, now: number) => Effect.Effect<Array<boolean>, StoreError>
  /** Applies `writes` atomically (in one transaction or MULTI); returns per write how many things changed. */
  readonly write: (operation: string, writes: ReadonlyArray<ValueWrite>, now: number) => Effect.Effect<Array<number>, StoreError>
  /** Members of a set. */
  readonly members: (operation: string, key: string) => Effect.Effect<Array<string>, StoreError>
  /** Members of each set, in order, in one round trip where the backend has round trips (batch reads). */
  readonly membersOf: (operation: string, keys: ReadonlyArray<string>) => Effect.Effect<Array<Array<string>>, StoreError>
  /** Members of a set in pages of about `pageSize` (a member may appear twice). */
  readonly memberPages: (operation: string, key: string, pageSize: number) => Stream.Stream<ReadonlyArray<string>, StoreError>
  /** Applies advisory writes, each atomic with its index memberships and `ids` entry. */
  readonly writeAdvisories: (
    operation: string,
    writes: ReadonlyArray<AdvisoryWrite>,
    expiry: Expiry,
    oldSuffixes: OldSuffixes
  ) => Effect.Effect<ReadonlyArray<AdvisoryWriteResult>, StoreError>
  /** Ids in `ids` that are unexpired at `now`, in constant or logarithmic time. */
  readonly liveAdvisoryCount: (operation: string, now: number) => Effect.Effect<number, StoreError>
  /** Up to `limit` ids whose `ids` expiry is at or before `now` (to purge their index entries). */
  readonly expiredAdvisoryIds: (operation: string, now: number, limit: number) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /** Every index suffix that has an index set, in pages (for `verify`; may repeat one). */
  readonly indexSuffixPages: (operation: string) => Stream.Stream<ReadonlyArray<string>, StoreError>
  /** Every id in `ids` with its expiry (epoch ms, +Infinity = never), in pages (for `verify`). */
  readonly recordedIdPages: (operation: string) => Stream.Stream<ReadonlyArray<RecordedId>, StoreError>
  /** Deletes every value whose key starts with `prefix` without blocking other clients; returns how many. */
  readonly deleteByPrefix: (operation: string, prefix: string, now: number) => Effect.Effect<number, StoreError>
  /** The backend's health; never fails. */
  readonly probe: Effect.Effect<DriverHealth>
}

/**
 * Raw access to stored bytes, for tests (plant a corrupt value, inspect what was written).
 *
 * @since 0.2.0
 */
export interface RawAccess {
  /** The key prefix (`StoreConfig.keyPrefix`); keys follow the layout of src/internal/store/keys.ts. */
  readonly keyPrefix: string
  /** Replaces the bytes at a value key keeping its expiry (like Redis `SET ... KEEPTTL`); a new key never expires. */
  readonly writeRaw: (key: string, bytes: Uint8Array) => Effect.Effect<void>
  /** The bytes at a value key as a Redis `GET` would return them; `None` when absent or expired. */
  readonly readRaw: (key: string) => Effect.Effect<import("effect").Option.Option<Uint8Array>>
  /** Deletes a value key (like Redis `DEL`): what eviction does to a key. */
  readonly deleteRaw: (key: string) => Effect.Effect<void>
  /** Every live value key (data, match summaries, enrichment, OSS Index, sync timestamps), sorted. */
  readonly keys: Effect.Effect<ReadonlyArray<string>>
}
