/**
 * The library's metrics move when the work they count happens: a real sync over the bundled
 * snapshot (memory store), real queries, a failing store operation. Metrics are global, so each
 * check compares a value before and after.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricState } from "effect"
import * as Metrics from "../src/Metrics.js"
import * as MemoryStore from "../src/MemoryStore.js"
import { StoreError } from "../src/Errors.js"
import { VulnerabilityManager } from "../src/VulnerabilityManager.js"
import { withStore } from "./utils/managerLayers.js"

const counter = (metric: Metric.Metric.Counter<number>) => Effect.map(Metric.value(metric), (state) => state.count)

describe("Metrics", () => {
  it.effect("sync counts written records per unit; queries are timed", () =>
    Effect.gen(function*() {
      const manager = yield* VulnerabilityManager
      const npm = Metric.tagged(Metrics.recordsSynced, "unit", "osv.npm")
      const npmBefore = yield* counter(npm)
      const stats = yield* manager.syncAll()
      const unit = stats.units.find((u) => u.unit === "osv.npm")!
      expect(unit.written).toBeGreaterThan(0)
      expect((yield* counter(npm)) - npmBefore).toBe(unit.written)

      const timed = Metric.tagged(Metrics.queryDuration, "operation", "query")
      const before = (yield* Metric.value(timed)).count
      yield* manager.query("npm", "lodash")
      yield* manager.query("PyPI", "django")
      const after = yield* Metric.value(timed)
      expect(MetricState.isHistogramState(after)).toBe(true)
      expect(after.count - before).toBe(2)
    }).pipe(Effect.provide(withStore(MemoryStore.layerDefault))), 120_000)

  it.effect("a failed sync unit and a failed store operation are counted by kind", () =>
    Effect.gen(function*() {
      const failures = Metric.tagged(Metrics.syncFailures, "unit", "osv.test")
      const before = yield* counter(failures)
      yield* Metrics.recordSyncUnit({ unit: "osv.test", written: 0, status: "failed" })
      yield* Metrics.recordSyncUnit({ unit: "osv.test", written: 3, status: "succeeded" })
      expect((yield* counter(failures)) - before).toBe(1)

      const errors = Metric.tagged(Metric.tagged(Metrics.storeErrors, "operation", "getAdvisory"), "kind", "Unavailable")
      const errorsBefore = yield* counter(errors)
      const failing = Effect.fail(new StoreError({ operation: "getAdvisory", reason: "Unavailable", retryable: true, detail: "refused" }))
      yield* Effect.flip(failing.pipe(Metrics.countStoreErrors("getAdvisory")))
      expect((yield* counter(errors)) - errorsBefore).toBe(1)
    }))

})
