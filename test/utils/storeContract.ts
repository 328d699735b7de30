/**
 * The AdvisoryStore contract suite: ONE set of tests that every store implementation passes
 * unchanged (MemoryStore in test/MemoryStore.test.ts, DragonflyStore in test/DragonflyStore.test.ts,
 * LmdbStore in test/LmdbStore.test.ts).
 * What it checks is specified in docs/store-design.md and the JSDoc of src/AdvisoryStore.ts.
 *
 * Exported API (stable — other test files depend on it):
 *
 * - `StoreTestKit` (Tag) / `StoreTestKitShape`: the driver-level hook a store's test file provides next
 *   to `AdvisoryStore`: `keyPrefix` (the prefix the store writes under) and `writeRaw(key, bytes)`
 *   (replace the raw bytes stored at a full key, bypassing compression and encoding, keeping the
 *   key's TTL — Redis: `SET key bytes KEEPTTL`), `readRaw(key)` (the stored bytes as they are) and
 *   `deleteRaw(key)` (what eviction does).
 *   The suite uses them to plant corrupt values and to check the format marker.
 *   `MemoryStore.TestKit` has this shape; the memory test provides it with `Layer.effect(StoreTestKit, MemoryStore.TestKit)`.
 * - `keyOf(prefix)`: the key layout (src/internal/store/keys.ts) — `data(id)`, `index(suffix)`,
 *   `enrichment(CVE)`, `meta(source)`, `ossIndex(canonicalPurl)` (sha256 hex); `CorruptEntry.key` must equal these.
 * - `storeContract(name, options)`: registers the suite (one `describe` block). `options.makeLayer(config)`
 *   builds a FRESH store for one test; the suite always passes a unique `keyPrefix` (so tests never
 *   share keys, even against one server) and sometimes `ttlSeconds` / `ossIndexTtlSeconds` (1 s in
 *   the expiry tests). `options.advanceTime(ms)` makes store time pass (memory, LMDB: `TestClock.adjust`;
 *   Redis: a real sleep); `options.live` selects `it.live` (real clock, needed with a real server)
 *   instead of `it.effect` (TestClock). Only two tests advance time (1.8 s and 1.2 s when live);
 *   with `live: false` one more checks hour-long TTLs through `TestClock` alone.
 * - `loadSampleAdvisories()`: the real OSV sample in test/fixtures/osv/sample.jsonl, decoded.
 *
 * Behaviour pinned here that the port's JSDoc leaves open: a value that cannot be decompressed or
 * decoded is `CorruptEntry` (never `CompressionError`); `getEnrichmentBatch` and
 * `getOssIndexCacheBatch` key their maps by the argument as given; invalid input fails the whole call
 * with `InvalidInput` naming the field (`id`, `advisory.id`, `ecosystem`, `name`, `cve`, `source`, `purl`).
 *
 * Example (Redis side):
 *   storeContract("DragonflyStore", {
 *     makeLayer: (config) => ...a layer providing AdvisoryStore and StoreTestKit over config...,
 *     advanceTime: (ms) => Effect.sleep(ms),
 *     live: true
 *   })
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Context, Effect, Either, type Layer, Option, Stream, TestClock } from "effect"
import type * as Advisory from "../../src/Advisory.js"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import { makeZstd } from "../../src/Compression.js"
import { EnrichmentData } from "../../src/EnrichmentData.js"
import { makeKeys } from "../../src/internal/store/keys.js"
import * as Codec from "../../src/internal/store/storeCodec.js"
import { OssIndexCacheEntry } from "../../src/OssIndexCacheEntry.js"
import type { StoreConfigShape } from "../../src/StoreConfig.js"
import { loadSampleAdvisories, sampleById, variant } from "./osvFixtures.js"
import { queryKindsContract } from "./queryKindsContract.js"
import { summaryContract } from "./summaryContract.js"

export { loadSampleAdvisories }

/** Raw access to a store's keys, for planting corrupt values in contract tests. */
export interface StoreTestKitShape {
  /** The key prefix the store under test writes under (`StoreConfig.keyPrefix`). */
  readonly keyPrefix: string
  /**
   * Replaces the bytes stored at a full key (e.g. `keyOf(prefix).data(id)`), bypassing compression
   * and encoding. Keeps the key's TTL (Redis `SET ... KEEPTTL`); a new key gets none. Index and
   * bookkeeping structures are not touched.
   */
  readonly writeRaw: (key: string, bytes: Uint8Array) => Effect.Effect<void>
  /** The bytes stored at a full key as they are (compressed), none when absent. */
  readonly readRaw: (key: string) => Effect.Effect<Option.Option<Uint8Array>>
  /** Deletes a value key, as Redis eviction would (e.g. a match summary). */
  readonly deleteRaw: (key: string) => Effect.Effect<void>
}

/** The test kit service each store's test file provides next to `AdvisoryStore`. */
export class StoreTestKit extends Context.Tag("vulnera-test/StoreTestKit")<StoreTestKit, StoreTestKitShape>() {}

/** The key layout of docs/store-design.md, from the one module that defines it (index suffixes already normalized). */
export const keyOf = makeKeys

/** Options of `storeContract`. */
export interface StoreContractOptions<E> {
  /** A fresh store (plus its test kit) over `config`; called once per test with a unique `keyPrefix`. */
  readonly makeLayer: (
    config: Partial<StoreConfigShape> & { readonly keyPrefix: string }
  ) => Layer.Layer<AdvisoryStore | StoreTestKit, E>
  /** Makes `millis` of store time pass (TestClock.adjust for memory, a real sleep for Redis). */
  readonly advanceTime: (millis: number) => Effect.Effect<void>
  /** `true`: tests run with the real clock (`it.live`); `false`: with `TestClock` (`it.effect`). */
  readonly live: boolean
  /** How the backend writes match summaries (its driver's `summaryEncoding`); default `zstd`. */
  readonly summaryEncoding?: "zstd" | "json"
}

let prefixCounter = 0
const uniquePrefix = () => `ct-${process.pid}-${Date.now().toString(36)}-${prefixCounter++}`

const enc = new TextEncoder()
const dec = new TextDecoder()
/** Bytes that are neither zstd nor JSON. */
const garbage = Uint8Array.from([0x00, 0xff, 0x13, 0x37, 0x42, 0x99, 0xfe])

const enrichmentOf = (score: number) =>
  new EnrichmentData({
    epssScore: score,
    epssPercentile: 0.5,
    epssDate: "2025-08-16",
    isKev: true,
    kevDateAdded: "2021-12-10",
    kevDueDate: "2021-12-24",
    kevRansomware: true,
    updatedAt: "2025-08-16T00:00:00.000Z"
  })

