/**
 * The sync driver with a custom `AdvisorySource` (the same port users plug their own feeds into),
 * over the in-memory store (TestClock) and DragonflyStore (real redis-server): timestamps taken at
 * fetch start, failures that do or do not advance them, interruption, concurrent syncs, index
 * maintenance between syncs, progress events.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Layer, Option, Stream, TestClock } from "effect"
import type { Advisory } from "../src/Advisory.js"
import type { AdvisorySource } from "../src/AdvisorySource.js"
import { SourceItem } from "../src/AdvisorySource.js"
import { AdvisoryStore, type AdvisoryStoreShape } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import { DecodeError } from "../src/Errors.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as Retry from "../src/Retry.js"
import * as Sync from "../src/Sync.js"
import { Redis } from "ioredis"
import { loadSampleAdvisories, variant } from "./utils/osvFixtures.js"
import { useRedisServer } from "./utils/redis.js"

const redisServer = useRedisServer({ beforeAll, afterAll })
const sample = loadSampleAdvisories().filter((a) => a.withdrawn === undefined && (a.affected ?? []).some((x) => x.package))

/** A custom source: one unit `feed.main` whose stream is given per test. */
const feed = (fetch: AdvisorySource["fetch"]): AdvisorySource => ({ name: "feed", units: ["feed.main"], fetch })

const records = (advisories: ReadonlyArray<Advisory>) =>
  Stream.fromIterable([
    SourceItem.Started({ mode: "full", expected: advisories.length }),
    ...advisories.map((advisory) => SourceItem.Record({ advisory }))
  ])

/** Every package of every advisory finds it, and every id an index returns has its data. */
const consistent = (store: AdvisoryStoreShape, advisories: ReadonlyArray<Advisory>) =>
  Effect.gen(function*() {
    for (const advisory of advisories) {
      for (const entry of advisory.affected ?? []) {
        if (!entry.package) continue
        const ids = yield* store.idsByPackage(entry.package.ecosystem, entry.package.name)
        const found = yield* store.getByPackage(entry.package.ecosystem, entry.package.name)
        expect(found.map((a) => a.id)).toEqual(ids)
      }
    }
  })

const config = (prefix: string) => Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix: prefix }))
let prefixes = 0
const stores = {
  memory: () => MemoryStore.layer.pipe(Layer.provide(config("sync"))),
  redis: () =>
    Layer.unwrapEffect(Effect.sync(() =>
      DragonflyStore.layer({ url: redisServer.current().url }).pipe(Layer.provide(config(`sync-${process.pid}-${prefixes++}`)))
    ))
}

