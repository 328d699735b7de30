/**
 * The advisory half of `DragonflyStore`: writes (through the atomic script of
 * redisAdvisoryScript.ts), reads by id and by package, index cleaning and the count.
 */
import { Array as Arr, Chunk, Clock, Effect, Either, Option, ParseResult, Schema, Stream } from "effect"
import { Advisory } from "../Advisory.js"
import type { AdvisoryStoreShape, UpsertResult } from "../AdvisoryStore.js"
import { CorruptEntry } from "../Errors.js"
import * as PackageKey from "../PackageKey.js"
import { type AdvisoryOp, applyAdvisoryOps, type Expiry } from "./redisAdvisoryScript.js"
import {
  decompressed,
  mgetChunked,
  operationName,
  type RedisStoreContext,
  span,
  toBuffer
} from "./redisStoreContext.js"
import * as Codec from "./storeCodec.js"

/** Ids per SSCAN page in `streamByPackage`. */
const pageSize = 100
/** Expired advisories whose index entries are swept per write. */
const sweepLimit = 256

const isAdvisory = Schema.is(Advisory)
const decodeAdvisory = Schema.decodeUnknownEither(Advisory)

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * An advisory from stored (decompressed) bytes, synchronously so a batch decodes without an effect
 * per value. Values this library wrote pass the type guard as they are (~4x cheaper than a
 * decode); Rust-written ones (`null` for absent fields) take the full decode.
 */
const advisoryFromBytes = (key: string, bytes: Uint8Array): Either.Either<Advisory, CorruptEntry> => {
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(bytes))
  } catch (cause) {
    return Either.left(new CorruptEntry({ key, detail: `invalid JSON: ${String(cause)}`, cause }))
  }
  if (isAdvisory(json)) return Either.right(json)
  return Either.mapLeft(
    decodeAdvisory(json),
    (error) => new CorruptEntry({ key, detail: ParseResult.TreeFormatter.formatErrorSync(error), cause: error })
  )
}

/**
 * The index suffixes of an advisory, memoized per object: decoded advisories served from the cache
 * are the same objects on every read, and some name hundreds of packages.
 */
const suffixMemo = new WeakMap<Advisory, ReadonlySet<string>>()
const indexedUnder = (advisory: Advisory, suffix: string): boolean => {
  let suffixes = suffixMemo.get(advisory)
  if (suffixes === undefined) suffixMemo.set(advisory, suffixes = new Set(Codec.indexSuffixes(advisory)))
  return suffixes.has(suffix)
}

/**
 * Decoded advisories by data key, reused while the stored bytes are byte-for-byte the same (so it
 * can never serve a stale or expired value: the bytes are read from Redis every time). A hit
 * saves decompression, JSON parsing and validation, which cost far more than the round trip.
 * Least recently used entries are evicted beyond `capacity` (0 disables it).
 */
class DecodedCache {
  private readonly entries = new Map<string, { readonly bytes: Buffer; readonly advisory: Advisory }>()
  constructor(private readonly capacity: number) {}
  get(key: string, bytes: Buffer): Advisory | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined || !entry.bytes.equals(bytes)) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.advisory
  }
  set(key: string, bytes: Buffer, advisory: Advisory): void {
    if (this.capacity === 0) return
    this.entries.delete(key)
    // A copy: the reply parser may hand out views into a larger pooled buffer.
    this.entries.set(key, { bytes: Buffer.from(bytes), advisory })
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
  }
}

/** The advisory operations of the store. */
export type AdvisoryOperations = Pick<
  AdvisoryStoreShape,
  | "storeAdvisory"
  | "upsertBatch"
  | "getAdvisory"
  | "getBatch"
  | "getByPackage"
  | "streamByPackage"
  | "idsByPackage"
  | "removeAdvisory"
  | "advisoryCount"
>

