/**
 * The decoded-value cache of the store core (internal/store/decode.ts): hits only on the exact
 * stored bytes, least-recently-used eviction between read batches, and the scan-resistant rule
 * inside one batch (a batch naming more values than the capacity keeps the first `capacity` it
 * cached instead of evicting its own entries), so a repeated large batch hits `capacity` values.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Advisory } from "../src/Advisory.js"
import { DecodedCache } from "../src/internal/store/decode.js"

const bytesOf = (n: number) => new TextEncoder().encode(`value-${n}`)
const advisoryOf = (n: number): Advisory => ({ id: `GHSA-test-${n}` })
const key = (n: number) => `data:${n}`

/** Reads `values` as one batch: a hit counts, a miss is "decoded" and offered to the cache. */
const readBatch = (cache: DecodedCache, values: ReadonlyArray<number>) => {
  cache.startBatch()
  let hits = 0
  for (const n of values) {
    if (cache.get(key(n), bytesOf(n)) !== undefined) hits++
    else cache.set(key(n), bytesOf(n), advisoryOf(n))
  }
  return hits
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe("DecodedCache", () => {
  it("serves a value only for the exact bytes it was decoded from", () => {
    const cache = new DecodedCache(4)
    cache.set(key(1), bytesOf(1), advisoryOf(1))
    expect(cache.get(key(1), bytesOf(1))).toEqual(advisoryOf(1))
    expect(cache.get(key(1), bytesOf(2))).toBeUndefined()
    expect(cache.get(key(2), bytesOf(1))).toBeUndefined()
  })

  it("evicts the least recently used entry between batches (plain LRU)", () => {
    const cache = new DecodedCache(2)
    expect(readBatch(cache, [1, 2])).toBe(0)
    expect(readBatch(cache, [1])).toBe(1) // 1 is now the most recently used
    expect(readBatch(cache, [3])).toBe(0) // evicts 2, an entry of an earlier batch
    expect(readBatch(cache, [1, 3, 2])).toBe(2)
  })

  it("a repeated batch larger than the cache hits `capacity` values instead of none", () => {
    const cache = new DecodedCache(100)
    const batch = range(0, 250)
    expect(readBatch(cache, batch)).toBe(0)
    for (let round = 0; round < 3; round++) expect(readBatch(cache, batch)).toBe(100)
    // Plain LRU would have evicted each entry before its next use: 0 hits every round.
  })

  it("a new batch may evict an earlier batch's entries", () => {
    const cache = new DecodedCache(100)
    readBatch(cache, range(0, 250))
    expect(readBatch(cache, range(1000, 1250))).toBe(0)
    expect(readBatch(cache, range(1000, 1250))).toBe(100)
    expect(readBatch(cache, range(0, 100))).toBe(0)
  })

  it("admits says whether `set` would keep a value (callers skip copying bytes it would not keep)", () => {
    const cache = new DecodedCache(2)
    cache.startBatch()
    expect(cache.admits(key(1))).toBe(true)
    cache.set(key(1), bytesOf(1), advisoryOf(1))
    cache.set(key(2), bytesOf(2), advisoryOf(2))
    expect(cache.admits(key(3))).toBe(false)
    expect(cache.admits(key(1))).toBe(true) // a key it holds is replaced, nothing evicted
    cache.startBatch()
    expect(cache.admits(key(3))).toBe(true)
    expect(new DecodedCache(0).admits(key(1))).toBe(false)
  })

  it("a value that changed in a full batch replaces its old entry rather than leaving it", () => {
    const cache = new DecodedCache(1)
    cache.startBatch()
    cache.set(key(1), bytesOf(1), advisoryOf(1))
    cache.set(key(1), bytesOf(11), advisoryOf(11))
    expect(cache.get(key(1), bytesOf(11))).toEqual(advisoryOf(11))
    expect(cache.get(key(1), bytesOf(1))).toBeUndefined()
  })
})
