/**
 * Attaching stored enrichment to advisories at query time: one batched read for all CVEs of all
 * advisories (no network call, no per-CVE round trip), then per advisory the highest EPSS of its
 * CVEs (with that CVE's percentile and date), KEV if any of its CVEs is listed (with that entry's
 * dates), and the CVSS score computed from its OSV `severity` vectors.
 */
import { Effect, Option } from "effect"
import * as AdvisoryModule from "../../Advisory.js"
import type { Advisory, AdvisoryEnrichment } from "../../Advisory.js"
import type { AdvisoryStoreShape } from "../../AdvisoryStore.js"
import * as Cvss from "../../Cvss.js"
import type { EnrichmentData } from "../../EnrichmentData.js"
import type { AdvisoryStoreError } from "../../Errors.js"

/** The enrichment of one advisory from the entries of its CVEs. */
export const enrichmentOf = (
  advisory: Advisory,
  entries: ReadonlyMap<string, EnrichmentData>
): AdvisoryEnrichment => {
  let epss: EnrichmentData | undefined
  let kev: EnrichmentData | undefined
  for (const cve of AdvisoryModule.cveIds(advisory)) {
    const entry = entries.get(cve)
    if (entry === undefined) continue
    if (entry.epssScore !== undefined && (epss === undefined || entry.epssScore > (epss.epssScore ?? -1))) epss = entry
    if (entry.isKev && kev === undefined) kev = entry
  }
  const score = Cvss.advisoryScore(advisory)
  const enrichment: { -readonly [K in keyof AdvisoryEnrichment]: AdvisoryEnrichment[K] } = {
    ...advisory.enrichment,
    is_kev: kev !== undefined || (advisory.enrichment?.is_kev ?? false)
  }
  if (epss !== undefined) {
    enrichment.epss_score = epss.epssScore
    enrichment.epss_percentile = epss.epssPercentile
    if (epss.epssDate !== undefined) enrichment.epss_date = epss.epssDate
  }
  if (kev !== undefined) {
    if (kev.kevDateAdded !== undefined) enrichment.kev_date_added = kev.kevDateAdded
    if (kev.kevDueDate !== undefined) enrichment.kev_due_date = kev.kevDueDate
    if (kev.kevRansomware !== undefined) enrichment.kev_ransomware = kev.kevRansomware
  }
  if (Option.isSome(score)) {
    enrichment.cvss_v3_severity = score.value.severity
    if (Option.isSome(score.value.score)) enrichment.cvss_v3_score = score.value.score.value
  }
  return enrichment
}

/** Reads the enrichment entries of every CVE of `advisories` in one batched read. */
export const loadEnrichment = (
  store: AdvisoryStoreShape,
  advisories: ReadonlyArray<Advisory>
): Effect.Effect<ReadonlyMap<string, EnrichmentData>, AdvisoryStoreError> => {
  const cves = Array.from(new Set(advisories.flatMap((a) => AdvisoryModule.cveIds(a))))
  return cves.length === 0 ? Effect.succeed(new Map()) : store.getEnrichmentBatch(cves)
}

/** `advisories` with `enrichment` set from the store. */
export const enrichAll = (
  store: AdvisoryStoreShape,
  advisories: ReadonlyArray<Advisory>
): Effect.Effect<ReadonlyArray<Advisory>, AdvisoryStoreError> =>
  Effect.map(loadEnrichment(store, advisories), (entries) => withEnrichment(advisories, entries))

/** `advisories` with `enrichment` set from entries already read. */
export const withEnrichment = (
  advisories: ReadonlyArray<Advisory>,
  entries: ReadonlyMap<string, EnrichmentData>
): ReadonlyArray<Advisory> => advisories.map((advisory) => ({ ...advisory, enrichment: enrichmentOf(advisory, entries) }))
