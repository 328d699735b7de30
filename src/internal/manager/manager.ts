/**
 * The manager's operations, built from the store and the sources (see `VulnerabilityManager` for
 * the documented interface). Kept apart from the public module so that one reads as the API and
 * this one as the implementation.
 */
import { Effect, Either, Option } from "effect"
import type { Advisory } from "../../Advisory.js"
import * as AdvisoryModule from "../../Advisory.js"
import type { AdvisorySource } from "../../AdvisorySource.js"
import * as AliasGroups from "../../AliasGroups.js"
import type { AdvisoryStoreShape } from "../../AdvisoryStore.js"
import type { EnrichmentData } from "../../EnrichmentData.js"
import type { EpssSourceShape } from "../../EpssSource.js"
import { NotConfigured, UnknownSource } from "../../Errors.js"
import type { AdvisoryStoreError, InvalidInput } from "../../Errors.js"
import type { KevSourceShape } from "../../KevSource.js"
import * as MatchOptions from "../../MatchOptions.js"
import type { OssIndexSourceShape } from "../../OssIndexSource.js"
import * as PackageKey from "../../PackageKey.js"
import * as Purl from "../../Purl.js"
import { retryTransient } from "../../Retry.js"
import * as Sync from "../../Sync.js"
import * as Versions from "../../Versions.js"
import type {
  Coverage,
  MatchReport,
  Options,
  PackageQuery,
  PackageResult,
  SyncStatusEntry,
  VulnerabilityManagerShape
} from "../../VulnerabilityManager.js"
import { enrichAll, enrichmentOf, loadEnrichment, withEnrichment } from "./enrich.js"
import { syncEnrichment } from "./enrichmentSync.js"
import { queryOssIndexCached } from "./ossIndexQuery.js"
import { timeQuery } from "../../Metrics.js"

/** Units that are not advisory sources but have sync timestamps. */
const enrichmentUnits = ["kev", "epss"] as const

const coveragePrefix = "osv."

/** The coverage named by sync times (`syncTimestamps` keys); units of other sources are ignored. */
const coverageOf = (timestamps: ReadonlyMap<string, Date>): Coverage => ({
  ecosystems: Array.from(timestamps.entries())
    .filter(([unit]) => unit.startsWith(coveragePrefix) && unit.length > coveragePrefix.length)
    .map(([unit, lastSync]) => ({ ecosystem: unit.slice(coveragePrefix.length), unit, lastSync }))
    .sort((a, b) => a.ecosystem.localeCompare(b.ecosystem))
})

/** The services the manager is built from. */
export interface ManagerServices {
  readonly store: AdvisoryStoreShape
  readonly kev: KevSourceShape
  readonly epss: EpssSourceShape
  readonly osv: Option.Option<AdvisorySource>
  readonly ossIndex: Option.Option<OssIndexSourceShape>
}

