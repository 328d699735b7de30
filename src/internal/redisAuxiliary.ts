/**
 * The non-advisory half of `DragonflyStore`: enrichment entries, sync timestamps and the OSS Index
 * cache (plain keys; only `invalidateAllOssIndexCache` scans, with an escaped MATCH pattern).
 */
import { Array as Arr, Clock, Effect, Option } from "effect"
import type { Advisory } from "../Advisory.js"
import type { AdvisoryStoreShape } from "../AdvisoryStore.js"
import type { EnrichmentData } from "../EnrichmentData.js"
import { CorruptEntry, InvalidInput } from "../Errors.js"
import { OssIndexCacheEntry } from "../OssIndexCacheEntry.js"
import * as PackageKey from "../PackageKey.js"
import * as Purl from "../Purl.js"
import type { AdvisoryOperations } from "./redisAdvisories.js"
import { parseTimestamp } from "./redisHealth.js"
import { decompressed, mgetChunked, operationName, type RedisStoreContext, span, toBuffer } from "./redisStoreContext.js"
import * as Codec from "./storeCodec.js"

/** The enrichment, sync-timestamp and OSS Index operations of the store. */
export type AuxiliaryOperations = Omit<AdvisoryStoreShape, keyof AdvisoryOperations | "healthCheck">