for (const name of ["memory", "redis"] as const) {
  const run = name === "memory" ? it.effect : it.live
  const provide = <A, E>(effect: Effect.Effect<A, E, AdvisoryStore>) =>
    Effect.provide(effect, Layer.orDie(stores[name]()))

  describe(`Sync (${name} store)`, () => {
    run("writes every record, saves the time the fetch started, then syncs incrementally", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const sinces: Array<Option.Option<Date>> = []
        const source = feed((_, since) => {
          sinces.push(since)
          return Option.isNone(since) ? records(sample) : Stream.make(SourceItem.Started({ mode: "incremental", expected: 0 }))
        })
        const startedAt = (yield* Effect.clockWith((c) => c.currentTimeMillis))
        const events: Array<Sync.SyncEvent["_tag"]> = []
        const stats = yield* Sync.syncAll(store, [source], { onEvent: (e) => Effect.sync(() => events.push(e._tag)) })
        expect(stats.failed).toBe(0)
        expect(stats.units[0]!.fetched).toBe(sample.length)
        expect(stats.units[0]!.inserted).toBe(sample.length)
        expect(stats.units[0]!.timestampAdvanced).toBe(true)
        const saved = Option.getOrThrow(yield* store.lastSync("feed.main")).getTime()
        expect(saved).toBe(stats.units[0]!.startedAt)
        expect(saved).toBeGreaterThanOrEqual(startedAt)
        expect(events[0]).toBe("SyncStarted")
        expect(events).toContain("UnitStarted")
        expect(events).toContain("UnitProgress")
        expect(events.slice(-2)).toEqual(["UnitFinished", "SyncFinished"])
        yield* consistent(store, sample)

        const second = yield* Sync.syncAll(store, [source])
        expect(second.units[0]!.mode).toBe("incremental")
        expect(Option.getOrThrow(sinces[1]!).getTime()).toBe(saved)
      })))

    run("a retryable record failure keeps the timestamp; a permanent one is reported and it advances", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const transient = feed(() =>
          Stream.concat(records(sample.slice(0, 3)), Stream.make(SourceItem.Failed({ id: "X-1", detail: "HTTP 503", retryable: true })))
        )
        const first = yield* Sync.syncUnit(store, transient, "feed.main")
        expect(first.status).toBe("partial")
        expect(first.written).toBe(3)
        expect(first.failures).toEqual([{ id: "X-1", detail: "HTTP 503", retryable: true, kind: "source" }])
        expect(first.timestampAdvanced).toBe(false)
        expect(Option.isNone(yield* store.lastSync("feed.main"))).toBe(true)

        const permanent = feed(() =>
          Stream.concat(records(sample.slice(0, 3)), Stream.make(SourceItem.Failed({ id: "X-2", detail: "malformed", retryable: false })))
        )
        const second = yield* Sync.syncUnit(store, permanent, "feed.main")
        expect(second.status).toBe("partial")
        expect(second.updated).toBe(3)
        expect(second.timestampAdvanced).toBe(true)
      })))

    run("records the store would reject are rejected before batching; the rest of the batch is written; reruns too", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const base = sample[0]!
        const bad: ReadonlyArray<Advisory> = [
          { ...base, id: "GHSA bad id" },
          { ...base, id: "CTRL-\u001b[31m-1" },
          { ...base, id: `LONG-${"x".repeat(1100)}` },
          { ...base, id: 42 as unknown as string }
        ]
        // Bad records in the middle of one batch (batchSize 50 > sample size).
        const mixed = [...sample.slice(0, 5), ...bad, ...sample.slice(5, 10)]
        for (const attempt of [1, 2]) {
          const stats = yield* Sync.syncUnit(store, feed(() => records(mixed)), "feed.main", { batchSize: 50 })
          expect(stats.status, `attempt ${attempt}`).toBe("partial")
          expect(stats.fetched).toBe(14)
          expect(stats.written).toBe(10)
          expect(stats.failed).toBe(4)
          expect(stats.rejected).toBe(4)
          // Permanent: fetching them again cannot fix them, so the timestamp advances.
          expect(stats.timestampAdvanced).toBe(true)
          expect(stats.failures.map((f) => [f.kind, f.retryable])).toEqual(Array(4).fill(["rejected", false]))
          const [space, control, long, noId] = stats.failures
          expect(space!.id).toBe("GHSA bad id")
          expect(space!.detail).toContain("whitespace")
          expect(control!.id).toBe("CTRL-\\x1b[31m-1")
          expect(control!.detail).toContain("control characters")
          expect(long!.id.length).toBeLessThan(260)
          expect(long!.detail).toContain("longer than 1024")
          expect(noId!.id).toBe("<no id>")
        }
        expect(yield* store.advisoryCount).toBe(10)
        yield* consistent(store, sample.slice(0, 10))
      })))

    run("a record only the store itself rejects (not JSON data) is isolated: the rest of its batch is written", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const cyclic = { ...sample[0]!, id: "CYCLE-1" } as Advisory & { self?: unknown }
        cyclic.self = cyclic
        const stats = yield* Sync.syncUnit(store, feed(() => records([...sample.slice(0, 4), cyclic, ...sample.slice(4, 8)])), "feed.main", {
          batchSize: 50
        })
        expect(stats.status).toBe("partial")
        expect(stats.written).toBe(8)
        expect(stats.rejected).toBe(1)
        expect(stats.failures[0]!.id).toBe("CYCLE-1")
        expect(stats.timestampAdvanced).toBe(true)
        yield* consistent(store, sample.slice(0, 8))
      })))

    run("a unit whose stream fails keeps what was written, reports the reason, and does not advance", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const broken = feed(() =>
          Stream.concat(records(sample.slice(0, 4)), Stream.fail(new DecodeError({ source: "feed", detail: "archive truncated" })))
        )
        const healthy = { ...feed(() => records(sample.slice(4, 6))), name: "other", units: ["other.main"] }
        const stats = yield* Sync.syncAll(store, [broken, healthy], { batchSize: 2 })
        const [b, h] = stats.units
        expect(b!.status).toBe("failed")
        expect(b!.error).toContain("archive truncated")
        expect(b!.timestampAdvanced).toBe(false)
        expect(h!.status).toBe("succeeded")
        expect(stats.failed).toBe(1)
        expect(stats.succeeded).toBe(1)
        // Records read before the failure were written in whole batches: the store is consistent.
        yield* consistent(store, sample.slice(0, 6))
        expect(Option.isNone(yield* store.lastSync("feed.main"))).toBe(true)
      })))

    run("a record whose packages change leaves the old package's index; a withdrawn one leaves every index", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const base = sample[0]!
        const v1 = variant(base, "SYNC-MOVE-1", [["npm", "old-package"]])
        const v2 = variant(base, "SYNC-MOVE-1", [["npm", "new-package"]])
        const withdrawn = { ...v2, id: "SYNC-MOVE-2", withdrawn: "2026-01-01T00:00:00Z" }
        yield* Sync.syncUnit(store, feed(() => records([v1, { ...withdrawn, withdrawn: undefined } as Advisory])), "feed.main")
        expect((yield* store.getByPackage("npm", "old-package")).map((a) => a.id)).toEqual(["SYNC-MOVE-1"])
        const stats = yield* Sync.syncUnit(store, feed(() => records([v2, withdrawn])), "feed.main")
        expect(stats.withdrawn).toBe(1)
        expect(stats.staleIndexEntriesRemoved).toBeGreaterThanOrEqual(1)
        expect(yield* store.getByPackage("npm", "old-package")).toEqual([])
        expect((yield* store.getByPackage("npm", "new-package")).map((a) => a.id)).toEqual(["SYNC-MOVE-1"])
        expect(Option.getOrThrow(yield* store.getAdvisory("SYNC-MOVE-2")).withdrawn).toBe("2026-01-01T00:00:00Z")
      })))

    run("interrupting a sync leaves the store consistent and the timestamp unchanged", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const halfway = yield* Deferred.make<void>()
        const slow = feed(() =>
          Stream.concat(
            records(sample.slice(0, 10)),
            Stream.fromEffect(Deferred.succeed(halfway, undefined)).pipe(Stream.flatMap(() => Stream.never))
          )
        )
        const fiber = yield* Effect.fork(Sync.syncAll(store, [slow], { batchSize: 3 }))
        yield* Deferred.await(halfway)
        yield* Fiber.interrupt(fiber)
        yield* consistent(store, sample.slice(0, 10))
        expect(Option.isNone(yield* store.lastSync("feed.main"))).toBe(true)
      })))

    run("two syncs of one store at the same time converge to the same state as one", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const source = feed(() => records(sample))
        const [a, b] = yield* Effect.all([Sync.syncAll(store, [source], { batchSize: 4 }), Sync.syncAll(store, [source], { batchSize: 5 })], {
          concurrency: 2
        })
        expect(a.failed + b.failed).toBe(0)
        expect(yield* store.advisoryCount).toBe(sample.length)
        yield* consistent(store, sample)
        for (const advisory of sample) {
          expect(Option.getOrThrow(yield* store.getAdvisory(advisory.id))).toEqual(advisory)
        }
      })))

    run("syncAllStream emits progress and ends with SyncFinished; `only` selects units", () =>
      provide(Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const one = feed(() => records(sample.slice(0, 2)))
        const two = { ...feed(() => records(sample.slice(2, 4))), name: "two", units: ["two.a", "two.b"] }
        const events = Chunk.toReadonlyArray(yield* Stream.runCollect(Sync.syncAllStream(store, [one, two], { only: ["two"] })))
        const last = events[events.length - 1]!
        expect(last._tag).toBe("SyncFinished")
        expect(last._tag === "SyncFinished" && last.stats.units.map((u) => u.unit)).toEqual(["two.a", "two.b"])
      })))
  })
}

