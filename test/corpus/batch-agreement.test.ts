/**
 * The batch read path against the per-package one, on every record of $VULNERA_DATA_DIR/osv in
 * the memory store: for a large, evenly spread sample of the (package, version) pairs the corpus'
 * `affected.versions` lists give (plus a version no record lists, per package), the answers of
 * `matchesWithOptionsBatch` (what `vulnera scan` uses) and `queryBatch` must equal those of
 * `matchesWithOptions` and `matches` called one package at a time — affected, undetermined and
 * excluded alike, enrichment included. Then, for every package (up to 40 of its versions), evaluating the store's match summaries
 * (`getSummariesByPackages`) gives exactly what evaluating the full records (`getByPackages`) gives,
 * and the manager's answers equal the full-record evaluation.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { Effect, Either, Layer } from "effect"
import type * as Advisory from "../../src/Advisory.js"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import * as Compression from "../../src/Compression.js"
import * as MatchOptions from "../../src/MatchOptions.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as PackageKey from "../../src/PackageKey.js"
import * as StoreConfig from "../../src/StoreConfig.js"
import * as Node from "../../src/node.js"
import * as Versions from "../../src/Versions.js"
import * as VulnerabilityManager from "../../src/VulnerabilityManager.js"

const osvDir = join(process.env.VULNERA_DATA_DIR ?? "../shared/data", "osv")
/** Pairs compared one at a time (each a full single-package read; the batch reads them all at once). */
const sampleSize = 3000

const corpus: Array<Advisory.Advisory> = readdirSync(osvDir)
  .filter((file) => file.endsWith(".jsonl.gz"))
  .sort()
  .flatMap((file) => gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n").filter((l) => l.trim() !== ""))
  .map((line) => JSON.parse(line) as Advisory.Advisory)

/** Every (ecosystem, name, version) of the versions lists, then one unlisted version per package. */
const allPairs = (() => {
  const pairs: Array<{ ecosystem: string; name: string; version: string }> = []
  const packages = new Map<string, { ecosystem: string; name: string }>()
  for (const advisory of corpus) {
    for (const affected of advisory.affected ?? []) {
      const pkg = affected.package
      if (!pkg || pkg.ecosystem.trim() === "" || pkg.name.trim() === "") continue
      packages.set(`${pkg.ecosystem}\u0000${pkg.name}`, pkg)
      for (const version of affected.versions ?? []) pairs.push({ ecosystem: pkg.ecosystem, name: pkg.name, version })
    }
  }
  for (const pkg of packages.values()) pairs.push({ ...pkg, version: "0.0.0-vulnera-unlisted" })
  // Versions no ordering can parse, for undetermined answers.
  for (const pkg of Array.from(packages.values()).filter((_, i) => i % 50 === 0)) pairs.push({ ...pkg, version: "%%" })
  return pairs
})()
/**
 * For the summary check: per package at most `perPackage` of its pairs, evenly spread, and always
 * its last two (its unlisted version, and the unparseable one where it has one). Every package is
 * covered; the cap keeps the few packages with thousands of listed versions and advisories (the
 * Linux kernel) from making the check quadratic.
 */
const perPackage = 40
const summaryPairs = (() => {
  const byPackage = new Map<string, Array<(typeof allPairs)[number]>>()
  for (const pair of allPairs) {
    const id = `${pair.ecosystem}\u0000${pair.name}`
    const list = byPackage.get(id) ?? []
    list.push(pair)
    byPackage.set(id, list)
  }
  return Array.from(byPackage.values()).flatMap((list) => {
    if (list.length <= perPackage) return list
    const stride = list.length / perPackage
    const picked = Array.from({ length: perPackage - 2 }, (_, i) => list[Math.floor(i * stride)]!)
    return [...picked, ...list.slice(-2)]
  })
})()
const step = Math.max(1, Math.floor(allPairs.length / sampleSize))
const sample = allPairs.filter((_, i) => i % step === 0)

const layer = VulnerabilityManager.layer().pipe(
  Layer.provideMerge(MemoryStore.layer.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer())))),
  Layer.provide(Node.sourcesLayerFromEnv({})),
  Layer.orDie
)

