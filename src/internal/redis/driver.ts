/**
 * The Redis / DragonflyDB driver under `DragonflyStore`: the store core's primitives as Redis
 * commands over one shared connection (client.ts). Advisory writes go through the Lua script of
 * advisoryScript.ts; `ids` is a sorted set scored by expiry; expiry of values is Redis' own (PX).
 * Only commands both Redis 7 and DragonflyDB support are used; nothing walks the keyspace except
 * `deleteByPrefix` (SCAN with an escaped MATCH pattern, UNLINK per batch, never KEYS).
 */
import { Array as Arr, Chunk, Effect, Option, Stream } from "effect"
import type { AdvisoryWrite, RecordedId, StoreDriver } from "../store/driver.js"
import { escapeGlob, type StoreKeys } from "../store/keys.js"
import { applyAdvisoryOps } from "./advisoryScript.js"
import type { RedisConnection } from "./client.js"
import { probe } from "./health.js"

/** A Buffer view of bytes (no copy). */
const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** A ZSET score as Redis sends it (`inf` for +inf). */
const scoreOf = (text: string): number => (/^\+?inf$/i.test(text) ? Number.POSITIVE_INFINITY : Number(text))

/** Settings of the Redis driver. */
export interface RedisDriverSettings {
  readonly writeChunkSize: number
  readonly readChunkSize: number
  readonly decodedCacheEntries: number
  readonly degradedLatencyMillis: number
  readonly timeoutMillis: number
}

/** The driver over one connection (the script must be defined on it: `defineAdvisoryScript`). */
export const makeRedisDriver = (
  connection: RedisConnection,
  keys: StoreKeys,
  settings: RedisDriverSettings
): StoreDriver => {
  const chunked = <A>(
    operation: string,
    keyList: ReadonlyArray<string>,
    build: (pipeline: Parameters<Parameters<RedisConnection["pipeline"]>[1]>[0], key: string) => void,
    read: (reply: unknown) => A
  ) =>
    Effect.map(
      Effect.forEach(Arr.chunksOf(keyList, settings.readChunkSize), (chunk) =>
        connection.pipeline(operation, (p) => {
          for (const key of chunk) build(p, key)
        })),
      (chunks) => chunks.flat().map(read)
    )
  return {
    name: "dragonfly",
    keys,
    writeChunkSize: settings.writeChunkSize,
    decodedCacheEntries: settings.decodedCacheEntries,
    // The reply parser may hand out views into a larger pooled buffer.
    volatileReads: true,
    summaryEncoding: "zstd",
    healthTimeoutMillis: settings.timeoutMillis,
    getValues: (operation, keyList) =>
      Effect.map(
        Effect.forEach(
          Arr.chunksOf(keyList, settings.readChunkSize),
          (chunk) => connection.run(operation, (redis) => redis.mgetBuffer(chunk))
        ),
        (chunks) => chunks.flat().map((value) => value ?? undefined)
      ),
    exists: (operation, keyList) => chunked(operation, keyList, (p, key) => p.exists(key), (reply) => reply !== 0),
    write: (operation, writes) =>
      Effect.map(
        connection.pipeline(operation, (p) => {
          for (const w of writes) {
            if (w.op === "set") {
              if (w.expiry.ttlMillis === undefined) p.set(w.key, toBuffer(w.value))
              else p.set(w.key, toBuffer(w.value), "PX", w.expiry.ttlMillis)
            } else if (w.op === "del") p.del(w.key)
            else if (w.op === "sadd") p.sadd(w.key, w.member)
            else p.srem(w.key, w.member)
          }
        }, true),
        (replies) => replies.map((reply) => (typeof reply === "number" ? reply : 1))
      ),
    members: (operation, key) => connection.run(operation, (redis) => redis.smembers(key)),
    // One pipeline per read chunk: a batch of 1,000 packages is two round trips, not 1,000.
    membersOf: (operation, keyList) => chunked(operation, keyList, (p, key) => p.smembers(key), (reply) => reply as Array<string>),
    memberPages: (operation, key, pageSize) =>
      Stream.paginateChunkEffect("0", (cursor: string) =>
        Effect.map(
          connection.run(operation, (redis) => redis.sscan(key, cursor, "COUNT", pageSize)),
          ([next, page]) => [Chunk.of(page), next === "0" ? Option.none() : Option.some(next)] as const
        )),
    writeAdvisories: (operation, writes: ReadonlyArray<AdvisoryWrite>, expiry, oldSuffixes) =>
      applyAdvisoryOps(connection, operation, keys, writes, {
        ttlMillis: expiry.ttlMillis ?? 0,
        score: expiry.expiresAt === undefined ? "+inf" : String(expiry.expiresAt)
      }, oldSuffixes),
    liveAdvisoryCount: (operation, now) => connection.run(operation, (redis) => redis.zcount(keys.ids, `(${now}`, "+inf")),
    expiredAdvisoryIds: (operation, now, limit) =>
      connection.run(operation, (redis) => redis.zrangebyscore(keys.ids, "-inf", String(now), "LIMIT", 0, limit)),
    indexSuffixPages: (operation) =>
      Stream.paginateChunkEffect("0", (cursor: string) =>
        Effect.map(
          connection.run(operation, (redis) => redis.scan(cursor, "MATCH", `${escapeGlob(keys.indexPrefix)}*`, "COUNT", 1000)),
          ([next, found]) =>
            [
              Chunk.of(found.map((key) => key.slice(keys.indexPrefix.length))),
              next === "0" ? Option.none() : Option.some(next)
            ] as const
        )),
    recordedIdPages: (operation) =>
      Stream.paginateChunkEffect("0", (cursor: string) =>
        Effect.map(
          connection.run(operation, (redis) => redis.zscan(keys.ids, cursor, "COUNT", 1000)),
          ([next, flat]) => {
            const page: Array<RecordedId> = []
            for (let i = 0; i + 1 < flat.length; i += 2) page.push({ id: flat[i]!, expiresAt: scoreOf(flat[i + 1]!) })
            return [Chunk.of(page), next === "0" ? Option.none() : Option.some(next)] as const
          }
        )),
    deleteByPrefix: (operation, prefix) =>
      Effect.gen(function*() {
        const pattern = `${escapeGlob(prefix)}*`
        let cursor = "0"
        let removed = 0
        do {
          const [next, found] = yield* connection.run(operation, (redis) => redis.scan(cursor, "MATCH", pattern, "COUNT", 1000))
          cursor = next
          if (found.length > 0) removed += yield* connection.run(operation, (redis) => redis.unlink(found))
        } while (cursor !== "0")
        return removed
      }),
    probe: probe(connection, settings.degradedLatencyMillis, settings.timeoutMillis)
  }
}
