import { describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { ConfigProvider, Effect, Layer, Option, TestClock } from "effect"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import { layerZstd, makeZstd } from "../src/Compression.js"
import { frameDictionaryId } from "../src/internal/compression/dictionaries.js"
import { osvV1Id } from "../src/internal/compression/osvDictionary.js"
import * as LmdbStore from "../src/LmdbStore.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"
import { killPackages } from "./utils/lmdbProcess.js"
import { loadSampleAdvisories, storeContract, StoreTestKit } from "./utils/storeContract.js"

const root = mkdtempSync(join(tmpdir(), "vulnera-lmdb-test-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => join(root, `store-${dirs++}`)

storeContract("LmdbStore", {
  makeLayer: (config) =>
    Layer.unwrapEffect(Effect.sync(() =>
      Layer.provideMerge(Layer.effect(StoreTestKit, LmdbStore.TestKit), LmdbStore.layerWith({ path: freshDir() }, config))
    )),
  advanceTime: (millis) => TestClock.adjust(millis),
  live: false,
  summaryEncoding: "json"
})

const sample = loadSampleAdvisories()
const child = new URL("./utils/lmdbProcess.ts", import.meta.url).pathname

/** Runs test/utils/lmdbProcess.ts in a new process. */
const spawnChild = (args: ReadonlyArray<string>, options: { readonly uid?: number; readonly gid?: number } = {}) =>
  spawn(process.execPath, ["--import", "tsx", child, ...args], {
    cwd: new URL("..", import.meta.url).pathname,
    stdio: ["ignore", "pipe", "pipe"],
    ...options
  })

/** Everything a child prints, once it exits. */
const output = (proc: ChildProcess) =>
  Effect.async<{ readonly stdout: string; readonly stderr: string; readonly code: number | null }>((resume) => {
    let stdout = ""
    let stderr = ""
    proc.stdout!.on("data", (chunk) => (stdout += String(chunk)))
    proc.stderr!.on("data", (chunk) => (stderr += String(chunk)))
    proc.on("close", (code) => resume(Effect.succeed({ stdout, stderr, code })))
  })

/** Resolves once the writer has printed `committed <batch>`. */
const committed = (proc: ChildProcess, batch: number) =>
  Effect.async<void>((resume) => {
    let seen = ""
    proc.stdout!.on("data", (chunk) => {
      seen += String(chunk)
      if (seen.includes(`committed ${batch}\n`)) resume(Effect.void)
    })
  })

const killAndWait = (proc: ChildProcess) =>
  Effect.async<NodeJS.Signals | null>((resume) => {
    proc.on("exit", (_, signal) => resume(Effect.succeed(signal)))
    proc.kill("SIGKILL")
  })

const kill = (dir: string) => LmdbStore.layerWith({ path: dir }, { keyPrefix: "kill" })

/** Index, data and count agree: what the writer's batches must look like after any commit. */
const checkConsistent = Effect.gen(function*() {
  const store = yield* AdvisoryStore
  const count = yield* store.advisoryCount
  expect(count % 100).toBe(0)
  let listed = 0
  for (const name of killPackages) {
    const ids = yield* store.idsByPackage("npm", name)
    const advisories = yield* store.getByPackage("npm", name)
    expect(advisories.map((a) => a.id)).toEqual(ids)
    for (const a of advisories) expect(a.affected?.some((x) => x.package?.name === name)).toBe(true)
    listed += ids.length
  }
  let listedPy = 0
  for (let i = 0; i < 3; i++) listedPy += (yield* store.idsByPackage("pypi", `kill-py-${i}`)).length
  expect(listed).toBe(count)
  expect(listedPy).toBe(count)
  const batches = count / 100
  const all = yield* store.getBatch(Array.from({ length: count }, (_, i) => `GHSA-kill-${Math.floor(i / 100)}-${i % 100}`))
  expect(all.length).toBe(count)
  expect(yield* store.getAdvisory(`GHSA-kill-${batches}-0`)).toEqual(Option.none())
  expect((yield* store.healthCheck).advisoryCount).toBe(count)
  return count
})

describe("LmdbStore (LMDB-specific)", () => {
  it.effect("writes osv-v1 frames by default, plain frames with compressionDictionary none, and reads both", () =>
    Effect.gen(function*() {
      const advisory = sample[0]!
      const written = (config: Partial<StoreConfig.StoreConfigShape>) =>
        Effect.gen(function*() {
          const store = yield* AdvisoryStore
          const kit = yield* LmdbStore.TestKit
          yield* store.storeAdvisory(advisory)
          const bytes = Option.getOrThrow(yield* kit.readRaw(`${kit.keyPrefix}:data:${advisory.id}`))
          // A value of the other kind, planted raw, is read too.
          const other = yield* makeZstd(3, { dictionary: config.compressionDictionary === "none" ? "osv-v1" : "none" })
            .compress(new TextEncoder().encode(JSON.stringify({ ...advisory, id: "GHSA-lmdb-other" })))
          yield* kit.writeRaw(`${kit.keyPrefix}:data:GHSA-lmdb-other`, other)
          expect(Option.map(yield* store.getAdvisory("GHSA-lmdb-other"), (a) => a.id)).toEqual(Option.some("GHSA-lmdb-other"))
          return frameDictionaryId(bytes)
        }).pipe(Effect.provide(LmdbStore.layerWith({ path: freshDir() }, config)))
      expect(yield* written({})).toBe(osvV1Id)
      expect(yield* written({ compressionDictionary: "none" })).toBe(0)
    }))

  it.live("SIGKILL in the middle of a sync leaves the last committed state, readable and consistent", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const writer = spawnChild(["write", dir])
      yield* committed(writer, 4)
      expect(yield* killAndWait(writer)).toBe("SIGKILL")
      const count = yield* Effect.provide(checkConsistent, kill(dir))
      expect(count).toBeGreaterThanOrEqual(500)
      // The store still takes writes after the crash.
      yield* Effect.provide(
        Effect.gen(function*() {
          const store = yield* AdvisoryStore
          expect(Option.isSome(yield* store.lastSync("osv"))).toBe(true)
          yield* store.upsertBatch(sample.slice(0, 3), "osv")
          expect(yield* store.advisoryCount).toBe(count + 3)
        }),
        kill(dir)
      )
    }), 120_000)

  it.live("several processes read while one writes, and every read is consistent", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const writer = spawnChild(["write", dir])
      yield* committed(writer, 1)
      const readers = [spawnChild(["read", dir, "3"]), spawnChild(["read", dir, "3"])]
      // This process reads too, and sees the writer's commits arrive.
      const seen = yield* Effect.provide(
        Effect.gen(function*() {
          const store = yield* AdvisoryStore
          const first = yield* store.advisoryCount
          let last = first
          for (let i = 0; i < 600 && last === first; i++) {
            yield* Effect.sleep(50)
            last = yield* store.advisoryCount
          }
          return { first, last }
        }),
        kill(dir)
      )
      const results = yield* Effect.all(readers.map(output), { concurrency: "unbounded" })
      yield* killAndWait(writer)
      expect(seen.last).toBeGreaterThan(seen.first)
      for (const result of results) {
        expect(result.code, result.stderr).toBe(0)
        const report = JSON.parse(result.stdout) as { reads: number; counts: Array<number>; errors: Array<string> }
        expect(report.errors).toEqual([])
        expect(report.reads).toBeGreaterThan(0)
        expect(Math.max(...report.counts)).toBeGreaterThanOrEqual(200)
      }
      yield* Effect.provide(checkConsistent, kill(dir))
    }), 120_000)

  it.effect("healthCheck: Healthy with count, path and map usage; data survives reopening", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const write = Effect.flatMap(AdvisoryStore, (store) =>
        Effect.zipRight(store.upsertBatch(sample, "osv"), store.updateSyncTimestamp("osv", new Date("2025-08-16T00:00:00Z"))))
      yield* Effect.provide(write, LmdbStore.layerWith({ path: dir }))
      const health = yield* Effect.provide(Effect.flatMap(AdvisoryStore, (s) => s.healthCheck), LmdbStore.layerWith({ path: dir }))
      expect(health).toMatchObject({ status: "Healthy", advisoryCount: sample.length, path: dir, lastSync: "2025-08-16T00:00:00.000Z" })
      expect(health.usage).toBeGreaterThan(0)
      expect(health.usage).toBeLessThan(0.01)
      expect(health.serverVersion).toMatch(/^LMDB /)
    }))

  it.effect("healthCheck: Degraded when the map is nearly full", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      expect((yield* store.healthCheck).status).toBe("Healthy")
      yield* store.upsertBatch(sample, "osv")
      const health = yield* store.healthCheck
      expect(health.status).toBe("Degraded")
      expect(health.detail).toMatch(/map \d+% full/)
      expect(health.usage).toBeGreaterThan(0.9)
      expect(health.advisoryCount).toBe(sample.length)
    }).pipe(Effect.provide(LmdbStore.layerWith({ path: freshDir(), mapSizeBytes: 64 * 1024 }))))

  it.live("healthCheck: Degraded when the directory is read-only (checked from another process)", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      yield* Effect.provide(Effect.flatMap(AdvisoryStore, (s) => s.upsertBatch(sample.slice(0, 4), "osv")), kill(dir))
      // Root ignores permission bits: the check then runs as `nobody`, for whom the directory is read-only.
      const asRoot = process.getuid?.() === 0
      chmodSync(root, 0o755)
      for (const file of ["data.mdb", "lock.mdb"]) chmodSync(join(dir, file), 0o666)
      chmodSync(dir, 0o555)
      if (asRoot) chownSync(dir, 0, 0)
      const result = yield* output(spawnChild(["health", dir], asRoot ? { uid: 65534, gid: 65534 } : {}))
      chmodSync(dir, 0o755)
      expect(result.code, result.stderr).toBe(0)
      const health = JSON.parse(result.stdout)
      expect(health).toMatchObject({ status: "Degraded", advisoryCount: 4, path: dir })
      expect(health.detail).toContain("read-only")
    }), 60_000)

  it.effect("a path that cannot be a directory fails with ConfigurationError naming it", () =>
    Effect.gen(function*() {
      const file = join(root, "a-file")
      writeFileSync(file, "not a directory")
      const error = yield* Effect.flip(Effect.provide(AdvisoryStore, LmdbStore.layerWith({ path: join(file, "store") })))
      expect(error).toMatchObject({ _tag: "ConfigurationError", variable: "path", value: join(file, "store") })
      expect(error.message).toContain("cannot create the store directory")
    }))

  it.effect("layerConfig reads VULNERA__STORE__PATH; a missing one is a ConfigurationError naming it", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const layer = LmdbStore.layerConfig(LmdbStore.config).pipe(
        Layer.provide(Layer.provideMerge(layerZstd, StoreConfig.layer()))
      )
      const withEnv = (env: Record<string, string>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      const count = yield* Effect.provide(
        Effect.flatMap(AdvisoryStore, (s) => Effect.zipRight(s.storeAdvisory(sample[0]!), s.advisoryCount)),
        layer
      ).pipe(withEnv({ VULNERA__STORE__PATH: dir }))
      expect(count).toBe(1)
      const missing = yield* Effect.flip(Effect.provide(AdvisoryStore, layer)).pipe(withEnv({}))
      expect(missing).toMatchObject({ _tag: "ConfigurationError", variable: "VULNERA__STORE__PATH" })
    }))

  it.effect("VulnerabilityManager.storeLayerFromEnv: REDIS_URL, then VULNERA__STORE__PATH (LMDB), else memory", () =>
    Effect.gen(function*() {
      const dir = freshDir()
      const health = (env: Record<string, string>) =>
        Effect.provide(Effect.flatMap(AdvisoryStore, (s) => s.healthCheck), VulnerabilityManager.storeLayerFromEnv()).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      expect(yield* health({ VULNERA__STORE__PATH: dir })).toMatchObject({ path: dir, serverVersion: expect.stringMatching(/^LMDB/) })
      expect((yield* health({})).serverVersion).toBe("memory")
      // A Redis URL wins over the path (here: an unreachable one, reported by the health check).
      const redis = yield* health({ REDIS_URL: "redis://127.0.0.1:1", VULNERA__STORE__PATH: dir })
      expect(redis.status).toBe("Unavailable")
    }))
})
