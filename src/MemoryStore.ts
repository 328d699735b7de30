/**
 * An in-process `AdvisoryStore` on `Map`s: for tests, examples and short-lived tools. It is not a
 * mock — it passes the same contract suite as the Redis store and behaves the same way:
 *
 * - values are stored as Redis would hold them: advisories and OSS Index entries as bytes through
 *   the `Compression` service, enrichment as JSON text, sync timestamps as RFC 3339 text, under the
 *   same key strings (`vuln:data:<id>`, ...), so a corrupt value fails with the same `CorruptEntry`;
 * - TTLs use Effect's `Clock`, so `TestClock.adjust` makes advisories, enrichment and OSS Index
 *   entries expire in tests without waiting;
 * - `TestKit` gives tests raw access to the stored bytes (plant a corrupt value, inspect what was
 *   written) — `layerDefault` and `layerWith` provide it next to `AdvisoryStore`.
 *
 * Reads decode a value once and reuse the result until it is re-written, so `getByPackage` over
 * hundreds of advisories costs map lookups. Returned advisories may therefore be shared between
 * reads: treat them as the read-only values their types say they are.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Array as Arr, Context, Effect, Layer, Option, Stream } from "effect"
import type { Advisory } from "./Advisory.js"
import { AdvisoryStore, type AdvisoryStoreShape, type UpsertResult } from "./AdvisoryStore.js"
import { Compression, layerZstd } from "./Compression.js"
import type { EnrichmentData } from "./EnrichmentData.js"
import { type AdvisoryStoreError, type ConfigurationError, CorruptEntry, InvalidInput } from "./Errors.js"
import { HealthStatus } from "./HealthStatus.js"
import { AdvisoryIndex } from "./internal/advisoryIndex.js"
import { ExpiringMap } from "./internal/expiringMap.js"
import * as Codec from "./internal/storeCodec.js"
import { OssIndexCacheEntry } from "./OssIndexCacheEntry.js"
import * as PackageKey from "./PackageKey.js"
import * as Purl from "./Purl.js"
import * as StoreConfig from "./StoreConfig.js"

/**
 * Raw access to the in-memory store's keys, for tests.
 *
 * @since 0.1.0
 * @category Models
 */
export interface TestKitShape {
  /** The key prefix (`StoreConfig.keyPrefix`); keys follow the Redis layout (`<prefix>:data:<id>`, ...). */
  readonly keyPrefix: string
  /**
   * Replaces the bytes stored at a full key, bypassing compression and encoding — e.g. to plant a
   * corrupt value and check that reads fail with `CorruptEntry` naming that key. Keeps the entry's
   * expiry (like Redis `SET ... KEEPTTL`); a new key never expires. Indexes, counts and the source
   * list are not touched. Accepts `data:`, `enrich:`, `ossidx:` and `meta:` keys under the prefix;
   * any other key is a defect (a bug in the calling test).
   */
  readonly writeRaw: (key: string, bytes: Uint8Array) => Effect.Effect<void>
  /** The bytes stored at a full key, exactly as a Redis `GET` would return them; `None` when absent or expired. */
  readonly readRaw: (key: string) => Effect.Effect<Option.Option<Uint8Array>>
  /** Every live value key (data, enrichment, OSS Index, sync timestamps), sorted. */
  readonly keys: Effect.Effect<ReadonlyArray<string>>
}

/**
 * The test kit of a `MemoryStore` layer (provided by `layerWithTestKit`, `layerDefault`, `layerWith`).
 *
 * @since 0.1.0
 * @category Tags
 */
export class TestKit extends Context.Tag("vulnera/MemoryStore/TestKit")<TestKit, TestKitShape>() {}

/** How many values are compressed concurrently in a batch write (zstd runs on libuv's thread pool). */
const compressConcurrency = 8
/** Page size of `streamByPackage`, as the Redis store's SSCAN COUNT. */
const pageSize = 100

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")

/** A package lookup's index suffix, after validation and normalization. */
const indexSuffixOf = (ecosystem: string, name: string) =>
  Effect.map(PackageKey.make(ecosystem, name), PackageKey.toIndexSuffix)

