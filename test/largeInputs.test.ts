/**
 * Large inputs never reach a function call as spread arguments (`f(...xs)` overflows the stack
 * past ~100k arguments): an advisory with 80,000 packages syncs and matches, a 200,000-row table
 * renders.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import type { Advisory } from "../src/Advisory.js"
import { SourceItem } from "../src/AdvisorySource.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as PackageKey from "../src/PackageKey.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as Sync from "../src/Sync.js"
import * as Versions from "../src/Versions.js"
import { renderTable } from "../src/cli/table.js"
import { loadSampleAdvisories } from "./utils/osvFixtures.js"

const packages = 80_000

/** A real advisory whose `affected` list names 80,000 npm packages (and the same one 80,000 times, unparseable). */
const huge = (): Advisory => {
  const base = loadSampleAdvisories().find((a) => (a.affected ?? []).some((x) => x.package?.ecosystem === "npm"))!
  const template = base.affected!.find((x) => x.package?.ecosystem === "npm")!
  const affected = Array.from({ length: packages }, (_, i) => ({
    ...template,
    package: { ecosystem: "npm", name: i % 2 === 0 ? `huge-package-${i}` : "same-package" },
    ranges: [{ type: "ECOSYSTEM" as const, events: [{ introduced: "0" }, { fixed: `not a version ${i}` }] }]
  }))
  return { ...base, id: "HUGE-80000", affected }
}

describe("large inputs", () => {
  it.effect("an advisory with 80,000 packages syncs into the store and is matched", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const advisory = huge()
      const source = {
        name: "feed",
        units: ["feed.main"],
        fetch: () => Stream.make(SourceItem.Started({ mode: "full" as const, expected: 1 }), SourceItem.Record({ advisory }))
      }
      const stats = yield* Sync.syncUnit(store, source, "feed.main")
      expect(stats.status).toBe("succeeded")
      expect(stats.written).toBe(1)
      expect((yield* store.idsByPackage("npm", "huge-package-79998"))).toEqual(["HUGE-80000"])
      // 40,000 entries for one package, each with an unparseable bound: every issue is collected.
      const evaluation = Versions.advisoryAffects(advisory, PackageKey.unsafeMake("npm", "same-package"), "1.0.0")
      expect(evaluation.issues.length).toBeGreaterThanOrEqual(packages / 2)
    }).pipe(Effect.provide(MemoryStore.layer.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer()))))), 120_000)

  it("a 200,000-row table renders", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`dep-${i}`, String(i)])
    const text = renderTable([{ header: "name" }, { header: "n", align: "right" }], rows)
    expect(text.split("\n").length).toBeGreaterThanOrEqual(200_001)
    expect(text).toContain("dep-199999")
  })
})
