/**
 * Every record of $VULNERA_DATA_DIR/osv/*.jsonl.gz through each store (Redis, memory, LMDB, which
 * writes its match summaries as JSON text rather than zstd frames): stored in one batch, read
 * back deep-equal to the published document, and found through every package it names (withdrawn
 * records: by id only, in no index); `verify` then finds every match summary equal to the one its
 * record gives back.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { Effect, Layer } from "effect"
import * as Advisory from "../../src/Advisory.js"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import * as Compression from "../../src/Compression.js"
import * as DragonflyStore from "../../src/DragonflyStore.js"
import * as LmdbStore from "../../src/LmdbStore.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as PackageKey from "../../src/PackageKey.js"
import { indexSuffix } from "../../src/internal/store/keys.js"
import * as StoreConfig from "../../src/StoreConfig.js"
import { useRedisServer } from "../utils/redis.js"

const server = useRedisServer({ beforeAll, afterAll })

const osvDir = join(process.env.VULNERA_DATA_DIR ?? "../shared/data", "osv")

/**
 * Each record as published (parsed JSON). OSV JSON is already in `Advisory`'s form (its Type and
 * Encoded sides are identical; test/corpus/advisory-roundtrip.test.ts decodes the corpus), so it is
 * stored as parsed.
 */
const loadCorpus = () =>
  readdirSync(osvDir)
    .filter((file) => file.endsWith(".jsonl.gz"))
    .sort()
    .flatMap((file) =>
      gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n").filter((line) => line.trim() !== "")
    )
    .map((line) => {
      const published = JSON.parse(line) as Advisory.Advisory
      return { published, advisory: published }
    })

/** Normalized package → the ids of non-withdrawn records naming it, plus one spelling to query with. */
const expectedIndex = (advisories: ReadonlyArray<Advisory.Advisory>) => {
  const index = new Map<string, { ecosystem: string; name: string; ids: Set<string> }>()
  for (const advisory of advisories) {
    if (advisory.withdrawn !== undefined) continue
    for (const affected of advisory.affected ?? []) {
      const pkg = affected.package
      if (!pkg || pkg.ecosystem.trim() === "" || pkg.name.trim() === "") continue
      const suffix = indexSuffix(PackageKey.unsafeMake(pkg.ecosystem, pkg.name))
      const entry = index.get(suffix) ?? { ecosystem: pkg.ecosystem, name: pkg.name, ids: new Set<string>() }
      entry.ids.add(advisory.id)
      index.set(suffix, entry)
    }
  }
  return index
}

const corpus = loadCorpus()
const advisories = corpus.map((r) => r.advisory)
const index = expectedIndex(advisories)

const roundTrip = Effect.gen(function*() {
  const store = yield* AdvisoryStore
  const result = yield* store.upsertBatch(advisories, "osv")
  expect(result).toMatchObject({ received: corpus.length, inserted: corpus.length, staleIndexEntriesRemoved: 0 })
  expect(yield* store.advisoryCount).toBe(corpus.length)

  const read = yield* store.getBatch(corpus.map((r) => r.published.id))
  expect(read.length).toBe(corpus.length)
  const mismatched = read.filter((advisory, i) => !deepEqual(advisory, corpus[i]!.published)).map((a) => a.id)
  expect(mismatched).toEqual([])

  const wrong = yield* Effect.forEach(index, ([suffix, { ecosystem, ids, name }]) =>
    Effect.map(store.idsByPackage(ecosystem, name), (found) => {
      const expected = Array.from(ids).sort()
      return found.length === expected.length && found.every((id, i) => id === expected[i]) ? [] : [suffix]
    }), { concurrency: 32 })
  expect(wrong.flat()).toEqual([])

  // Full reads for a slice of packages (all of them through idsByPackage above).
  const sampled = Array.from(index.values()).filter((_, i) => i % 10 === 0)
  const complete = yield* Effect.forEach(sampled, ({ ecosystem, ids, name }) =>
    Effect.map(store.getByPackage(ecosystem, name), (found) => found.length === ids.size && found.every((a) => ids.has(a.id))), {
      concurrency: 32
    })
  expect(complete.filter((ok) => !ok).length).toBe(0)

  // Every match summary written equals the one its stored record gives back (what verify compares).
  expect(yield* store.verify()).toMatchObject({
    indexEntries: expect.any(Number),
    missingSummaries: 0,
    staleSummaries: 0,
    corruptRecords: [],
    missingAdvisories: 0
  })
})

/** Structural equality of JSON values (key order ignored). */
const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

describe("store round trip over the OSV corpus", () => {
  it("the corpus is the one described in ../shared/data/README.md", () => {
    expect(corpus.length).toBeGreaterThan(26_000)
    expect(index.size).toBeGreaterThan(5_000)
  })

  it.live("DragonflyStore", () =>
    roundTrip.pipe(Effect.provide(Layer.unwrapEffect(Effect.sync(() =>
      DragonflyStore.layer({ url: server.current().url }).pipe(
        Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix: `corpus-${process.pid}` })))
      )
    )))), 120_000)

  it.live("MemoryStore", () =>
    roundTrip.pipe(Effect.provide(MemoryStore.layerWith({ keyPrefix: `corpus-${process.pid}` }))), 120_000)

  it.live("LmdbStore", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "vulnera-corpus-lmdb-"))),
      (path) => roundTrip.pipe(Effect.provide(LmdbStore.layerWith({ path }, { keyPrefix: `corpus-${process.pid}` }))),
      (path) => Effect.sync(() => rmSync(path, { recursive: true, force: true }))
    ), 180_000)
})