/** A `null` JSON literal as `JSON.stringify` writes it (the same text inside a string only causes a false alarm). */
const nullLiteral = /[:[,]null[,\]}]/

/**
 * What decoding the stored JSON would return, computed without the schema where that is certain to
 * give the same value: decoding JSON that has no `null` (nullable optionals decode as absent) and no
 * enrichment lacking `is_kev` (it defaults to `false`) is the identity, so `JSON.parse` of the text
 * just written (a private copy, ~15µs) equals the decoded value (~90µs with the schema). Otherwise
 * `undefined`: the first read decodes the bytes with the schema, exactly as the Redis store does.
 */
const decodedWithoutSchema = (advisory: Advisory, json: string): Advisory | undefined =>
  nullLiteral.test(json) || (advisory.enrichment !== undefined && typeof advisory.enrichment.is_kev !== "boolean")
    ? undefined
    : (JSON.parse(json) as Advisory)

/** `Codec.prepareAdvisory`, plus the decoded value to memoize when it can be had without the schema. */
const prepareAdvisory = (advisory: Advisory) =>
  Effect.map(Codec.prepareAdvisory(advisory), (p) => ({ ...p, decoded: decodedWithoutSchema(p.advisory, p.json) }))

/**
 * Builds the store and its test kit. State lives in the returned closures: each call is a new,
 * empty store.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeWithTestKit: Effect.Effect<
  { readonly store: AdvisoryStoreShape; readonly testKit: TestKitShape },
  never,
  StoreConfig.StoreConfig | Compression
> = Effect.gen(function*() {
  const config = yield* StoreConfig.StoreConfig
  const compression = yield* Compression
  const prefix = config.keyPrefix
  const ttlMillis = config.ttlSeconds === undefined ? undefined : config.ttlSeconds * 1000
  const expiryFrom = (now: number) => (ttlMillis === undefined ? Number.POSITIVE_INFINITY : now + ttlMillis)

  const ns = {
    data: `${prefix}:data:`,
    enrich: `${prefix}:enrich:`,
    ossidx: `${prefix}:ossidx:`,
    meta: `${prefix}:meta:`
  } as const

  const data = new ExpiringMap<Advisory>()
  const enrichment = new ExpiringMap<EnrichmentData>()
  const ossIndex = new ExpiringMap<OssIndexCacheEntry>()
  const meta = new ExpiringMap<Date>()
  /** Which ids are stored and the packages they are listed under. */
  const index = new AdvisoryIndex()
  /** Source names that have a sync timestamp (Redis: `<prefix>:sources`). */
  const sources = new Set<string>()

  /** Expired advisories leave the count and every index (Redis cleans index entries when read). */
  const purgeAdvisories = (now: number) => data.purge(now, (key) => index.delete(key.slice(ns.data.length)))

  const decompressed = (key: string, bytes: Uint8Array) =>
    Effect.mapError(
      compression.decompress(bytes),
      (error) => new CorruptEntry({ key, detail: `cannot decompress: ${error.detail}`, cause: error })
    )

  /** The advisory at `id`, decoding (and memoizing) on first read. */
  const readAdvisory = (id: string, now: number): Effect.Effect<Advisory | undefined, CorruptEntry> => {
    const key = ns.data + id
    const slot = data.get(key, now)
    if (slot === undefined) return Effect.succeed(undefined)
    if (slot.decoded !== undefined) return Effect.succeed(slot.decoded)
    return decompressed(key, slot.bytes).pipe(
      Effect.flatMap((bytes) => Codec.advisoryFromBytes(key, bytes)),
      Effect.tap((advisory) => {
        slot.decoded = advisory
      })
    )
  }

  /** Advisories for ids (in order, absent ones skipped); already-decoded ones without any effect overhead. */
  const readAdvisories = (ids: ReadonlyArray<string>, now: number): Effect.Effect<Array<Advisory>, CorruptEntry> => {
    const found: Array<Advisory | undefined> = new Array(ids.length)
    const pending: Array<number> = []
    for (let i = 0; i < ids.length; i++) {
      const slot = data.get(ns.data + ids[i]!, now)
      if (slot?.decoded !== undefined) found[i] = slot.decoded
      else if (slot !== undefined) pending.push(i)
    }
    const done = () => found.filter((a): a is Advisory => a !== undefined)
    if (pending.length === 0) return Effect.sync(done)
    return Effect.forEach(pending, (i) => Effect.map(readAdvisory(ids[i]!, now), (a) => (found[i] = a)), {
      concurrency: compressConcurrency,
      discard: true
    }).pipe(Effect.map(done))
  }

  /** The live ids under an index suffix, sorted. */
  const idsUnder = (suffix: string, now: number): ReadonlyArray<string> => {
    purgeAdvisories(now)
    return index.idsUnder(suffix, (id) => data.get(ns.data + id, now) !== undefined)
  }

  const now = Effect.clockWith((clock) => Effect.sync(() => clock.unsafeCurrentTimeMillis()))
  const span = (name: string, attributes: Record<string, unknown> = {}) =>
    Effect.withSpan(`AdvisoryStore.${name}`, { attributes: { "vulnera.store": "memory", ...attributes } })

  const upsertBatch = (advisories: Iterable<Advisory>, source: string) =>
    Effect.gen(function*() {
      // Validate everything before writing anything: bad input never leaves half a batch.
      const prepared = yield* Effect.forEach(Array.from(advisories), prepareAdvisory)
      const latest = new Map(prepared.map((p) => [p.advisory.id, p] as const))
      const encoded = yield* Effect.forEach(
        latest.values(),
        (p) => Effect.map(compression.compress(textEncoder.encode(p.json)), (bytes) => ({ ...p, bytes })),
        { concurrency: compressConcurrency }
      )
      const at = yield* now
      purgeAdvisories(at)
      const result = { source, received: latest.size, inserted: 0, updated: 0, withdrawn: 0, staleIndexEntriesRemoved: 0 }
      for (const { advisory, bytes, decoded, suffixes } of encoded) {
        const id = advisory.id
        const key = ns.data + id
        if (data.get(key, at) === undefined) result.inserted++
        else result.updated++
        if (advisory.withdrawn != null) result.withdrawn++
        result.staleIndexEntriesRemoved += index.set(id, suffixes)
        data.set(key, bytes, expiryFrom(at), decoded)
      }
      return result satisfies UpsertResult
    })

  const validIds = (ids: ReadonlyArray<string>) => Effect.forEach(ids, (id) => PackageKey.validateAdvisoryId(id))

  const enrichmentKey = (cve: string) => Effect.map(PackageKey.validateCve(cve), (upper) => ns.enrich + upper)
  const readEnrichment = (key: string, at: number): Effect.Effect<EnrichmentData | undefined, CorruptEntry> => {
    const slot = enrichment.get(key, at)
    if (slot === undefined) return Effect.succeed(undefined)
    if (slot.decoded !== undefined) return Effect.succeed(slot.decoded)
    return Effect.tap(Codec.enrichmentFromJson(key, textDecoder.decode(slot.bytes)), (entry) => {
      slot.decoded = entry
    })
  }
  const encodeEnrichment = (cve: string, entry: EnrichmentData) =>
    Effect.flatMap(enrichmentKey(cve), (key) =>
      Effect.map(Codec.enrichmentToJson(entry), (json) => ({ key, bytes: textEncoder.encode(json) })))
  const writeEnrichment = (encoded: ReadonlyArray<{ readonly key: string; readonly bytes: Uint8Array }>) =>
    Effect.flatMap(now, (at) =>
      Effect.sync(() => {
        enrichment.purge(at)
        for (const { bytes, key } of encoded) enrichment.set(key, bytes, expiryFrom(at))
        return encoded.length
      }))

  const metaKey = (source: string) =>
    Effect.map(PackageKey.validateSourceName(source), (name) => ({ name, key: ns.meta + name }))
  const readMeta = (key: string): Effect.Effect<Date | undefined, CorruptEntry> => {
    const slot = meta.get(key, 0)
    if (slot === undefined) return Effect.succeed(undefined)
    const text = textDecoder.decode(slot.bytes)
    const date = new Date(text)
    return Number.isNaN(date.getTime())
      ? Effect.fail(new CorruptEntry({ key, detail: `not an RFC 3339 timestamp: ${JSON.stringify(text.slice(0, 100))}` }))
      : Effect.succeed(date)
  }
  const syncTimestamps = Effect.map(
    Effect.suspend(() => Effect.forEach(Array.from(sources).sort(), (name) =>
      Effect.map(readMeta(ns.meta + name), (date) => [name, date] as const))),
    (pairs) => new Map(pairs.filter((p): p is readonly [string, Date] => p[1] !== undefined))
  )

  const ossKey = (canonical: string) => ns.ossidx + sha256(canonical)
  const newOssEntry = (purl: string, advisories: ReadonlyArray<Advisory>, at: number) =>
    Effect.gen(function*() {
      const canonical = yield* Purl.normalize(purl)
      const valid = yield* Effect.forEach(advisories, (a) => Effect.map(Codec.prepareAdvisory(a), (p) => p.advisory))
      const entry = new OssIndexCacheEntry({
        purl: canonical,
        advisories: valid,
        cachedAt: at,
        ttlSeconds: config.ossIndexTtlSeconds
      })
      const bytes = yield* Effect.flatMap(Codec.ossEntryToBytes(entry), compression.compress)
      return { key: ossKey(canonical), entry, bytes }
    })
  const readOss = (purl: string, at: number): Effect.Effect<Option.Option<OssIndexCacheEntry>, AdvisoryStoreError> =>
    Effect.gen(function*() {
      const canonical = yield* Purl.normalize(purl)
      const key = ossKey(canonical)
      const slot = ossIndex.get(key, at)
      if (slot === undefined) return Option.none()
      if (slot.decoded === undefined) {
        const bytes = yield* decompressed(key, slot.bytes)
        slot.decoded = yield* Codec.ossEntryFromBytes(key, bytes)
      }
      const entry = slot.decoded
      // A different purl under the same hash would be a SHA-256 collision: answer "not cached".
      return entry.isExpired(at) || entry.purl !== canonical ? Option.none() : Option.some(entry)
    })

  const store: AdvisoryStoreShape = {
    storeAdvisory: (advisory, source = "manual") =>
      upsertBatch([advisory], source).pipe(span("storeAdvisory", { id: advisory?.id })),
    upsertBatch: (advisories, source) => upsertBatch(advisories, source).pipe(span("upsertBatch", { source })),
    getAdvisory: (id) =>
      Effect.gen(function*() {
        yield* PackageKey.validateAdvisoryId(id)
        const at = yield* now
        return Option.fromNullable(yield* readAdvisory(id, at))
      }).pipe(span("getAdvisory", { id })),
    getBatch: (ids) =>
      Effect.gen(function*() {
        const valid = yield* validIds(ids)
        return yield* readAdvisories(Array.from(new Set(valid)), yield* now)
      }).pipe(span("getBatch", { count: ids.length })),
    getByPackage: (ecosystem, name) =>
      Effect.gen(function*() {
        const suffix = yield* indexSuffixOf(ecosystem, name)
        const at = yield* now
        return yield* readAdvisories(idsUnder(suffix, at), at)
      }).pipe(span("getByPackage", { ecosystem, name })),
    streamByPackage: (ecosystem, name) =>
      Stream.unwrap(
        Effect.gen(function*() {
          const suffix = yield* indexSuffixOf(ecosystem, name)
          const pages = Arr.chunksOf(idsUnder(suffix, yield* now), pageSize)
          return Stream.fromIterable(pages).pipe(
            Stream.mapEffect((page) => Effect.flatMap(now, (at) => readAdvisories(page, at))),
            Stream.flattenIterables
          )
        })
      ).pipe(Stream.withSpan("AdvisoryStore.streamByPackage", { attributes: { "vulnera.store": "memory", ecosystem, name } })),
    idsByPackage: (ecosystem, name) =>
      Effect.gen(function*() {
        const suffix = yield* indexSuffixOf(ecosystem, name)
        return idsUnder(suffix, yield* now)
      }).pipe(span("idsByPackage", { ecosystem, name })),
    removeAdvisory: (id) =>
      Effect.gen(function*() {
        yield* PackageKey.validateAdvisoryId(id)
        const at = yield* now
        purgeAdvisories(at)
        index.delete(id)
        return data.delete(ns.data + id, at)
      }).pipe(span("removeAdvisory", { id })),
    advisoryCount: Effect.flatMap(now, (at) =>
      Effect.sync(() => {
        purgeAdvisories(at)
        return index.size
      })).pipe(span("advisoryCount")),

    storeEnrichment: (cve, entry) =>
      Effect.flatMap(encodeEnrichment(cve, entry), (encoded) => writeEnrichment([encoded])).pipe(
        Effect.asVoid,
        span("storeEnrichment", { cve })
      ),
    storeEnrichmentBatch: (entries) =>
      Effect.forEach(Array.from(entries), ([cve, entry]) => encodeEnrichment(cve, entry)).pipe(
        Effect.flatMap(writeEnrichment),
        span("storeEnrichmentBatch")
      ),
    getEnrichment: (cve) =>
      Effect.gen(function*() {
        const key = yield* enrichmentKey(cve)
        return Option.fromNullable(yield* readEnrichment(key, yield* now))
      }).pipe(span("getEnrichment", { cve })),
    getEnrichmentBatch: (cves) =>
      Effect.gen(function*() {
        const keys = yield* Effect.forEach(cves, enrichmentKey)
        const at = yield* now
        const found = new Map<string, EnrichmentData>()
        for (let i = 0; i < cves.length; i++) {
          const entry = yield* readEnrichment(keys[i]!, at)
          if (entry !== undefined) found.set(cves[i]!, entry)
        }
        return found
      }).pipe(span("getEnrichmentBatch", { count: cves.length })),

    lastSync: (source) =>
      Effect.flatMap(metaKey(source), ({ key }) => Effect.map(readMeta(key), Option.fromNullable)).pipe(
        span("lastSync", { source })
      ),
    updateSyncTimestamp: (source, at) =>
      Effect.gen(function*() {
        const { key, name } = yield* metaKey(source)
        if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
          return yield* Effect.fail(InvalidInput.of("at", String(at), "must be a valid Date"))
        }
        meta.set(key, textEncoder.encode(at.toISOString()), Number.POSITIVE_INFINITY)
        sources.add(name)
      }).pipe(span("updateSyncTimestamp", { source })),
    resetSyncTimestamp: (source) =>
      Effect.map(metaKey(source), ({ key, name }) => {
        sources.delete(name)
        return meta.delete(key, 0)
      }).pipe(span("resetSyncTimestamp", { source })),
    resetAllSyncTimestamps: Effect.sync(() => {
      let removed = 0
      for (const name of sources) if (meta.delete(ns.meta + name, 0)) removed++
      sources.clear()
      return removed
    }).pipe(span("resetAllSyncTimestamps")),
    syncTimestamps: syncTimestamps.pipe(span("syncTimestamps")),

    storeOssIndexCache: (purl, advisories) =>
      Effect.gen(function*() {
        const at = yield* now
        const { bytes, entry, key } = yield* newOssEntry(purl, advisories, at)
        ossIndex.purge(at)
        ossIndex.set(key, bytes, entry.cachedAt + entry.ttlSeconds * 1000)
        return entry
      }).pipe(span("storeOssIndexCache", { purl })),
    storeOssIndexCacheBatch: (entries) =>
      Effect.gen(function*() {
        const at = yield* now
        const built = yield* Effect.forEach(entries, ([purl, advisories]) => newOssEntry(purl, advisories, at), {
          concurrency: compressConcurrency
        })
        ossIndex.purge(at)
        for (const { bytes, entry, key } of built) ossIndex.set(key, bytes, entry.cachedAt + entry.ttlSeconds * 1000)
        return built.map((b) => b.entry)
      }).pipe(span("storeOssIndexCacheBatch", { count: entries.length })),
    getOssIndexCache: (purl) => Effect.flatMap(now, (at) => readOss(purl, at)).pipe(span("getOssIndexCache", { purl })),
    getOssIndexCacheBatch: (purls) =>
      Effect.gen(function*() {
        const at = yield* now
        // Validate every PURL before reading any, so bad input fails the same way whatever the cache holds.
        yield* Effect.forEach(purls, Purl.normalize, { discard: true })
        const found = new Map<string, OssIndexCacheEntry>()
        for (const purl of purls) {
          const entry = yield* readOss(purl, at)
          if (Option.isSome(entry)) found.set(purl, entry.value)
        }
        return found
      }).pipe(span("getOssIndexCacheBatch", { count: purls.length })),
    invalidateOssIndexCache: (purl) =>
      Effect.gen(function*() {
        const canonical = yield* Purl.normalize(purl)
        return ossIndex.delete(ossKey(canonical), yield* now)
      }).pipe(span("invalidateOssIndexCache", { purl })),
    invalidateAllOssIndexCache: Effect.flatMap(now, (at) => Effect.sync(() => ossIndex.clear(at))).pipe(
      span("invalidateAllOssIndexCache")
    ),

    healthCheck: Effect.gen(function*() {
      const at = yield* now
      purgeAdvisories(at)
      let lastSync: Date | undefined
      const corrupt: Array<string> = []
      for (const name of sources) {
        // A corrupt timestamp must not make the health check fail; it is reported as Degraded.
        const date = yield* Effect.orElseSucceed(readMeta(ns.meta + name), () => {
          corrupt.push(ns.meta + name)
          return undefined
        })
        if (date !== undefined && (lastSync === undefined || date > lastSync)) lastSync = date
      }
      return new HealthStatus({
        status: corrupt.length === 0 ? "Healthy" : "Degraded",
        advisoryCount: index.size,
        lastSync: lastSync?.toISOString(),
        latencyMs: 0,
        serverVersion: "memory",
        detail: corrupt.length === 0 ? undefined : `corrupt sync timestamp at ${corrupt.join(", ")}`
      })
    }).pipe(span("healthCheck"))
  }

  const mapFor = (key: string) =>
    key.startsWith(ns.data)
      ? data
      : key.startsWith(ns.enrich)
      ? enrichment
      : key.startsWith(ns.ossidx)
      ? ossIndex
      : key.startsWith(ns.meta)
      ? meta
      : undefined

  const testKit: TestKitShape = {
    keyPrefix: prefix,
    writeRaw: (key, bytes) =>
      Effect.flatMap(now, (at) => {
        const map = mapFor(key)
        if (map === undefined) return Effect.dieMessage(`MemoryStore.TestKit.writeRaw: not a value key: ${key}`)
        return Effect.sync(() => map.replaceBytes(key, Uint8Array.from(bytes), at))
      }),
    readRaw: (key) =>
      Effect.map(now, (at) => Option.fromNullable(mapFor(key)?.get(key, at)?.bytes).pipe(Option.map((bytes) => Uint8Array.from(bytes)))),
    keys: Effect.map(now, (at) => [data, enrichment, ossIndex, meta].flatMap((map) => Array.from(map.keys(at))).sort())
  }

  return { store, testKit }
})

