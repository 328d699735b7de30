/**
 * The Redis / DragonflyDB `AdvisoryStore` (ioredis 5), with the Rust crate's key layout so data it
 * wrote stays readable (see .notes/STORE.md for the layout).
 *
 * - One shared connection per layer, opened on first use and closed when the layer is released.
 *   A stopped server fails calls fast with `StoreError{reason:"Unavailable", retryable:true}`;
 *   the next call after the server is back reconnects (same layer).
 * - An advisory, its index memberships and its bookkeeping are written by one Lua script that
 *   declares every key it touches (DragonflyDB requires it); stale memberships are removed in the
 *   same script. Batches are written in chunks of 256, one pipelined round trip per chunk.
 * - With a TTL, index entries pointing at expired data are cleaned when read (and swept on writes);
 *   `advisoryCount` is a ZCOUNT over the `ids` sorted set; nothing walks the keyspace except
 *   `invalidateAllOssIndexCache`, which uses SCAN with an escaped MATCH pattern and UNLINK.
 * - Only commands both Redis 7 and DragonflyDB support are used.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { ConnectionOptions } from "node:tls"
import {
  Array as Arr,
  Chunk,
  Clock,
  Config,
  ConfigError,
  Effect,
  Either,
  Layer,
  Option,
  ParseResult,
  type Redacted,
  Schema,
  type Scope,
  Stream
} from "effect"
import { Advisory } from "./Advisory.js"
import { AdvisoryStore, type AdvisoryStoreShape, type UpsertResult } from "./AdvisoryStore.js"
import { Compression, layerZstd } from "./Compression.js"
import type { EnrichmentData } from "./EnrichmentData.js"
import { ConfigurationError, CorruptEntry, InvalidInput } from "./Errors.js"
import { secretVar } from "./internal/config.js"
import { type AdvisoryOp, applyAdvisoryOps, defineAdvisoryScript, type Expiry } from "./internal/redisAdvisoryScript.js"
import { makeConnection, parseRedisUrl } from "./internal/redisClient.js"
import { healthCheck, parseTimestamp } from "./internal/redisHealth.js"
import * as Codec from "./internal/storeCodec.js"
import { OssIndexCacheEntry } from "./OssIndexCacheEntry.js"
import * as PackageKey from "./PackageKey.js"
import * as Purl from "./Purl.js"
import * as StoreConfig from "./StoreConfig.js"

/**
 * Connection and batching options. Only `url` is required.
 *
 * @since 0.1.0
 * @category Models
 */
export interface DragonflyStoreOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. The password is never logged. */
  readonly url: Redacted.Redacted<string> | string
  /** How long a connection attempt may take (default 2000 ms). */
  readonly connectTimeoutMillis?: number | undefined
  /** How long one command may wait for its reply (default 10000 ms). */
  readonly commandTimeoutMillis?: number | undefined
  /** PING latency above which `healthCheck` reports `Degraded` (default 250 ms). */
  readonly degradedLatencyMillis?: number | undefined
  /** Advisories per pipelined write round trip (default 256). */
  readonly writeChunkSize?: number | undefined
  /** Keys per MGET (default 500). */
  readonly readChunkSize?: number | undefined
  /** Extra TLS options for `rediss://` (CA, client certificate, ...). */
  readonly tls?: ConnectionOptions | undefined
}

const optionDefaults = {
  connectTimeoutMillis: 2_000,
  commandTimeoutMillis: 10_000,
  degradedLatencyMillis: 250,
  writeChunkSize: 256,
  readChunkSize: 500
} as const

/** Advisories compressed or decoded at once (zstd runs on libuv's thread pool). */
const codecConcurrency = 16
/** Ids per SSCAN page in `streamByPackage`. */
const pageSize = 100
/** Expired advisories whose index entries are swept per write. */
const sweepLimit = 256

const textEncoder = new TextEncoder()
const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")
/** Escapes Redis glob characters so a prefix matches only itself in SCAN MATCH. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&")

const isAdvisory = Schema.is(Advisory)
const decodeAdvisory = Schema.decodeUnknownEither(Advisory)

/**
 * An advisory from stored JSON. Values this library wrote pass the type guard as they are
 * (~4x cheaper than a decode); Rust-written ones (`null` for absent fields) take the full decode.
 */