/** Registers the contract suite for one store implementation. */
export const storeContract = <E>(name: string, options: StoreContractOptions<E>): void => {
  const test = options.live ? it.live : it.effect
  const sample = loadSampleAdvisories()
  const base = sampleById(sample, "GHSA-2j2x-2gpw-g8fm")

  /** Runs `body` against a fresh store; `keys` is the key layout under its prefix. */
  const withStore = <A, E2>(
    config: Partial<StoreConfigShape>,
    body: (
      store: Context.Tag.Service<AdvisoryStore>,
      keys: ReturnType<typeof keyOf>,
      kit: StoreTestKitShape
    ) => Effect.Effect<A, E2>
  ) =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const kit = yield* StoreTestKit
      return yield* body(store, keyOf(kit.keyPrefix), kit)
    }).pipe(Effect.provide(options.makeLayer({ ...config, keyPrefix: uniquePrefix() })))

  const ids = (advisories: ReadonlyArray<Advisory.Advisory>) => advisories.map((a) => a.id)

  describe(`${name} (store contract)`, () => {
    describe("advisories", () => {
      test("round-trips every sample advisory and finds it through every package it names", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const withdrawn = sample.filter((a) => a.withdrawn !== undefined)
            expect(withdrawn.length).toBeGreaterThanOrEqual(3)
            const result = yield* store.upsertBatch(sample, "osv")
            expect(result).toEqual({
              source: "osv",
              received: sample.length,
              inserted: sample.length,
              updated: 0,
              withdrawn: withdrawn.length,
              staleIndexEntriesRemoved: 0
            })
            expect(yield* store.advisoryCount).toBe(sample.length)
            for (const advisory of sample) {
              expect(Option.getOrUndefined(yield* store.getAdvisory(advisory.id))).toEqual(advisory)
              for (const pkg of advisory.affected?.flatMap((a) => (a.package ? [a.package] : [])) ?? []) {
                const found = ids(yield* store.getByPackage(pkg.ecosystem, pkg.name))
                if (advisory.withdrawn === undefined) expect(found).toContain(advisory.id)
                else expect(found).not.toContain(advisory.id)
              }
            }
          })))

      test("getByPackages answers every package of the sample exactly as getByPackage does, in input order", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            yield* store.upsertBatch(sample, "osv")
            const packages = sample.flatMap((a) => a.affected?.flatMap((x) => (x.package ? [x.package] : [])) ?? [])
            // Spelling variants, repeats and a package with nothing stored ride along.
            const queries = [
              ...packages.map((p) => ({ ecosystem: p.ecosystem, name: p.name })),
              ...packages.slice(0, 20).map((p) => ({ ecosystem: p.ecosystem.toUpperCase(), name: p.name })),
              { ecosystem: "npm", name: "ct-nothing-stored" }
            ]
            const answers = yield* store.getByPackages(queries)
            expect(answers.length).toBe(queries.length)
            for (let i = 0; i < queries.length; i++) {
              const single = yield* store.getByPackage(queries[i]!.ecosystem, queries[i]!.name)
              expect(answers[i]).toEqual(Either.right(single))
            }
            expect(yield* store.getByPackages([])).toEqual([])
          })))

      test("getByPackages: a bad name or a corrupt advisory is the answer of each package listing it; removed advisories leave every answer", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const a = variant(base, "GHSA-ct-batch-1", [["npm", "ct-batch-corrupt"], ["npm", "ct-batch-shared"]])
            const b = variant(base, "GHSA-ct-batch-2", [["npm", "ct-batch-shared"]])
            const c = variant(base, "GHSA-ct-batch-3", [["npm", "ct-batch-fine"]])
            yield* store.upsertBatch([a, b, c], "osv")
            yield* kit.writeRaw(keys.data(a.id), garbage)
            const answers = yield* store.getByPackages([
              { ecosystem: "npm", name: "ct-batch-corrupt" },
              { ecosystem: "npm", name: "  " },
              { ecosystem: "npm", name: "ct-batch-fine" },
              { ecosystem: "npm", name: "ct-batch-shared" }
            ])
            expect(answers[0]).toMatchObject(Either.left({ _tag: "CorruptEntry", key: keys.data(a.id) }))
            expect(answers[1]).toMatchObject(Either.left({ _tag: "InvalidInput", field: "name" }))
            expect(answers[2]).toEqual(Either.right([c]))
            expect(answers[3]).toMatchObject(Either.left({ _tag: "CorruptEntry", key: keys.data(a.id) }))
            yield* store.removeAdvisory(a.id)
            yield* store.removeAdvisory(c.id)
            const after = yield* store.getByPackages([
              { ecosystem: "npm", name: "ct-batch-corrupt" },
              { ecosystem: "npm", name: "ct-batch-shared" },
              { ecosystem: "npm", name: "ct-batch-fine" }
            ])
            expect(after).toEqual([Either.right([]), Either.right([b]), Either.right([])])
            expect(yield* store.idsByPackage("npm", "ct-batch-shared")).toEqual([b.id])
          })))

      test("upsertBatch: re-writes count as updated, the last duplicate in a batch wins, empty batch is a no-op", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const a = variant(base, "GHSA-ctrt-aaaa-0001", [["npm", "ct-upsert"]])
            const b = variant(base, "GHSA-ctrt-aaaa-0002", [["npm", "ct-upsert"]])
            expect((yield* store.storeAdvisory(a, "manual")).inserted).toBe(1)
            const result = yield* store.upsertBatch(
              [{ ...a, summary: "first" }, b, { ...a, summary: "last" }],
              "osv"
            )
            expect(result).toEqual({
              source: "osv",
              received: 2,
              inserted: 1,
              updated: 1,
              withdrawn: 0,
              staleIndexEntriesRemoved: 0
            })
            expect(Option.map(yield* store.getAdvisory(a.id), (x) => x.summary)).toEqual(Option.some("last"))
            expect(yield* store.upsertBatch([], "empty")).toEqual({
              source: "empty",
              received: 0,
              inserted: 0,
              updated: 0,
              withdrawn: 0,
              staleIndexEntriesRemoved: 0
            })
            expect(yield* store.advisoryCount).toBe(2)
          })))

      test("getBatch keeps input order, skips absent ids and returns duplicates once", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const [x, y, z] = ["RUSTSEC-2016-0001", "GO-2020-0047", "PYSEC-2007-1"].map((id) => sampleById(sample, id))
            yield* store.upsertBatch([x!, y!, z!], "osv")
            const got = yield* store.getBatch([z!.id, "GHSA-none-none-none", x!.id, z!.id, y!.id])
            expect(got).toEqual([z, x, y])
            expect(yield* store.getBatch([])).toEqual([])
            expect(yield* store.getAdvisory("GHSA-none-none-none")).toEqual(Option.none())
          })))

      test("getByPackage and idsByPackage are sorted by id; an unknown package has none", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const advisories = ["GHSA-c", "GHSA-a", "GHSA-d", "GHSA-b"].map((id) => variant(base, id, [["npm", "ct-sorted"]]))
            yield* store.upsertBatch(advisories, "osv")
            expect(ids(yield* store.getByPackage("npm", "ct-sorted"))).toEqual(["GHSA-a", "GHSA-b", "GHSA-c", "GHSA-d"])
            expect(yield* store.idsByPackage("npm", "ct-sorted")).toEqual(["GHSA-a", "GHSA-b", "GHSA-c", "GHSA-d"])
            expect(yield* store.getByPackage("npm", "ct-no-such-package")).toEqual([])
            expect(yield* store.idsByPackage("npm", "ct-no-such-package")).toEqual([])
          })))

      test("streamByPackage returns every advisory of a package with hundreds of them", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const many = Array.from(
              { length: 260 },
              (_, i) => variant(base, `GHSA-ct-stream-${String(i).padStart(3, "0")}`, [["npm", "ct-stream"]])
            )
            yield* store.upsertBatch(many, "osv")
            const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(store.streamByPackage("NPM", "CT-Stream")))
            expect(ids(streamed).sort()).toEqual(ids(many))
            expect(streamed.find((a) => a.id === many[137]!.id)).toEqual(many[137])
            expect(yield* store.getByPackage("npm", "ct-stream")).toEqual(many)
            expect(Chunk.size(yield* Stream.runCollect(store.streamByPackage("npm", "ct-none")))).toBe(0)
          })))

      test("removeAdvisory deletes the data and its index entries", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const a = variant(base, "GHSA-ct-rm-1", [["npm", "ct-rm"], ["PyPI", "ct-rm"]])
            const b = variant(base, "GHSA-ct-rm-2", [["npm", "ct-rm"]])
            yield* store.upsertBatch([a, b], "osv")
            expect(yield* store.removeAdvisory(a.id)).toBe(true)
            expect(yield* store.removeAdvisory(a.id)).toBe(false)
            expect(yield* store.getAdvisory(a.id)).toEqual(Option.none())
            expect(yield* store.idsByPackage("npm", "ct-rm")).toEqual([b.id])
            expect(yield* store.idsByPackage("pypi", "ct-rm")).toEqual([])
            expect(yield* store.advisoryCount).toBe(1)
          })))

      test("an advisory re-written with other packages leaves the old packages' indexes", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const before = variant(base, "GHSA-ct-move", [["npm", "ct-old"], ["npm", "ct-kept"]])
            yield* store.storeAdvisory(before)
            const after = variant(base, "GHSA-ct-move", [["npm", "ct-kept"], ["npm", "ct-new"]])
            const result = yield* store.upsertBatch([after], "osv")
            expect(result.updated).toBe(1)
            expect(result.staleIndexEntriesRemoved).toBe(1)
            expect(yield* store.getByPackage("npm", "ct-old")).toEqual([])
            expect(yield* store.getByPackage("npm", "ct-kept")).toEqual([after])
            expect(yield* store.getByPackage("npm", "ct-new")).toEqual([after])
          })))

      test("a withdrawn advisory leaves every index but stays readable by id and counted", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const live = variant(base, "GHSA-ct-wd", [["npm", "ct-wd-a"], ["Go", "example.com/ct/wd"]])
            yield* store.storeAdvisory(live)
            expect(ids(yield* store.getByPackage("go", "example.com/ct/wd"))).toEqual([live.id])
            const withdrawn = { ...live, withdrawn: "2025-01-01T00:00:00Z" }
            const result = yield* store.upsertBatch([withdrawn], "osv")
            expect(result).toMatchObject({ updated: 1, withdrawn: 1, staleIndexEntriesRemoved: 2 })
            expect(yield* store.getByPackage("npm", "ct-wd-a")).toEqual([])
            expect(yield* store.getByPackage("Go", "example.com/ct/wd")).toEqual([])
            expect(yield* store.getAdvisory(live.id)).toEqual(Option.some(withdrawn))
            expect(yield* store.advisoryCount).toBe(1)
          })))

      test("package spellings are normalized on write and on read", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const django = sampleById(sample, "PYSEC-2007-1")
            const serdeYaml = sampleById(sample, "RUSTSEC-2018-0005")
            const goSaml = sampleById(sample, "GO-2020-0047")
            const ws = sampleById(sample, "GHSA-2mhh-w6q8-5hxw")
            const jgit = sampleById(sample, "GHSA-6vvc-c2m3-cjf3")
            const fooA = variant(base, "PYSEC-ct-foo-1", [["PIP", "Foo_Bar"]])
            const fooB = variant(base, "PYSEC-ct-foo-2", [["pypi", "foo-bar"]])
            yield* store.upsertBatch([django, serdeYaml, goSaml, ws, jgit, fooA, fooB], "osv")
            const find = (ecosystem: string, pkg: string) => store.idsByPackage(ecosystem, pkg)
            for (const [ecosystem, pkg] of [["PyPI", "Django"], ["pip", "DJANGO"], ["python", "django"]] as const) {
              expect(yield* find(ecosystem, pkg)).toContain(django.id)
            }
            for (const [ecosystem, pkg] of [["pip", "foo-bar"], ["PIP", "FOO.BAR"], ["pypi", "foo_bar"], ["PyPI", "Foo__Bar"]] as const) {
              expect(yield* find(ecosystem, pkg)).toEqual([fooA.id, fooB.id])
            }
            for (const [ecosystem, pkg] of [["crates.io", "serde_yaml"], ["cargo", "Serde_Yaml"], ["RUST", "SERDE_YAML"]] as const) {
              expect(yield* find(ecosystem, pkg)).toEqual([serdeYaml.id])
            }
            expect(yield* find("NPM", "WS")).toEqual([ws.id])
            expect(yield* find("maven", "ORG.ECLIPSE.JGIT:org.eclipse.jgit")).toEqual([jgit.id])
            // Go module paths are case-sensitive: only the exact spelling finds it.
            expect(yield* find("golang", "github.com/RobotsAndPencils/go-saml")).toEqual([goSaml.id])
            expect(yield* find("Go", "github.com/robotsandpencils/go-saml")).toEqual([])
          })))

      test("a reader racing a writer only ever sees whole advisories", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const versions = Array.from({ length: 8 }, (_, round) =>
              Array.from(
                { length: 40 },
                (_, i) => variant(base, `GHSA-ct-race-${String(i).padStart(2, "0")}`, [["npm", "ct-race"]], { summary: `round ${round}` })
              ))
            yield* store.upsertBatch(versions[0]!, "osv")
            const valid = new Set(versions.flat().map((a) => JSON.stringify(a)))
            const writer = Effect.forEach(versions.slice(1), (batch) => store.upsertBatch(batch, "osv"), { discard: true })
            const reader = Effect.forEach(Array.from({ length: 12 }), () =>
              Effect.map(store.getByPackage("npm", "ct-race"), (read) => {
                expect(read.length).toBe(40)
                for (const a of read) expect(valid.has(JSON.stringify(a))).toBe(true)
              }), { discard: true })
            yield* Effect.all([writer, reader], { concurrency: 2, discard: true })
            expect(yield* store.getByPackage("npm", "ct-race")).toEqual(versions[7])
          })))
    })

    describe("bad input and corrupt values", () => {
      test("invalid arguments fail with InvalidInput naming the field, and write nothing", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const good = variant(base, "GHSA-ct-good", [["npm", "ct-bad-input"]])
            const field = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
              Effect.map(Effect.flip(effect), (error) => {
                expect(error._tag).toBe("InvalidInput")
                return (error as unknown as { readonly field: string }).field
              })
            const long = "x".repeat(5000)
            expect(yield* field(store.getAdvisory(""))).toBe("id")
            expect(yield* field(store.getAdvisory("GHSA with space"))).toBe("id")
            expect(yield* field(store.getAdvisory(long))).toBe("id")
            expect(yield* field(store.removeAdvisory("  "))).toBe("id")
            expect(yield* field(store.getBatch([good.id, ""]))).toBe("id")
            expect(yield* field(store.getByPackage("npm", long))).toBe("name")
            expect(yield* field(store.getByPackage("", "left-pad"))).toBe("ecosystem")
            expect(yield* field(store.idsByPackage("npm", ""))).toBe("name")
            expect(yield* field(Stream.runCollect(store.streamByPackage("npm", "")))).toBe("name")
            expect(yield* field(store.storeAdvisory({ ...good, id: "" }))).toBe("advisory.id")
            expect(yield* field(store.upsertBatch([good, { ...good, id: long }], "osv"))).toBe("advisory.id")
            expect(yield* field(store.getEnrichment("CVE-21-1"))).toBe("cve")
            expect(yield* field(store.storeEnrichment("log4shell", enrichmentOf(0.9)))).toBe("cve")
            expect(yield* field(store.getEnrichmentBatch(["CVE-2021-44228", "nope"]))).toBe("cve")
            expect(yield* field(store.lastSync("bad source!"))).toBe("source")
            expect(yield* field(store.updateSyncTimestamp("", new Date(0)))).toBe("source")
            expect(yield* field(store.getOssIndexCache("not a purl"))).toBe("purl")
            expect(yield* field(store.storeOssIndexCache("pkg:", []))).toBe("purl")
            expect(yield* field(store.invalidateOssIndexCache(`pkg:npm/${long}`))).toBe("purl")
            // The valid advisory of the rejected batch was not written either.
            expect(yield* store.getAdvisory(good.id)).toEqual(Option.none())
            expect(yield* store.idsByPackage("npm", "ct-bad-input")).toEqual([])
            expect(yield* store.advisoryCount).toBe(0)
          })))

      test("a corrupt advisory fails with CorruptEntry naming its key; other reads keep working", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const a = variant(base, "GHSA-ct-corrupt-1", [["npm", "ct-corrupt"]])
            const b = variant(base, "GHSA-ct-corrupt-2", [["npm", "ct-corrupt"]])
            const c = variant(base, "GHSA-ct-corrupt-3", [["npm", "ct-fine"]])
            yield* store.upsertBatch([a, b, c], "osv")
            for (const bytes of [garbage, yield* makeZstd(3).compress(enc.encode(`{"id": 42}`))]) {
              yield* kit.writeRaw(keys.data(a.id), bytes)
              const byId = yield* Effect.flip(store.getAdvisory(a.id))
              expect(byId).toMatchObject({ _tag: "CorruptEntry", key: keys.data(a.id) })
              expect(yield* Effect.flip(store.getByPackage("npm", "ct-corrupt"))).toMatchObject({
                _tag: "CorruptEntry",
                key: keys.data(a.id)
              })
              expect(yield* Effect.flip(store.getBatch([b.id, a.id]))).toMatchObject({ _tag: "CorruptEntry" })
              expect(yield* store.getBatch([b.id, c.id])).toEqual([b, c])
              expect(yield* store.getByPackage("npm", "ct-fine")).toEqual([c])
              expect(yield* store.advisoryCount).toBe(3)
            }
            yield* store.storeAdvisory(a)
            expect(yield* store.getByPackage("npm", "ct-corrupt")).toEqual([a, b])
          })))

      test("trusted reads: stored advisories carry the format marker; values that decode differently do not", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const zstd = makeZstd(3)
            const stored = (id: string) =>
              Effect.flatMap(kit.readRaw(keys.data(id)), (raw) => zstd.decompress(Option.getOrThrow(raw)))
            const a = variant(base, "GHSA-ct-marker-1", [["npm", "ct-marker"]])
            // Decoding adds `is_kev: false`: JSON.parse of this text is not its decoded value, so no marker.
            const b = variant(base, "GHSA-ct-marker-2", [["npm", "ct-marker"]], { enrichment: { epss_score: 0.5 } as never })
            yield* store.upsertBatch([a, b], "osv")
            const bytesA = yield* stored(a.id)
            expect(dec.decode(bytesA.subarray(0, Codec.trustedMarker.length))).toBe(Codec.trustedMarker)
            expect(JSON.parse(dec.decode(bytesA))).toEqual(a)
            const bytesB = yield* stored(b.id)
            expect(dec.decode(bytesB).startsWith(Codec.trustedMarker)).toBe(false)
            expect(yield* store.getByPackage("npm", "ct-marker")).toEqual([a, { ...b, enrichment: { epss_score: 0.5, is_kev: false } }])
          })))

      test("trusted reads: marked values failing the structural check, and unmarked values failing the schema, are CorruptEntry", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const zstd = makeZstd(3)
            const a = variant(base, "GHSA-ct-marker-3", [["npm", "ct-marker"]])
            const b = variant(base, "GHSA-ct-marker-4", [["npm", "ct-marker"]])
            yield* store.upsertBatch([a, b], "osv")
            const json = JSON.parse(JSON.stringify(a))
            const marked = (text: string) => zstd.compress(enc.encode(Codec.trustedMarker + text))
            const unmarked = (text: string) => zstd.compress(enc.encode(text))
            const rangeTypeWrong = { ...json, affected: [{ ...json.affected[0], ranges: [{ type: "FOO", events: [] }] }] }
            for (
              const bytes of [
                yield* marked(JSON.stringify({ ...json, affected: "npm" })),
                yield* marked(JSON.stringify({ ...json, affected: [{ package: { ecosystem: "npm" } }] })),
                yield* marked(JSON.stringify({ ...json, affected: [{ ranges: [{ type: "SEMVER", events: "0" }] }] })),
                yield* marked(JSON.stringify({ ...json, id: "" })),
                yield* marked(JSON.stringify({ ...json, withdrawn: 1 })),
                yield* marked(JSON.stringify({ ...json, summary: null })),
                yield* marked(JSON.stringify(rangeTypeWrong)),
                yield* marked("{not json"),
                yield* unmarked(JSON.stringify(rangeTypeWrong)),
                garbage
              ]
            ) {
              yield* kit.writeRaw(keys.data(a.id), bytes)
              expect(yield* Effect.flip(store.getAdvisory(a.id))).toMatchObject({ _tag: "CorruptEntry", key: keys.data(a.id) })
              expect(yield* Effect.flip(store.getByPackage("npm", "ct-marker"))).toMatchObject({
                _tag: "CorruptEntry",
                key: keys.data(a.id)
              })
              expect(yield* store.getBatch([b.id])).toEqual([b])
            }
          })))

      test("trusted reads: unmarked (Rust-written) JSON with nulls is fully validated and read", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const a = variant(base, "GHSA-ct-marker-5", [["npm", "ct-marker"]])
            yield* store.upsertBatch([a], "osv")
            const json = JSON.parse(JSON.stringify(a))
            const rust = {
              ...json,
              withdrawn: null,
              upstream: null,
              affected: [{ ...json.affected[0], versions: null, package: { ...json.affected[0].package, purl: null } }]
            }
            yield* kit.writeRaw(keys.data(a.id), yield* makeZstd(3).compress(enc.encode(JSON.stringify(rust))))
            expect(yield* store.getAdvisory(a.id)).toEqual(Option.some(a))
            expect(yield* store.getByPackage("npm", "ct-marker")).toEqual([a])
          })))

      test("corrupt enrichment, OSS Index and sync timestamp values fail with CorruptEntry naming the key", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            yield* store.storeEnrichmentBatch([["CVE-2021-44228", enrichmentOf(0.9)], ["CVE-2022-22965", enrichmentOf(0.5)]])
            yield* kit.writeRaw(keys.enrichment("CVE-2021-44228"), enc.encode("{not json"))
            expect(yield* Effect.flip(store.getEnrichment("cve-2021-44228"))).toMatchObject({
              _tag: "CorruptEntry",
              key: keys.enrichment("CVE-2021-44228")
            })
            expect(yield* Effect.flip(store.getEnrichmentBatch(["CVE-2022-22965", "CVE-2021-44228"]))).toMatchObject({
              _tag: "CorruptEntry",
              key: keys.enrichment("CVE-2021-44228")
            })
            expect(yield* store.getEnrichment("CVE-2022-22965")).toEqual(Option.some(enrichmentOf(0.5)))

            const purl = "pkg:npm/ws@7.0.0"
            yield* store.storeOssIndexCache(purl, [sampleById(sample, "GHSA-2mhh-w6q8-5hxw")])
            yield* kit.writeRaw(keys.ossIndex(purl), garbage)
            expect(yield* Effect.flip(store.getOssIndexCache(purl))).toMatchObject({
              _tag: "CorruptEntry",
              key: keys.ossIndex(purl)
            })

            yield* store.updateSyncTimestamp("osv", new Date("2025-08-01T00:00:00Z"))
            yield* kit.writeRaw(keys.meta("osv"), enc.encode("last tuesday"))
            expect(yield* Effect.flip(store.lastSync("OSV"))).toMatchObject({ _tag: "CorruptEntry", key: keys.meta("osv") })
            expect(yield* Effect.flip(store.syncTimestamps)).toMatchObject({ _tag: "CorruptEntry", key: keys.meta("osv") })
            // healthCheck never fails, whatever is stored.
            const health = yield* store.healthCheck
            expect(health.status).not.toBe("Unavailable")
          })))
    })

    describe("TTL", () => {
      test("expired advisories and enrichment are gone by id, through indexes and from the count", () =>
        withStore({ ttlSeconds: 1 }, (store) =>
          Effect.gen(function*() {
            const a = variant(base, "GHSA-ct-ttl-a", [["npm", "ct-ttl"]])
            const b = variant(base, "GHSA-ct-ttl-b", [["npm", "ct-ttl"]])
            yield* store.upsertBatch([a, b], "osv")
            yield* store.storeEnrichment("CVE-2021-44228", enrichmentOf(0.9))
            yield* options.advanceTime(600)
            yield* store.storeAdvisory(b) // re-writing refreshes the TTL
            yield* options.advanceTime(600)
            expect(yield* store.getAdvisory(a.id)).toEqual(Option.none())
            expect(yield* store.getByPackage("npm", "ct-ttl")).toEqual([b])
            expect(Chunk.toReadonlyArray(yield* Stream.runCollect(store.streamByPackage("npm", "ct-ttl")))).toEqual([b])
            expect(yield* store.idsByPackage("npm", "ct-ttl")).toEqual([b.id])
            expect(yield* store.getBatch([a.id, b.id])).toEqual([b])
            expect(yield* store.advisoryCount).toBe(1)
            expect((yield* store.healthCheck).advisoryCount).toBe(1)
            expect(yield* store.getEnrichment("CVE-2021-44228")).toEqual(Option.none())
            expect((yield* store.getEnrichmentBatch(["CVE-2021-44228"])).size).toBe(0)
            yield* options.advanceTime(600)
            expect(yield* store.getAdvisory(b.id)).toEqual(Option.none())
            expect(yield* store.getByPackage("npm", "ct-ttl")).toEqual([])
            expect(yield* store.advisoryCount).toBe(0)
            // An expired advisory written again is an insert, not an update.
            expect((yield* store.storeAdvisory(a)).inserted).toBe(1)
          })))

      test("OSS Index entries expire after ossIndexTtlSeconds; without ttlSeconds advisories do not", () =>
        withStore({ ossIndexTtlSeconds: 1 }, (store) =>
          Effect.gen(function*() {
            const advisory = sampleById(sample, "GHSA-2pr6-76vf-7546")
            yield* store.storeAdvisory(advisory)
            yield* store.storeEnrichment("CVE-2021-44228", enrichmentOf(0.9))
            const entry = yield* store.storeOssIndexCache("pkg:npm/js-yaml@3.0.0", [advisory])
            expect(entry.ttlSeconds).toBe(1)
            expect(Option.isSome(yield* store.getOssIndexCache("pkg:npm/js-yaml@3.0.0"))).toBe(true)
            yield* options.advanceTime(1200)
            expect(yield* store.getOssIndexCache("pkg:npm/js-yaml@3.0.0")).toEqual(Option.none())
            expect((yield* store.getOssIndexCacheBatch(["pkg:npm/js-yaml@3.0.0"])).size).toBe(0)
            expect(yield* store.invalidateOssIndexCache("pkg:npm/js-yaml@3.0.0")).toBe(false)
            expect(yield* store.getAdvisory(advisory.id)).toEqual(Option.some(advisory))
            expect(yield* store.getByPackage("npm", "js-yaml")).toEqual([advisory])
            expect(yield* store.getEnrichment("CVE-2021-44228")).toEqual(Option.some(enrichmentOf(0.9)))
            expect(yield* store.advisoryCount).toBe(1)
          })))
    })

    describe("enrichment", () => {
      test("stores, reads and batches entries by CVE (case-insensitive ids)", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            yield* store.storeEnrichment("cve-2021-44228", enrichmentOf(0.97))
            expect(yield* store.getEnrichment("CVE-2021-44228")).toEqual(Option.some(enrichmentOf(0.97)))
            yield* store.storeEnrichment("CVE-2021-44228", enrichmentOf(0.5))
            expect(yield* store.getEnrichment("CVE-2021-44228")).toEqual(Option.some(enrichmentOf(0.5)))
            const minimal = new EnrichmentData({ updatedAt: "2025-01-01T00:00:00Z" })
            const written = yield* store.storeEnrichmentBatch([["CVE-2022-22965", minimal], ["CVE-2014-0160", enrichmentOf(0.1)]])
            expect(written).toBe(2)
            const found = yield* store.getEnrichmentBatch(["CVE-2022-22965", "cve-2021-44228", "CVE-2099-0001"])
            expect(Array.from(found.keys())).toEqual(["CVE-2022-22965", "cve-2021-44228"])
            expect(found.get("CVE-2022-22965")).toEqual(minimal)
            expect(found.get("CVE-2022-22965")!.isKev).toBe(false)
            expect(found.get("cve-2021-44228")).toEqual(enrichmentOf(0.5))
            expect(yield* store.getEnrichment("CVE-2099-0001")).toEqual(Option.none())
            expect((yield* store.getEnrichmentBatch([])).size).toBe(0)
            expect(yield* store.storeEnrichmentBatch([])).toBe(0)
          })))
    })

    describe("sync timestamps", () => {
      test("per source (case-insensitive), reset one, reset all with counts", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            expect(yield* store.lastSync("osv")).toEqual(Option.none())
            const osvAt = new Date("2025-08-16T10:11:12.345Z")
            const kevAt = new Date("2025-08-17T00:00:00.001Z")
            yield* store.updateSyncTimestamp("OSV", osvAt)
            yield* store.updateSyncTimestamp("kev", kevAt)
            expect(Option.map(yield* store.lastSync("osv"), (d) => d.getTime())).toEqual(Option.some(osvAt.getTime()))
            expect(Option.map(yield* store.lastSync("Kev"), (d) => d.toISOString())).toEqual(Option.some(kevAt.toISOString()))
            const all = yield* store.syncTimestamps
            expect(Array.from(all.keys()).sort()).toEqual(["kev", "osv"])
            expect(all.get("osv")?.getTime()).toBe(osvAt.getTime())
            expect(yield* store.resetSyncTimestamp("Osv")).toBe(true)
            expect(yield* store.resetSyncTimestamp("osv")).toBe(false)
            expect(yield* store.lastSync("osv")).toEqual(Option.none())
            yield* store.updateSyncTimestamp("epss", osvAt)
            expect(yield* store.resetAllSyncTimestamps).toBe(2)
            expect(yield* store.resetAllSyncTimestamps).toBe(0)
            expect((yield* store.syncTimestamps).size).toBe(0)
          })))
    })

    describe("OSS Index cache", () => {
      test("canonical PURL spellings share one entry; invalidate one or all with counts", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const ws = sampleById(sample, "GHSA-2mhh-w6q8-5hxw")
            const before = yield* Clock.currentTimeMillis
            const entry = yield* store.storeOssIndexCache("pkg:npm/%40angular/core@1.0.0", [ws])
            expect(entry.cachedAt).toBeGreaterThanOrEqual(before)
            expect(entry.cachedAt).toBeLessThanOrEqual(yield* Clock.currentTimeMillis)
            expect(entry.purl).toBe("pkg:npm/%40angular/core@1.0.0")
            expect(entry.ttlSeconds).toBe(3600)
            expect(entry.advisories).toEqual([ws])
            for (const spelling of ["pkg:npm/@Angular/Core@1.0.0", "pkg:NPM/@angular/core@1.0.0"]) {
              const read = yield* store.getOssIndexCache(spelling)
              expect(Option.map(read, (e) => ({ ...e }))).toEqual(Option.some({ ...entry }))
            }
            expect(yield* store.getOssIndexCache("pkg:npm/%40angular/core@2.0.0")).toEqual(Option.none())
            // An empty answer ("no known vulnerabilities") is cached too.
            yield* store.storeOssIndexCache("pkg:pypi/Django_Rest@1.0", [])
            expect(Option.map(yield* store.getOssIndexCache("pkg:pypi/django-rest@1.0"), (e) => e.advisories)).toEqual(
              Option.some([])
            )
            expect(yield* store.invalidateOssIndexCache("pkg:npm/@angular/core@1.0.0")).toBe(true)
            expect(yield* store.invalidateOssIndexCache("pkg:npm/@angular/core@1.0.0")).toBe(false)
            expect(yield* store.getOssIndexCache("pkg:npm/%40angular/core@1.0.0")).toEqual(Option.none())
            yield* store.storeOssIndexCache("pkg:cargo/hyper@0.9.0", [sampleById(sample, "RUSTSEC-2016-0002")])
            expect(yield* store.invalidateAllOssIndexCache).toBe(2)
            expect(yield* store.invalidateAllOssIndexCache).toBe(0)
            expect(yield* store.getOssIndexCache("pkg:pypi/django-rest@1.0")).toEqual(Option.none())
          })))

      test("entries live at ossidx:<sha256 of the canonical PURL>, and an entry for another PURL there is not returned", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const entry = new OssIndexCacheEntry({
              purl: "pkg:npm/ws@7.0.0",
              advisories: [sampleById(sample, "GHSA-2mhh-w6q8-5hxw")],
              cachedAt: now,
              ttlSeconds: 3600
            })
            const bytes = yield* Effect.flatMap(Codec.ossEntryToBytes(entry), makeZstd(3).compress)
            yield* kit.writeRaw(keys.ossIndex("pkg:npm/ws@7.0.0"), bytes)
            expect(Option.map(yield* store.getOssIndexCache("pkg:npm/ws@7.0.0"), (e) => e.advisories)).toEqual(
              Option.some(entry.advisories)
            )
            // Same bytes under another PURL's key: a stand-in for a hash collision.
            yield* kit.writeRaw(keys.ossIndex("pkg:npm/ws@8.0.0"), bytes)
            expect(yield* store.getOssIndexCache("pkg:npm/ws@8.0.0")).toEqual(Option.none())
          })))

      test("batch store and batch get (keyed by the PURL as given)", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const hyper = sampleById(sample, "RUSTSEC-2016-0002")
            const netty = sampleById(sample, "GHSA-269q-hmxg-m83q")
            const stored = yield* store.storeOssIndexCacheBatch([
              ["pkg:cargo/hyper@0.9.0", [hyper]],
              ["pkg:maven/io.netty/netty-codec-http@4.1.0?type=jar&classifier=x", [netty]],
              ["pkg:golang/github.com/BurntSushi/toml@1.0.0", []]
            ])
            expect(stored.map((e) => e.purl)).toEqual([
              "pkg:cargo/hyper@0.9.0",
              "pkg:maven/io.netty/netty-codec-http@4.1.0?classifier=x&type=jar",
              "pkg:golang/github.com/BurntSushi/toml@1.0.0"
            ])
            const asked = [
              "pkg:maven/io.netty/netty-codec-http@4.1.0?classifier=x&type=jar",
              "pkg:cargo/hyper@0.9.0",
              "pkg:golang/github.com/burntsushi/toml@1.0.0",
              "pkg:golang/github.com/BurntSushi/toml@1.0.0"
            ]
            const found = yield* store.getOssIndexCacheBatch(asked)
            expect(Array.from(found.keys()).sort()).toEqual([asked[0], asked[1], asked[3]].sort())
            expect(found.get(asked[0]!)?.advisories).toEqual([netty])
            expect(found.get(asked[1]!)?.advisories).toEqual([hyper])
            expect(found.get(asked[3]!)?.advisories).toEqual([])
            expect((yield* store.getOssIndexCacheBatch([])).size).toBe(0)
            expect(yield* store.storeOssIndexCacheBatch([])).toEqual([])
          })))
    })

    describe("one rule for every backend", () => {
      test("stored sync timestamps: RFC 3339 and YYYY-MM-DD (midnight UTC) are read; free text is CorruptEntry naming the key", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            yield* store.updateSyncTimestamp("osv", new Date("2025-08-01T00:00:00Z"))
            yield* store.updateSyncTimestamp("kev", new Date("2025-08-01T00:00:00Z"))
            const read = (text: string) =>
              Effect.zipRight(kit.writeRaw(keys.meta("osv"), enc.encode(text)), Effect.either(store.lastSync("osv")))
            for (
              const [text, iso] of [
                ["2024-01-01", "2024-01-01T00:00:00.000Z"],
                ["2025-08-16T10:11:12+02:00", "2025-08-16T08:11:12.000Z"],
                ["2025-08-16t10:11:12.5z", "2025-08-16T10:11:12.500Z"]
              ] as const
            ) {
              const date = yield* read(text)
              expect(date._tag === "Right" ? Option.map(date.right, (d) => d.toISOString()) : date).toEqual(Option.some(iso))
            }
            yield* kit.writeRaw(keys.meta("osv"), enc.encode("2026-01-01"))
            expect((yield* store.syncTimestamps).get("osv")?.toISOString()).toBe("2026-01-01T00:00:00.000Z")
            expect((yield* store.healthCheck).lastSync).toBe("2026-01-01T00:00:00.000Z")
            for (const text of ["Jan 1 2024", "last tuesday", "2025-02-30", "2024-01-01 00:00:00", "1704067200000", ""]) {
              const failed = yield* read(text)
              expect(failed._tag).toBe("Left")
              expect(failed._tag === "Left" ? failed.left : undefined).toMatchObject({ _tag: "CorruptEntry", key: keys.meta("osv") })
              expect(yield* Effect.flip(store.syncTimestamps)).toMatchObject({ _tag: "CorruptEntry", key: keys.meta("osv") })
              const health = yield* store.healthCheck
              expect(health.status).toBe("Degraded")
              expect(health.detail).toContain(keys.meta("osv"))
              expect(health.lastSync).toBe("2025-08-01T00:00:00.000Z")
            }
          })))

      test("ids and package names with glob characters (*?[]\\) are stored and found literally", () =>
        withStore({}, (store, keys, kit) =>
          Effect.gen(function*() {
            const globs = variant(base, "GHSA-[*]?-\\x", [["npm", "ct-glob*?[a]\\"]])
            const star = variant(base, "GHSA-*", [["npm", "ct-glob*"]])
            const plain = variant(base, "GHSA-a", [["npm", "ct-globa"]])
            yield* store.upsertBatch([globs, star, plain], "osv")
            expect(yield* store.getAdvisory(globs.id)).toEqual(Option.some(globs))
            expect(yield* store.getAdvisory("GHSA-?")).toEqual(Option.none())
            expect(yield* store.getByPackage("npm", "ct-glob*?[a]\\")).toEqual([globs])
            expect(yield* store.getByPackage("npm", "ct-glob*")).toEqual([star])
            expect(yield* store.idsByPackage("npm", "ct-glob?")).toEqual([])
            expect(yield* store.getBatch(["GHSA-*", "GHSA-a"])).toEqual([star, plain])
            yield* kit.writeRaw(keys.data(star.id), garbage)
            expect(yield* Effect.flip(store.getAdvisory(star.id))).toMatchObject({ _tag: "CorruptEntry", key: keys.data("GHSA-*") })
            expect(yield* store.getAdvisory(plain.id)).toEqual(Option.some(plain))
            expect(yield* store.removeAdvisory(globs.id)).toBe(true)
            expect(yield* store.getByPackage("npm", "ct-glob*?[a]\\")).toEqual([])
            expect(yield* store.advisoryCount).toBe(2)
            yield* store.storeOssIndexCache("pkg:npm/ct-glob%2A@1.0.0", [])
            expect(yield* store.invalidateAllOssIndexCache).toBe(1)
            expect(yield* store.getAdvisory(plain.id)).toEqual(Option.some(plain))
          })))

      if (!options.live) {
        test("hour-long TTLs expire through TestClock alone (the store follows Effect's Clock)", () =>
          withStore({ ttlSeconds: 3600, ossIndexTtlSeconds: 7200 }, (store) =>
            Effect.gen(function*() {
              const a = variant(base, "GHSA-ct-clock", [["npm", "ct-clock"]])
              yield* store.storeAdvisory(a)
              yield* store.storeEnrichment("CVE-2021-44228", enrichmentOf(0.9))
              yield* store.storeOssIndexCache("pkg:npm/ct-clock@1.0.0", [a])
              yield* TestClock.adjust("59 minutes")
              expect(yield* store.getByPackage("npm", "ct-clock")).toEqual([a])
              expect(yield* store.advisoryCount).toBe(1)
              yield* TestClock.adjust("2 minutes")
              expect(yield* store.getAdvisory(a.id)).toEqual(Option.none())
              expect(yield* store.getByPackage("npm", "ct-clock")).toEqual([])
              expect(yield* store.advisoryCount).toBe(0)
              expect((yield* store.healthCheck).advisoryCount).toBe(0)
              expect(yield* store.getEnrichment("CVE-2021-44228")).toEqual(Option.none())
              expect(Option.isSome(yield* store.getOssIndexCache("pkg:npm/ct-clock@1.0.0"))).toBe(true)
              yield* TestClock.adjust("1 hour")
              expect(yield* store.getOssIndexCache("pkg:npm/ct-clock@1.0.0")).toEqual(Option.none())
            })))
      }
    })

    describe("faults (issue 13)", () => {
      test("index keys are unambiguous: (AlmaLinux, 9:kernel) and (AlmaLinux:9, kernel) are two packages", () =>
        withStore({}, (store, keys) =>
          Effect.gen(function*() {
            yield* store.upsertBatch([
              variant(base, "GHSA-ambi-base-name", [["AlmaLinux", "9:kernel-core"]]),
              variant(base, "GHSA-ambi-variant", [["AlmaLinux:9", "kernel-core"]])
            ], "osv")
            expect(ids(yield* store.getByPackage("AlmaLinux", "9:kernel-core"))).toEqual(["GHSA-ambi-base-name"])
            expect(ids(yield* store.getByPackage("AlmaLinux:9", "kernel-core"))).toEqual(["GHSA-ambi-variant"])
            // The variant is also listed under its base ecosystem's name (base queries find variants).
            expect(ids(yield* store.getByPackage("AlmaLinux", "kernel-core"))).toEqual(["GHSA-ambi-variant"])
            expect(yield* store.idsByPackage("AlmaLinux", "9:kernel-core")).toEqual(["GHSA-ambi-base-name"])
            // Ordinary names keep the keys the Rust crate wrote.
            expect(keys.index(Codec.indexSuffixes(variant(base, "x", [["Maven", "org.apache:commons"]]))[0]!))
              .toBe(`${keys.prefix}:idx:maven:org.apache:commons`)
            expect(Codec.indexSuffixes(variant(base, "x", [["Debian:12", "openssl"]]))).toEqual(["debian:12:openssl", "debian:openssl"])
            expect(Codec.indexSuffixes(variant(base, "x", [["AlmaLinux", "9:kernel-core"]]))).toEqual(["almalinux:9%3Akernel-core"])
          })))

      test("an advisory naming 80,000 packages is written, found, re-written and removed", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const packages = Array.from({ length: 80_000 }, (_, i) => ["npm", `pkg-${i}`] as const)
            const big = variant(base, "GHSA-huge-pkgs", packages)
            expect((yield* store.upsertBatch([big], "osv")).inserted).toBe(1)
            expect(ids(yield* store.getByPackage("npm", "pkg-79999"))).toEqual(["GHSA-huge-pkgs"])
            const fewer = variant(base, "GHSA-huge-pkgs", packages.slice(0, 10))
            expect((yield* store.upsertBatch([fewer], "osv")).staleIndexEntriesRemoved).toBe(79_990)
            expect(ids(yield* store.getByPackage("npm", "pkg-79999"))).toEqual([])
            yield* store.upsertBatch([big], "osv")
            expect(yield* store.removeAdvisory("GHSA-huge-pkgs")).toBe(true)
            expect(ids(yield* store.getByPackage("npm", "pkg-5"))).toEqual([])
          })), 240_000)

      test("verify walks indexes and bookkeeping; a consistent store has nothing to repair", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const empty = yield* store.verify()
            expect(empty).toMatchObject({ indexSets: 0, indexEntries: 0, recordedAdvisories: 0, missingAdvisories: 0 })
            yield* store.upsertBatch([
              variant(base, "GHSA-verify-1", [["npm", "a"], ["PyPI", "b"]]),
              variant(base, "GHSA-verify-2", [["npm", "a"]])
            ], "osv")
            yield* store.updateSyncTimestamp("osv.npm", new Date("2025-01-01T00:00:00Z"))
            const report = yield* store.verify({ repair: true })
            expect(report).toEqual({
              indexSets: 2,
              indexEntries: 3,
              danglingIndexEntries: 0,
              missingSummaries: 0,
              staleSummaries: 0,
              corruptRecords: [],
              recordedAdvisories: 2,
              danglingRecords: 0,
              missingAdvisories: 0,
              affectedEcosystems: [],
              repaired: false,
              resetSources: []
            })
            expect(Option.isSome(yield* store.lastSync("osv.npm"))).toBe(true)
          })))
    })

    describe("healthCheck", () => {
      test("reports Healthy, the advisory count and the most recent sync", () =>
        withStore({}, (store) =>
          Effect.gen(function*() {
            const empty = yield* store.healthCheck
            expect(empty.status).toBe("Healthy")
            expect(empty.advisoryCount).toBe(0)
            expect(empty.lastSync).toBeUndefined()
            expect(empty.latencyMs).toBeGreaterThanOrEqual(0)
            yield* store.upsertBatch(sample.slice(0, 5), "osv")
            yield* store.updateSyncTimestamp("osv", new Date("2025-08-16T00:00:00Z"))
            yield* store.updateSyncTimestamp("kev", new Date("2025-08-18T12:00:00Z"))
            yield* store.updateSyncTimestamp("epss", new Date("2025-08-17T00:00:00Z"))
            const health = yield* store.healthCheck
            expect(health.status).toBe("Healthy")
            expect(health.advisoryCount).toBe(5)
            expect(health.lastSync).toBe("2025-08-18T12:00:00.000Z")
            expect(typeof health.serverVersion).toBe("string")
          })))
    })
  })
  queryKindsContract(name, options)
  summaryContract(name, options)
}
