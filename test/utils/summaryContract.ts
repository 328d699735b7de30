/**
 * Store contract for match summaries (`sum:<suffix> <id>`, src/internal/store/summary.ts): written
 * with every index membership, deleted with it, expiring with the data, and never the only source
 * of an answer — a summary that is missing (Redis eviction, data written by the Rust crate) or
 * unreadable is rebuilt from the full record. Registered by `storeContract` for every backend.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import type * as Advisory from "../../src/Advisory.js"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import { makeZstd } from "../../src/Compression.js"
import * as Codec from "../../src/internal/store/storeCodec.js"
import { summaryOf } from "../../src/internal/store/summary.js"
import * as PackageKey from "../../src/PackageKey.js"
import { indexSuffix } from "../../src/internal/store/keys.js"
import * as Versions from "../../src/Versions.js"
import { loadSampleAdvisories, sampleById, variant } from "./osvFixtures.js"
import { loadQueryKindRecords } from "./queryKindsContract.js"
import { keyOf, type StoreContractOptions, StoreTestKit } from "./storeContract.js"

let counter = 0
const enc = new TextEncoder()
const dec = new TextDecoder()
const garbage = Uint8Array.from([0x00, 0xff, 0x13, 0x37])
const zstd = makeZstd(3)
const suffixOf = (ecosystem: string, name: string) => indexSuffix(PackageKey.unsafeMake(ecosystem, name))

/** Versions worth asking about for an advisory: every listed and event version, plus two no record lists. */
const versionsOf = (advisory: Advisory.Advisory): ReadonlyArray<string> => {
  const found = new Set<string>(["0.0.1", "%%"])
  for (const affected of advisory.affected ?? []) {
    for (const v of affected.versions ?? []) found.add(v)
    for (const range of affected.ranges ?? []) {
      for (const event of range.events) for (const v of Object.values(event)) if (typeof v === "string") found.add(v)
    }
  }
  return Array.from(found)
}

/** The JSON text of a stored summary value: zstd-compressed, or the text itself (it starts with `{`). */
const storedText = (value: Uint8Array) =>
  value[0] === 0x7b ? Effect.succeed(dec.decode(value)) : Effect.map(zstd.decompress(value), (raw) => dec.decode(raw))