const advisoryFromJson = (key: string, json: unknown): Effect.Effect<Advisory, CorruptEntry> => {
  if (isAdvisory(json)) return Effect.succeed(json)
  const decoded = decodeAdvisory(json)
  return Either.isRight(decoded)
    ? Effect.succeed(decoded.right)
    : Effect.fail(
      new CorruptEntry({ key, detail: ParseResult.TreeFormatter.formatErrorSync(decoded.left), cause: decoded.left })
    )
}

/** An advisory checked before writing: JSON text and index suffixes computed once. */
interface Prepared {
  readonly advisory: Advisory
  readonly json: string
  readonly suffixes: ReadonlyArray<string>
}

/** Cheap checks before a write (a schema encode costs ~80µs per advisory; JSON.stringify is equivalent). */
const prepare = (advisory: Advisory): Effect.Effect<Prepared, InvalidInput> =>
  Effect.flatMap(
    typeof advisory !== "object" || advisory === null
      ? Effect.fail(InvalidInput.of("advisory", String(advisory), "must be an object"))
      : Codec.validateAdvisory(advisory),
    (valid) =>
      Effect.try({
        // Both throw on values that are not JSON data (cycles, BigInt, a non-array `affected`).
        try: () => ({ advisory: valid, json: JSON.stringify(valid), suffixes: Codec.indexSuffixes(valid) }),
        catch: (error) => InvalidInput.of("advisory", valid.id, `not an OSV document: ${String(error)}`)
      })
  )

const positiveInteger = (name: string, value: number) =>
  Number.isSafeInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(new ConfigurationError({ variable: name, value: String(value), detail: "expected a positive integer" }))

