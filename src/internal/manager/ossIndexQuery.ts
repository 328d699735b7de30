/**
 * `queryOssIndex`: cache-aside OSS Index lookups. PURLs are canonicalized (packageurl-js), cached
 * answers are read in one batched round trip, misses go to OSS Index (the source sends at most 128
 * coordinates per request), and every answered PURL is cached, "no vulnerabilities" included.
 * Results are what OSS Index reported for that exact coordinate: nothing is re-filtered (the Rust
 * crate re-checked versions with its SemVer matcher and cached empty lists instead).
 */
import { Effect, Metric, Option } from "effect"
import type { Advisory } from "../../Advisory.js"
import type { AdvisoryStoreShape } from "../../AdvisoryStore.js"
import type { AdvisoryStoreError, InvalidInput, SourceError } from "../../Errors.js"
import { DecodeError } from "../../Errors.js"
import * as OssIndexSourceModule from "../../OssIndexSource.js"
import * as Purl from "../../Purl.js"
import { retryTransient } from "../../Retry.js"
import { ossIndexCacheHits, ossIndexCacheMisses } from "../../Metrics.js"

/**
 * One PURL's answer in `queryOssIndex`, in input order:
 * - `Found`: the advisories OSS Index reports for it (possibly none), from the cache or fresh;
 * - `Invalid`: the PURL did not parse (the other PURLs are still answered);
 * - `Failed`: OSS Index could not answer for it (after retries); nothing was cached for it.
 *
 * @since 0.1.0
 * @category Models
 */
export type OssIndexResult =
  | {
    readonly _tag: "Found"
    readonly purl: string
    readonly canonical: string
    readonly advisories: ReadonlyArray<Advisory>
    readonly fromCache: boolean
  }
  | { readonly _tag: "Invalid"; readonly purl: string; readonly error: InvalidInput }
  | {
    readonly _tag: "Failed"
    readonly purl: string
    readonly canonical: string
    readonly error: SourceError | DecodeError
  }

/** Answers `purls` from the cache and OSS Index; per-PURL problems are per-PURL results. */
export const queryOssIndexCached = (
  store: AdvisoryStoreShape,
  source: OssIndexSourceModule.OssIndexSourceShape,
  purls: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<OssIndexResult>, AdvisoryStoreError> =>
  Effect.gen(function*() {
    const parsed = yield* Effect.forEach(purls, (purl) => Effect.either(Purl.normalize(purl)))
    const canonicals = Array.from(new Set(parsed.flatMap((p) => (p._tag === "Right" ? [p.right] : []))))
    const cached = canonicals.length === 0
      ? new Map<string, never>()
      : yield* retryTransient(store.getOssIndexCacheBatch(canonicals))
    const misses = canonicals.filter((c) => !cached.has(c))
    yield* Metric.incrementBy(ossIndexCacheHits, canonicals.length - misses.length)
    yield* Metric.incrementBy(ossIndexCacheMisses, misses.length)
    const fresh = new Map<string, ReadonlyArray<Advisory>>()
    const failed = new Map<string, SourceError | DecodeError>()
    if (misses.length > 0) {
      // Canonical PURLs always parse again, so the source's InvalidInput cannot happen here.
      const result = yield* Effect.orDie(source.componentReports(misses))
      for (const failure of result.failures) {
        for (const coordinates of failure.coordinates) failed.set(coordinates, failure.error)
      }
      for (const report of result.reports) {
        const canonical = yield* Effect.option(Purl.normalize(report.coordinates))
        if (Option.isSome(canonical)) fresh.set(canonical.value, OssIndexSourceModule.toAdvisories(report))
      }
      for (const malformed of result.malformed) {
        const canonical = malformed.coordinates === undefined
          ? Option.none<string>()
          : yield* Effect.option(Purl.normalize(malformed.coordinates))
        if (Option.isSome(canonical)) {
          failed.set(canonical.value, new DecodeError({ source: "OSS Index", detail: malformed.reason }))
        }
      }
      // A coordinate whose request succeeded but that has no report has no known vulnerabilities.
      for (const c of misses) if (!failed.has(c) && !fresh.has(c)) fresh.set(c, [])
      for (const c of failed.keys()) fresh.delete(c)
      if (fresh.size > 0) yield* retryTransient(store.storeOssIndexCacheBatch(Array.from(fresh)))
    }
    return parsed.map((p, i): OssIndexResult => {
      const purl = purls[i]!
      if (p._tag === "Left") return { _tag: "Invalid", purl, error: p.left }
      const canonical = p.right
      const hit = cached.get(canonical)
      if (hit !== undefined) return { _tag: "Found", purl, canonical, advisories: hit.advisories, fromCache: true }
      const error = failed.get(canonical)
      if (error !== undefined) return { _tag: "Failed", purl, canonical, error }
      return { _tag: "Found", purl, canonical, advisories: fresh.get(canonical) ?? [], fromCache: false }
    })
  })
