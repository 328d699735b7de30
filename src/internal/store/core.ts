/**
 * The store core: every `AdvisoryStore` rule, written once over a `StoreDriver` (driver.ts) —
 * input validation, the key layout (keys.ts), the codec (../storeCodec.ts), TTLs, index
 * maintenance and cleaning, sync timestamps (one parse rule: timestamp.ts), the OSS Index cache
 * and the health status rules. `MemoryStore`, `DragonflyStore` and `LmdbStore` are drivers under it.
 */
import { Array as Arr, Chunk, Clock, Effect, Either, Option, Stream } from "effect"
import type { Advisory } from "../../Advisory.js"
import { validateAdvisoryId, validateCve } from "../../Advisory.js"
import { validateSourceName } from "../../AdvisorySource.js"
import type { AdvisoryStoreShape, PackageRef, UpsertResult } from "../../AdvisoryStore.js"
import type { CompressionShape } from "../../Compression.js"
import type { EnrichmentData } from "../../EnrichmentData.js"
import { type AdvisoryStoreError, CorruptEntry, InvalidInput, StoreError } from "../../Errors.js"
import { HealthStatus } from "../../HealthStatus.js"
import { OssIndexCacheEntry } from "../../OssIndexCacheEntry.js"
import * as PackageKey from "../../PackageKey.js"
import * as Purl from "../../Purl.js"
import type { StoreConfigShape } from "../../StoreConfig.js"
import * as Codec from "./storeCodec.js"
import { advisoryFromBytes, DecodedCache, indexedUnder } from "./decode.js"
import type { AdvisoryWrite, Expiry, StoreDriver } from "./driver.js"
import { indexSuffix } from "./keys.js"
import { makeSummaryStore, summaryOf } from "./summary.js"
import { parseTimestamp } from "./timestamp.js"
import { verifyStore } from "./verify.js"
import { countStoreErrors } from "../../Metrics.js"

/** Ids per page in `streamByPackage`. */
const pageSize = 100
/** Expired advisories whose index entries are swept per write. */
const sweepLimit = 256
/** Values read or written per driver call outside advisory writes. */
const chunkSize = 500

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

const byId = (a: Advisory, b: Advisory) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A stored sync timestamp read from `key`, by the one rule of timestamp.ts. */
export const timestampFrom = (key: string, text: string): Either.Either<Date, CorruptEntry> => {
  const date = parseTimestamp(text)
  return date === undefined
    ? Either.left(
      new CorruptEntry({
        key,
        detail: `not an RFC 3339 timestamp or YYYY-MM-DD date: ${JSON.stringify(text.slice(0, 100))}`
      })
    )
    : Either.right(date)
}

