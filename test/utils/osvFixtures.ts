/**
 * Real OSV advisories for tests (test/fixtures/osv/sample.jsonl, see test/fixtures/README.md) and
 * variants derived from them (new ids, other packages), so tests exercise real documents.
 */
import { readFileSync } from "node:fs"
import { Effect } from "effect"
import * as Advisory from "../../src/Advisory.js"

const sampleUrl = new URL("../fixtures/osv/sample.jsonl", import.meta.url)

/** The sample's lines, as published (compact JSON, one document per line). */
export const sampleLines = (): ReadonlyArray<string> =>
  readFileSync(sampleUrl, "utf8").split("\n").filter((line) => line.trim() !== "")

/** The sample, decoded. */
export const loadSampleAdvisories = (): ReadonlyArray<Advisory.Advisory> =>
  sampleLines().map((line) => Effect.runSync(Advisory.decodeUnknown(JSON.parse(line))))

/** The sample advisory with this id (throws when the fixture lacks it: a broken test, not a store bug). */
export const sampleById = (sample: ReadonlyArray<Advisory.Advisory>, id: string): Advisory.Advisory => {
  const found = sample.find((a) => a.id === id)
  if (found === undefined) throw new Error(`fixture advisory ${id} not in test/fixtures/osv/sample.jsonl`)
  return found
}

/**
 * A copy of a real advisory under a new id, affecting exactly the given (ecosystem, name) packages
 * (each with an `introduced: 0` range); `extra` overrides top-level fields.
 */
export const variant = (
  base: Advisory.Advisory,
  id: string,
  packages: ReadonlyArray<readonly [ecosystem: string, name: string]>,
  extra: Partial<Advisory.Advisory> = {}
): Advisory.Advisory => ({
  ...base,
  id,
  affected: packages.map(([ecosystem, name]) => ({
    package: { ecosystem, name },
    ranges: [{ type: "ECOSYSTEM" as const, events: [{ introduced: "0" }] }]
  })),
  ...extra
})