/** Builds the manager's operations. */
export const makeManager = (
  { epss, kev, osv, ossIndex, store }: ManagerServices,
  options: Options
): VulnerabilityManagerShape => {
  const sources: ReadonlyArray<AdvisorySource> = [...Option.toArray(osv), ...(options.sources ?? [])]

  const units: ReadonlyArray<SyncStatusEntry["unit"]> = [...sources.flatMap((s) => s.units), ...enrichmentUnits]
  const sourceOfUnit = (unit: string) =>
    sources.find((s) => s.units.includes(unit))?.name ?? unit
  /** The units a source or unit name denotes (case-insensitive); `UnknownSource` otherwise. */
  const unitsOf = (name: string): Effect.Effect<ReadonlyArray<string>, UnknownSource> => {
    const wanted = name.trim().toLowerCase()
    const source = sources.find((s) => s.name === wanted)
    if (source !== undefined) return Effect.succeed(source.units)
    if (units.includes(wanted)) return Effect.succeed([wanted])
    return Effect.fail(new UnknownSource({ source: name, known: [...sources.map((s) => s.name), ...units] }))
  }

  // An unknown ecosystem (`nmp`) is an error with a "did you mean", never "0 advisories".
  const query = (ecosystem: string, name: string) =>
    Effect.zipRight(PackageKey.validateEcosystem(ecosystem), retryTransient(store.getByPackage(ecosystem, name))).pipe(
      timeQuery("query"),
      Effect.withSpan("VulnerabilityManager.query", { attributes: { ecosystem, name } })
    )

  const queryEnriched = (ecosystem: string, name: string) =>
    Effect.flatMap(query(ecosystem, name), (advisories) => retryTransient(enrichAll(store, advisories))).pipe(
      timeQuery("queryEnriched"),
      Effect.withSpan("VulnerabilityManager.queryEnriched", { attributes: { ecosystem, name } })
    )

  /** One package's lookup with a version (single-package operations): `matchAll` of one query. */
  const matchOne = (ecosystem: string, name: string, version: string) =>
    Effect.flatMap(matchAll([{ ecosystem, name, version }]), (results) => results[0]!).pipe(timeQuery("query"))

  const matches = (ecosystem: string, name: string, version: string) =>
    Effect.map(matchOne(ecosystem, name, version), (matched) => matched.affected).pipe(
      Effect.withSpan("VulnerabilityManager.matches", { attributes: { ecosystem, name, version } })
    )

  const isValidated = (o: MatchOptions.MatchOptions | MatchOptions.MatchOptionsInput): o is MatchOptions.MatchOptions =>
    Option.isOption((o as MatchOptions.MatchOptions).minCvss) && "missingData" in o

  const validated = (input: MatchOptions.MatchOptions | MatchOptions.MatchOptionsInput) =>
    isValidated(input) ? Effect.succeed(input) : MatchOptions.make(input)

  /** The filters applied to `candidates` with the enrichment `entries` already read (plain code). */
  const applyFilters = (
    candidates: ReadonlyArray<Advisory>,
    entries: ReadonlyMap<string, EnrichmentData>,
    options: MatchOptions.MatchOptions,
    undetermined: MatchReport["undetermined"]
  ): MatchReport => {
    const advisories: Array<Advisory> = []
    const excluded: Array<MatchReport["excluded"][number]> = []
    for (const advisory of candidates) {
      const facts = MatchOptions.aggregateEnrichment(
        AdvisoryModule.cveIds(advisory).flatMap((cve) => (entries.has(cve) ? [entries.get(cve)!] : []))
      )
      const verdict = MatchOptions.passesFilters(advisory, facts, options)
      if (!verdict.pass) excluded.push({ id: advisory.id, verdict })
      else if (options.includeEnrichment) advisories.push({ ...advisory, enrichment: enrichmentOf(advisory, entries) })
      else advisories.push(advisory)
    }
    return { advisories, excluded, undetermined }
  }

  /** Enrichment of `candidates` when a filter needs it (one batched read), else none. */
  const enrichmentFor = (candidates: ReadonlyArray<Advisory>, options: MatchOptions.MatchOptions) =>
    MatchOptions.requiresEnrichment(options)
      ? retryTransient(loadEnrichment(store, candidates))
      : Effect.succeed<ReadonlyMap<string, EnrichmentData>>(new Map())

  /** Applies the filters to `candidates`, loading enrichment once when a filter needs it. */
  const filterReport = (
    candidates: ReadonlyArray<Advisory>,
    options: MatchOptions.MatchOptions,
    undetermined: MatchReport["undetermined"]
  ) => Effect.map(enrichmentFor(candidates, options), (entries) => applyFilters(candidates, entries, options, undetermined))

  const matchesWithOptions: VulnerabilityManagerShape["matchesWithOptions"] = (ecosystem, name, version, input) =>
    Effect.gen(function*() {
      const options = yield* validated(input)
      const { affected, undetermined } = yield* matchOne(ecosystem, name, version)
      return yield* filterReport(affected, options, undetermined)
    }).pipe(
      Effect.withSpan("VulnerabilityManager.matchesWithOptions", { attributes: { ecosystem, name, version } })
    )

  const queryWithOptions: VulnerabilityManagerShape["queryWithOptions"] = (ecosystem, name, input) =>
    Effect.gen(function*() {
      const options = yield* validated(input)
      return yield* filterReport(yield* query(ecosystem, name), options, [])
    }).pipe(timeQuery("queryWithOptions"), Effect.withSpan("VulnerabilityManager.queryWithOptions", { attributes: { ecosystem, name } }))

  type Lookup = Either.Either<
    { readonly key: PackageKey.PackageKey; readonly advisories: ReadonlyArray<Advisory> },
    AdvisoryStoreError | InvalidInput
  >

  /**
   * The problem with a query's input, checked in the order the single-package operations check it
   * (with a version, as `matches` does: the key, then the ecosystem; without, as `query` does), so
   * each batch answer equals theirs.
   */
  const inputProblem = ({ ecosystem, name, version }: PackageQuery) => {
    const key = PackageKey.makeEither(ecosystem, name)
    const ecosystemProblem = PackageKey.ecosystemProblem(ecosystem)
    return version === undefined
      ? ecosystemProblem ?? Either.getLeft(key).pipe(Option.getOrUndefined)
      : Either.getLeft(key).pipe(Option.getOrUndefined) ?? ecosystemProblem
  }

  /** Answers with each invalid query's problem filled in, and the indexes of the valid ones. */
  const checkInputs = <A>(queries: ReadonlyArray<PackageQuery>) => {
    const answers: Array<Either.Either<A, AdvisoryStoreError | InvalidInput>> = new Array(queries.length)
    const valid: Array<number> = []
    for (let i = 0; i < queries.length; i++) {
      const problem = inputProblem(queries[i]!)
      if (problem !== undefined) answers[i] = Either.left(problem)
      else valid.push(i)
    }
    return { answers, valid }
  }

  /** Each query's advisories (all of them, full records) from one `getByPackages` read (retried as a whole). */
  const lookupAll = (queries: ReadonlyArray<PackageQuery>): Effect.Effect<Array<Lookup>> =>
    Effect.gen(function*() {
      const { answers: lookups, valid } = checkInputs<Either.Either.Right<Lookup>>(queries)
      if (valid.length === 0) return lookups
      const answers = yield* Effect.either(retryTransient(store.getByPackages(valid.map((i) => queries[i]!))))
      for (let v = 0; v < valid.length; v++) {
        const i = valid[v]!
        const { ecosystem, name } = queries[i]!
        if (Either.isLeft(answers)) lookups[i] = Either.left(answers.left)
        else {
          lookups[i] = Either.map(answers.right[v]!, (advisories) => ({
            key: PackageKey.unsafeMake(ecosystem, name),
            advisories
          }))
        }
      }
      return lookups
    })

  type Matched = Either.Either<
    { readonly affected: ReadonlyArray<Advisory>; readonly undetermined: MatchReport["undetermined"] },
    AdvisoryStoreError | InvalidInput
  >

  /**
   * Each versioned query's advisories affecting its version and its undetermined ones, without
   * reading the records that do not matter: every package's match summaries in one
   * `getSummariesByPackages` read, the version evaluated on them (plain loops), then the full
   * records of only the advisories that match or are undetermined in one `getBatchEach` read. Each
   * candidate is evaluated again on its full record (a summary answers as its record does, so this
   * only matters when a writer changed the record in between: the answer then follows the record
   * returned). A record gone meanwhile is left out; a corrupt one fails the packages it is a
   * candidate of. Order: by id, as `getByPackage` sorts.
   */
  const matchAll = (
    queries: ReadonlyArray<{ readonly ecosystem: string; readonly name: string; readonly version: string }>
  ): Effect.Effect<Array<Matched>> =>
    Effect.gen(function*() {
      const { answers: results, valid } = checkInputs<Either.Either.Right<Matched>>(queries)
      if (valid.length === 0) return results
      const answers = yield* Effect.either(retryTransient(store.getSummariesByPackages(valid.map((i) => queries[i]!))))
      if (Either.isLeft(answers)) {
        for (const i of valid) results[i] = Either.left(answers.left)
        return results
      }
      const candidates: Array<{ readonly i: number; readonly key: PackageKey.PackageKey; readonly ids: ReadonlyArray<string> }> = []
      const wanted = new Set<string>()
      for (let v = 0; v < valid.length; v++) {
        const i = valid[v]!
        const answer = answers.right[v]!
        if (Either.isLeft(answer)) {
          results[i] = Either.left(answer.left)
          continue
        }
        const { ecosystem, name, version } = queries[i]!
        const key = PackageKey.unsafeMake(ecosystem, name)
        const ids: Array<string> = []
        for (const summary of answer.right) {
          const evaluation = Versions.advisoryAffects(summary, key, version.trim())
          if (evaluation.affected || evaluation.issues.length > 0) {
            ids.push(summary.id)
            wanted.add(summary.id)
          }
        }
        candidates.push({ i, key, ids })
      }
      const records = wanted.size === 0
        ? Either.right<ReadonlyMap<string, Either.Either<Advisory, AdvisoryStoreError>>>(new Map())
        : yield* Effect.either(retryTransient(store.getBatchEach(Array.from(wanted))))
      for (const { i, ids, key } of candidates) {
        if (Either.isLeft(records)) {
          results[i] = ids.length === 0 ? Either.right({ affected: [], undetermined: [] }) : Either.left(records.left)
          continue
        }
        const version = queries[i]!.version.trim()
        const affected: Array<Advisory> = []
        const undetermined: Array<MatchReport["undetermined"][number]> = []
        let failure: AdvisoryStoreError | undefined
        for (const id of ids) {
          const record = records.right.get(id)
          if (record === undefined) continue
          if (Either.isLeft(record)) {
            failure ??= record.left
            continue
          }
          const evaluation = Versions.advisoryAffects(record.right, key, version)
          if (evaluation.affected) affected.push(record.right)
          else if (evaluation.issues.length > 0) undetermined.push({ id, issues: evaluation.issues })
        }
        results[i] = failure === undefined ? Either.right({ affected, undetermined }) : Either.left(failure)
      }
      return results
    })

  /** Enrichment for the candidates of every successful lookup in one read; a failed read fails only those that needed it. */
  const enrichmentOfAll = (candidates: ReadonlyArray<ReadonlyArray<Advisory>>, needed: boolean) =>
    Effect.gen(function*() {
      if (!needed) return Either.right<ReadonlyMap<string, EnrichmentData>>(new Map())
      return yield* Effect.either(retryTransient(loadEnrichment(store, candidates.flat())))
    })
  const needsEntries = (advisories: ReadonlyArray<Advisory>) => advisories.some((a) => AdvisoryModule.cveIds(a).length > 0)

  const matchesWithOptionsBatch: VulnerabilityManagerShape["matchesWithOptionsBatch"] = (packages, input) =>
    Effect.gen(function*() {
      const options = yield* validated(input)
      const evaluated = yield* matchAll(packages)
      const candidates = evaluated.flatMap((e) => (Either.isRight(e) ? [e.right.affected] : []))
      const entries = yield* enrichmentOfAll(candidates, MatchOptions.requiresEnrichment(options))
      return evaluated.map((e) =>
        Either.flatMap(e, ({ affected, undetermined }): Either.Either<MatchReport, AdvisoryStoreError | InvalidInput> =>
          Either.isRight(entries)
            ? Either.right(applyFilters(affected, entries.right, options, undetermined))
            : needsEntries(affected)
            ? Either.left(entries.left)
            : Either.right(applyFilters(affected, new Map(), options, undetermined)))
      )
    }).pipe(Effect.withSpan("VulnerabilityManager.matchesWithOptionsBatch", { attributes: { packages: packages.length } }))

  const queryBatch: VulnerabilityManagerShape["queryBatch"] = (packages, batchOptions) =>
    Effect.gen(function*() {
      // With a version: summaries, then the matching records; without: every record.
      const versioned: Array<number> = []
      const plain: Array<number> = []
      packages.forEach((p, i) => (p.version === undefined ? plain : versioned).push(i))
      const found: Array<Either.Either<ReadonlyArray<Advisory>, AdvisoryStoreError | InvalidInput>> = new Array(packages.length)
      const matched = versioned.length === 0 ? [] : yield* matchAll(versioned.map((i) => ({ ...packages[i]!, version: packages[i]!.version! })))
      versioned.forEach((i, v) => (found[i] = Either.map(matched[v]!, (m) => m.affected)))
      const looked = plain.length === 0 ? [] : yield* lookupAll(plain.map((i) => packages[i]!))
      plain.forEach((i, v) => (found[i] = Either.map(looked[v]!, (l) => l.advisories)))
      const enriched = batchOptions?.enriched === true
      const entries = yield* enrichmentOfAll(found.flatMap((f) => (Either.isRight(f) ? [f.right] : [])), enriched)
      const results = found.map((f, i): PackageResult => {
        const query_ = packages[i]!
        const answer = Either.flatMap(f, (advisories): Either.Either<ReadonlyArray<Advisory>, AdvisoryStoreError | InvalidInput> => {
          if (!enriched || advisories.length === 0) return Either.right(advisories)
          if (Either.isLeft(entries)) return needsEntries(advisories) ? Either.left(entries.left) : Either.right(withEnrichment(advisories, new Map()))
          return Either.right(withEnrichment(advisories, entries.right))
        })
        return Either.isRight(answer)
          ? { _tag: "Success", query: query_, advisories: answer.right }
          : {
            _tag: "Failure",
            query: query_,
            error: answer.left,
            retryable: "retryable" in answer.left && answer.left.retryable === true
          }
      })
      const failed = results.filter((r) => r._tag === "Failure").length
      return { results, total: results.length, succeeded: results.length - failed, failed }
    }).pipe(timeQuery("queryBatch"), Effect.withSpan("VulnerabilityManager.queryBatch", { attributes: { packages: packages.length } }))

  const syncStatus = retryTransient(store.syncTimestamps).pipe(
    Effect.map((timestamps) => {
      const known = new Set([...units, ...timestamps.keys()])
      return Array.from(known).sort().map((unit): SyncStatusEntry => ({
        source: sourceOfUnit(unit),
        unit,
        lastSync: Option.fromNullable(timestamps.get(unit))
      }))
    }),
    Effect.withSpan("VulnerabilityManager.syncStatus")
  )

  const healthCheck = Effect.gen(function*() {
    const health = yield* store.healthCheck
    const sync = health.status === "Unavailable" ? [] : yield* Effect.orElseSucceed(syncStatus, () => [])
    return { store: health, sync }
  }).pipe(Effect.withSpan("VulnerabilityManager.healthCheck"))

  const resetSync = (source: string) =>
    Effect.flatMap(unitsOf(source), (list) =>
      Effect.map(
        Effect.forEach(list, (unit) => retryTransient(store.resetSyncTimestamp(unit))),
        (removed) => removed.filter(Boolean).length
      )).pipe(Effect.withSpan("VulnerabilityManager.resetSync", { attributes: { source } }))

  const lastSync = (source: string) =>
    Effect.flatMap(unitsOf(source), (list) =>
      Effect.map(Effect.forEach(list, (unit) => retryTransient(store.lastSync(unit))), (times) =>
        times.some(Option.isNone) || times.length === 0
          ? Option.none<Date>()
          : Option.some(new Date(times.reduce((min, t) => Math.min(min, Option.getOrThrow(t).getTime()), Infinity)))))

  const queryOssIndex: VulnerabilityManagerShape["queryOssIndex"] = (purls) =>
    (Option.isNone(ossIndex)
      ? Effect.fail<NotConfigured | AdvisoryStoreError>(
        new NotConfigured({
          feature: "OSS Index",
          detail: "provide OssIndexSource (e.g. OssIndexSource.layerConfig()) to the manager's layer"
        })
      )
      : queryOssIndexCached(store, ossIndex.value, purls)).pipe(Effect.withSpan("VulnerabilityManager.queryOssIndex", { attributes: { purls: purls.length } }))

  const invalidateOssIndexCache: VulnerabilityManagerShape["invalidateOssIndexCache"] = (purls) =>
    Effect.flatMap(Effect.forEach(purls, Purl.normalize), (canonicals) =>
      Effect.map(
        Effect.forEach(Array.from(new Set(canonicals)), (c) => retryTransient(store.invalidateOssIndexCache(c))),
        (removed) => removed.filter(Boolean).length
      )).pipe(Effect.withSpan("VulnerabilityManager.invalidateOssIndexCache"))

  const runEnrichment = (cves: ReadonlyArray<string>) => syncEnrichment(store, kev, epss, cves)

  return {
    store,
    sources,
    healthCheck,
    query,
    queryEnriched,
    matches,
    matchesWithOptions,
    matchesWithOptionsBatch,
    queryWithOptions,
    queryBatch,
    queryGrouped: (ecosystem, name) => Effect.map(query(ecosystem, name), AliasGroups.group),
    queryOssIndex,
    invalidateOssIndexCache,
    invalidateAllOssIndexCache: retryTransient(store.invalidateAllOssIndexCache).pipe(
      Effect.withSpan("VulnerabilityManager.invalidateAllOssIndexCache")
    ),
    syncAll: (syncOptions) => Sync.syncAll(store, sources, syncOptions),
    syncAllStream: (syncOptions) => Sync.syncAllStream(store, sources, syncOptions),
    syncEnrichment: runEnrichment([]),
    syncEnrichmentWithCves: (cves) =>
      Effect.flatMap(Effect.forEach(cves, (cve) => AdvisoryModule.validateCve(cve)), runEnrichment),
    isKev: (cve) =>
      Effect.flatMap(AdvisoryModule.validateCve(cve), (valid) =>
        Effect.map(retryTransient(store.getEnrichment(valid)), (entry) =>
          Option.match(entry, { onNone: () => false, onSome: (e) => e.isKev }))).pipe(
          Effect.withSpan("VulnerabilityManager.isKev", { attributes: { cve } })
        ),
    resetSync,
    resetAllSyncs: retryTransient(store.resetAllSyncTimestamps).pipe(
      Effect.withSpan("VulnerabilityManager.resetAllSyncs")
    ),
    lastSync,
    syncStatus,
    coverage: retryTransient(store.syncTimestamps).pipe(
      Effect.map(coverageOf),
      Effect.withSpan("VulnerabilityManager.coverage")
    )
  } satisfies VulnerabilityManagerShape
}
