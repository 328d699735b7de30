/**
 * DragonflyStore against a real redis-server (test/utils/redis.ts): the shared store contract, then
 * what only a server can show — atomicity under a racing reader, raw index contents, real TTLs,
 * restart recovery, glob-safe SCAN, Rust-written values, configuration errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { Cause, Config, ConfigProvider, Context, Effect, Either, Exit, Fiber, Layer, Option, Redacted } from "effect"
import { Redis, ReplyError } from "ioredis"
import type { Advisory } from "../src/Advisory.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import { ConfigurationError, StoreError } from "../src/Errors.js"
import { parseRedisUrl, toStoreError } from "../src/internal/redis/client.js"
import { degradedReasons, evictionRisk, parseInfo } from "../src/internal/redis/health.js"
import * as StoreConfig from "../src/StoreConfig.js"
import { frameDictionaryId } from "../src/internal/compression/dictionaries.js"
import { osvV1Id } from "../src/internal/compression/osvDictionary.js"
import { loadSampleAdvisories, sampleById, variant } from "./utils/osvFixtures.js"
import { makeRedisServer, useRedisServer } from "./utils/redis.js"
import { keyOf, storeContract, StoreTestKit } from "./utils/storeContract.js"

const server = useRedisServer({ beforeAll, afterAll })

/** A raw ioredis client for the test server (bypasses the store). */
class Raw extends Context.Tag("test/Raw")<Raw, Redis>() {}
const rawLayer = (url: () => string) =>
  Layer.scoped(
    Raw,
    Effect.acquireRelease(
      Effect.sync(() => new Redis(url(), { maxRetriesPerRequest: 1 })),
      (redis) => Effect.sync(() => redis.disconnect())
    )
  )

let prefixes = 0
const uniquePrefix = (label: string) => `df-${label}-${process.pid}-${prefixes++}`

/** The store over the file's server (or `url`), with zstd and the given config. */
const storeLayer = (
  config: Partial<StoreConfig.StoreConfigShape>,
  options: Omit<Partial<DragonflyStore.DragonflyStoreOptions>, "url"> & { readonly url?: () => string } = {}
) =>
  Layer.unwrapEffect(Effect.sync(() =>
    DragonflyStore.layer({ ...options, url: (options.url ?? (() => server.current().url))() }).pipe(
      Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer(config)))
    )
  ))

/** Store + raw client + contract test kit over one prefix. */
/** Another zstd implementation with no dictionary support: reads what the Rust crate could read. */
const mongoZstd = createRequire(import.meta.url)("@mongodb-js/zstd") as { decompress: (data: Buffer) => Promise<Buffer> }

/** Reads raw stored values (any frame: plain or with a shipped dictionary). */
const rawCodec = Compression.makeZstd(3)

const testLayer = (config: Partial<StoreConfig.StoreConfigShape> & { readonly keyPrefix: string }) => {
  const raw = rawLayer(() => server.current().url)
  const kit = Layer.effect(
    StoreTestKit,
    Effect.map(Raw, (redis) => ({
      keyPrefix: config.keyPrefix,
      writeRaw: (key: string, bytes: Uint8Array) =>
        Effect.promise(() => redis.set(key, Buffer.from(bytes), "KEEPTTL")).pipe(Effect.asVoid),
      readRaw: (key: string) =>
        Effect.promise(() => redis.getBuffer(key)).pipe(Effect.map((bytes) => Option.fromNullable(bytes))),
      deleteRaw: (key: string) => Effect.promise(() => redis.del(key)).pipe(Effect.asVoid)
    }))
  )
  return Layer.mergeAll(storeLayer(config), Layer.provideMerge(kit, raw))
}

storeContract("DragonflyStore", {
  makeLayer: testLayer,
  advanceTime: (millis) => Effect.sleep(millis),
  live: true
})

const sample = loadSampleAdvisories()
const base = sampleById(sample, "GHSA-2j2x-2gpw-g8fm")
const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