/** Builds the advisory operations; `decodedCacheEntries` bounds the decoded-value cache. */
export const makeAdvisoryOperations = (context: RedisStoreContext, decodedCacheEntries: number): AdvisoryOperations => {
  const { compression, connection, keys, ttlMillis } = context
  const cache = new DecodedCache(decodedCacheEntries)
  const expiryAt = (now: number): Expiry =>
    ttlMillis === undefined ? { ttlMillis: 0, score: "+inf" } : { ttlMillis, score: String(now + ttlMillis) }

  const decoded = (key: string, bytes: Buffer, raw: Uint8Array): Either.Either<Advisory, CorruptEntry> => {
    const advisory = advisoryFromBytes(key, raw)
    if (Either.isRight(advisory)) cache.set(key, bytes, advisory.right)
    return advisory
  }
  const readAdvisoryValue = (key: string, bytes: Buffer): Effect.Effect<Advisory, CorruptEntry> => {
    const cached = cache.get(key, bytes)
    return cached === undefined
      ? Effect.flatMap(decompressed(context, key, bytes), (raw) => decoded(key, bytes, raw))
      : Effect.succeed(cached)
  }

  /** Old memberships of an advisory without `pkgs:<id>` (written by the Rust crate). */
  const oldSuffixes = (id: string, value: Buffer) =>
    readAdvisoryValue(keys.data(id), value).pipe(
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

  /** Advisories for `ids` (input order, `undefined` when absent) and the absent ids. */
  const readAdvisories = (operation: string, ids: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const dataKeys = ids.map(keys.data)
      const values = yield* mgetChunked(context, operation, dataKeys)
      const found: Array<Advisory | undefined> = new Array(ids.length)
      const missing: Array<string> = []
      const misses: Array<number> = []
      values.forEach((value, i) => {
        if (value === null) missing.push(ids[i]!)
        else if ((found[i] = cache.get(dataKeys[i]!, value)) === undefined) misses.push(i)
      })
      if (misses.length > 0) {
        const raws = yield* compression.decompressAll(misses.map((i) => values[i]!))
        for (let m = 0; m < misses.length; m++) {
          const i = misses[m]!
          const raw = raws[m]!
          if (Either.isLeft(raw)) {
            return yield* new CorruptEntry({ key: dataKeys[i]!, detail: `cannot decompress: ${raw.left.detail}`, cause: raw.left })
          }
          found[i] = yield* decoded(dataKeys[i]!, values[i]!, raw.right)
        }
      }
      return { found, missing }
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
      return found.filter((a): a is Advisory => a !== undefined && indexedUnder(a, suffix))
    })

  const indexSuffixOf = (ecosystem: string, name: string) =>
    Effect.map(PackageKey.make(ecosystem, name), PackageKey.toIndexSuffix)

  const upsertBatch = (advisories: Iterable<Advisory>, source: string, operation: string) =>
    Effect.gen(function*() {
      // Everything is validated before anything is written: bad input never leaves half a batch.
      const prepared = yield* Effect.forEach(Array.from(advisories), Codec.prepareAdvisory)
      const latest = Array.from(new Map(prepared.map((p) => [p.advisory.id, p] as const)).values())
      const result = { source, received: latest.length, inserted: 0, updated: 0, withdrawn: 0, staleIndexEntriesRemoved: 0 }
      if (latest.length === 0) return result satisfies UpsertResult
      // Two chunks in flight: one is compressed (thread pool) while the other's script runs.
      yield* Effect.forEach(Arr.chunksOf(latest, context.writeChunkSize), (chunk) =>
        Effect.gen(function*() {
          const values = (yield* compression.compressAll(chunk.map((p) => Buffer.from(p.json)))).map(toBuffer)
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
        }), { concurrency: 2, discard: true })
      yield* sweepExpired(operation)
      return result satisfies UpsertResult
    })

  return {
    storeAdvisory: (advisory, source = "manual") =>
      upsertBatch([advisory], source, operationName("storeAdvisory")).pipe(span("storeAdvisory", { id: advisory?.id })),
    upsertBatch: (advisories, source) =>
      upsertBatch(advisories, source, operationName("upsertBatch")).pipe(span("upsertBatch", { source })),
    getAdvisory: (id) =>
      Effect.gen(function*() {
        yield* PackageKey.validateAdvisoryId(id)
        const key = keys.data(id)
        const value = yield* connection.run(operationName("getAdvisory"), (redis) => redis.getBuffer(key))
        return value === null ? Option.none() : Option.some(yield* readAdvisoryValue(key, value))
      }).pipe(span("getAdvisory", { id })),
    getBatch: (ids) =>
      Effect.gen(function*() {
        const valid = yield* Effect.forEach(ids, (id) => PackageKey.validateAdvisoryId(id))
        const { found } = yield* readAdvisories(operationName("getBatch"), Array.from(new Set(valid)))
        return found.filter((a): a is Advisory => a !== undefined)
      }).pipe(span("getBatch", { count: ids.length })),
    getByPackage: (ecosystem, name) =>
      Effect.gen(function*() {
        const operation = operationName("getByPackage")
        const suffix = yield* indexSuffixOf(ecosystem, name)
        const ids = yield* connection.run(operation, (redis) => redis.smembers(keys.index(suffix)))
        const found = yield* readIndexed(operation, suffix, ids)
        return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      }).pipe(span("getByPackage", { ecosystem, name })),
    streamByPackage: (ecosystem, name) =>
      Stream.unwrap(Effect.map(indexSuffixOf(ecosystem, name), (suffix) => {
        const operation = operationName("streamByPackage")
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
      })).pipe(
        Stream.withSpan(operationName("streamByPackage"), { attributes: { "vulnera.store": "dragonfly", ecosystem, name } })
      ),
    idsByPackage: (ecosystem, name) =>
      Effect.gen(function*() {
        const operation = operationName("idsByPackage")
        const suffix = yield* indexSuffixOf(ecosystem, name)
        const ids = yield* connection.run(operation, (redis) => redis.smembers(keys.index(suffix)))
        const exists = yield* Effect.map(
          Effect.forEach(Arr.chunksOf(ids, context.readChunkSize), (chunk) =>
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
        const [outcome] = yield* apply(
          operationName("removeAdvisory"),
          [{ mode: "del", id, suffixes: [], leave: [] }],
          expiryAt(0)
        )
        return outcome!.existed
      }).pipe(span("removeAdvisory", { id })),
    advisoryCount: Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return yield* connection.run(operationName("advisoryCount"), (redis) => redis.zcount(keys.ids, `(${now}`, "+inf"))
    }).pipe(span("advisoryCount"))
  }
}
