/**
 * The manager's match path over the store's match summaries: `matches`, `matchesWithOptions`,
 * `matchesWithOptionsBatch` and `queryBatch` give the same answers whether every summary is
 * present, every summary is gone (what Redis eviction can do, deleted raw through the test kit),
 * or the records were written by the Rust crate (unmarked JSON with `null`s, no summaries), and
 * those answers equal evaluating every full record (the path before summaries).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import type * as Advisory from "../src/Advisory.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import * as MatchOptions from "../src/MatchOptions.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as Node from "../src/node.js"
import * as PackageKey from "../src/PackageKey.js"
import * as StoreConfig from "../src/StoreConfig.js"
import * as Versions from "../src/Versions.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"
import { keyOf, loadSampleAdvisories } from "./utils/storeContract.js"

const sample = loadSampleAdvisories()
const enc = new TextEncoder()

/** Every (package, version) the sample's records list, one version no record lists, and one no ordering parses. */
const pairs = (() => {
  const found = new Map<string, { ecosystem: string; name: string; version: string }>()
  for (const advisory of sample) {
    for (const affected of advisory.affected ?? []) {
      const pkg = affected.package
      if (pkg === undefined) continue
      for (const version of [...(affected.versions ?? []), "0.0.1", "%%"]) {
        found.set(`${pkg.ecosystem}\u0000${pkg.name}\u0000${version}`, { ecosystem: pkg.ecosystem, name: pkg.name, version })
      }
      for (const range of affected.ranges ?? []) {
        for (const event of range.events) {
          const version = event.introduced ?? event.fixed ?? event.last_affected
          if (version !== undefined) found.set(`${pkg.ecosystem}\u0000${pkg.name}\u0000${version}`, { ecosystem: pkg.ecosystem, name: pkg.name, version })
        }
      }
    }
  }
  return Array.from(found.values())
})()

const layer = VulnerabilityManager.layer().pipe(
  Layer.provideMerge(MemoryStore.layerWithTestKit.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer())))),
  Layer.provide(Node.sourcesLayerFromEnv({})),
  Layer.orDie
)

/** Every answer the match path gives for `pairs`, as comparable JSON. */
const answers = Effect.gen(function*() {
  const manager = yield* VulnerabilityManager.VulnerabilityManager
  const options = MatchOptions.withEnrichment
  const single = yield* Effect.forEach(pairs, ({ ecosystem, name, version }) =>
    Effect.all([
      Effect.either(manager.matches(ecosystem, name, version)),
      Effect.either(manager.matchesWithOptions(ecosystem, name, version, options))
    ]))
  const batch = yield* manager.matchesWithOptionsBatch(pairs, options)
  const queried = yield* manager.queryBatch(pairs)
  return JSON.stringify({ single, batch, queried })
})

describe("matching from summaries", () => {
  it.effect(`answers equal full-record matching with summaries present, evicted, or never written (${pairs.length} pairs)`, () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* MemoryStore.TestKit
      const keys = keyOf(kit.keyPrefix)
      yield* store.upsertBatch(sample, "osv")

      // The answers equal evaluating every full record.
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      let affected = 0
      for (const { ecosystem, name, version } of pairs) {
        const key = PackageKey.unsafeMake(ecosystem, name)
        const all = yield* store.getByPackage(ecosystem, name)
        const expected = all.filter((a) => Versions.advisoryAffects(a, key, version).affected)
        const undetermined = all.flatMap((a) => {
          const evaluation = Versions.advisoryAffects(a, key, version)
          return !evaluation.affected && evaluation.issues.length > 0 ? [{ id: a.id, issues: evaluation.issues }] : []
        })
        expect(yield* manager.matches(ecosystem, name, version)).toEqual(expected)
        expect((yield* manager.matchesWithOptions(ecosystem, name, version, MatchOptions.defaults)).undetermined).toEqual(undetermined)
        affected += expected.length
      }
      expect(affected).toBeGreaterThan(pairs.length / 4)

      const withSummaries = yield* answers
      const summaryKeys = (yield* kit.keys).filter((key) => key.startsWith(keys.summaryPrefix))
      expect(summaryKeys.length).toBeGreaterThan(sample.length)
      for (const key of summaryKeys) yield* kit.deleteRaw(key)
      expect(yield* answers).toBe(withSummaries)

      // Records as the Rust crate writes them: no format marker, `null` for absent options, no summary.
      for (const advisory of sample) {
        const rust = { ...JSON.parse(JSON.stringify(advisory)) as Advisory.Advisory, upstream: null }
        yield* kit.writeRaw(keys.data(advisory.id), yield* Compression.makeZstd(3, { dictionary: "none" }).compress(enc.encode(JSON.stringify(rust))))
      }
      expect(yield* answers).toBe(withSummaries)
      expect((yield* kit.keys).filter((key) => key.startsWith(keys.summaryPrefix))).toEqual([])
      expect(Either.isRight(yield* Effect.either(store.getByPackage("npm", "ws")))).toBe(true)
    }).pipe(Effect.provide(layer)), 120_000)
})
