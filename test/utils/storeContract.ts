/**
 * The AdvisoryStore contract suite: ONE set of tests that every store implementation passes
 * unchanged (MemoryStore in test/MemoryStore.test.ts, DragonflyStore in test/DragonflyStore.test.ts).
 *
 * Exported API (stable — other test files depend on it):
 *
 * - `StoreTestKit` (Tag) / `StoreTestKitShape`: the driver-level hook a store's test file provides next
 *   to `AdvisoryStore`: `keyPrefix` (the prefix the store writes under) and `writeRaw(key, bytes)`
 *   (replace the raw bytes stored at a full key, bypassing compression and encoding, keeping the
 *   key's TTL — Redis: `SET key bytes KEEPTTL`). The suite uses it to plant corrupt values.
 * - `keyOf(prefix)`: the shared key layout (.notes/STORE.md) — `data(id)`, `index(eco, name)`,
 *   `enrichment(cve)`, `meta(source)`, `ossIndex(canonicalPurl)`; `CorruptEntry.key` must equal these.
 * - `storeContract(name, options)`: registers the suite (a `describe` block). `options.makeLayer(config)`
 *   builds a FRESH store for one test; the suite always passes a unique `keyPrefix` (so tests never
 *   share keys) and sometimes `ttlSeconds` / `ossIndexTtlSeconds` (1 s in expiry tests).
 *   `options.advanceTime(ms)` makes store time pass (memory: `TestClock.adjust`; Redis: a real sleep);
 *   `options.live` selects `it.live` (real clock, needed with a real server) instead of `it.effect`
 *   (TestClock). The expiry tests sleep about 1.2 s each in live mode; only three of them do.
 * - `loadSampleAdvisories()`: the real OSV sample in test/fixtures/osv/sample.jsonl, decoded.
 *
 * Example (Redis side):
 *   storeContract("DragonflyStore", {
 *     makeLayer: (config) => DragonflyStore.layerWithTestKit(...config...),
 *     advanceTime: (ms) => Effect.sleep(ms),
 *     live: true
 *   })
 */
import { describe, expect, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { Context, Effect, type Layer } from "effect"
import * as Advisory from "../../src/Advisory.js"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import type { StoreConfigShape } from "../../src/StoreConfig.js"

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
}

/** The test kit service each store's test file provides next to `AdvisoryStore`. */
export class StoreTestKit extends Context.Tag("vulnera-test/StoreTestKit")<StoreTestKit, StoreTestKitShape>() {}

/** The shared key layout of .notes/STORE.md (index names already normalized by the caller). */
export const keyOf = (prefix: string) => ({
  data: (id: string) => `${prefix}:data:${id}`,
  index: (suffix: string) => `${prefix}:idx:${suffix}`,
  enrichment: (cve: string) => `${prefix}:enrich:${cve}`,
  meta: (source: string) => `${prefix}:meta:${source}`,
  ossIndex: (canonicalPurl: string) => `${prefix}:ossidx:${createHash("sha256").update(canonicalPurl).digest("hex")}`
})

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
}

const fixtureUrl = new URL("../fixtures/osv/sample.jsonl", import.meta.url)

/** The real OSV sample (test/fixtures/osv/sample.jsonl), decoded. */
export const loadSampleAdvisories = (): ReadonlyArray<Advisory.Advisory> =>
  readFileSync(fixtureUrl, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => Effect.runSync(Advisory.decodeUnknown(JSON.parse(line))))

let prefixCounter = 0
const uniquePrefix = () => `ct-${process.pid}-${Date.now().toString(36)}-${prefixCounter++}`

/** Registers the contract suite for one store implementation. */
export const storeContract = <E>(name: string, options: StoreContractOptions<E>): void => {
  const test = options.live ? it.live : it.effect
  const withStore = <A, E2>(
    config: Partial<StoreConfigShape>,
    body: Effect.Effect<A, E2, AdvisoryStore | StoreTestKit>
  ) => Effect.provide(body, options.makeLayer({ ...config, keyPrefix: uniquePrefix() }))

  describe(`${name} (store contract)`, () => {
    test("stores and reads back an advisory by id", () =>
      withStore({}, Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const [advisory] = loadSampleAdvisories()
        yield* store.storeAdvisory(advisory!, "test")
        const read = yield* store.getAdvisory(advisory!.id)
        expect(read._tag).toBe("Some")
      })))
  })
}