/** Builds the store; `urlVariable` names the URL's source in configuration errors. */
const makeWith = (options: DragonflyStoreOptions, urlVariable: string) =>
  Effect.gen(function*() {
    const config = yield* StoreConfig.StoreConfig
    const compression = yield* Compression
    const target = yield* parseRedisUrl(options.url, urlVariable, options.tls)
    const settings = {
      connectTimeoutMillis: yield* positiveInteger(
        "connectTimeoutMillis",
        options.connectTimeoutMillis ?? optionDefaults.connectTimeoutMillis
      ),
      commandTimeoutMillis: yield* positiveInteger(
        "commandTimeoutMillis",
        options.commandTimeoutMillis ?? optionDefaults.commandTimeoutMillis
      )
    }
    const degradedLatencyMillis = yield* positiveInteger(
      "degradedLatencyMillis",
      options.degradedLatencyMillis ?? optionDefaults.degradedLatencyMillis
    )
    const writeChunkSize = yield* positiveInteger("writeChunkSize", options.writeChunkSize ?? optionDefaults.writeChunkSize)
    const readChunkSize = yield* positiveInteger("readChunkSize", options.readChunkSize ?? optionDefaults.readChunkSize)
    const connection = yield* makeConnection(target, settings)
    defineAdvisoryScript(connection.client)

    const prefix = config.keyPrefix
    const keys = {
      data: (id: string) => `${prefix}:data:${id}`,
      pkgs: (id: string) => `${prefix}:pkgs:${id}`,
      indexPrefix: `${prefix}:idx:`,
      index: (suffix: string) => `${prefix}:idx:${suffix}`,
      ids: `${prefix}:ids`,
      meta: (source: string) => `${prefix}:meta:${source}`,
      sources: `${prefix}:sources`,
      enrichment: (cve: string) => `${prefix}:enrich:${cve}`,
      ossIndex: (canonicalPurl: string) => `${prefix}:ossidx:${sha256(canonicalPurl)}`,
      ossIndexPattern: `${escapeGlob(prefix)}:ossidx:*`
    }
    const ttlMillis = config.ttlSeconds === undefined ? undefined : config.ttlSeconds * 1000
    const expiryAt = (now: number): Expiry =>
      ttlMillis === undefined ? { ttlMillis: 0, score: "+inf" } : { ttlMillis, score: String(now + ttlMillis) }
    const op = (name: string) => `AdvisoryStore.${name}`
    const span = (name: string, attributes: Record<string, unknown> = {}) =>
      Effect.withSpan(op(name), { attributes: { "vulnera.store": "dragonfly", ...attributes } })

    const decompressed = (key: string, bytes: Buffer) =>
      Effect.mapError(
        compression.decompress(bytes),
        (error) => new CorruptEntry({ key, detail: `cannot decompress: ${error.detail}`, cause: error })
      )
    const readAdvisoryValue = (key: string, bytes: Buffer) =>
      decompressed(key, bytes).pipe(
        Effect.flatMap((raw) => Codec.jsonFromBytes(key, raw)),
        Effect.flatMap((json) => advisoryFromJson(key, json))
      )

    /** Old memberships of an advisory without `pkgs:<id>` (written by the Rust crate). */
    const oldSuffixes = (id: string, value: Buffer) =>
      readAdvisoryValue(keys.data(id), value).pipe(
        Effect.map(Codec.indexSuffixes),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logWarning("cannot decode the previous value; its index entries stay until read").pipe(
              Effect.annotateLogs({ key: error.key, detail: error.detail })
            ),
            []
          )
        )
      )
    const apply = (operation: string, ops: ReadonlyArray<AdvisoryOp>, expiry: Expiry) =>
      applyAdvisoryOps(connection, operation, keys, ops, expiry, oldSuffixes)

    /** Index entries (under `suffix`) whose data is gone leave every index, atomically per id. */
    const purge = (operation: string, ids: ReadonlyArray<string>, suffix?: string) =>
      ids.length === 0 ? Effect.void : Effect.asVoid(apply(
        operation,
        ids.map((id) => ({ mode: "purge", id, suffixes: [], leave: suffix === undefined ? [] : [suffix] })),
        expiryAt(0)
      ))

    /** Expired advisories (by their `ids` score) leave their indexes; bounded work per call. */
    const sweepExpired = (operation: string) =>
      ttlMillis === undefined ? Effect.void : Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const expired = yield* connection.run(
          operation,
          (redis) => redis.zrangebyscore(keys.ids, "-inf", `(${now}`, "LIMIT", 0, sweepLimit)
        )
        yield* purge(operation, expired)
      })

    /** Values of `keyList` in MGET chunks of `readChunkSize`. */
    const mgetChunked = (operation: string, keyList: ReadonlyArray<string>) =>
      Effect.map(
        Effect.forEach(
          Arr.chunksOf(keyList, readChunkSize),
          (chunk) => connection.run(operation, (redis) => redis.mgetBuffer(chunk))
        ),
        (chunks) => chunks.flat()
      )

    /** Advisories for `ids` (input order, absent ones skipped). */
    const readAdvisories = (operation: string, ids: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const values = yield* mgetChunked(operation, ids.map(keys.data))
        const found = yield* Effect.forEach(
          values,
          (value, i) => value === null ? Effect.succeed(undefined) : readAdvisoryValue(keys.data(ids[i]!), value),
          { concurrency: codecConcurrency }
        )
        return { found, missing: ids.filter((_, i) => values[i] === null) }
      })

    /**
     * Advisories listed under `suffix`. An id whose data is gone is purged; one whose data no
     * longer names the package (re-written between SMEMBERS and MGET) is not returned, so a reader
     * never sees an advisory under a package it does not affect.
     */
    const readIndexed = (operation: string, suffix: string, ids: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const { found, missing } = yield* readAdvisories(operation, ids)
        yield* purge(operation, missing, suffix)
        return found.filter((a): a is Advisory => a !== undefined && Codec.indexSuffixes(a).includes(suffix))
      })

    const indexSuffixOf = (ecosystem: string, name: string) =>
      Effect.map(PackageKey.make(ecosystem, name), PackageKey.toIndexSuffix)
    const validIds = (ids: ReadonlyArray<string>) =>
      Effect.map(Effect.forEach(ids, (id) => PackageKey.validateAdvisoryId(id)), (valid) => Array.from(new Set(valid)))

    const upsertBatch = (advisories: Iterable<Advisory>, source: string, operation: string) =>
      Effect.gen(function*() {
        // Everything is validated before anything is written: bad input never leaves half a batch.
        const prepared = yield* Effect.forEach(Array.from(advisories), prepare)
        const latest = Array.from(new Map(prepared.map((p) => [p.advisory.id, p] as const)).values())
        const result = { source, received: latest.length, inserted: 0, updated: 0, withdrawn: 0, staleIndexEntriesRemoved: 0 }
        if (latest.length === 0) return result satisfies UpsertResult
        for (const chunk of Arr.chunksOf(latest, writeChunkSize)) {
          const values = yield* Effect.forEach(
            chunk,
            (p) => Effect.map(compression.compress(textEncoder.encode(p.json)), toBuffer),
            { concurrency: codecConcurrency }
          )
          const expiry = expiryAt(yield* Clock.currentTimeMillis)
          const ops = chunk.map((p, i): AdvisoryOp => ({
            mode: "put",
            id: p.advisory.id,
            value: values[i],
            suffixes: p.suffixes,
            leave: []
          }))
          const outcomes = yield* apply(operation, ops, expiry)
          outcomes.forEach((outcome, i) => {
            if (outcome.existed) result.updated++
            else result.inserted++
            if (chunk[i]!.advisory.withdrawn != null) result.withdrawn++
            result.staleIndexEntriesRemoved += outcome.removed
          })
        }
        yield* sweepExpired(operation)
        return result satisfies UpsertResult
      })

    const enrichmentKey = (cve: string) => Effect.map(PackageKey.validateCve(cve), keys.enrichment)
    const metaKey = (source: string) =>
      Effect.map(PackageKey.validateSourceName(source), (name) => ({ name, key: keys.meta(name) }))
    const timestampFrom = (key: string, text: string) => {
      const date = parseTimestamp(text)
      return date === undefined
        ? Effect.fail(new CorruptEntry({ key, detail: `not an RFC 3339 timestamp: ${JSON.stringify(text.slice(0, 100))}` }))
        : Effect.succeed(date)
    }
    const readOssEntry = (key: string, canonical: string, bytes: Buffer, now: number) =>
      decompressed(key, bytes).pipe(
        Effect.flatMap((raw) => Codec.ossEntryFromBytes(key, raw)),
        // A different purl under the same hash would be a SHA-256 collision: answer "not cached".
        Effect.map((entry) => entry.isExpired(now) || entry.purl !== canonical ? Option.none() : Option.some(entry))
      )
    const newOssEntry = (purl: string, advisories: ReadonlyArray<Advisory>, now: number) =>
      Effect.gen(function*() {
        const canonical = yield* Purl.normalize(purl)
        const valid = yield* Effect.forEach(advisories, (a) => Effect.map(prepare(a), (p) => p.advisory))
        const entry = new OssIndexCacheEntry({ purl: canonical, advisories: valid, cachedAt: now, ttlSeconds: config.ossIndexTtlSeconds })
        const bytes = yield* Effect.flatMap(Codec.ossEntryToBytes(entry), compression.compress)
        return { key: keys.ossIndex(canonical), entry, bytes: toBuffer(bytes) }
      })
    const writeOssEntries = (
      operation: string,
      built: ReadonlyArray<{ readonly key: string; readonly entry: OssIndexCacheEntry; readonly bytes: Buffer }>
    ) =>
      Effect.forEach(Arr.chunksOf(built, readChunkSize), (chunk) =>
        connection.pipeline(operation, (p) => {
          for (const { bytes, entry, key } of chunk) p.set(key, bytes, "PX", entry.ttlSeconds * 1000)
        }), { discard: true })

    const invalidateAll = Effect.gen(function*() {
      const operation = op("invalidateAllOssIndexCache")
      let cursor = "0"
      let removed = 0
      do {
        const [next, found] = yield* connection.run(
          operation,
          (redis) => redis.scan(cursor, "MATCH", keys.ossIndexPattern, "COUNT", 1000)
        )
        cursor = next
        if (found.length > 0) removed += yield* connection.run(operation, (redis) => redis.unlink(...found))
      } while (cursor !== "0")
      return removed
    })

    const store: AdvisoryStoreShape = {
      storeAdvisory: (advisory, source = "manual") =>
        upsertBatch([advisory], source, op("storeAdvisory")).pipe(span("storeAdvisory", { id: advisory?.id })),
      upsertBatch: (advisories, source) =>
        upsertBatch(advisories, source, op("upsertBatch")).pipe(span("upsertBatch", { source })),
      getAdvisory: (id) =>
        Effect.gen(function*() {
          yield* PackageKey.validateAdvisoryId(id)
          const key = keys.data(id)
          const value = yield* connection.run(op("getAdvisory"), (redis) => redis.getBuffer(key))
          return value === null ? Option.none() : Option.some(yield* readAdvisoryValue(key, value))
        }).pipe(span("getAdvisory", { id })),
      getBatch: (ids) =>
        Effect.gen(function*() {
          const { found } = yield* readAdvisories(op("getBatch"), yield* validIds(ids))
          return found.filter((a): a is Advisory => a !== undefined)
        }).pipe(span("getBatch", { count: ids.length })),
      getByPackage: (ecosystem, name) =>
        Effect.gen(function*() {
          const operation = op("getByPackage")
          const suffix = yield* indexSuffixOf(ecosystem, name)
          const ids = yield* connection.run(operation, (redis) => redis.smembers(keys.index(suffix)))
          const found = yield* readIndexed(operation, suffix, ids)
          return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        }).pipe(span("getByPackage", { ecosystem, name })),
      streamByPackage: (ecosystem, name) =>
        Stream.unwrap(Effect.map(indexSuffixOf(ecosystem, name), (suffix) => {
          const operation = op("streamByPackage")
          // SSCAN may return an id twice (the set can be rehashed between pages).
          const seen = new Set<string>()
          return Stream.paginateChunkEffect("0", (cursor: string) =>
            Effect.gen(function*() {
              const [next, page] = yield* connection.run(
                operation,
                (redis) => redis.sscan(keys.index(suffix), cursor, "COUNT", pageSize)
              )
              const fresh = page.filter((id) => !seen.has(id) && seen.add(id))
              const found = fresh.length === 0 ? [] : yield* readIndexed(operation, suffix, fresh)
              return [Chunk.unsafeFromArray(found), next === "0" ? Option.none() : Option.some(next)] as const
            }))
        })).pipe(Stream.withSpan(op("streamByPackage"), { attributes: { "vulnera.store": "dragonfly", ecosystem, name } })),
      idsByPackage: (ecosystem, name) =>
        Effect.gen(function*() {
          const operation = op("idsByPackage")
          const suffix = yield* indexSuffixOf(ecosystem, name)
          const ids = yield* connection.run(operation, (redis) => redis.smembers(keys.index(suffix)))
          const exists = yield* Effect.map(
            Effect.forEach(Arr.chunksOf(ids, readChunkSize), (chunk) =>
              connection.pipeline(operation, (p) => {
                for (const id of chunk) p.exists(keys.data(id))
              })),
            (chunks) => chunks.flat()
          )
          yield* purge(operation, ids.filter((_, i) => exists[i] === 0), suffix)
          return ids.filter((_, i) => exists[i] !== 0).sort()
        }).pipe(span("idsByPackage", { ecosystem, name })),
      removeAdvisory: (id) =>
        Effect.gen(function*() {
          yield* PackageKey.validateAdvisoryId(id)
          const [outcome] = yield* apply(op("removeAdvisory"), [{ mode: "del", id, suffixes: [], leave: [] }], expiryAt(0))
          return outcome!.existed
        }).pipe(span("removeAdvisory", { id })),
      advisoryCount: Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        return yield* connection.run(op("advisoryCount"), (redis) => redis.zcount(keys.ids, `(${now}`, "+inf"))
      }).pipe(span("advisoryCount")),

      storeEnrichment: (cve, data) =>
        Effect.gen(function*() {
          const key = yield* enrichmentKey(cve)
          const json = yield* Codec.enrichmentToJson(data)
          yield* connection.run(
            op("storeEnrichment"),
            (redis) => ttlMillis === undefined ? redis.set(key, json) : redis.set(key, json, "PX", ttlMillis)
          )
        }).pipe(span("storeEnrichment", { cve })),
      storeEnrichmentBatch: (entries) =>
        Effect.gen(function*() {
          const encoded = yield* Effect.forEach(Array.from(entries), ([cve, data]) =>
            Effect.zip(enrichmentKey(cve), Codec.enrichmentToJson(data)))
          yield* Effect.forEach(Arr.chunksOf(encoded, readChunkSize), (chunk) =>
            connection.pipeline(op("storeEnrichmentBatch"), (p) => {
              for (const [key, json] of chunk) {
                if (ttlMillis === undefined) p.set(key, json)
                else p.set(key, json, "PX", ttlMillis)
              }
            }), { discard: true })
          return encoded.length
        }).pipe(span("storeEnrichmentBatch")),
      getEnrichment: (cve) =>
        Effect.gen(function*() {
          const key = yield* enrichmentKey(cve)
          const text = yield* connection.run(op("getEnrichment"), (redis) => redis.get(key))
          return text === null ? Option.none() : Option.some(yield* Codec.enrichmentFromJson(key, text))
        }).pipe(span("getEnrichment", { cve })),
      getEnrichmentBatch: (cves) =>
        Effect.gen(function*() {
          const keyList = yield* Effect.forEach(cves, enrichmentKey)
          const values = yield* mgetChunked(op("getEnrichmentBatch"), keyList)
          const found = new Map<string, EnrichmentData>()
          for (let i = 0; i < cves.length; i++) {
            const value = values[i]
            if (value != null) found.set(cves[i]!, yield* Codec.enrichmentFromJson(keyList[i]!, value.toString("utf8")))
          }
          return found
        }).pipe(span("getEnrichmentBatch", { count: cves.length })),

      lastSync: (source) =>
        Effect.gen(function*() {
          const { key } = yield* metaKey(source)
          const text = yield* connection.run(op("lastSync"), (redis) => redis.get(key))
          return text === null ? Option.none() : Option.some(yield* timestampFrom(key, text))
        }).pipe(span("lastSync", { source })),
      updateSyncTimestamp: (source, at) =>
        Effect.gen(function*() {
          const { key, name } = yield* metaKey(source)
          if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
            return yield* InvalidInput.of("at", String(at), "must be a valid Date")
          }
          yield* connection.run(op("updateSyncTimestamp"), (redis) =>
            redis.multi().set(key, at.toISOString()).sadd(keys.sources, name).exec())
        }).pipe(span("updateSyncTimestamp", { source })),
      resetSyncTimestamp: (source) =>
        Effect.gen(function*() {
          const { key, name } = yield* metaKey(source)
          const replies = yield* connection.run(op("resetSyncTimestamp"), (redis) =>
            redis.multi().del(key).srem(keys.sources, name).exec())
          return Number(replies?.[0]?.[1]) > 0
        }).pipe(span("resetSyncTimestamp", { source })),
      resetAllSyncTimestamps: Effect.gen(function*() {
        const operation = op("resetAllSyncTimestamps")
        const names = yield* connection.run(operation, (redis) => redis.smembers(keys.sources))
        let removed = 0
        for (const chunk of Arr.chunksOf(names, readChunkSize)) {
          removed += yield* connection.run(operation, (redis) => redis.del(...chunk.map(keys.meta)))
        }
        yield* connection.run(operation, (redis) => redis.srem(keys.sources, ...(names.length === 0 ? [""] : names)))
        return removed
      }).pipe(span("resetAllSyncTimestamps")),
      syncTimestamps: Effect.gen(function*() {
        const operation = op("syncTimestamps")
        const names = (yield* connection.run(operation, (redis) => redis.smembers(keys.sources))).sort()
        const values = yield* mgetChunked(operation, names.map(keys.meta))
        const found = new Map<string, Date>()
        for (let i = 0; i < names.length; i++) {
          const value = values[i]
          if (value != null) found.set(names[i]!, yield* timestampFrom(keys.meta(names[i]!), value.toString("utf8")))
        }
        return found
      }).pipe(span("syncTimestamps")),

      storeOssIndexCache: (purl, advisories) =>
        Effect.gen(function*() {
          const built = yield* newOssEntry(purl, advisories, yield* Clock.currentTimeMillis)
          yield* writeOssEntries(op("storeOssIndexCache"), [built])
          return built.entry
        }).pipe(span("storeOssIndexCache", { purl })),
      storeOssIndexCacheBatch: (entries) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const built = yield* Effect.forEach(entries, ([purl, advisories]) => newOssEntry(purl, advisories, now), {
            concurrency: codecConcurrency
          })
          yield* writeOssEntries(op("storeOssIndexCacheBatch"), built)
          return built.map((b) => b.entry)
        }).pipe(span("storeOssIndexCacheBatch", { count: entries.length })),
      getOssIndexCache: (purl) =>
        Effect.gen(function*() {
          const canonical = yield* Purl.normalize(purl)
          const key = keys.ossIndex(canonical)
          const value = yield* connection.run(op("getOssIndexCache"), (redis) => redis.getBuffer(key))
          return value === null ? Option.none() : yield* readOssEntry(key, canonical, value, yield* Clock.currentTimeMillis)
        }).pipe(span("getOssIndexCache", { purl })),
      getOssIndexCacheBatch: (purls) =>
        Effect.gen(function*() {
          const canonical = yield* Effect.forEach(purls, Purl.normalize)
          const keyList = canonical.map(keys.ossIndex)
          const values = yield* mgetChunked(op("getOssIndexCacheBatch"), keyList)
          const now = yield* Clock.currentTimeMillis
          const found = new Map<string, OssIndexCacheEntry>()
          for (let i = 0; i < purls.length; i++) {
            const value = values[i]
            if (value == null) continue
            const entry = yield* readOssEntry(keyList[i]!, canonical[i]!, value, now)
            if (Option.isSome(entry)) found.set(purls[i]!, entry.value)
          }
          return found
        }).pipe(span("getOssIndexCacheBatch", { count: purls.length })),
      invalidateOssIndexCache: (purl) =>
        Effect.gen(function*() {
          const key = keys.ossIndex(yield* Purl.normalize(purl))
          return (yield* connection.run(op("invalidateOssIndexCache"), (redis) => redis.unlink(key))) > 0
        }).pipe(span("invalidateOssIndexCache", { purl })),
      invalidateAllOssIndexCache: invalidateAll.pipe(span("invalidateAllOssIndexCache")),

      healthCheck: healthCheck(connection, keys, degradedLatencyMillis)
    }
    return store
  })