/** Builds the `AdvisoryStore` over a driver. */
export const makeStore = (
  driver: StoreDriver,
  config: StoreConfigShape,
  compression: CompressionShape,
  summaryCompression: CompressionShape = compression
): AdvisoryStoreShape => {
  const { keys } = driver
  const cache = new DecodedCache(driver.decodedCacheEntries, driver.volatileReads)
  const summaryReader = makeSummaryStore(driver, summaryCompression)
  const ttlMillis = config.ttlSeconds === undefined ? undefined : config.ttlSeconds * 1000
  const expiryFrom = (now: number): Expiry =>
    ttlMillis === undefined ? { expiresAt: undefined, ttlMillis: undefined } : { expiresAt: now + ttlMillis, ttlMillis }
  const never: Expiry = { expiresAt: undefined, ttlMillis: undefined }
  const operationName = (name: string) => `AdvisoryStore.${name}`
  /** `effect` as one read batch of the decoded-record cache (its eviction rule, decode.ts). */
  const readBatch = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.suspend(() => {
      cache.startBatch()
      return effect
    })
  // A failed operation is counted once, at the operation, in `Metrics.storeErrors`.
  const span = (name: string, attributes: Record<string, unknown> = {}) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      countStoreErrors(name),
      Effect.withSpan(operationName(name), { attributes: { "vulnera.store": driver.name, ...attributes } })
    )

  const corruptCompression = (key: string, detail: string, cause: unknown) =>
    new CorruptEntry({ key, detail: `cannot decompress: ${detail}`, cause })
  const decompressed = (key: string, bytes: Uint8Array) =>
    Effect.mapError(compression.decompress(bytes), (error) => corruptCompression(key, error.detail, error))

  /** Decodes (and caches) the advisory stored at `key`. */
  const decoded = (key: string, bytes: Uint8Array, raw: Uint8Array): Either.Either<Advisory, CorruptEntry> => {
    const advisory = advisoryFromBytes(key, raw)
    if (Either.isRight(advisory)) cache.set(key, bytes, advisory.right)
    return advisory
  }

  /**
   * Advisories for `ids` (input order, `undefined` when absent) and the absent ids; a value that
   * cannot be decoded is that id's `CorruptEntry` (batch reads answer per package).
   */
  const readEach = (operation: string, ids: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const dataKeys = ids.map(keys.data)
      const values = yield* driver.getValues(operation, dataKeys, now)
      const found: Array<Either.Either<Advisory, CorruptEntry> | undefined> = new Array(ids.length)
      const missing: Array<string> = []
      const misses: Array<number> = []
      for (let i = 0; i < values.length; i++) {
        const value = values[i]
        if (value === undefined) {
          missing.push(ids[i]!)
          continue
        }
        const hit = cache.get(dataKeys[i]!, value)
        if (hit === undefined) misses.push(i)
        else found[i] = Either.right(hit)
      }
      if (misses.length > 0) {
        const raws = yield* compression.decompressAll(misses.map((i) => values[i]!))
        for (let m = 0; m < misses.length; m++) {
          const i = misses[m]!
          const raw = raws[m]!
          found[i] = Either.isLeft(raw)
            ? Either.left(corruptCompression(dataKeys[i]!, raw.left.detail, raw.left))
            : decoded(dataKeys[i]!, values[i]!, raw.right)
        }
      }
      return { found, missing }
    })

  /**
   * `readEach` of `ids` in chunks, each chunk's outcome given to `take` in order. Two chunks are in
   * flight: the next chunk's round trip overlaps this one's decompression and decoding (the server
   * and the thread pool work while this thread decodes).
   */
  const readChunks = (
    operation: string,
    ids: ReadonlyArray<string>,
    take: (chunk: ReadonlyArray<string>, read: Effect.Effect.Success<ReturnType<typeof readEach>>) => void
  ) =>
    Effect.forEach(Arr.chunksOf(ids, chunkSize), (chunk) => readEach(operation, chunk), { concurrency: 2 }).pipe(
      Effect.map((reads) => reads.forEach((read, c) => take(ids.slice(c * chunkSize, (c + 1) * chunkSize), read)))
    )

  /** Advisories for `ids` (input order, `undefined` when absent) and the absent ids; the first corrupt value fails the read. */
  const readAdvisories = (operation: string, ids: ReadonlyArray<string>) =>
    Effect.flatMap(readEach(operation, ids), ({ found, missing }) => {
      const advisories: Array<Advisory | undefined> = new Array(found.length)
      for (let i = 0; i < found.length; i++) {
        const entry = found[i]
        if (entry !== undefined && Either.isLeft(entry)) return Effect.fail(entry.left)
        advisories[i] = entry?.right
      }
      return Effect.succeed({ found: advisories, missing })
    })

  /** Old memberships of an advisory that has no membership list (written by the Rust crate). */
  const oldSuffixes = (id: string, value: Uint8Array) =>
    decompressed(keys.data(id), value).pipe(
      Effect.flatMap((raw) => advisoryFromBytes(keys.data(id), raw)),
      Effect.map(Codec.indexSuffixes),
      Effect.catchAll((error) =>
        Effect.as(
          Effect.logWarning("cannot decode the previous value to find its old index entries; they stay (reads skip them)").pipe(
            Effect.annotateLogs({ key: error.key, detail: error.detail })
          ),
          []
        )
      )
    )
  const apply = (operation: string, writes: ReadonlyArray<AdvisoryWrite>, expiry: Expiry) =>
    driver.writeAdvisories(operation, writes, expiry, oldSuffixes)

  /** Index entries (under `suffix`) whose data is gone leave every index, atomically per id. */
  const purge = (operation: string, ids: ReadonlyArray<string>, suffix?: string) =>
    ids.length === 0 ? Effect.void : Effect.asVoid(apply(
      operation,
      ids.map((id) => ({ mode: "purge", id, suffixes: [], leave: suffix === undefined ? [] : [suffix] })),
      never
    ))

  /** Expired advisories (by their `ids` expiry) leave their indexes; bounded work per call. */
  const sweepExpired = (operation: string) =>
    ttlMillis === undefined ? Effect.void : Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      yield* purge(operation, yield* driver.expiredAdvisoryIds(operation, now, sweepLimit))
    })

  /**
   * Advisories listed under `suffix`. An id whose data is gone is purged; one whose data no longer
   * names the package (re-written between reading the index and the data) is not returned, so a
   * reader never sees an advisory under a package it does not affect.
   */
  const readIndexed = (operation: string, suffix: string, ids: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const { found, missing } = yield* readAdvisories(operation, ids)
      yield* purge(operation, missing, suffix)
      return found.filter((a): a is Advisory => a !== undefined && indexedUnder(a, suffix))
    })

  /**
   * `getByPackages`: every index set in one `membersOf`, every distinct advisory read and decoded
   * once (plain loops, no effect per package or advisory), then each package's answer assembled
   * with the rules of `readIndexed` (gone ids purged, ids whose data no longer names the package
   * left out, sorted by id). A corrupt advisory fails only the packages it is listed under.
   */
  const readPackages = (packages: ReadonlyArray<PackageRef>) =>
    Effect.gen(function*() {
      const operation = operationName("getByPackages")
      const { answers, memberLists, suffixes, wanted } = yield* listPackages(operation, packages)
      const decodedById = yield* readListed(operation, wanted, memberLists)
      const bySuffix = new Map<string, Either.Either<ReadonlyArray<Advisory>, CorruptEntry>>()
      for (let s = 0; s < wanted.length; s++) {
        const suffix = wanted[s]!
        const listed: Array<Advisory> = []
        let corrupt: CorruptEntry | undefined
        for (const id of memberLists[s]!) {
          const advisory = decodedById.get(id)
          if (advisory === undefined) continue
          if (Either.isLeft(advisory)) {
            corrupt ??= advisory.left
            continue
          }
          if (indexedUnder(advisory.right, suffix)) listed.push(advisory.right)
        }
        bySuffix.set(suffix, corrupt === undefined ? Either.right(listed.sort(byId)) : Either.left(corrupt))
      }
      return answerPackages(answers, suffixes, bySuffix)
    })

  /**
   * Every distinct id of `lists` (the ids listed under each of `suffixes`) read and decoded once, in
   * chunks; `undefined` for an id whose data is gone, which leaves every listing of the batch that
   * names it (purged per suffix).
   */
  const readListed = (operation: string, suffixes: ReadonlyArray<string>, lists: ReadonlyArray<ReadonlyArray<string>>) =>
    Effect.gen(function*() {
      const decodedById = new Map<string, Either.Either<Advisory, CorruptEntry> | undefined>()
      const missing: Array<string> = []
      yield* readChunks(operation, Array.from(new Set(lists.flat())), (chunk, read) => {
        for (let i = 0; i < chunk.length; i++) decodedById.set(chunk[i]!, read.found[i])
        missing.push(...read.missing)
      })
      if (missing.length > 0) {
        const gone = new Set(missing)
        for (let s = 0; s < suffixes.length; s++) {
          const stale = lists[s]!.filter((id) => gone.has(id))
          if (stale.length > 0) yield* purge(operation, stale, suffixes[s])
        }
      }
      return decodedById
    })

  /**
   * The first steps of every batch read by package: each package's index suffix (an invalid name is
   * its answer, `answers[p]`), the distinct suffixes (`wanted`) and their members in one `membersOf`.
   */
  const listPackages = (operation: string, packages: ReadonlyArray<PackageRef>) =>
    Effect.gen(function*() {
      const answers: Array<Either.Either<ReadonlyArray<Advisory>, AdvisoryStoreError>> = new Array(packages.length)
      const suffixes: Array<string | undefined> = new Array(packages.length)
      const wanted: Array<string> = []
      const slot = new Map<string, number>()
      for (let p = 0; p < packages.length; p++) {
        const { ecosystem, name } = packages[p]!
        const key = PackageKey.makeEither(ecosystem, name)
        if (Either.isLeft(key)) {
          answers[p] = Either.left(key.left)
          continue
        }
        const suffix = indexSuffix(key.right)
        suffixes[p] = suffix
        if (!slot.has(suffix)) slot.set(suffix, wanted.push(suffix) - 1)
      }
      const memberLists = yield* driver.membersOf(operation, wanted.map(keys.index))
      return { answers, suffixes, wanted, memberLists }
    })

  /** Each package's answer from its suffix's answer (packages with an invalid name keep theirs). */
  const answerPackages = (
    answers: Array<Either.Either<ReadonlyArray<Advisory>, AdvisoryStoreError>>,
    suffixes: ReadonlyArray<string | undefined>,
    bySuffix: ReadonlyMap<string, Either.Either<ReadonlyArray<Advisory>, CorruptEntry>>
  ) => {
    for (let p = 0; p < answers.length; p++) {
      const suffix = suffixes[p]
      if (suffix !== undefined) answers[p] = bySuffix.get(suffix)!
    }
    return answers
  }

  /**
   * `getSummariesByPackages`: the index sets in one `membersOf`, then the summary of every
   * (suffix, id) listed, in chunks; the pairs whose summary is missing or unreadable fall back to
   * the full record (read once per id, rules of `readPackages`: gone ids purged, ids whose data no
   * longer names the package left out, a corrupt record fails the packages listing it), summarized
   * in memory. The rebuilt summary is not written back: a reader's write could race a writer's
   * newer value (or outlive a Rust-written record it was built from) and leave a summary that no
   * longer matches its record, where a missing one only costs a read.
   */
  const readSummaries = (packages: ReadonlyArray<PackageRef>) =>
    Effect.gen(function*() {
      const operation = operationName("getSummariesByPackages")
      const { answers, memberLists, suffixes, wanted } = yield* listPackages(operation, packages)
      const summaries = yield* summaryReader.read(operation, wanted, memberLists)
      const decodedById = yield* readListed(operation, wanted, summaries.map((listed) => listed.missing))
      const bySuffix = new Map<string, Either.Either<ReadonlyArray<Advisory>, CorruptEntry>>()
      for (let s = 0; s < wanted.length; s++) {
        const suffix = wanted[s]!
        const listed = Array.from(summaries[s]!.found)
        let corrupt: CorruptEntry | undefined
        for (const id of summaries[s]!.missing) {
          const advisory = decodedById.get(id)
          if (advisory === undefined) continue
          if (Either.isLeft(advisory)) corrupt ??= advisory.left
          else if (indexedUnder(advisory.right, suffix)) listed.push(summaryOf(advisory.right, suffix))
        }
        bySuffix.set(suffix, corrupt === undefined ? Either.right(listed.sort(byId)) : Either.left(corrupt))
      }
      return answerPackages(answers, suffixes, bySuffix)
    })

  /** `getBatchEach`: every id's own outcome; gone ids are purged from every index. */
  const readEachById = (ids: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const operation = operationName("getBatchEach")
      const outcomes = new Map<string, Either.Either<Advisory, AdvisoryStoreError>>()
      const valid: Array<string> = []
      for (const id of new Set(ids)) {
        const checked = yield* Effect.either(validateAdvisoryId(id))
        if (Either.isRight(checked)) valid.push(id)
        else outcomes.set(id, Either.left(checked.left))
      }
      const missing: Array<string> = []
      yield* readChunks(operation, valid, (chunk, read) => {
        for (let i = 0; i < chunk.length; i++) {
          const outcome = read.found[i]
          if (outcome !== undefined) outcomes.set(chunk[i]!, outcome)
        }
        missing.push(...read.missing)
      })
      yield* Effect.forEach(Arr.chunksOf(missing, chunkSize), (gone) => purge(operation, gone), { discard: true })
      return outcomes as ReadonlyMap<string, Either.Either<Advisory, AdvisoryStoreError>>
    })

  const indexSuffixOf = (ecosystem: string, name: string) =>
    Effect.map(PackageKey.make(ecosystem, name), indexSuffix)

  const upsertBatch = (advisories: Iterable<Advisory>, source: string, operation: string) =>
    Effect.gen(function*() {
      // Everything is validated before anything is written: bad input never leaves half a batch.
      const prepared = yield* Effect.forEach(Array.from(advisories), Codec.prepareAdvisory)
      const latest = Array.from(new Map(prepared.map((p) => [p.advisory.id, p] as const)).values())
      const result = { source, received: latest.length, inserted: 0, updated: 0, withdrawn: 0, staleIndexEntriesRemoved: 0 }
      if (latest.length === 0) return result satisfies UpsertResult
      // Two chunks in flight: one is compressed (thread pool) while the other is written.
      yield* Effect.forEach(Arr.chunksOf(latest, driver.writeChunkSize), (chunk) =>
        Effect.gen(function*() {
          const values = yield* compression.compressAll(chunk.map((p) => textEncoder.encode(p.json)))
          const summaries = yield* summaryReader.compress(chunk)
          const expiry = expiryFrom(yield* Clock.currentTimeMillis)
          const writes = chunk.map((p, i): AdvisoryWrite => ({
            mode: "put",
            id: p.advisory.id,
            value: values[i],
            suffixes: p.suffixes,
            summaries: summaries[i],
            leave: []
          }))
          const outcomes = yield* apply(operation, writes, expiry)
          outcomes.forEach((outcome, i) => {
            const p = chunk[i]!
            if (outcome.existed) result.updated++
            else result.inserted++
            if (p.advisory.withdrawn != null) result.withdrawn++
            result.staleIndexEntriesRemoved += outcome.removed
            // The next read of these exact bytes needs no decompression nor schema; the text is
            // parsed on that first read, so a bulk write parses nothing.
            cache.setWritten(keys.data(p.advisory.id), values[i]!, p.json)
          })
        }), { concurrency: 2, discard: true })
      yield* sweepExpired(operation)
      return result satisfies UpsertResult
    })

  const enrichmentKey = (cve: string) => Effect.map(validateCve(cve), keys.enrichment)
  const metaKey = (source: string) =>
    Effect.map(validateSourceName(source), (name) => ({ name, key: keys.meta(name) }))

  /** Values at `keys` in chunks. */
  const getChunked = (operation: string, keyList: ReadonlyArray<string>, now: number) =>
    Effect.map(
      Effect.forEach(Arr.chunksOf(keyList, chunkSize), (chunk) => driver.getValues(operation, chunk, now)),
      (chunks) => chunks.flat()
    )
  const writeChunked = (operation: string, writes: ReadonlyArray<Parameters<StoreDriver["write"]>[1][number]>, now: number) =>
    Effect.forEach(Arr.chunksOf(writes, chunkSize), (chunk) => driver.write(operation, chunk, now), { discard: true })

  /** Sync timestamps of the listed sources; `corrupt` collects unreadable keys instead of failing when given. */
  const readTimestamps = (operation: string, names: ReadonlyArray<string>, corrupt?: Array<string>) =>
    Effect.gen(function*() {
      const metaKeys = names.map(keys.meta)
      const values = yield* getChunked(operation, metaKeys, yield* Clock.currentTimeMillis)
      const found = new Map<string, Date>()
      for (let i = 0; i < names.length; i++) {
        const value = values[i]
        if (value === undefined) continue
        const date = timestampFrom(metaKeys[i]!, textDecoder.decode(value))
        if (Either.isRight(date)) found.set(names[i]!, date.right)
        else if (corrupt !== undefined) corrupt.push(metaKeys[i]!)
        else return yield* date.left
      }
      return found
    })

  const readOssEntry = (key: string, canonical: string, bytes: Uint8Array, now: number) =>
    decompressed(key, bytes).pipe(
      Effect.flatMap((raw) => Codec.ossEntryFromBytes(key, raw)),
      // A different purl under the same hash would be a SHA-256 collision: answer "not cached".
      Effect.map((entry) => entry.isExpired(now) || entry.purl !== canonical ? Option.none() : Option.some(entry))
    )
  const newOssEntry = (purl: string, advisories: ReadonlyArray<Advisory>, now: number) =>
    Effect.gen(function*() {
      const canonical = yield* Purl.normalize(purl)
      const valid = yield* Effect.forEach(advisories, (a) => Effect.map(Codec.prepareAdvisory(a), (p) => p.advisory))
      const entry = new OssIndexCacheEntry({ purl: canonical, advisories: valid, cachedAt: now, ttlSeconds: config.ossIndexTtlSeconds })
      const value = yield* Effect.flatMap(Codec.ossEntryToBytes(entry), compression.compress)
      const ttl = entry.ttlSeconds * 1000
      return {
        entry,
        write: { op: "set", key: keys.ossIndex(canonical), value, expiry: { expiresAt: now + ttl, ttlMillis: ttl } } as const
      }
    })
  const storeOssEntries = (operation: string, entries: ReadonlyArray<readonly [string, ReadonlyArray<Advisory>]>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const built = yield* Effect.forEach(entries, ([purl, advisories]) => newOssEntry(purl, advisories, now), { concurrency: 4 })
      yield* writeChunked(operation, built.map((b) => b.write), now)
      return built.map((b) => b.entry)
    })
  const readOssEntries = (operation: string, purls: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      // Every PURL is validated before any is read, so bad input fails the same way whatever is cached.
      const canonical = yield* Effect.forEach(purls, Purl.normalize)
      const keyList = canonical.map(keys.ossIndex)
      const now = yield* Clock.currentTimeMillis
      const values = yield* getChunked(operation, keyList, now)
      const found = new Map<string, OssIndexCacheEntry>()
      for (let i = 0; i < purls.length; i++) {
        const value = values[i]
        if (value === undefined) continue
        const entry = yield* readOssEntry(keyList[i]!, canonical[i]!, value, now)
        if (Option.isSome(entry)) found.set(purls[i]!, entry.value)
      }
      return found
    })

  const encodeEnrichment = (cve: string, data: EnrichmentData) =>
    Effect.zip(enrichmentKey(cve), Effect.map(Codec.enrichmentToJson(data), (json) => textEncoder.encode(json)))
  const storeEnrichment = (operation: string, entries: ReadonlyArray<readonly [string, EnrichmentData]>) =>
    Effect.gen(function*() {
      const encoded = yield* Effect.forEach(entries, ([cve, data]) => encodeEnrichment(cve, data))
      const now = yield* Clock.currentTimeMillis
      const expiry = expiryFrom(now)
      yield* writeChunked(operation, encoded.map(([key, value]) => ({ op: "set", key, value, expiry }) as const), now)
      return encoded.length
    })
  const readEnrichment = (operation: string, cves: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const keyList = yield* Effect.forEach(cves, enrichmentKey)
      const values = yield* getChunked(operation, keyList, yield* Clock.currentTimeMillis)
      const found = new Map<string, EnrichmentData>()
      for (let i = 0; i < cves.length; i++) {
        const value = values[i]
        if (value !== undefined) found.set(cves[i]!, yield* Codec.enrichmentFromJson(keyList[i]!, textDecoder.decode(value)))
      }
      return found
    })

  /** Deletes the sync timestamps of `names` (and their `sources` entries); returns the names that had one. */
  const clearTimestamps = (operation: string, names: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const removed: Array<string> = []
      for (const chunk of Arr.chunksOf(names, chunkSize)) {
        const counts = yield* driver.write(operation, chunk.flatMap((name) => [
          { op: "del", key: keys.meta(name) } as const,
          { op: "srem", key: keys.sources, member: name } as const
        ]), now)
        chunk.forEach((name, i) => {
          if (counts[2 * i]! > 0) removed.push(name)
        })
      }
      return removed
    })

  /** Removes every reference to ids whose data is gone (a no-op for an id whose data is back). */
  const purgeGone = (operation: string, gone: ReadonlyArray<readonly [string, ReadonlyArray<string>]>) =>
    Effect.forEach(Arr.chunksOf(gone, driver.writeChunkSize), (chunk) =>
      apply(operation, chunk.map(([id, leave]): AdvisoryWrite => ({ mode: "purge", id, suffixes: [], leave })), never), {
      discard: true
    })

  const healthCheck: Effect.Effect<HealthStatus> = Effect.gen(function*() {
    const operation = operationName("healthCheck")
    const probe = yield* driver.probe
    if (!probe.reachable) {
      return new HealthStatus({ status: "Unavailable", advisoryCount: 0, latencyMs: probe.latencyMs, detail: probe.detail })
    }
    const reasons = Array.from(probe.reasons)
    const bounded = <A>(effect: Effect.Effect<A, AdvisoryStoreError>) =>
      Effect.either(Effect.timeoutFail(effect, {
        duration: driver.healthTimeoutMillis,
        onTimeout: () =>
          new StoreError({
            reason: "Unavailable",
            operation,
            detail: `no answer within ${driver.healthTimeoutMillis} ms`,
            retryable: true
          })
      }))
    const now = yield* Clock.currentTimeMillis
    const count = yield* bounded(driver.liveAdvisoryCount(operation, now))
    if (Either.isLeft(count)) reasons.push(`advisory count unavailable: ${count.left.message}`)
    else if (probe.keyCount !== undefined && probe.keyCount < count.right) {
      // Every recorded advisory has its own data key: fewer keys than advisories proves a loss.
      reasons.push(`count is stale: ${count.right} advisories recorded but the database holds only ${probe.keyCount} keys; run vulnera verify`)
    } else if (probe.evictionRisk !== undefined && count.right > 0) {
      reasons.push(`count may be stale: ${count.right} advisories recorded; run vulnera verify`)
    }
    const corrupt: Array<string> = []
    const timestamps = yield* bounded(
      Effect.flatMap(driver.members(operation, keys.sources), (names) => readTimestamps(operation, names, corrupt))
    )
    if (corrupt.length > 0) reasons.push(`corrupt sync timestamp at ${corrupt.join(", ")}`)
    let lastSync: Date | undefined
    if (Either.isRight(timestamps)) {
      for (const date of timestamps.right.values()) if (lastSync === undefined || date > lastSync) lastSync = date
    }
    return new HealthStatus({
      status: reasons.length === 0 ? "Healthy" : "Degraded",
      advisoryCount: Either.getOrElse(count, () => 0),
      latencyMs: probe.latencyMs,
      ...(lastSync === undefined ? {} : { lastSync: lastSync.toISOString() }),
      ...(probe.serverVersion === undefined ? {} : { serverVersion: probe.serverVersion }),
      ...(probe.path === undefined ? {} : { path: probe.path }),
      ...(probe.usage === undefined ? {} : { usage: probe.usage }),
      ...(probe.evictionRisk === undefined ? {} : { evictionRisk: probe.evictionRisk }),
      ...(reasons.length === 0 ? {} : { detail: reasons.join("; ") })
    })
  }).pipe(span("healthCheck"))

  return {
    storeAdvisory: (advisory, source = "manual") =>
      upsertBatch([advisory], source, operationName("storeAdvisory")).pipe(span("storeAdvisory", { id: advisory?.id })),
    upsertBatch: (advisories, source) =>
      upsertBatch(advisories, source, operationName("upsertBatch")).pipe(span("upsertBatch", { source })),
    getAdvisory: (id) =>
      Effect.gen(function*() {
        yield* validateAdvisoryId(id)
        const { found } = yield* readAdvisories(operationName("getAdvisory"), [id])
        return Option.fromNullable(found[0])
      }).pipe(readBatch, span("getAdvisory", { id })),
    getBatch: (ids) =>
      Effect.gen(function*() {
        const valid = yield* Effect.forEach(ids, (id) => validateAdvisoryId(id))
        const unique = Array.from(new Set(valid))
        const found = yield* Effect.forEach(Arr.chunksOf(unique, chunkSize), (chunk) =>
          Effect.map(readAdvisories(operationName("getBatch"), chunk), (r) => r.found))
        return found.flat().filter((a): a is Advisory => a !== undefined)
      }).pipe(readBatch, span("getBatch", { count: ids.length })),
    getByPackage: (ecosystem, name) =>
      Effect.gen(function*() {
        const operation = operationName("getByPackage")
        const suffix = yield* indexSuffixOf(ecosystem, name)
        const ids = yield* driver.members(operation, keys.index(suffix))
        return (yield* readIndexed(operation, suffix, ids)).sort(byId)
      }).pipe(readBatch, span("getByPackage", { ecosystem, name })),
    getByPackages: (packages) => readPackages(packages).pipe(readBatch, span("getByPackages", { count: packages.length })),
    getSummariesByPackages: (packages) =>
      readSummaries(packages).pipe(readBatch, span("getSummariesByPackages", { count: packages.length })),
    getBatchEach: (ids) => readEachById(ids).pipe(readBatch, span("getBatchEach", { count: ids.length })),
    streamByPackage: (ecosystem, name) =>
      Stream.unwrap(Effect.map(indexSuffixOf(ecosystem, name), (suffix) => {
        const operation = operationName("streamByPackage")
        // A page may repeat an id (a Redis set can be rehashed between SSCAN pages).
        const seen = new Set<string>()
        return driver.memberPages(operation, keys.index(suffix), pageSize).pipe(
          Stream.mapEffect((page) => {
            const fresh = page.filter((id) => !seen.has(id) && seen.add(id))
            return fresh.length === 0 ? Effect.succeed([]) : readBatch(readIndexed(operation, suffix, fresh))
          }),
          Stream.mapConcatChunk((found) => Chunk.unsafeFromArray(found))
        )
      })).pipe(Stream.withSpan(operationName("streamByPackage"), { attributes: { "vulnera.store": driver.name, ecosystem, name } })),
    idsByPackage: (ecosystem, name) =>
      Effect.gen(function*() {
        const operation = operationName("idsByPackage")
        const suffix = yield* indexSuffixOf(ecosystem, name)
        const ids = yield* driver.members(operation, keys.index(suffix))
        const now = yield* Clock.currentTimeMillis
        const exists = (yield* Effect.forEach(
          Arr.chunksOf(ids, chunkSize),
          (chunk) => driver.exists(operation, chunk.map(keys.data), now)
        )).flat()
        yield* purge(operation, ids.filter((_, i) => !exists[i]), suffix)
        return ids.filter((_, i) => exists[i]).sort()
      }).pipe(span("idsByPackage", { ecosystem, name })),
    removeAdvisory: (id) =>
      Effect.gen(function*() {
        yield* validateAdvisoryId(id)
        const [outcome] = yield* apply(operationName("removeAdvisory"), [{ mode: "del", id, suffixes: [], leave: [] }], never)
        cache.delete(keys.data(id))
        return outcome!.existed
      }).pipe(span("removeAdvisory", { id })),
    advisoryCount: Effect.flatMap(
      Clock.currentTimeMillis,
      (now) => driver.liveAdvisoryCount(operationName("advisoryCount"), now)
    ).pipe(span("advisoryCount")),

    storeEnrichment: (cve, data) => Effect.asVoid(storeEnrichment(operationName("storeEnrichment"), [[cve, data]])).pipe(span("storeEnrichment", { cve })),
    storeEnrichmentBatch: (entries) => storeEnrichment(operationName("storeEnrichmentBatch"), Array.from(entries)).pipe(span("storeEnrichmentBatch")),
    getEnrichment: (cve) =>
      Effect.map(readEnrichment(operationName("getEnrichment"), [cve]), (found) => Option.fromNullable(found.get(cve))).pipe(
        span("getEnrichment", { cve })
      ),
    getEnrichmentBatch: (cves) => readEnrichment(operationName("getEnrichmentBatch"), cves).pipe(span("getEnrichmentBatch", { count: cves.length })),

    lastSync: (source) =>
      Effect.gen(function*() {
        const { name } = yield* metaKey(source)
        return Option.fromNullable((yield* readTimestamps(operationName("lastSync"), [name])).get(name))
      }).pipe(span("lastSync", { source })),
    updateSyncTimestamp: (source, at) =>
      Effect.gen(function*() {
        const { key, name } = yield* metaKey(source)
        if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
          return yield* InvalidInput.of("at", String(at), "must be a valid Date")
        }
        yield* driver.write(operationName("updateSyncTimestamp"), [
          { op: "set", key, value: textEncoder.encode(at.toISOString()), expiry: never },
          { op: "sadd", key: keys.sources, member: name }
        ], yield* Clock.currentTimeMillis)
      }).pipe(span("updateSyncTimestamp", { source })),
    resetSyncTimestamp: (source) =>
      Effect.gen(function*() {
        const { key, name } = yield* metaKey(source)
        const [deleted] = yield* driver.write(operationName("resetSyncTimestamp"), [
          { op: "del", key },
          { op: "srem", key: keys.sources, member: name }
        ], yield* Clock.currentTimeMillis)
        return deleted! > 0
      }).pipe(span("resetSyncTimestamp", { source })),
    resetAllSyncTimestamps: Effect.gen(function*() {
      const operation = operationName("resetAllSyncTimestamps")
      return (yield* clearTimestamps(operation, yield* driver.members(operation, keys.sources))).length
    }).pipe(span("resetAllSyncTimestamps")),
    syncTimestamps: Effect.gen(function*() {
      const operation = operationName("syncTimestamps")
      const names = (yield* driver.members(operation, keys.sources)).sort()
      return yield* readTimestamps(operation, names)
    }).pipe(span("syncTimestamps")),

    storeOssIndexCache: (purl, advisories) =>
      Effect.map(storeOssEntries(operationName("storeOssIndexCache"), [[purl, advisories]]), (entries) => entries[0]!).pipe(
        span("storeOssIndexCache", { purl })
      ),
    storeOssIndexCacheBatch: (entries) =>
      storeOssEntries(operationName("storeOssIndexCacheBatch"), entries).pipe(span("storeOssIndexCacheBatch", { count: entries.length })),
    getOssIndexCache: (purl) =>
      Effect.map(readOssEntries(operationName("getOssIndexCache"), [purl]), (found) => Option.fromNullable(found.get(purl))).pipe(
        span("getOssIndexCache", { purl })
      ),
    getOssIndexCacheBatch: (purls) =>
      readOssEntries(operationName("getOssIndexCacheBatch"), purls).pipe(span("getOssIndexCacheBatch", { count: purls.length })),
    invalidateOssIndexCache: (purl) =>
      Effect.gen(function*() {
        const key = keys.ossIndex(yield* Purl.normalize(purl))
        const [deleted] = yield* driver.write(operationName("invalidateOssIndexCache"), [{ op: "del", key }], yield* Clock.currentTimeMillis)
        return deleted! > 0
      }).pipe(span("invalidateOssIndexCache", { purl })),
    invalidateAllOssIndexCache: Effect.flatMap(
      Clock.currentTimeMillis,
      (now) => driver.deleteByPrefix(operationName("invalidateAllOssIndexCache"), keys.ossIndexPrefix, now)
    ).pipe(span("invalidateAllOssIndexCache")),

    healthCheck,
    verify: (options) =>
      verifyStore(
        driver,
        {
          purge: purgeGone,
          clearTimestamps,
          readRecords: (operation, ids) => Effect.map(readEach(operation, ids), ({ found }) => found),
          summaryCompression
        },
        operationName("verify"), options?.repair === true).pipe(
        readBatch,
        span("verify", { repair: options?.repair === true })
      )
  }
}
