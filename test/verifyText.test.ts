/**
 * `vulnera verify`'s text and exit rule (src/cli/run/verify.ts) for the problems verify finds:
 * dangling references, stale match summaries and unreadable records, before and after `--repair`.
 * The reports come from a real store (the memory store, driven through its raw access), so the
 * text is checked against what verify actually returns.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type * as Advisory from "../src/Advisory.js"
import { AdvisoryStore } from "../src/AdvisoryStore.js"
import { makeZstd } from "../src/Compression.js"
import { problemsRemain, verifyText } from "../src/cli/run/verify.js"
import * as MemoryStore from "../src/MemoryStore.js"
import { keyOf } from "./utils/storeContract.js"
import { loadSampleAdvisories, sampleById, variant } from "./utils/osvFixtures.js"

const base = sampleById(loadSampleAdvisories(), "GHSA-2j2x-2gpw-g8fm")
const display = { kind: "memory", display: "in-memory store" } as const
const affectedBelow = (fixed: string): Advisory.Advisory["affected"] => [{
  package: { ecosystem: "npm", name: "vt-pkg" },
  ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed }] }]
}]

describe("vulnera verify: text and exit rule", () => {
  it.effect("a clean store: no problems, exit 0", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      yield* store.upsertBatch([variant(base, "GHSA-vt-clean", [["npm", "vt-pkg"]])], "osv")
      const report = yield* store.verify()
      expect(problemsRemain(report)).toBe(false)
      expect(verifyText(report, display)).toContain("no problems found")
    }).pipe(Effect.provide(MemoryStore.layerWith({ keyPrefix: "vt-clean" }))))

  it.effect("a stale summary and an unreadable record: named, exit 1; after --repair: exit 0, and what was done", () =>
    Effect.gen(function*() {
      const store = yield* AdvisoryStore
      const raw = yield* MemoryStore.TestKit
      const keys = keyOf(raw.keyPrefix)
      const [a, b] = ["GHSA-vt-stale", "GHSA-vt-corrupt"].map((id) =>
        variant(base, id, [["npm", "vt-pkg"]], { affected: affectedBelow("1.0.0") })
      )
      yield* store.upsertBatch([a!, b!], "osv")
      yield* store.updateSyncTimestamp("osv.npm", new Date("2025-01-01T00:00:00Z"))
      const rewritten = { ...a!, affected: affectedBelow("2.0.0") }
      yield* raw.writeRaw(keys.data(a!.id), yield* makeZstd(3).compress(new TextEncoder().encode(JSON.stringify(rewritten))))
      yield* raw.writeRaw(keys.data(b!.id), Uint8Array.from([1, 2, 3]))

      const found = yield* store.verify()
      expect(problemsRemain(found)).toBe(true)
      const text = verifyText(found, display)
      expect(text).toContain("1 match summaries disagree with their records")
      expect(text).toContain("a query can miss an advisory")
      expect(text).toContain(`1 stored records cannot be read (${b!.id})`)
      expect(text).not.toContain("no problems found")

      const repaired = yield* store.verify({ repair: true })
      expect(problemsRemain(repaired)).toBe(false)
      const after = verifyText(repaired, display)
      expect(after).toContain("1 match summaries disagreed with their records (re-written by another writer?) and were deleted")
      expect(after).toContain("they are kept, and sync times were cleared for osv.npm")
      expect(Option.isNone(yield* store.lastSync("osv.npm"))).toBe(true)
    }).pipe(Effect.provide(MemoryStore.layerWith({ keyPrefix: "vt-stale" }))))
})