/**
 * Builds the store over one connection, opened on first use and closed when the scope closes.
 * Invalid options fail with `ConfigurationError` (the URL's password is never shown).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: DragonflyStoreOptions
): Effect.Effect<AdvisoryStoreShape, ConfigurationError, StoreConfig.StoreConfig | Compression | Scope.Scope> =>
  makeWith(options, "url")

/**
 * The store as a layer over the given `StoreConfig` and `Compression`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: DragonflyStoreOptions
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(AdvisoryStore, make(options))

/** The first variable a `ConfigError` is about, and its message. */
const configurationErrorOf = (error: ConfigError.ConfigError): ConfigurationError => {
  let leaf = error
  while (leaf._op === "And" || leaf._op === "Or") leaf = leaf.left
  return new ConfigurationError({ variable: leaf.path.join(".") || "configuration", detail: leaf.message })
}

/**
 * The store with options read through Effect `Config` (e.g. `Config.redacted("REDIS_URL")` for the
 * URL); a missing or invalid value fails with `ConfigurationError` naming it.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<DragonflyStoreOptions>
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(AdvisoryStore, Effect.flatMap(Effect.mapError(options, configurationErrorOf), make))

/**
 * The store connecting to `REDIS_URL` (`redis://` or `rediss://` for TLS). A missing or malformed
 * `REDIS_URL` fails with `ConfigurationError` naming it, the password masked.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Omit<DragonflyStoreOptions, "url"> = {}
): Layer.Layer<AdvisoryStore, ConfigurationError, StoreConfig.StoreConfig | Compression> =>
  Layer.scoped(
    AdvisoryStore,
    Effect.flatMap(secretVar("REDIS_URL"), (url) =>
      Option.isNone(url)
        ? new ConfigurationError({
          variable: "REDIS_URL",
          detail: "is not set; expected redis://[user:password@]host[:port][/db] or rediss://... for TLS"
        })
        : makeWith({ ...overrides, url: url.value }, "REDIS_URL"))
  )

/**
 * Everything from the environment: `REDIS_URL`, `StoreConfig.layerFromEnv()` (`VULNERA__STORE__*`)
 * and zstd compression at the configured level. Needs nothing else.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerStandalone = (
  overrides: Omit<DragonflyStoreOptions, "url"> = {}
): Layer.Layer<AdvisoryStore, ConfigurationError> =>
  layerFromEnv(overrides).pipe(Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layerFromEnv())))