/** A source that emits `before`, runs `fault`, then emits `after` (the fault lands between two batches). */
const faultyFeed = (before: ReadonlyArray<Advisory>, fault: Effect.Effect<void>, after: ReadonlyArray<Advisory>) =>
  feed(() =>
    Stream.concat(
      records(before),
      Stream.concat(Stream.fromEffect(fault).pipe(Stream.drain), Stream.fromIterable(after.map((advisory) => SourceItem.Record({ advisory }))))
    )
  )

/** A second connection that kills every other client's connection (`CLIENT KILL TYPE normal`). */
const killClients = Effect.acquireUseRelease(
  Effect.sync(() => new Redis(redisServer.current().url, { lazyConnect: true })),
  (admin) => Effect.promise(() => admin.client("KILL", "TYPE", "normal")),
  (admin) => Effect.sync(() => admin.disconnect())
).pipe(Effect.asVoid)

const fastRetries = Retry.layer({ maxRetries: 6, baseDelay: "100 millis", maxDelay: "1 second", jitter: false })

describe("Sync over a store that goes away (real redis-server)", () => {
  const provideRedis = <A, E>(effect: Effect.Effect<A, E, AdvisoryStore>) =>
    Effect.provide(effect, Layer.merge(Layer.orDie(stores.redis()), fastRetries))
  const half = Math.floor(sample.length / 2)

  it.live("every client connection killed again and again during a sync: writes are retried and the sync completes", () =>
    provideRedis(Effect.gen(function*() {
      const store = yield* AdvisoryStore
      // Kills land while batches are in flight (between batches the driver simply reconnects).
      const killer = Effect.repeat(Effect.zipRight(Effect.sleep("15 millis"), killClients), { times: 25 })
      const killing = yield* Deferred.make<Fiber.RuntimeFiber<unknown>>()
      const startKilling = Effect.flatMap(Effect.forkDaemon(killer), (fiber) => Deferred.succeed(killing, fiber))
      const source = faultyFeed(sample.slice(0, 3), Effect.asVoid(startKilling), sample.slice(3))
      const slowly = { ...source, fetch: (unit: string, since: Option.Option<Date>) => Stream.tap(source.fetch(unit, since), () => Effect.sleep("2 millis")) }
      // Ten retries (7.7 s of waits) outlast the storm (25 kills take 2-3 s on a loaded machine).
      // This test also caught a connection killed mid-write that ioredis kept calling "ready" with a
      // dead socket (EPIPE, no 'close'): every retry failed at once until it ran out (about 1 run in
      // 7); src/internal/redis/client.ts now closes and reopens such a connection.
      const stats = yield* Sync.syncUnit(store, slowly, "feed.main", { batchSize: 2 }).pipe(
        Effect.provide(Retry.layer({ maxRetries: 10, baseDelay: "100 millis", maxDelay: "1 second", jitter: false }))
      )
      yield* Fiber.join(yield* Deferred.await(killing))
      expect({ status: stats.status, error: stats.error }).toEqual({ status: "succeeded", error: undefined })
      expect(stats.written).toBe(sample.length)
      expect(stats.timestampAdvanced).toBe(true)
      expect(yield* store.advisoryCount).toBe(sample.length)
      yield* consistent(store, sample)
    })), 60_000)

  it.live("redis-server restarted in the middle of a sync (down ~0.3 s): the sync completes", () =>
    provideRedis(Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const server = redisServer.current()
      // Down while the next batch is written; back 0.3 s later.
      const restart = Effect.zipRight(server.stop, Effect.forkDaemon(Effect.zipRight(Effect.sleep("300 millis"), server.start)))
      const source = faultyFeed(sample.slice(0, half), Effect.asVoid(restart), sample.slice(half))
      const stats = yield* Sync.syncUnit(store, source, "feed.main", { batchSize: 3 })
      expect(stats.status).toBe("succeeded")
      expect(stats.error).toBeUndefined()
      expect(stats.fetched).toBe(sample.length)
      // The server keeps nothing across a restart (no persistence in tests): what was written after it is all there.
      expect(Option.isSome(yield* store.lastSync("feed.main"))).toBe(true)
      yield* consistent(store, sample.slice(half))
      for (const advisory of sample.slice(half)) expect(Option.isSome(yield* store.getAdvisory(advisory.id))).toBe(true)
    })), 60_000)

  it.live("a store that stays down fails the unit as storeUnavailable after the retries, without advancing", () =>
    Effect.gen(function*() {
      const server = redisServer.current()
      const stats = yield* Effect.ensuring(
        provideRedis(Effect.gen(function*() {
          const store = yield* AdvisoryStore
          const source = faultyFeed(sample.slice(0, 3), server.stop, sample.slice(3))
          return yield* Sync.syncAll(store, [source], { batchSize: 3 })
        })).pipe(Effect.provide(Retry.layer({ maxRetries: 2, baseDelay: "50 millis", jitter: false }))),
        server.start
      )
      expect(stats.failed).toBe(1)
      expect(stats.storeUnavailable).toBe(true)
      expect(stats.units[0]!.storeUnavailable).toBe(true)
      expect(stats.units[0]!.timestampAdvanced).toBe(false)
      expect(stats.units[0]!.error).toContain("the store stayed unreachable")
    }), 60_000)
})

describe("Sync timing (TestClock)", () => {
  it.effect("the saved time is when the fetch started, not when it ended", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00Z"))
      const slow = feed(() => Stream.concat(records(sample.slice(0, 2)), Stream.fromEffect(TestClock.adjust("1 hour")).pipe(Stream.drain)))
      const stats = yield* Sync.syncUnit(store, slow, "feed.main")
      expect(stats.durationMs).toBe(3_600_000)
      expect(Option.getOrThrow(yield* store.lastSync("feed.main")).toISOString()).toBe("2026-01-01T00:00:00.000Z")
    }).pipe(Effect.provide(Layer.orDie(stores.memory()))))
})
