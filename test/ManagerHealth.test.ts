/**
 * `VulnerabilityManager.healthCheck` with Redis up, stopped and back again (its own redis-server, so
 * stopping it disturbs no other test file): never fails, reports `Unavailable` while the server is
 * down, and the same layer recovers.
 */
import { afterAll, beforeAll, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Compression from "../src/Compression.js"
import * as DragonflyStore from "../src/DragonflyStore.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"
import { useRedisServer } from "./utils/redis.js"
import { snapshotEcosystems, snapshotUrls } from "./utils/snapshot.js"
import * as Node from "../src/node.js"

const server = useRedisServer({ beforeAll, afterAll })

const managerLayer = VulnerabilityManager.layer().pipe(
  Layer.provideMerge(
    Layer.unwrapEffect(Effect.sync(() =>
      DragonflyStore.layer({ url: server.current().url }).pipe(
        Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix: `health-${process.pid}` })))
      )
    ))
  ),
  Layer.provide(Node.sourcesLayerFromEnv({
    osv: { baseUrl: snapshotUrls.osv, ecosystems: snapshotEcosystems.slice(0, 2) },
    kev: { url: snapshotUrls.kev },
    epss: { bulkUrl: snapshotUrls.epss }
  })),
  Layer.orDie
)

layer(managerLayer, { timeout: 60_000 })("VulnerabilityManager.healthCheck against a real Redis", (it) => {
  it.effect("Healthy with counts and sync times; Unavailable while stopped; recovers after restart", () =>
    Effect.gen(function*() {
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const stats = yield* manager.syncAll()
      const up = yield* manager.healthCheck
      expect(up.store.status).toBe("Healthy")
      expect(up.store.advisoryCount).toBe(yield* manager.store.advisoryCount)
      expect(up.store.serverVersion).toMatch(/^\d+\.\d+/)
      expect(up.sync.filter((s) => s.source === "osv" && Option.isSome(s.lastSync)).length).toBe(stats.units.length)
      expect(up.store.lastSync).toBe(
        new Date(Math.max(...stats.units.map((u) => u.startedAt))).toISOString()
      )

      yield* server.current().stop
      const down = yield* manager.healthCheck
      expect(down.store.status).toBe("Unavailable")
      expect(down.store.detail).toBeDefined()
      expect(down.sync).toEqual([])
      const failed = yield* Effect.flip(manager.store.advisoryCount)
      expect(failed._tag).toBe("StoreError")
      expect(failed.retryable).toBe(true)

      yield* server.current().start
      const again = yield* manager.healthCheck
      expect(again.store.status).toBe("Healthy")
    }))
})
