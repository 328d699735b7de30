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
import { documentedMetrics, documentedSpans, isDocumentedSpan } from "./utils/observabilityDocs.js"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** Every TypeScript file under src/, as text. */
const sources = (): ReadonlyArray<string> => {
  const dir = fileURLToPath(new URL("../src", import.meta.url))
  return (readdirSync(dir, { recursive: true, encoding: "utf8" }) as Array<string>)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => readFileSync(join(dir, file), "utf8"))
}

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

  it("the README lists exactly the metrics and the spans the code records", () => {
    const text = sources().join("\n")
    const metrics = new Set(Array.from(text.matchAll(/Metric\.\w+\(\s*"(vulnera_\w+)"/g), (m) => m[1]!))
    expect(metrics.size).toBeGreaterThan(0)
    expect(new Set(documentedMetrics())).toEqual(metrics)

    const spans = new Set(Array.from(text.matchAll(/withSpan\(\s*"([^"]+)"/g), (m) => m[1]!))
    const documented = documentedSpans()
    expect([...spans].filter((name) => !isDocumentedSpan(documented, name))).toEqual([])
    // Store operations are named at run time (`AdvisoryStore.${operation}`), in the store core.
    expect(text).toContain("`AdvisoryStore.${name}`")
    expect(documented.filter((name) => name !== "AdvisoryStore.<operation>" && !spans.has(name))).toEqual([])
  })
})