/**
 * Builds an empty in-memory store.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make: Effect.Effect<AdvisoryStoreShape, never, StoreConfig.StoreConfig | Compression> = Effect.map(
  makeWithTestKit,
  (built) => built.store
)

/**
 * The in-memory store over the given `StoreConfig` and `Compression`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<AdvisoryStore, never, StoreConfig.StoreConfig | Compression> = Layer.effect(
  AdvisoryStore,
  make
)

/**
 * The in-memory store and its `TestKit` (both over the same state).
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWithTestKit: Layer.Layer<AdvisoryStore | TestKit, never, StoreConfig.StoreConfig | Compression> =
  Layer.effectContext(
    Effect.map(makeWithTestKit, ({ store, testKit }) =>
      Context.make(AdvisoryStore, store).pipe(Context.add(TestKit, testKit)))
  )

/**
 * A self-contained store (with `TestKit`): `options` over `StoreConfig.defaults`, zstd compression.
 * Invalid options fail the layer with `ConfigurationError`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWith = (
  options: Partial<StoreConfig.StoreConfigShape> = {}
): Layer.Layer<AdvisoryStore | TestKit, ConfigurationError> =>
  layerWithTestKit.pipe(
    Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layer(options)))
  )

/**
 * A self-contained store (with `TestKit`) with `StoreConfig.defaults` (no TTL) and zstd at level 3.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerDefault: Layer.Layer<AdvisoryStore | TestKit> = Layer.orDie(layerWith())