/** Builds the enrichment, sync-timestamp and OSS Index operations. */
export const makeAuxiliaryOperations = (context: RedisStoreContext): AuxiliaryOperations => {
  const { compression, config, connection, keys, ttlMillis } = context

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
    decompressed(context, key, bytes).pipe(
      Effect.flatMap((raw) => Codec.ossEntryFromBytes(key, raw)),
      // A different purl under the same hash would be a SHA-256 collision: answer "not cached".
      Effect.map((entry) => entry.isExpired(now) || entry.purl !== canonical ? Option.none() : Option.some(entry))
    )
  const newOssEntry = (purl: string, advisories: ReadonlyArray<Advisory>, now: number) =>
    Effect.gen(function*() {
      const canonical = yield* Purl.normalize(purl)
      const valid = yield* Effect.forEach(advisories, (a) => Effect.map(Codec.prepareAdvisory(a), (p) => p.advisory))
      const entry = new OssIndexCacheEntry({ purl: canonical, advisories: valid, cachedAt: now, ttlSeconds: config.ossIndexTtlSeconds })
      const bytes = yield* Effect.flatMap(Codec.ossEntryToBytes(entry), compression.compress)
      return { key: keys.ossIndex(canonical), entry, bytes: toBuffer(bytes) }
    })
  const writeOssEntries = (
    operation: string,
    built: ReadonlyArray<{ readonly key: string; readonly entry: OssIndexCacheEntry; readonly bytes: Buffer }>
  ) =>
    Effect.forEach(Arr.chunksOf(built, context.readChunkSize), (chunk) =>
      connection.pipeline(operation, (p) => {
        for (const { bytes, entry, key } of chunk) p.set(key, bytes, "PX", entry.ttlSeconds * 1000)
      }), { discard: true })

  const invalidateAll = Effect.gen(function*() {
    const operation = operationName("invalidateAllOssIndexCache")
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

  return {
    storeEnrichment: (cve, data) =>
      Effect.gen(function*() {
        const key = yield* enrichmentKey(cve)
        const json = yield* Codec.enrichmentToJson(data)
        yield* connection.run(
          operationName("storeEnrichment"),
          (redis) => ttlMillis === undefined ? redis.set(key, json) : redis.set(key, json, "PX", ttlMillis)
        )
      }).pipe(span("storeEnrichment", { cve })),
    storeEnrichmentBatch: (entries) =>
      Effect.gen(function*() {
        const encoded = yield* Effect.forEach(Array.from(entries), ([cve, data]) =>
          Effect.zip(enrichmentKey(cve), Codec.enrichmentToJson(data)))
        yield* Effect.forEach(Arr.chunksOf(encoded, context.readChunkSize), (chunk) =>
          connection.pipeline(operationName("storeEnrichmentBatch"), (p) => {
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
        const text = yield* connection.run(operationName("getEnrichment"), (redis) => redis.get(key))
        return text === null ? Option.none() : Option.some(yield* Codec.enrichmentFromJson(key, text))
      }).pipe(span("getEnrichment", { cve })),
    getEnrichmentBatch: (cves) =>
      Effect.gen(function*() {
        const keyList = yield* Effect.forEach(cves, enrichmentKey)
        const values = yield* mgetChunked(context, operationName("getEnrichmentBatch"), keyList)
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
        const text = yield* connection.run(operationName("lastSync"), (redis) => redis.get(key))
        return text === null ? Option.none() : Option.some(yield* timestampFrom(key, text))
      }).pipe(span("lastSync", { source })),
    updateSyncTimestamp: (source, at) =>
      Effect.gen(function*() {
        const { key, name } = yield* metaKey(source)
        if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
          return yield* InvalidInput.of("at", String(at), "must be a valid Date")
        }
        yield* connection.run(operationName("updateSyncTimestamp"), (redis) =>
          redis.multi().set(key, at.toISOString()).sadd(keys.sources, name).exec())
      }).pipe(span("updateSyncTimestamp", { source })),
    resetSyncTimestamp: (source) =>
      Effect.gen(function*() {
        const { key, name } = yield* metaKey(source)
        const replies = yield* connection.run(operationName("resetSyncTimestamp"), (redis) =>
          redis.multi().del(key).srem(keys.sources, name).exec())
        return Number(replies?.[0]?.[1]) > 0
      }).pipe(span("resetSyncTimestamp", { source })),
    resetAllSyncTimestamps: Effect.gen(function*() {
      const operation = operationName("resetAllSyncTimestamps")
      const names = yield* connection.run(operation, (redis) => redis.smembers(keys.sources))
      let removed = 0
      for (const chunk of Arr.chunksOf(names, context.readChunkSize)) {
        removed += yield* connection.run(operation, (redis) => redis.del(...chunk.map(keys.meta)))
      }
      yield* connection.run(operation, (redis) => redis.srem(keys.sources, ...(names.length === 0 ? [""] : names)))
      return removed
    }).pipe(span("resetAllSyncTimestamps")),
    syncTimestamps: Effect.gen(function*() {
      const operation = operationName("syncTimestamps")
      const names = (yield* connection.run(operation, (redis) => redis.smembers(keys.sources))).sort()
      const values = yield* mgetChunked(context, operation, names.map(keys.meta))
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
        yield* writeOssEntries(operationName("storeOssIndexCache"), [built])
        return built.entry
      }).pipe(span("storeOssIndexCache", { purl })),
    storeOssIndexCacheBatch: (entries) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const built = yield* Effect.forEach(entries, ([purl, advisories]) => newOssEntry(purl, advisories, now), {
          concurrency: 4
        })
        yield* writeOssEntries(operationName("storeOssIndexCacheBatch"), built)
        return built.map((b) => b.entry)
      }).pipe(span("storeOssIndexCacheBatch", { count: entries.length })),
    getOssIndexCache: (purl) =>
      Effect.gen(function*() {
        const canonical = yield* Purl.normalize(purl)
        const key = keys.ossIndex(canonical)
        const value = yield* connection.run(operationName("getOssIndexCache"), (redis) => redis.getBuffer(key))
        return value === null ? Option.none() : yield* readOssEntry(key, canonical, value, yield* Clock.currentTimeMillis)
      }).pipe(span("getOssIndexCache", { purl })),
    getOssIndexCacheBatch: (purls) =>
      Effect.gen(function*() {
        const canonical = yield* Effect.forEach(purls, Purl.normalize)
        const keyList = canonical.map(keys.ossIndex)
        const values = yield* mgetChunked(context, operationName("getOssIndexCacheBatch"), keyList)
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
        return (yield* connection.run(operationName("invalidateOssIndexCache"), (redis) => redis.unlink(key))) > 0
      }).pipe(span("invalidateOssIndexCache", { purl })),
    invalidateAllOssIndexCache: invalidateAll.pipe(span("invalidateAllOssIndexCache"))
  }
}