/** Registers the summary checks for one store. */
export const summaryContract = <E>(name: string, options: StoreContractOptions<E>): void => {
  const test = options.live ? it.live : it.effect
  const encoding = options.summaryEncoding ?? "zstd"
  /** A stored value in the encoding this backend does not write. */
  const otherEncoding = (text: string) => encoding === "json" ? zstd.compress(enc.encode(text)) : Effect.succeed(enc.encode(text))
  const sample = loadSampleAdvisories()
  const records = [...sample, ...loadQueryKindRecords().values()]
  const base = sampleById(sample, "GHSA-2j2x-2gpw-g8fm")
  const withStore = <A, E2>(
    config: { readonly ttlSeconds?: number },
    body: (
      store: typeof AdvisoryStore.Service,
      keys: ReturnType<typeof keyOf>,
      kit: typeof StoreTestKit.Service
    ) => Effect.Effect<A, E2>
  ) =>
    Effect.gen(function*() {
      const kit = yield* StoreTestKit
      return yield* body(yield* AdvisoryStore, keyOf(kit.keyPrefix), kit)
    }).pipe(Effect.provide(options.makeLayer({ ...config, keyPrefix: `sc-${process.pid}-${Date.now().toString(36)}-${counter++}` })))

  describe(`${name} (match summaries)`, () => {
    test("every index membership has its summary, and evaluating it answers as the full record does", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          yield* store.upsertBatch(records, "osv")
          const queries: Array<{ ecosystem: string; name: string }> = []
          for (const advisory of records) {
            const suffixes = advisory.withdrawn === undefined ? Codec.indexSuffixes(advisory) : []
            for (const suffix of suffixes) {
              const stored = Option.getOrThrow(yield* kit.readRaw(keys.summary(suffix, advisory.id)))
              // Written as the backend says: JSON text, or a zstd frame (magic 0x28 b5 2f fd).
              expect(stored[0]).toBe(encoding === "json" ? 0x7b : 0x28)
              expect(JSON.parse(yield* storedText(stored))).toEqual(summaryOf(advisory, suffix))
            }
            for (const affected of advisory.affected ?? []) {
              if (affected.package !== undefined) {
                queries.push(affected.package, { ecosystem: affected.package.ecosystem.split(":")[0]!, name: affected.package.name })
              }
              for (const range of affected.ranges ?? []) if (range.repo !== undefined) queries.push({ ecosystem: "GIT", name: range.repo })
            }
          }
          const summaries = yield* store.getSummariesByPackages(queries)
          const full = yield* store.getByPackages(queries)
          let compared = 0
          for (let q = 0; q < queries.length; q++) {
            const listed = Either.getOrThrow(summaries[q]!)
            const complete = Either.getOrThrow(full[q]!)
            expect(listed.map((s) => s.id)).toEqual(complete.map((a) => a.id))
            const key = PackageKey.unsafeMake(queries[q]!.ecosystem, queries[q]!.name)
            for (let i = 0; i < listed.length; i++) {
              for (const version of versionsOf(complete[i]!)) {
                expect(Versions.advisoryAffects(listed[i]!, key, version)).toEqual(Versions.advisoryAffects(complete[i]!, key, version))
                compared++
              }
            }
          }
          expect(compared).toBeGreaterThan(1000)
        })))

    test("a summary text shared by several memberships (one compression, shared bytes) reads back under each", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          // Each entry applies under its variant suffix and the base `Debian` one: 4 memberships, 2 texts.
          const a = variant(base, "GHSA-ct-sum-dedup", [["Debian:11", "ct-dedup-a"], ["Debian:12", "ct-dedup-b"]])
          const queries = [["Debian:11", "ct-dedup-a"], ["Debian", "ct-dedup-a"], ["Debian:12", "ct-dedup-b"], ["Debian", "ct-dedup-b"]] as const
          yield* store.upsertBatch([a], "osv")
          const stored = yield* Effect.forEach(queries, ([ecosystem, name]) => kit.readRaw(keys.summary(suffixOf(ecosystem, name), a.id)))
          const texts = yield* Effect.forEach(stored, (value) => storedText(Option.getOrThrow(value)))
          expect(texts[0]).toEqual(texts[1])
          expect(texts[2]).toEqual(texts[3])
          expect(texts[0]).not.toEqual(texts[2])
          const read = yield* store.getSummariesByPackages(queries.map(([ecosystem, name]) => ({ ecosystem, name })))
          expect(read).toEqual(queries.map(([ecosystem, name]) => Either.right([summaryOf(a, suffixOf(ecosystem, name))])))
          queries.forEach(([ecosystem, name], i) => expect(JSON.parse(texts[i]!)).toEqual(summaryOf(a, suffixOf(ecosystem, name))))
          // Leaving one membership deletes only its key; the one that shared its bytes stays readable.
          yield* store.upsertBatch([variant(base, a.id, [["Debian:11", "ct-dedup-a"]])], "osv")
          expect(Option.isSome(yield* kit.readRaw(keys.summary(suffixOf("Debian", "ct-dedup-b"), a.id)))).toBe(false)
          expect(yield* store.getSummariesByPackages([{ ecosystem: "Debian", name: "ct-dedup-a" }, { ecosystem: "Debian", name: "ct-dedup-b" }]))
            .toEqual([Either.right([summaryOf(a, suffixOf("Debian", "ct-dedup-a"))]), Either.right([])])
        })))

    test("leaving an index deletes that summary; withdrawal and removal delete them all", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          const x = suffixOf("npm", "ct-sum-x")
          const y = suffixOf("npm", "ct-sum-y")
          const a = variant(base, "GHSA-ct-sum-1", [["npm", "ct-sum-x"], ["npm", "ct-sum-y"]])
          const present = (suffix: string) => Effect.map(kit.readRaw(keys.summary(suffix, a.id)), Option.isSome)
          yield* store.upsertBatch([a], "osv")
          expect([yield* present(x), yield* present(y)]).toEqual([true, true])
          yield* store.upsertBatch([variant(base, a.id, [["npm", "ct-sum-y"]])], "osv")
          expect([yield* present(x), yield* present(y)]).toEqual([false, true])
          yield* store.upsertBatch([{ ...a, withdrawn: "2025-01-01T00:00:00Z" }], "osv")
          expect([yield* present(x), yield* present(y)]).toEqual([false, false])
          yield* store.upsertBatch([a], "osv")
          expect(yield* store.removeAdvisory(a.id)).toBe(true)
          expect([yield* present(x), yield* present(y)]).toEqual([false, false])
          expect(yield* store.getSummariesByPackages([{ ecosystem: "npm", name: "ct-sum-x" }])).toEqual([Either.right([])])
        })))

    test("a missing, unreadable or Rust-written summary is rebuilt from the full record (and not written back)", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          const suffix = suffixOf("npm", "ct-sum-fallback")
          const [a, b, c] = [1, 2, 3].map((n) => variant(base, `GHSA-ct-sum-fb-${n}`, [["npm", "ct-sum-fallback"], ["npm", `ct-sum-other-${n}`]]))
          yield* store.upsertBatch([a!, b!, c!], "osv")
          const query = [{ ecosystem: "npm", name: "ct-sum-fallback" }]
          const before = yield* store.getSummariesByPackages(query)
          expect(before).toEqual([Either.right([a, b, c].map((x) => summaryOf(x!, suffix)))])
          // Evicted, damaged, and a record the Rust crate wrote (unmarked, `null`s) with no summary.
          yield* kit.deleteRaw(keys.summary(suffix, a!.id))
          yield* kit.writeRaw(keys.summary(suffix, b!.id), garbage)
          const json = JSON.parse(JSON.stringify(c))
          const rust = { ...json, withdrawn: null, affected: json.affected.map((x: object) => ({ ...x, versions: null })) }
          yield* kit.writeRaw(keys.data(c!.id), yield* makeZstd(3, { dictionary: "none" }).compress(enc.encode(JSON.stringify(rust))))
          yield* kit.deleteRaw(keys.summary(suffix, c!.id))
          expect(yield* store.getSummariesByPackages(query)).toEqual(before)
          expect(yield* kit.readRaw(keys.summary(suffix, a!.id))).toEqual(Option.none())
          // verify counts the memberships without a summary (not a problem: nothing to repair).
          expect(yield* store.verify()).toMatchObject({ missingSummaries: 2, missingAdvisories: 0, repaired: false })
          // A summary whose record is gone does not bring it back: the listing is cleaned.
          yield* kit.deleteRaw(keys.data(a!.id))
          expect(yield* store.getSummariesByPackages(query)).toEqual([Either.right([b, c].map((x) => summaryOf(x!, suffix)))])
          expect(yield* store.idsByPackage("npm", "ct-sum-fallback")).toEqual([b!.id, c!.id])
          // A corrupt record behind a missing summary fails the package, naming the record's key.
          yield* kit.writeRaw(keys.data(c!.id), garbage)
          expect(yield* store.getSummariesByPackages(query)).toMatchObject([Either.left({ _tag: "CorruptEntry", key: keys.data(c!.id) })])
        })))

    test("a summary stored in the other encoding (JSON text or zstd) is read, and checked by verify, like its own", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          const suffix = suffixOf("npm", "ct-sum-encoding")
          const a = variant(base, "GHSA-ct-sum-enc-1", [["npm", "ct-sum-encoding"]])
          yield* store.upsertBatch([a], "osv")
          const query = [{ ecosystem: "npm", name: "ct-sum-encoding" }]
          const own = summaryOf(a, suffix)
          // The same summary in the other encoding reads back the same.
          yield* kit.writeRaw(keys.summary(suffix, a.id), yield* otherEncoding(JSON.stringify(own)))
          expect(yield* store.getSummariesByPackages(query)).toEqual([Either.right([own])])
          expect(yield* store.verify()).toMatchObject({ staleSummaries: 0, corruptRecords: [] })
          // A different one is what is read (so it was decoded, not rebuilt from the record), and
          // verify finds that it disagrees with the record.
          const other = { id: a.id, affected: own.affected!.map((entry) => ({ ...entry, versions: ["9.9.9"] })) }
          yield* kit.writeRaw(keys.summary(suffix, a.id), yield* otherEncoding(JSON.stringify(other)))
          expect(yield* store.getSummariesByPackages(query)).toEqual([Either.right([other])])
          expect(yield* store.verify()).toMatchObject({ staleSummaries: 1 })
          // JSON text that is not a summary of this id is unreadable: rebuilt from the record.
          yield* kit.writeRaw(keys.summary(suffix, a.id), enc.encode(JSON.stringify({ ...own, id: "GHSA-ct-sum-enc-2" })))
          expect(yield* store.getSummariesByPackages(query)).toEqual([Either.right([own])])
          yield* kit.writeRaw(keys.summary(suffix, a.id), enc.encode("{not json"))
          expect(yield* store.getSummariesByPackages(query)).toEqual([Either.right([own])])
        })))

    test("verify finds summaries that disagree with a re-written record and unreadable records; repair deletes the summaries only", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          const suffix = suffixOf("npm", "ct-sum-stale")
          const fixedAt = (fixed: string): Advisory.Advisory["affected"] => [{
            package: { ecosystem: "npm", name: "ct-sum-stale" },
            ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed }] }]
          }]
          const [a, b, c] = [1, 2, 3].map((n) =>
            variant(base, `GHSA-ct-sum-st-${n}`, [["npm", "ct-sum-stale"]], { affected: fixedAt("1.0.0") })
          )
          yield* store.upsertBatch([a!, b!, c!], "osv")
          yield* store.updateSyncTimestamp("osv.npm", new Date("2025-01-01T00:00:00Z"))
          yield* store.updateSyncTimestamp("osv.PyPI", new Date("2025-01-01T00:00:00Z"))
          expect(yield* store.verify()).toMatchObject({ staleSummaries: 0, corruptRecords: [], repaired: false })
          // Another writer (the Rust crate) re-writes a's record: fixed in 99.0.0 instead of 1.0.0; the
          // summary still says what the old record said.
          const rewritten: Advisory.Advisory = { ...a!, affected: fixedAt("99.0.0") }
          yield* kit.writeRaw(keys.data(a!.id), yield* zstd.compress(enc.encode(JSON.stringify(rewritten))))
          const [listed] = yield* store.getSummariesByPackages([{ ecosystem: "npm", name: "ct-sum-stale" }])
          const trusted = Either.getOrThrow(listed!).find((s) => s.id === a!.id)!
          const key = PackageKey.unsafeMake("npm", "ct-sum-stale")
          // What makes a stale summary dangerous: it answers "not affected" where the record says affected.
          expect(Versions.advisoryAffects(rewritten, key, "98.0.0").affected).toBe(true)
          expect(Versions.advisoryAffects(trusted, key, "98.0.0").affected).toBe(false)
          // b's record becomes unreadable.
          yield* kit.writeRaw(keys.data(b!.id), garbage)
          const found = yield* store.verify()
          expect(found).toMatchObject({ staleSummaries: 1, corruptRecords: [b!.id], missingAdvisories: 0, repaired: false, resetSources: [] })
          const repaired = yield* store.verify({ repair: true })
          expect(repaired).toMatchObject({ staleSummaries: 1, corruptRecords: [b!.id], repaired: true, resetSources: ["osv.npm"] })
          // The stale summary is gone (reads rebuild it from the record); the unreadable record is kept.
          expect(yield* kit.readRaw(keys.summary(suffix, a!.id))).toEqual(Option.none())
          expect(Array.from(Option.getOrThrow(yield* kit.readRaw(keys.data(b!.id))))).toEqual(Array.from(garbage))
          expect(Option.isSome(yield* kit.readRaw(keys.summary(suffix, c!.id)))).toBe(true)
          expect(Option.isSome(yield* store.lastSync("osv.PyPI"))).toBe(true)
          yield* kit.deleteRaw(keys.data(b!.id))
          const [after] = yield* store.getSummariesByPackages([{ ecosystem: "npm", name: "ct-sum-stale" }])
          const rebuilt = Either.getOrThrow(after!).find((s) => s.id === a!.id)!
          expect(rebuilt).toEqual(summaryOf(rewritten, suffix))
          expect(Versions.advisoryAffects(rebuilt, key, "98.0.0").affected).toBe(true)
          expect(yield* store.verify()).toMatchObject({ staleSummaries: 0, corruptRecords: [], missingSummaries: 1 })
        })))

    test("getBatchEach: each id's own outcome; absent ids are left out", () =>
      withStore({}, (store, keys, kit) =>
        Effect.gen(function*() {
          const [a, b] = [1, 2].map((n) => variant(base, `GHSA-ct-each-${n}`, [["npm", "ct-each"]]))
          yield* store.upsertBatch([a!, b!], "osv")
          yield* kit.writeRaw(keys.data(b!.id), garbage)
          const found = yield* store.getBatchEach([a!.id, b!.id, "GHSA-ct-each-absent", "has space", a!.id])
          expect(Array.from(found.keys()).sort()).toEqual([a!.id, b!.id, "has space"].sort())
          expect(found.get(a!.id)).toEqual(Either.right(a))
          expect(found.get(b!.id)).toMatchObject(Either.left({ _tag: "CorruptEntry", key: keys.data(b!.id) }))
          expect(found.get("has space")).toMatchObject(Either.left({ _tag: "InvalidInput" }))
        })))

    test("summaries expire with their advisory", () =>
      withStore({ ttlSeconds: 1 }, (store, keys, kit) =>
        Effect.gen(function*() {
          const a = variant(base, "GHSA-ct-sum-ttl", [["npm", "ct-sum-ttl"]])
          yield* store.upsertBatch([a], "osv")
          expect(Option.isSome(yield* kit.readRaw(keys.summary(suffixOf("npm", "ct-sum-ttl"), a.id)))).toBe(true)
          yield* options.advanceTime(1200)
          expect(yield* kit.readRaw(keys.summary(suffixOf("npm", "ct-sum-ttl"), a.id))).toEqual(Option.none())
          expect(yield* store.getSummariesByPackages([{ ecosystem: "npm", name: "ct-sum-ttl" }])).toEqual([Either.right([])])
        })))
  })
}
