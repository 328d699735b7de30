/**
 * Writing match summaries (src/internal/store/summary.ts `compress`): each distinct summary text of
 * a write chunk is compressed once and its bytes stored under every membership it applies to (an
 * entry of `Debian:11` is summarized identically under `Debian:11` and the base `Debian`), and the
 * stored bytes decompress to each membership's own summary. Read-back on every backend is in the
 * store contract (test/utils/summaryContract.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { CompressionShape } from "../src/Compression.js"
import { makeZstd } from "../src/Compression.js"
import { makeMemoryDriver } from "../src/internal/store/memoryDriver.js"
import * as Codec from "../src/internal/store/storeCodec.js"
import { makeSummaryStore, summaryOf } from "../src/internal/store/summary.js"
import { loadSampleAdvisories, variant } from "./utils/osvFixtures.js"

const zstd = makeZstd(3)
const dec = new TextDecoder()

/** zstd, counting the values it compresses. */
const counting = () => {
  const counter = { values: 0 }
  const codec: CompressionShape = {
    ...zstd,
    compressAll: (data) => Effect.suspend(() => {
      counter.values += data.length
      return zstd.compressAll(data)
    })
  }
  return { codec, counter }
}

describe("summary compression", () => {
  it.effect("compresses each distinct text once and gives every membership its own summary", () =>
    Effect.gen(function*() {
      const sample = loadSampleAdvisories()
      const shared = variant(sample[0]!, "GHSA-sc-dedup-1", [["Debian:11", "dedup-a"], ["Debian:12", "dedup-b"], ["npm", "dedup-c"]])
      const records = [shared, ...sample]
      const prepared = yield* Effect.forEach(records, Codec.prepareAdvisory)
      const { codec, counter } = counting()
      const summaries = yield* makeSummaryStore(makeMemoryDriver("sc").driver, codec).compress(prepared)
      let memberships = 0
      const distinct = new Set<string>()
      for (let a = 0; a < prepared.length; a++) {
        const p = prepared[a]!
        expect(summaries[a]!.length).toBe(p.suffixes.length)
        for (let s = 0; s < p.suffixes.length; s++) {
          const text = dec.decode(yield* zstd.decompress(summaries[a]![s]!))
          expect(JSON.parse(text)).toEqual(summaryOf(p.advisory, p.suffixes[s]!))
          distinct.add(text)
          memberships++
        }
      }
      // The Debian variants' summaries equal their base's: 5 memberships, 3 texts for `shared`.
      expect(prepared[0]!.suffixes.length).toBe(5)
      expect(new Set(summaries[0]!).size).toBe(3)
      expect(counter.values).toBe(distinct.size)
      expect(counter.values).toBeLessThan(memberships)
    }))
})