describe("batch reads agree with single-package reads on the corpus (memory store)", () => {
  it.effect(`${sample.length} sampled (package, version) pairs of ${allPairs.length}`, () =>
    Effect.gen(function*() {
      expect(corpus.length).toBeGreaterThan(1000)
      const store = yield* AdvisoryStore
      yield* store.upsertBatch(corpus, "osv")
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const options = MatchOptions.withEnrichment

      const batch = yield* manager.matchesWithOptionsBatch(sample, options)
      const queried = yield* manager.queryBatch(sample)
      const differing: Array<string> = []
      let affected = 0
      let undetermined = 0
      for (let i = 0; i < sample.length; i++) {
        const { ecosystem, name, version } = sample[i]!
        const single = yield* Effect.either(manager.matchesWithOptions(ecosystem, name, version, options))
        const singleMatches = yield* Effect.either(manager.matches(ecosystem, name, version))
        const fromBatch = queried.results[i]!
        const sameQuery = fromBatch._tag === "Success"
          ? Either.isRight(singleMatches) && JSON.stringify(fromBatch.advisories) === JSON.stringify(singleMatches.right)
          : Either.isLeft(singleMatches) && fromBatch.error._tag === singleMatches.left._tag
        if (JSON.stringify(batch[i]) !== JSON.stringify(single) || !sameQuery) differing.push(`${ecosystem}/${name}@${version}`)
        if (Either.isRight(single)) {
          affected += single.right.advisories.length
          undetermined += single.right.undetermined.length
        }
      }
      expect(differing).toEqual([])
      // The sample exercises real matches, not only empty answers.
      expect(affected).toBeGreaterThan(sample.length / 2)
      expect(undetermined + affected).toBeGreaterThan(0)

      // Summary-based matching (what the manager now does) against matching every full record (what
      // it did before summaries), for every package (up to `perPackage` versions each): the same
      // advisories, the same undetermined issues.
      const packages = Array.from(new Map(allPairs.map((p) => [`${p.ecosystem}\u0000${p.name}`, p])).values())
      const slot = new Map(packages.map((p, i) => [`${p.ecosystem}\u0000${p.name}`, i]))
      expect(new Set(summaryPairs.map((p) => `${p.ecosystem}\u0000${p.name}`)).size).toBe(packages.length)
      const full = yield* store.getByPackages(packages)
      const summaries = yield* store.getSummariesByPackages(packages)
      const verdicts = (advisories: ReadonlyArray<Advisory.Advisory>, key: PackageKey.PackageKey, version: string) =>
        advisories.flatMap((a) => {
          const evaluation = Versions.advisoryAffects(a, key, version)
          return evaluation.affected || evaluation.issues.length > 0 ? [{ id: a.id, evaluation }] : []
        })
      const disagreeing: Array<string> = []
      for (const pair of summaryPairs) {
        const i = slot.get(`${pair.ecosystem}\u0000${pair.name}`)!
        const key = PackageKey.unsafeMake(pair.ecosystem, pair.name)
        const fromRecords = verdicts(Either.getOrThrow(full[i]!), key, pair.version)
        const fromSummaries = verdicts(Either.getOrThrow(summaries[i]!), key, pair.version)
        if (JSON.stringify(fromRecords) !== JSON.stringify(fromSummaries)) disagreeing.push(`${pair.ecosystem}/${pair.name}@${pair.version}`)
      }
      expect(disagreeing).toEqual([])
      // And the manager's batch answers equal the full-record evaluation on the sample.
      for (let i = 0; i < sample.length; i++) {
        const { ecosystem, name, version } = sample[i]!
        const expected = verdicts(Either.getOrThrow(full[slot.get(`${ecosystem}\u0000${name}`)!]!), PackageKey.unsafeMake(ecosystem, name), version.trim())
        const report = Either.getOrThrow(batch[i]!)
        expect([...report.advisories.map((a) => a.id), ...report.excluded.map((e) => e.id)].sort()).toEqual(
          expected.filter((v) => v.evaluation.affected).map((v) => v.id).sort()
        )
        expect(report.undetermined).toEqual(
          expected.filter((v) => !v.evaluation.affected).map((v) => ({ id: v.id, issues: v.evaluation.issues }))
        )
      }
    }).pipe(Effect.provide(layer)), 600_000)
})