describe("DragonflyStore (Redis specifics)", () => {
  it.live("a reader racing a writer never sees an index entry without data or an advisory under a package it left", () => {
    const prefix = uniquePrefix("race")
    const keys = keyOf(prefix)
    const left = variant(base, "GHSA-race-0001", [["npm", "left-pkg"]], { summary: "left" })
    const right = variant(base, "GHSA-race-0001", [["npm", "right-pkg"]], { summary: "right" })
    return Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const redis = yield* Raw
      yield* store.storeAdvisory(left)
      let writes = 0
      const writer = Effect.gen(function*() {
        for (let i = 0; i < 300; i++) {
          yield* store.storeAdvisory(i % 2 === 0 ? right : left)
          writes++
        }
      })
      const violations: Array<string> = []
      // Through the store: every advisory returned under a package names that package.
      const storeReader = Effect.gen(function*() {
        let reads = 0
        while (writes < 300) {
          for (const [name, summary] of [["left-pkg", "left"], ["right-pkg", "right"]] as const) {
            const found = yield* store.getByPackage("npm", name)
            for (const a of found) if (a.summary !== summary) violations.push(`store: ${name} returned ${a.summary}`)
            reads++
          }
        }
        return reads
      })
      // Raw snapshots (MULTI/EXEC): the id is in exactly one index, that index matches pkgs:<id>
      // and the stored data names that package.
      const rawReader = Effect.gen(function*() {
        let snapshots = 0
        while (writes < 300) {
          const replies = yield* promise(() =>
            redis.multi()
              .sismember(keys.index("npm:left-pkg"), left.id)
              .sismember(keys.index("npm:right-pkg"), left.id)
              .smembers(`${prefix}:pkgs:${left.id}`)
              .getBuffer(keys.data(left.id))
              .exec()
          )
          const [inLeft, inRight, pkgs, data] = replies!.map(([, value]) => value) as [number, number, Array<string>, Buffer]
          const json = JSON.parse(Buffer.from(yield* Effect.orDie(rawCodec.decompress(data))).toString("utf8")) as Advisory
          const named = json.affected![0]!.package!.name
          if (inLeft + inRight !== 1) violations.push(`raw: in ${inLeft + inRight} indexes`)
          if (pkgs.length !== 1 || pkgs[0] !== `npm:${named}`) violations.push(`raw: pkgs ${pkgs} vs data ${named}`)
          if ((inLeft === 1) !== (named === "left-pkg")) violations.push(`raw: index/data mismatch (${named})`)
          snapshots++
        }
        return snapshots
      })
      const [, reads, snapshots] = yield* Effect.all([writer, storeReader, rawReader], { concurrency: "unbounded" })
      expect(violations).toEqual([])
      expect(reads).toBeGreaterThan(10)
      expect(snapshots).toBeGreaterThan(10)
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix })))
  })

  it.live("re-writing with other packages removes the stale index memberships from Redis", () => {
    const prefix = uniquePrefix("stale")
    const keys = keyOf(prefix)
    return Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const redis = yield* Raw
      yield* store.storeAdvisory(variant(base, "GHSA-stale-0001", [["npm", "a"], ["npm", "b"]]))
      const second = yield* store.storeAdvisory(variant(base, "GHSA-stale-0001", [["npm", "b"], ["PyPI", "C_c"]]))
      expect(second).toMatchObject({ updated: 1, inserted: 0, staleIndexEntriesRemoved: 1 })
      expect(yield* promise(() => redis.smembers(keys.index("npm:a")))).toEqual([])
      expect(yield* promise(() => redis.smembers(keys.index("pypi:c-c")))).toEqual(["GHSA-stale-0001"])
      expect((yield* promise(() => redis.smembers(`${prefix}:pkgs:GHSA-stale-0001`))).sort()).toEqual(["npm:b", "pypi:c-c"])

      const withdrawn = yield* store.storeAdvisory(
        variant(base, "GHSA-stale-0001", [["npm", "b"]], { withdrawn: "2024-01-01T00:00:00Z" })
      )
      expect(withdrawn).toMatchObject({ withdrawn: 1, staleIndexEntriesRemoved: 2 })
      expect(yield* promise(() => redis.exists(keys.index("npm:b"), keys.index("pypi:c-c")))).toBe(0)
      expect(yield* promise(() => redis.exists(`${prefix}:pkgs:GHSA-stale-0001`))).toBe(0)
      expect(Option.isSome(yield* store.getAdvisory("GHSA-stale-0001"))).toBe(true)

      expect(yield* store.removeAdvisory("GHSA-stale-0001")).toBe(true)
      expect(yield* promise(() => redis.exists(keys.data("GHSA-stale-0001")))).toBe(0)
      expect(yield* store.advisoryCount).toBe(0)
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix })))
  })

  it.live("with a real 1 s TTL, expired advisories leave the count, are never returned through an index, and their index entries are cleaned", () => {
    const prefix = uniquePrefix("ttl")
    const keys = keyOf(prefix)
    return Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const redis = yield* Raw
      yield* store.upsertBatch([
        variant(base, "GHSA-ttl-0001", [["npm", "expiring"]]),
        variant(base, "GHSA-ttl-0002", [["npm", "swept"]])
      ], "test")
      expect(yield* store.advisoryCount).toBe(2)
      expect(yield* promise(() => redis.pttl(keys.data("GHSA-ttl-0001")))).toBeGreaterThan(0)
      yield* Effect.sleep(1_300)
      expect(yield* store.advisoryCount).toBe(0)
      // The data is gone but the index entry is still there until something reads or writes.
      expect(yield* promise(() => redis.sismember(keys.index("npm:expiring"), "GHSA-ttl-0001"))).toBe(1)
      expect(yield* store.getByPackage("npm", "expiring")).toEqual([])
      expect(yield* promise(() => redis.exists(keys.index("npm:expiring"), `${prefix}:pkgs:GHSA-ttl-0001`))).toBe(0)
      // A write sweeps the other expired advisory's index entries without any read.
      yield* store.storeAdvisory(variant(base, "GHSA-ttl-0003", [["npm", "fresh"]]))
      expect(yield* promise(() => redis.exists(keys.index("npm:swept"), `${prefix}:pkgs:GHSA-ttl-0002`))).toBe(0)
      expect(yield* promise(() => redis.zrange(`${prefix}:ids`, 0, -1))).toEqual(["GHSA-ttl-0003"])
      expect(yield* store.advisoryCount).toBe(1)
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix, ttlSeconds: 1 })))
  })

  it.live("reads Rust-written values (streaming zstd frame, nulls) and cleans their index entries on re-write", () => {
    const prefix = uniquePrefix("rust")
    const keys = keyOf(prefix)
    const compressed = readFileSync(new URL("./fixtures/redis/rust-RUSTSEC-2016-0003.json.zst", import.meta.url))
    const json = JSON.parse(readFileSync(new URL("./fixtures/redis/rust-RUSTSEC-2016-0003.json", import.meta.url), "utf8"))
    return Effect.gen(function*() {
      // Frame header descriptor: no content-size field, not single-segment (a streaming frame).
      expect(compressed.readUInt32LE(0)).toBe(0xfd2fb528)
      expect(compressed[4]! & 0xe0).toBe(0)
      const store = yield* AdvisoryStore
      const redis = yield* Raw
      // What the Rust crate leaves behind: data + index entry, no pkgs:<id>, no ids entry.
      yield* promise(() => redis.multi().set(keys.data(json.id), compressed).sadd(keys.index("cargo:portaudio"), json.id).exec())

      const read = Option.getOrThrow(yield* store.getAdvisory(json.id))
      expect(read.summary).toBe(json.summary)
      expect(read.database_specific).toBeUndefined()
      expect(read.affected![0]!.ranges![0]!.repo).toBeUndefined()
      expect("repo" in read.affected![0]!.ranges![0]!).toBe(false)
      expect(read.affected![0]!.ecosystem_specific).toEqual(json.affected[0].ecosystem_specific)
      expect((yield* store.getByPackage("crates.io", "PortAudio")).map((a) => a.id)).toEqual([json.id])

      const moved = { ...read, affected: [{ ...read.affected![0]!, package: { ecosystem: "crates.io", name: "portaudio-rs" } }] }
      const result = yield* store.storeAdvisory(moved)
      expect(result).toMatchObject({ updated: 1, staleIndexEntriesRemoved: 1 })
      expect(yield* promise(() => redis.exists(keys.index("cargo:portaudio")))).toBe(0)
      expect((yield* store.getByPackage("cargo", "portaudio-rs")).map((a) => a.id)).toEqual([json.id])
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix })))
  })

  it.live("decoded values are reused only while the stored bytes are unchanged", () => {
    const prefix = uniquePrefix("cache")
    const keys = keyOf(prefix)
    const first = variant(base, "GHSA-cache-0001", [["npm", "cached"]], { summary: "first" })
    return Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* StoreTestKit
      yield* store.storeAdvisory(first)
      const read = yield* store.getByPackage("npm", "cached")
      expect(yield* store.getByPackage("npm", "cached")).toEqual(read)
      yield* kit.writeRaw(keys.data(first.id), Buffer.from("not zstd"))
      const corrupt = yield* Effect.flip(store.getByPackage("npm", "cached"))
      expect(corrupt).toMatchObject({ _tag: "CorruptEntry", key: keys.data(first.id) })
      yield* store.storeAdvisory({ ...first, summary: "second" })
      expect((yield* store.getByPackage("npm", "cached")).map((a) => a.summary)).toEqual(["second"])
      expect(Option.map(yield* store.getAdvisory(first.id), (a) => a.summary)).toEqual(Option.some("second"))
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix })))
  })

  it.live("writes plain zstd frames (Rust-readable) by default, osv-v1 frames when configured, and reads both", () => {
    const prefix = uniquePrefix("dictionary")
    const keys = keyOf(prefix)
    const dictionaryIdAt = (id: string) =>
      Effect.flatMap(Raw, (redis) => promise(() => redis.getBuffer(keys.data(id)))).pipe(
        Effect.map((bytes) => frameDictionaryId(bytes!))
      )
    const plainOne = variant(base, "GHSA-dict-plain", [["npm", "dict-pkg"]])
    const dictOne = variant(base, "GHSA-dict-osv1", [["npm", "dict-pkg"]])
    return Effect.gen(function*() {
      yield* Effect.flatMap(AdvisoryStore, (store) => store.storeAdvisory(plainOne)).pipe(
        Effect.provide(testLayer({ keyPrefix: prefix }))
      )
      yield* Effect.flatMap(AdvisoryStore, (store) => store.storeAdvisory(dictOne)).pipe(
        Effect.provide(testLayer({ keyPrefix: prefix, compressionDictionary: "osv-v1" }))
      )
      // The same through the environment variable.
      const fromEnv = yield* Effect.flatMap(StoreConfig.StoreConfig, (c) => Effect.succeed(c.compressionDictionary)).pipe(
        Effect.provide(StoreConfig.layerFromEnv()),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["VULNERA__STORE__COMPRESSION_DICTIONARY", "osv-v1"]])))
      )
      expect(fromEnv).toBe("osv-v1")
      yield* Effect.gen(function*() {
        expect(yield* dictionaryIdAt(plainOne.id)).toBe(0)
        expect(yield* dictionaryIdAt(dictOne.id)).toBe(osvV1Id)
        // The Rust crate's reader: a plain zstd decoder with no dictionary.
        const rustReadable = yield* Effect.flatMap(Raw, (redis) => promise(() => redis.getBuffer(keys.data(plainOne.id))))
        const json = yield* promise(() => mongoZstd.decompress(rustReadable!))
        expect(JSON.parse(json.toString("utf8")).id).toBe(plainOne.id)
        // Either store configuration reads both kinds of frame.
        for (const config of [{}, { compressionDictionary: "osv-v1" as const }]) {
          const found = yield* Effect.flatMap(AdvisoryStore, (store) => store.getByPackage("npm", "dict-pkg")).pipe(
            Effect.provide(testLayer({ keyPrefix: prefix, ...config }))
          )
          expect(found.map((a) => a.id)).toEqual([dictOne.id, plainOne.id])
        }
      }).pipe(Effect.provide(rawLayer(() => server.current().url)))
    })
  })

  it.live("the configured compression level is used for stored values", () => {
    const sizes = Effect.forEach([1, 19] as const, (compressionLevel) => {
      const prefix = uniquePrefix(`level${compressionLevel}`)
      return Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const redis = yield* Raw
        yield* store.storeAdvisory(base)
        return yield* promise(() => redis.strlen(keyOf(prefix).data(base.id)))
      }).pipe(Effect.provide(testLayer({ keyPrefix: prefix, compressionLevel })))
    })
    return Effect.map(sizes, ([fast, small]) => {
      expect(small!).toBeGreaterThan(0)
      expect(small!).toBeLessThan(fast!)
    })
  })

  it.live("a server stopped mid-operation gives a typed retryable error, and the same layer recovers after a restart", () =>
    Effect.gen(function*() {
      const own = yield* makeRedisServer
      const advisories = Array.from({ length: 3000 }, (_, i) =>
        variant(base, `GHSA-restart-${i}`, [["npm", `pkg-${i % 50}`]]))
      yield* Effect.gen(function*() {
        const store = yield* AdvisoryStore
        yield* store.storeAdvisory(advisories[0]!)

        const writing = yield* Effect.fork(store.upsertBatch(advisories, "test"))
        yield* Effect.sleep(15)
        yield* own.stop
        // 3000 advisories take far longer than 15 ms: the batch fails with a typed error, not a defect.
        const exit = yield* Fiber.await(writing)
        expect(Exit.isFailure(exit) && Exit.causeOption(exit).pipe(Option.flatMap(Cause.failureOption), Option.isSome)).toBe(true)
        const error = yield* Effect.flip(exit)
        expect(error).toBeInstanceOf(StoreError)
        expect(error).toMatchObject({ reason: "Unavailable", retryable: true, operation: "AdvisoryStore.upsertBatch" })

        const down = yield* Effect.flip(store.getAdvisory(advisories[0]!.id)).pipe(Effect.timeout("5 seconds"))
        expect(down).toMatchObject({ _tag: "StoreError", reason: "Unavailable", retryable: true, operation: "AdvisoryStore.getAdvisory" })
        const health = yield* store.healthCheck.pipe(Effect.timeout("5 seconds"))
        expect(health.status).toBe("Unavailable")

        yield* own.start
        yield* store.storeAdvisory(advisories[1]!)
        expect(Option.map(yield* store.getAdvisory(advisories[1]!.id), (a) => a.id)).toEqual(Option.some(advisories[1]!.id))
        expect((yield* store.healthCheck).status).toBe("Healthy")
      }).pipe(Effect.provide(storeLayer({ keyPrefix: uniquePrefix("restart") }, { url: () => own.url })))
    }).pipe(Effect.scoped))

  it.live("a hung server: health is Unavailable and commands fail with a retryable error within the timeouts", () =>
    Effect.gen(function*() {
      const own = yield* makeRedisServer
      yield* Effect.gen(function*() {
        const store = yield* AdvisoryStore
        yield* store.storeAdvisory(base)
        yield* own.freeze
        const health = yield* store.healthCheck.pipe(Effect.timeout("3 seconds"))
        expect(health).toMatchObject({ status: "Unavailable", detail: "no PING answer within 300 ms" })
        const error = yield* Effect.flip(store.getAdvisory(base.id)).pipe(Effect.timeout("3 seconds"))
        expect(error).toMatchObject({ _tag: "StoreError", reason: "Unavailable", retryable: true })
        yield* own.thaw
        expect(Option.isSome(yield* store.getAdvisory(base.id))).toBe(true)
      }).pipe(Effect.provide(storeLayer(
        { keyPrefix: uniquePrefix("hung") },
        { url: () => own.url, connectTimeoutMillis: 300, commandTimeoutMillis: 600 }
      )))
    }).pipe(Effect.scoped))

  it.live("glob characters in the key prefix cannot widen invalidateAllOssIndexCache's SCAN", () => {
    const globPrefix = "a*[b]?"
    // Matched by the unescaped pattern `a*[b]?:ossidx:*`.
    const neighbourPrefix = `a-${process.pid}-${prefixes++}-b1`
    const globStore = Layer.unwrapEffect(Effect.sync(() =>
      DragonflyStore.layer({ url: server.current().url }).pipe(
        Layer.provide(Layer.provideMerge(
          Compression.layerZstd,
          Layer.succeed(StoreConfig.StoreConfig, { ...StoreConfig.defaults, keyPrefix: globPrefix })
        ))
      )
    ))
    return Effect.gen(function*() {
      const redis = yield* Raw
      const neighbour = yield* Effect.provide(AdvisoryStore, storeLayer({ keyPrefix: neighbourPrefix }))
      yield* neighbour.storeOssIndexCache("pkg:npm/left-pad@1.0.0", [])
      yield* Effect.gen(function*() {
        const store = yield* AdvisoryStore
        yield* store.storeOssIndexCacheBatch([["pkg:npm/a@1", []], ["pkg:npm/b@1", []]])
        expect(yield* store.invalidateAllOssIndexCache).toBe(2)
        expect(yield* store.invalidateAllOssIndexCache).toBe(0)
      }).pipe(Effect.provide(globStore))
      expect(yield* promise(() => redis.exists(keyOf(neighbourPrefix).ossIndex("pkg:npm/left-pad@1.0.0")))).toBe(1)
      expect(Option.isSome(yield* neighbour.getOssIndexCache("pkg:npm/left-pad@1.0.0"))).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(rawLayer(() => server.current().url)))
  })

  it.live("advisoryCount and healthCheck never walk the keyspace", () => {
    const prefix = uniquePrefix("count")
    const commandCalls = (redis: Redis) =>
      Effect.map(promise(() => redis.info("commandstats")), (text) => {
        const calls = new Map<string, number>()
        for (const [name, value] of parseInfo(text)) calls.set(name.replace("cmdstat_", ""), Number(/calls=(\d+)/.exec(value)?.[1]))
        return calls
      })
    return Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const redis = yield* Raw
      yield* store.upsertBatch(Array.from({ length: 600 }, (_, i) => variant(base, `GHSA-count-${i}`, [["npm", "x"]])), "osv")
      yield* store.updateSyncTimestamp("osv", new Date("2025-01-02T03:04:05.000Z"))
      const before = yield* commandCalls(redis)
      expect(yield* store.advisoryCount).toBe(600)
      const health = yield* store.healthCheck
      const after = yield* commandCalls(redis)
      expect(health).toMatchObject({ status: "Healthy", advisoryCount: 600, lastSync: "2025-01-02T03:04:05.000Z" })
      expect(health.serverVersion).toMatch(/^\d+\.\d+|^dragonfly /)
      // DBSIZE is O(1) (health compares it with the count): not a walker.
      for (const walker of ["scan", "keys", "sscan", "zrange", "zrangebyscore"]) {
        expect([walker, after.get(walker) ?? 0]).toEqual([walker, before.get(walker) ?? 0])
      }
      expect((after.get("zcount") ?? 0) - (before.get("zcount") ?? 0)).toBe(2)
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix })))
  })

  it.live("a server error reply is CommandFailed naming the operation; transient replies are retryable", () => {
    const prefix = uniquePrefix("wrongtype")
    return Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const redis = yield* Raw
      yield* promise(() => redis.set(keyOf(prefix).index("npm:clash"), "not a set"))
      const error = yield* Effect.flip(store.getByPackage("npm", "clash"))
      expect(error).toMatchObject({ _tag: "StoreError", reason: "CommandFailed", retryable: false, operation: "AdvisoryStore.getByPackage" })
      expect((error as StoreError).detail).toMatch(/^WRONGTYPE/)
      for (const [reply, retryable] of [
        ["READONLY You can't write against a read only replica.", true],
        ["LOADING Redis is loading the dataset in memory", true],
        ["BUSY Redis is busy running a script.", true],
        ["OOM command not allowed when used memory > 'maxmemory'.", true],
        ["TRYAGAIN Multiple keys request during rehashing of slot", true],
        ["ERR unknown command", false],
        ["NOSCRIPT No matching script", false]
      ] as const) {
        expect(toStoreError("op", "redis://h")(new ReplyError(reply))).toMatchObject({ reason: "CommandFailed", retryable })
      }
      expect(toStoreError("op", "redis://h")(new Error("connect ECONNREFUSED"))).toMatchObject({ reason: "Unavailable", retryable: true })
    }).pipe(Effect.provide(testLayer({ keyPrefix: prefix })))
  })

  it("toStoreError: a JavaScript error is Internal (never retried, never 'unavailable'); a closed connection names the socket error", () => {
    const internal = toStoreError("op", "redis://h")(new RangeError("Maximum call stack size exceeded"))
    expect(internal).toMatchObject({ reason: "Internal", retryable: false })
    expect(internal.message).not.toMatch(/unavailable/)
    expect(internal.message).toMatch(/internal error .*RangeError: Maximum call stack size exceeded/)
    expect(toStoreError("op", "redis://h")(new TypeError("x is undefined"))).toMatchObject({ reason: "Internal", retryable: false })
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })
    const closed = toStoreError("op", "redis://h", refused)(new Error("Connection is closed."))
    expect(closed).toMatchObject({ reason: "Unavailable", retryable: true })
    expect(closed.detail).toMatch(/^redis:\/\/h: connection refused \(ECONNREFUSED\)/)
    const unknownHost = Object.assign(new Error("getaddrinfo ENOTFOUND nope.invalid"), { code: "ENOTFOUND" })
    expect(toStoreError("op", "redis://h", unknownHost)(new Error("Connection is closed.")).detail).toMatch(/unknown host \(ENOTFOUND\)/)
    // Without a socket error, a bare close says only that.
    expect(toStoreError("op", "redis://h")(new Error("Connection is closed.")).detail).toBe("redis://h: Connection is closed.")
  })

  it("health rules: a maxmemory-policy that can evict, or keys already evicted, is an eviction risk", () => {
    expect(evictionRisk(new Map([["maxmemory_policy", "noeviction"], ["evicted_keys", "0"]]))).toBeUndefined()
    expect(evictionRisk(new Map([["maxmemory_policy", "allkeys-lru"], ["maxmemory", "41943040"]])))
      .toMatch(/^maxmemory-policy allkeys-lru lets the server evict keys \(maxmemory 41943040 bytes\)/)
    expect(evictionRisk(new Map([["maxmemory_policy", "noeviction"], ["evicted_keys", "12"]]))).toMatch(/12 keys were evicted/)
    expect(evictionRisk(new Map([["cache_mode", "true"]]))).toMatch(/cache_mode/)
    expect(degradedReasons(new Map([["maxmemory_policy", "volatile-lru"]]))).toHaveLength(1)
  })

  it("health rules: loading, read-only replica, memory pressure and cluster mode are Degraded", () => {
    expect(degradedReasons(parseInfo("# Server\r\nredis_version:7.2.4\r\nloading:0\r\nrole:master\r\nused_memory:10\r\nmaxmemory:0\r\n"))).toEqual([])
    expect(degradedReasons(parseInfo("loading:1\r\nrole:slave\r\nslave_read_only:1\r\nused_memory:95\r\nmaxmemory:100\r\n"))).toEqual([
      "dataset still loading",
      "read-only replica",
      "memory 95% of maxmemory"
    ])
    expect(degradedReasons(parseInfo("# Cluster\r\ncluster_enabled:1\r\n"))).toEqual([
      "cluster mode is enabled (unsupported: writes fail with CROSSSLOT)"
    ])
    expect(degradedReasons(parseInfo("# Cluster\r\ncluster_enabled:0\r\n"))).toEqual([])
  })

  describe("configuration", () => {
    const secret = "s3cret-Pa55"
    const provide = (env: Record<string, string>) =>
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    const buildStandalone = (env: Record<string, string>) =>
      Effect.flip(Layer.build(DragonflyStore.layerStandalone())).pipe(Effect.scoped, provide(env))
    const noSecret = (error: unknown) => {
      expect(JSON.stringify(error)).not.toContain(secret)
      expect(String((error as Error).message)).not.toContain(secret)
    }

    it("URLs: rediss:// selects TLS (SNI = host), credentials are percent-decoded, the path is the database", () => {
      const tls = parseRedisUrl(Redacted.make("rediss://app:p%40ss@cache.example.com:6380/2"), "REDIS_URL")
      expect(Either.getOrThrow(tls)).toMatchObject({
        display: "rediss://<redacted>:<redacted>@cache.example.com:6380/2",
        options: { host: "cache.example.com", port: 6380, db: 2, username: "app", password: "p@ss", tls: { servername: "cache.example.com" } }
      })
      const plain = Either.getOrThrow(parseRedisUrl("redis://[::1]", "REDIS_URL"))
      expect(plain.options).toEqual({ host: "::1", port: 6379, db: 0 })
      expect(Either.isLeft(parseRedisUrl("redis://host:6379/?family=6", "REDIS_URL"))).toBe(true)
    })

    it.live("a missing or malformed REDIS_URL is a ConfigurationError naming it, without the password", () =>
      Effect.gen(function*() {
        const missing = yield* buildStandalone({})
        expect(missing).toMatchObject({ _tag: "ConfigurationError", variable: "REDIS_URL" })
        for (const url of [`redis://user:${secret}@host:99999`, `http://:${secret}@host:6379`, `redis://:${secret}@host/db9x`, "not a url"]) {
          const error = yield* buildStandalone({ REDIS_URL: url })
          expect(error).toBeInstanceOf(ConfigurationError)
          expect(error).toMatchObject({ variable: "REDIS_URL" })
          noSecret(error)
        }
      }))

    it.live("bad VULNERA__STORE__* values and options fail with ConfigurationError naming them", () =>
      Effect.gen(function*() {
        const url = server.current().url
        const level = yield* buildStandalone({ REDIS_URL: url, VULNERA__STORE__COMPRESSION_LEVEL: "99" })
        expect(level).toMatchObject({ _tag: "ConfigurationError", variable: "VULNERA__STORE__COMPRESSION_LEVEL", value: "99" })
        const ttl = yield* buildStandalone({ REDIS_URL: url, VULNERA__STORE__TTL_SECONDS: "soon" })
        expect(ttl).toMatchObject({ variable: "VULNERA__STORE__TTL_SECONDS" })
        const chunk = yield* Effect.flip(Layer.build(storeLayer({}, { writeChunkSize: 0 }))).pipe(Effect.scoped)
        expect(chunk).toMatchObject({ _tag: "ConfigurationError", variable: "DragonflyStore.writeChunkSize", value: "0" })
        const redacted = yield* Effect.flip(Layer.build(storeLayer({}, { url: () => `rediss://:${secret}@` }))).pipe(Effect.scoped)
        noSecret(redacted)
      }))

    it.live("an unreachable server with a password in the URL: Unavailable errors and health never show it", () =>
      Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const error = yield* Effect.flip(store.getAdvisory("GHSA-xxxx-0001"))
        expect(error).toMatchObject({ _tag: "StoreError", reason: "Unavailable", retryable: true })
        noSecret(error)
        const health = yield* store.healthCheck
        expect(health.status).toBe("Unavailable")
        expect(JSON.stringify(health)).not.toContain(secret)
      }).pipe(Effect.provide(storeLayer({}, { url: () => `redis://user:${secret}@127.0.0.1:1`, connectTimeoutMillis: 500 }))))

    it.live("a rejected password is a non-retryable CommandFailed naming the reply, never the password", () => {
      const user = `vulnera-test-${process.pid}`
      const withCredentials = (password: string) => {
        const url = new URL(server.current().url)
        url.username = user
        url.password = password
        return url.toString()
      }
      return Effect.gen(function*() {
        const redis = yield* Raw
        yield* Effect.acquireRelease(
          promise(() => redis.call("ACL", "SETUSER", user, "on", `>${secret}`, "~*", "+@all")),
          () => promise(() => redis.call("ACL", "DELUSER", user))
        )
        const rejected = yield* Effect.flip(
          Effect.flatMap(AdvisoryStore, (store) => store.getAdvisory("GHSA-xxxx-0001")).pipe(
            Effect.provide(storeLayer({}, { url: () => withCredentials("wrong-Pa55") }))
          )
        )
        expect(rejected).toMatchObject({ _tag: "StoreError", reason: "CommandFailed", retryable: false })
        expect((rejected as StoreError).detail).toMatch(/^WRONGPASS/)
        expect(JSON.stringify(rejected)).not.toContain("wrong-Pa55")
        const accepted = yield* Effect.flatMap(AdvisoryStore, (store) => store.getAdvisory("GHSA-xxxx-0001")).pipe(
          Effect.provide(storeLayer({ keyPrefix: uniquePrefix("acl") }, { url: () => withCredentials(secret) }))
        )
        expect(Option.isNone(accepted)).toBe(true)
      }).pipe(Effect.scoped, Effect.provide(rawLayer(() => server.current().url)))
    })

    it.live("layerFromEnv and layerConfig connect with the URL read as a secret", () => {
      const deps = Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix: uniquePrefix("env") }))
      const healthy = Effect.gen(function*() {
        const store = yield* AdvisoryStore
        expect((yield* store.healthCheck).status).toBe("Healthy")
      })
      return Effect.gen(function*() {
        yield* Effect.provide(healthy, DragonflyStore.layerFromEnv().pipe(Layer.provide(deps)))
        const fromConfig = DragonflyStore.layerConfig(
          Config.all({ url: Config.redacted("REDIS_URL"), connectTimeoutMillis: Config.integer("REDIS_CONNECT_TIMEOUT") })
        )
        yield* Effect.provide(healthy, fromConfig.pipe(Layer.provide(deps)))
      }).pipe(provide({ REDIS_URL: server.current().url, REDIS_CONNECT_TIMEOUT: "1000" }))
    })

    it.live("layerConfig names the missing variable", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Layer.build(
          DragonflyStore.layerConfig(Config.all({ url: Config.redacted("REDIS_URL") })).pipe(
            Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer()))
          )
        )).pipe(Effect.scoped, provide({}))
        expect(error).toMatchObject({ _tag: "ConfigurationError", variable: "REDIS_URL" })
      }))
  })
})
