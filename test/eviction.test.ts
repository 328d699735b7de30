/**
 * Issue 13, item 1: a Redis with `maxmemory 40mb` and `maxmemory-policy allkeys-lru` evicts
 * advisories while a sync "succeeds". Reproduced at a smaller scale (15,000 advisories of ~4 KB
 * incompressible details, ~60 MB) against a real redis-server started with those arguments: health
 * says Degraded and why, `vulnera sync` refuses without --allow-eviction, verify counts the loss,
 * verify --repair removes the dangling entries and clears the affected sync times.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { randomBytes } from "node:crypto"
import { Effect, Layer, Option } from "effect"
import { Redis } from "ioredis"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import * as StoreConfig from "../src/StoreConfig.js"
import { spawnSync } from "node:child_process"
import { loadSampleAdvisories, sampleById, variant } from "./utils/osvFixtures.js"
import { useRedisServer } from "./utils/redis.js"

const server = useRedisServer({ beforeAll, afterAll }, ["--maxmemory", "40mb", "--maxmemory-policy", "allkeys-lru"])
/** `vulnera <args>` from the sources (tsx), exit code and output. */
const cli = (args: ReadonlyArray<string>) =>
  Effect.sync(() => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/vulnera.ts", ...args], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", VULNERA__STORE__KEY_PREFIX: `cli-${process.pid}`, REDIS_URL: "" },
      timeout: 100_000
    })
    return { code: run.status, stdout: run.stdout, stderr: run.stderr }
  })
const base = sampleById(loadSampleAdvisories(), "GHSA-2j2x-2gpw-g8fm")

const storeLayer = (keyPrefix: string) =>
  Layer.unwrapEffect(Effect.sync(() =>
    DragonflyStore.layer({ url: server.current().url }).pipe(
      Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix })))
    )
  ))

describe("eviction (real redis-server, maxmemory 40mb, allkeys-lru)", () => {
  it.live("health Degraded, verify counts the loss, --repair fixes indexes and resets the affected sync times", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const total = 15_000
      // Random details (base64: ~4 KB after zstd) make each value big enough to overflow 40 MB.
      for (let start = 0; start < total; start += 1000) {
        yield* store.upsertBatch(
          Array.from({ length: 1000 }, (_, i) =>
            variant(base, `GHSA-evict-${start + i}`, [["npm", `pkg-${(start + i) % 50}`]], {
              details: randomBytes(3000).toString("base64")
            })),
          "osv"
        )
      }
      yield* store.updateSyncTimestamp("osv.npm", new Date("2025-01-01T00:00:00Z"))
      yield* store.updateSyncTimestamp("osv.pypi", new Date("2025-01-01T00:00:00Z"))
      yield* store.updateSyncTimestamp("kev", new Date("2025-01-01T00:00:00Z"))

      const health = yield* store.healthCheck
      expect(health.status).toBe("Degraded")
      expect(health.evictionRisk).toMatch(/maxmemory-policy allkeys-lru lets the server evict keys/)
      expect(health.evictionRisk).toMatch(/keys were evicted since the server started/)
      expect(health.detail).toMatch(/count (may be|is) stale: 15000 advisories recorded/)
      expect(health.advisoryCount).toBe(total)

      const found = yield* store.verify()
      expect(found.missingAdvisories).toBeGreaterThan(1000)
      expect(found.danglingRecords).toBeGreaterThan(1000)
      expect(found.repaired).toBe(false)
      // The meta keys may themselves have been evicted; the ones left are what the repair resets.
      const before = yield* store.syncTimestamps

      const repaired = yield* store.verify({ repair: true })
      expect(repaired.repaired).toBe(true)
      expect(repaired.missingAdvisories).toBeGreaterThanOrEqual(found.missingAdvisories)
      // Ids whose index sets were evicted too name no ecosystem: then every advisory unit is reset.
      if (before.has("osv.npm")) expect(repaired.resetSources).toContain("osv.npm")
      expect(repaired.resetSources).not.toContain("kev")
      expect(Option.isNone(yield* store.lastSync("osv.npm"))).toBe(true)
      if (before.has("kev")) expect(Option.isSome(yield* store.lastSync("kev"))).toBe(true)

      // At its limit the server keeps evicting on every write (the repair's own writes included):
      // lift the limit, as the user did, and repair what was lost meanwhile.
      const raw = new Redis(server.current().url)
      yield* Effect.promise(() => raw.config("SET", "maxmemory", "0"))
      raw.disconnect()
      yield* store.verify({ repair: true })
      const after = yield* store.verify()
      expect(after.missingAdvisories).toBe(0)
      // The count now matches the data that survived; a package query returns only survivors
      // (fewer than written), and the npm unit has no sync time, so `scan` reports "not-covered".
      expect(yield* store.advisoryCount).toBe(after.recordedAdvisories)
      expect(after.recordedAdvisories).toBeLessThan(total)
      // Health still says Degraded: the policy can evict, and keys were evicted.
      expect((yield* store.healthCheck).status).toBe("Degraded")
      const pkg = yield* store.getByPackage("npm", "pkg-7")
      expect(pkg.length).toBeLessThan(total / 50)
    }).pipe(Effect.provide(storeLayer(`evict-${process.pid}`))), 240_000)

  it.live("vulnera sync refuses to write to an evicting server unless --allow-eviction is given", () =>
    Effect.gen(function*() {
      const refused = yield* cli(["sync", "--demo", "--redis", server.current().url])
      expect([refused.code, refused.stderr]).toEqual([2, expect.stringMatching(/refusing/)])
      expect(refused.stderr).toMatch(/refusing to sync into .*maxmemory-policy allkeys-lru.*--allow-eviction/s)
      const raw = new Redis(server.current().url)
      yield* Effect.promise(() => raw.flushall())
      raw.disconnect()
      const allowed = yield* cli(["sync", "--demo", "--allow-eviction", "--redis", server.current().url])
      expect(allowed.stderr).not.toMatch(/refusing/)
      expect(allowed.code).toBe(0)
    }), 120_000)
})
