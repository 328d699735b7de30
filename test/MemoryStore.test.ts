import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import type * as Advisory from "../src/Advisory.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import * as Compression from "../src/Compression.js"
import { EnrichmentData } from "../src/EnrichmentData.js"
import * as Codec from "../src/internal/store/storeCodec.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as StoreConfig from "../src/StoreConfig.js"
import { frameDictionaryId } from "../src/internal/compression/dictionaries.js"
import { osvV1Id } from "../src/internal/compression/osvDictionary.js"
import { sampleById, variant } from "./utils/osvFixtures.js"
import { keyOf, loadSampleAdvisories, storeContract, StoreTestKit } from "./utils/storeContract.js"

storeContract("MemoryStore", {
  makeLayer: (config) =>
    Layer.provideMerge(Layer.effect(StoreTestKit, MemoryStore.TestKit), MemoryStore.layerWith(config)),
  advanceTime: (millis) => TestClock.adjust(millis),
  live: false
})

const sample = loadSampleAdvisories()
const base = sampleById(sample, "GHSA-2j2x-2gpw-g8fm")
const text = new TextDecoder()

describe("MemoryStore (memory-specific)", () => {
  it.effect("writes osv-v1 frames by default, plain frames with compressionDictionary none, and reads both", () =>
    Effect.gen(function*() {
      const written = (config: Partial<StoreConfig.StoreConfigShape>) =>
        Effect.gen(function*() {
          const store = yield* AdvisoryStore
          const kit = yield* MemoryStore.TestKit
          yield* store.storeAdvisory(base)
          const bytes = Option.getOrThrow(yield* kit.readRaw(keyOf(kit.keyPrefix).data(base.id)))
          // A value of the other kind, planted raw, is read too.
          const other = yield* Compression.makeZstd(3, { dictionary: config.compressionDictionary === "none" ? "osv-v1" : "none" })
            .compress(new TextEncoder().encode(JSON.stringify({ ...base, id: "GHSA-mem-other" })))
          yield* kit.writeRaw(keyOf(kit.keyPrefix).data("GHSA-mem-other"), other)
          expect(Option.map(yield* store.getAdvisory("GHSA-mem-other"), (a) => a.id)).toEqual(Option.some("GHSA-mem-other"))
          return frameDictionaryId(bytes)
        }).pipe(Effect.provide(MemoryStore.layerWithTestKit.pipe(
          Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer(config)))
        )))
      expect(yield* written({})).toBe(osvV1Id)
      expect(yield* written({ compressionDictionary: "none" })).toBe(0)
    }))

  it.effect("a read right after a write equals what decoding the stored bytes returns", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* MemoryStore.TestKit
      const keys = keyOf(kit.keyPrefix)
      // Writes memoize the decoded value without running the schema when that is safe; these
      // inputs cover the cases where it is not (Rust-style nulls, enrichment without is_kev).
      const untyped = (value: Record<string, unknown>) => value as unknown as Advisory.Advisory
      const odd = [
        untyped({ ...variant(base, "GHSA-mem-null", [["npm", "m"]]), summary: null, aliases: null }),
        untyped({ ...variant(base, "GHSA-mem-kev", [["npm", "m"]]), enrichment: { epss_score: 0.5 } }),
        untyped({ ...variant(base, "GHSA-mem-undef", [["npm", "m"]]), summary: undefined }),
        variant(base, "GHSA-mem-text", [["npm", "m"]], { details: `a "null" in text, and :null, too` })
      ]
      const all = [...sample, ...odd]
      yield* store.upsertBatch(all, "osv")
      for (const advisory of all) {
        const fresh = Option.getOrThrow(yield* store.getAdvisory(advisory.id))
        const bytes = Option.getOrThrow(yield* kit.readRaw(keys.data(advisory.id)))
        yield* kit.writeRaw(keys.data(advisory.id), bytes) // same bytes, forgets the memoized value
        const decoded = Option.getOrThrow(yield* store.getAdvisory(advisory.id))
        expect(fresh).toStrictEqual(decoded)
      }
      const nulls = Option.getOrThrow(yield* store.getAdvisory("GHSA-mem-null"))
      expect("summary" in nulls || "aliases" in nulls).toBe(false)
      expect(Option.getOrThrow(yield* store.getAdvisory("GHSA-mem-kev")).enrichment).toEqual({ epss_score: 0.5, is_kev: false })
    }).pipe(Effect.provide(MemoryStore.layerDefault)))

  it.effect("TestKit exposes the stored bytes under the Redis key layout", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* MemoryStore.TestKit
      const keys = keyOf(kit.keyPrefix)
      expect(kit.keyPrefix).toBe("vuln")
      const ws = sampleById(sample, "GHSA-2mhh-w6q8-5hxw")
      yield* store.storeAdvisory(ws)
      yield* store.storeEnrichment("CVE-2016-10518", new EnrichmentData({ updatedAt: "2025-01-01T00:00:00Z" }))
      yield* store.updateSyncTimestamp("osv", new Date("2025-08-16T00:00:00Z"))
      yield* store.storeOssIndexCache("pkg:npm/ws@1.0.0", [ws])
      expect(yield* kit.keys).toEqual(
        [
          keys.data(ws.id),
          keys.summary("npm:ws", ws.id),
          keys.enrichment("CVE-2016-10518"),
          keys.meta("osv"),
          keys.ossIndex("pkg:npm/ws@1.0.0")
        ].sort()
      )
      const data = Option.getOrThrow(yield* kit.readRaw(keys.data(ws.id)))
      expect(Array.from(data.subarray(0, 4))).toEqual([0x28, 0xb5, 0x2f, 0xfd]) // a zstd frame
      const json = JSON.parse(text.decode(yield* Compression.makeZstd(3).decompress(data)))
      expect(json).toEqual(ws)
      expect(JSON.parse(text.decode(Option.getOrThrow(yield* kit.readRaw(keys.enrichment("CVE-2016-10518")))))).toEqual({
        is_kev: false,
        updated_at: "2025-01-01T00:00:00Z"
      })
      expect(text.decode(Option.getOrThrow(yield* kit.readRaw(keys.meta("osv"))))).toBe("2025-08-16T00:00:00.000Z")
      expect(yield* kit.readRaw(keys.data("GHSA-none"))).toEqual(Option.none())
      const misuse = yield* Effect.exit(kit.writeRaw(`${kit.keyPrefix}:idx:npm:ws`, data))
      expect(misuse._tag).toBe("Failure")
    }).pipe(Effect.provide(MemoryStore.layerDefault)))

  it.effect("with pass-through compression the stored advisory is its JSON text, after the format marker", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* MemoryStore.TestKit
      yield* store.storeAdvisory(base)
      const raw = Option.getOrThrow(yield* kit.readRaw(keyOf("plain").data(base.id)))
      expect(text.decode(raw)).toBe(Codec.trustedMarker + JSON.stringify(base))
    }).pipe(
      Effect.provide(
        MemoryStore.layerWithTestKit.pipe(
          Layer.provide(Layer.merge(Compression.layerPassthrough, StoreConfig.layer({ keyPrefix: "plain" })))
        )
      )
    ))

  it.effect("expired entries are dropped from memory, not only hidden", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* MemoryStore.TestKit
      yield* store.upsertBatch(sample, "osv")
      yield* store.storeEnrichment("CVE-2016-10518", new EnrichmentData({ updatedAt: "2025-01-01T00:00:00Z" }))
      yield* store.storeOssIndexCache("pkg:npm/ws@1.0.0", [])
      yield* store.updateSyncTimestamp("osv", new Date(0))
      // Each advisory's data and one match summary per index entry.
      const summaries = sample.reduce((n, a) => n + Codec.indexSuffixes(a).length, 0)
      expect((yield* kit.keys).length).toBe(sample.length + summaries + 3)
      yield* TestClock.adjust("61 seconds")
      expect(yield* store.advisoryCount).toBe(0)
      yield* store.getEnrichment("CVE-2016-10518")
      yield* store.invalidateAllOssIndexCache
      // Sync timestamps never expire.
      expect(yield* kit.keys).toEqual([keyOf(kit.keyPrefix).meta("osv")])
    }).pipe(Effect.provide(MemoryStore.layerWith({ ttlSeconds: 60, ossIndexTtlSeconds: 60 }))))

  it.effect("each layer build is a new, empty store", () =>
    Effect.gen(function*() {
      const write = Effect.flatMap(AdvisoryStore, (store) => Effect.zipRight(store.storeAdvisory(base), store.advisoryCount))
      expect(yield* Effect.provide(write, MemoryStore.layerDefault)).toBe(1)
      expect(yield* Effect.provide(write, MemoryStore.layerDefault)).toBe(1)
    }))

  it.effect("layerWith rejects an invalid configuration with ConfigurationError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(AdvisoryStore, MemoryStore.layerWith({ compressionLevel: 0 })))
      expect(error._tag).toBe("ConfigurationError")
      expect(error.variable).toBe("VULNERA__STORE__COMPRESSION_LEVEL")
    }))
})
