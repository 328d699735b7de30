/**
 * Options of `matchesWithOptions` and the filter that applies them to one advisory.
 *
 * Filters: `minCvss` (numeric score from `Cvss.advisoryScore`), `minSeverity` (its level),
 * `minEpss` and `kevOnly` (exploit data the caller supplies), `cweIds` (weakness ids the advisory
 * names). `includeEnrichment` only asks the caller to attach exploit data to the results.
 *
 * Missing data is never a silent exclusion. Each filter yields `pass`, `fail` (the data is there
 * and does not qualify) or `missing` (the advisory does not carry what the filter needs); a
 * `missing` passes only when `missingData` is `"include"` (default `"exclude"`), and the verdict
 * lists every filter that was missing, so callers can report how many advisories were left out
 * for lack of data. The rules per filter are on `passesFilters`.
 *
 * @since 0.1.0
 */
import { Effect, Option, Predicate } from "effect"
import type { Advisory } from "./Advisory.js"
import { compareSeverity, type Severity } from "./Advisory.js"
import * as Cvss from "./Cvss.js"
import { InvalidInput } from "./Errors.js"

/**
 * What happens to an advisory that lacks the data an active filter needs.
 *
 * @since 0.1.0
 * @category Models
 */
export type MissingDataPolicy = "exclude" | "include"

/**
 * Validated options (build them with `make` or start from a preset). Thresholds of zero and
 * `minSeverity` `NONE` constrain nothing and are stored as `None`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface MatchOptions {
  /** Minimum CVSS score, 0..10 inclusive bound. */
  readonly minCvss: Option.Option<number>
  /** Minimum EPSS probability, 0..1 inclusive bound. */
  readonly minEpss: Option.Option<number>
  /** Only advisories with a CVE in the CISA KEV catalog. */
  readonly kevOnly: boolean
  /** Minimum qualitative severity. */
  readonly minSeverity: Option.Option<Severity>
  /** Accepted weaknesses, normalized (`CWE-79`), sorted, unique; empty means no CWE filter. */
  readonly cweIds: ReadonlyArray<string>
  /** Attach EPSS/KEV data to the results. */
  readonly includeEnrichment: boolean
  /** See `MissingDataPolicy`; default `"exclude"`. */
  readonly missingData: MissingDataPolicy
}

/**
 * What callers pass to `make`: every field optional, loosely typed where people type them by hand
 * (`minSeverity: "high"`, `cweIds: ["79", "cwe-89"]`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface MatchOptionsInput {
  readonly minCvss?: number | undefined
  readonly minEpss?: number | undefined
  readonly kevOnly?: boolean | undefined
  readonly minSeverity?: string | undefined
  readonly cweIds?: ReadonlyArray<string> | undefined
  readonly includeEnrichment?: boolean | undefined
  readonly missingData?: MissingDataPolicy | undefined
}

/**
 * No filters, no enrichment: every affected advisory.
 *
 * @since 0.1.0
 * @category Presets
 */
export const defaults: MatchOptions = {
  minCvss: Option.none(),
  minEpss: Option.none(),
  kevOnly: false,
  minSeverity: Option.none(),
  cweIds: [],
  includeEnrichment: false,
  missingData: "exclude"
}

/**
 * No filters; results carry EPSS/KEV data.
 *
 * @since 0.1.0
 * @category Presets
 */
export const withEnrichment: MatchOptions = { ...defaults, includeEnrichment: true }

/**
 * Severity HIGH or CRITICAL.
 *
 * @since 0.1.0
 * @category Presets
 */
export const highSeverity: MatchOptions = { ...defaults, minSeverity: Option.some("HIGH") }

/**
 * Only advisories whose CVE is in the CISA KEV catalog, with their exploit data attached.
 *
 * @since 0.1.0
 * @category Presets
 */
export const exploitedOnly: MatchOptions = { ...defaults, kevOnly: true, includeEnrichment: true }

const cwePattern = /^(?:CWE[-_ ]?)?0*([1-9]\d{0,6})$/i

/**
 * Normalizes a CWE id: `79`, `cwe-79`, `CWE-79`, ` Cwe-79 `, `cwe79`, `CWE_079` all give `CWE-79`.
 * `None` for anything else (e.g. NVD's `NVD-CWE-Other`, which names no weakness).
 *
 * @since 0.1.0
 * @category CWE
 */
export const normalizeCweId = (id: string): Option.Option<string> => {
  const match = cwePattern.exec(id.trim())
  return match === null ? Option.none() : Option.some(`CWE-${Number(match[1])}`)
}

/**
 * `normalizeCweId` for caller input: fails with `InvalidInput` naming `field` instead of `None`.
 *
 * @since 0.1.0
 * @category CWE
 */
export const parseCweId = (id: string, field = "cweIds"): Effect.Effect<string, InvalidInput> =>
  Option.match(typeof id === "string" ? normalizeCweId(id) : Option.none(), {
    onNone: () => Effect.fail(InvalidInput.of(field, id, "not a CWE id (expected CWE-<n>, cwe-<n>, cwe<n> or <n>)")),
    onSome: Effect.succeed
  })

const stringsAt = (value: unknown, key: string): ReadonlyArray<string> => {
  if (!Predicate.isRecord(value)) return []
  const field = value[key]
  const items = Array.isArray(field) ? field : [field]
  return items.flatMap((item) =>
    typeof item === "string"
      ? [item]
      : Predicate.isRecord(item) && typeof item.cweId === "string"
      ? [item.cweId]
      : []
  )
}

/**
 * The weaknesses an advisory names, normalized, sorted and unique. Read from
 * `database_specific.cwe_ids` at advisory level (GitHub, PSF, OSS Index conversion) and at
 * affected level, `database_specific.cwe` (opam) and affected-level `database_specific.cwes`
 * entries' `cweId` (OpenSSF malicious-packages). Ids that do not normalize are skipped.
 *
 * @since 0.1.0
 * @category CWE
 */
export const advisoryCweIds = (advisory: Advisory): ReadonlyArray<string> => {
  const raw = [
    ...stringsAt(advisory.database_specific, "cwe_ids"),
    ...stringsAt(advisory.database_specific, "cwe"),
    ...(advisory.affected ?? []).flatMap((a) => [
      ...stringsAt(a.database_specific, "cwe_ids"),
      ...stringsAt(a.database_specific, "cwes")
    ])
  ]
  return sortedUnique(raw.flatMap((id) => Option.toArray(normalizeCweId(id))))
}

const sortedUnique = (ids: ReadonlyArray<string>): ReadonlyArray<string> =>
  Array.from(new Set(ids)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))

const severityInput: Record<string, Severity> = {
  NONE: "NONE",
  LOW: "LOW",
  MEDIUM: "MEDIUM",
  MODERATE: "MEDIUM",
  HIGH: "HIGH",
  CRITICAL: "CRITICAL"
}

const bounded = (
  field: string,
  value: unknown,
  max: number
): Effect.Effect<Option.Option<number>, InvalidInput> => {
  if (value === undefined) return Effect.succeed(Option.none())
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
    return Effect.fail(InvalidInput.of(field, value, `must be a number from 0 to ${max}`))
  }
  return Effect.succeed(value === 0 ? Option.none() : Option.some(value))
}

const flag = (field: string, value: unknown): Effect.Effect<boolean, InvalidInput> =>
  value === undefined || typeof value === "boolean"
    ? Effect.succeed(value === true)
    : Effect.fail(InvalidInput.of(field, value, "must be true or false"))

/**
 * Validates options. Fails with `InvalidInput` naming the field: `minCvss` outside 0..10,
 * `minEpss` outside 0..1 (or not a finite number), `minSeverity` not one of NONE, LOW, MEDIUM
 * (or GitHub's MODERATE), HIGH, CRITICAL (any case), a `cweIds` entry that is not a CWE id,
 * `missingData` other than `"exclude"`/`"include"`, a non-boolean flag.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (input: MatchOptionsInput = {}): Effect.Effect<MatchOptions, InvalidInput> =>
  Effect.gen(function*() {
    const minCvss = yield* bounded("minCvss", input.minCvss, 10)
    const minEpss = yield* bounded("minEpss", input.minEpss, 1)
    let minSeverity = Option.none<Severity>()
    if (input.minSeverity !== undefined) {
      const level = typeof input.minSeverity === "string"
        ? severityInput[input.minSeverity.trim().toUpperCase()]
        : undefined
      if (level === undefined) {
        return yield* Effect.fail(
          InvalidInput.of("minSeverity", input.minSeverity, "expected NONE, LOW, MEDIUM, HIGH or CRITICAL")
        )
      }
      if (level !== "NONE") minSeverity = Option.some(level)
    }
    if (input.cweIds !== undefined && !Array.isArray(input.cweIds)) {
      return yield* Effect.fail(InvalidInput.of("cweIds", input.cweIds, "expected a list of CWE ids"))
    }
    const cweIds = yield* Effect.forEach(input.cweIds ?? [], (id) => parseCweId(id))
    const missingData = input.missingData ?? "exclude"
    if (missingData !== "exclude" && missingData !== "include") {
      return yield* Effect.fail(InvalidInput.of("missingData", missingData, `expected "exclude" or "include"`))
    }
    return {
      minCvss,
      minEpss,
      kevOnly: yield* flag("kevOnly", input.kevOnly),
      minSeverity,
      cweIds: sortedUnique(cweIds),
      includeEnrichment: yield* flag("includeEnrichment", input.includeEnrichment),
      missingData
    }
  })

/**
 * Only advisories naming one of these weaknesses (any spelling `normalizeCweId` accepts).
 *
 * @since 0.1.0
 * @category Presets
 */
export const withCwes = (...cweIds: ReadonlyArray<string>): Effect.Effect<MatchOptions, InvalidInput> =>
  make({ cweIds })

/**
 * Whether the caller must load exploit data for these options: when results should carry it, and
 * whenever a filter reads it (`kevOnly`, `minEpss`) — whatever `includeEnrichment` says. (The Rust
 * crate loaded it only with `include_enrichment`, so `kev_only` alone rejected everything.)
 *
 * @since 0.1.0
 * @category Guards
 */
export const requiresEnrichment = (options: MatchOptions): boolean =>
  options.includeEnrichment || options.kevOnly || Option.isSome(options.minEpss)

/**
 * The exploit data a filter reads for one advisory, aggregated over all its CVEs (see
 * `aggregateEnrichment`). `EnrichmentData` values fit this shape.
 *
 * @since 0.1.0
 * @category Models
 */
export interface EnrichmentFacts {
  readonly epssScore?: number | undefined
  readonly isKev: boolean
}

/**
 * Combines the entries of an advisory's CVEs: the highest EPSS score (the most likely to be
 * exploited decides; the Rust crate kept whichever CVE came last) and KEV if any CVE is listed.
 * `None` when there are no entries.
 *
 * @since 0.1.0
 * @category Enrichment
 */
export const aggregateEnrichment = (entries: Iterable<EnrichmentFacts>): Option.Option<EnrichmentFacts> => {
  let any = false
  let isKev = false
  let epssScore: number | undefined
  for (const entry of entries) {
    any = true
    isKev = isKev || entry.isKev
    if (entry.epssScore !== undefined && Number.isFinite(entry.epssScore)) {
      epssScore = epssScore === undefined ? entry.epssScore : Math.max(epssScore, entry.epssScore)
    }
  }
  return any ? Option.some({ epssScore, isKev }) : Option.none()
}

/**
 * The filters, in the order they are checked and reported.
 *
 * @since 0.1.0
 * @category Models
 */
export type FilterName = "kevOnly" | "minCvss" | "minEpss" | "minSeverity" | "cweIds"

/**
 * The result of one filter on one advisory.
 *
 * @since 0.1.0
 * @category Models
 */
export interface FilterCheck {
  readonly filter: FilterName
  readonly outcome: "pass" | "fail" | "missing"
  /** A short human-readable reason, e.g. `CVSS 5.3 < 7`, `no CWE ids`. */
  readonly detail: string
}

/**
 * Whether an advisory passes, and why.
 *
 * @since 0.1.0
 * @category Models
 */
export interface FilterVerdict {
  readonly pass: boolean
  /** One check per active filter, in `FilterName` order. */
  readonly checks: ReadonlyArray<FilterCheck>
  /** Filters the advisory failed on data it has. */
  readonly failed: ReadonlyArray<FilterName>
  /** Filters that lacked data; they pass only under `missingData: "include"`. */
  readonly missing: ReadonlyArray<FilterName>
  /** The advisory's `Cvss.advisoryScore` (computed here anyway, so callers need not redo it). */
  readonly score: Option.Option<Cvss.AdvisoryScore>
}

/**
 * The `minSeverity` rule on its own: `pass` when the level is at or above `min`, `fail` below it,
 * `missing` when nothing is published. `passesFilters` and the scan gate
 * (`ScanReport.failsGate`) both use it, so a query filter and a CI gate never disagree on a level;
 * what a `missing` level means is the caller's `MissingDataPolicy`.
 *
 * @since 0.1.0
 * @category Filtering
 */
export const severityCheck = (severity: Option.Option<Severity>, min: Severity): FilterCheck => {
  if (Option.isNone(severity)) return { filter: "minSeverity", outcome: "missing", detail: "no severity" }
  const ok = compareSeverity(severity.value, min) >= 0
  return { filter: "minSeverity", outcome: ok ? "pass" : "fail", detail: `${severity.value} ${ok ? ">=" : "<"} ${min}` }
}

/**
 * Whether a check lets the advisory through under a missing-data policy.
 *
 * @since 0.1.0
 * @category Filtering
 */
export const admits = (check: FilterCheck, missingData: MissingDataPolicy): boolean =>
  check.outcome === "pass" || (check.outcome === "missing" && missingData === "include")

/**
 * Applies the options' filters to one advisory. `enrichment` is the advisory's exploit data,
 * aggregated over its CVEs (`None` when no CVE of it has an entry). Rules:
 *
 * - `kevOnly`: passes when `enrichment.isKev`. KEV is a closed list, so no entry means "not listed"
 *   (`fail`, never `missing`); an advisory without a CVE cannot be listed.
 * - `minEpss`: `epssScore >= minEpss`; no EPSS score (no entry, or an entry without one) is `missing`.
 * - `minCvss`: numeric score from `Cvss.advisoryScore` `>= minCvss`; an advisory with only a
 *   published level, or nothing, is `missing`.
 * - `minSeverity`: level from `Cvss.advisoryScore` `>= minSeverity`; nothing published is `missing`.
 * - `cweIds`: at least one of `advisoryCweIds` is in the list; an advisory naming no CWE is `missing`.
 *
 * The advisory passes when nothing failed and nothing was missing, or when only missing data kept
 * it out and `missingData` is `"include"`.
 *
 * @since 0.1.0
 * @category Filtering
 */
export const passesFilters = (
  advisory: Advisory,
  enrichment: Option.Option<EnrichmentFacts>,
  options: MatchOptions
): FilterVerdict => {
  const checks: Array<FilterCheck> = []
  const check = (filter: FilterName, outcome: FilterCheck["outcome"], detail: string) =>
    checks.push({ filter, outcome, detail })
  const score = Cvss.advisoryScore(advisory)

  if (options.kevOnly) {
    const listed = Option.exists(enrichment, (e) => e.isKev)
    check("kevOnly", listed ? "pass" : "fail", listed ? "in CISA KEV" : "not in CISA KEV")
  }
  if (Option.isSome(options.minCvss)) {
    const min = options.minCvss.value
    const value = Option.flatMap(score, (s) => s.score)
    if (Option.isNone(value)) check("minCvss", "missing", "no CVSS score")
    else check("minCvss", value.value >= min ? "pass" : "fail", `CVSS ${value.value} ${value.value >= min ? ">=" : "<"} ${min}`)
  }
  if (Option.isSome(options.minEpss)) {
    const min = options.minEpss.value
    const value = Option.flatMap(enrichment, (e) => Option.fromNullable(e.epssScore))
    if (Option.isNone(value)) check("minEpss", "missing", "no EPSS score")
    else check("minEpss", value.value >= min ? "pass" : "fail", `EPSS ${value.value} ${value.value >= min ? ">=" : "<"} ${min}`)
  }
  if (Option.isSome(options.minSeverity)) {
    checks.push(severityCheck(Option.map(score, (s) => s.severity), options.minSeverity.value))
  }
  if (options.cweIds.length > 0) {
    const named = advisoryCweIds(advisory)
    const hits = named.filter((id) => options.cweIds.includes(id))
    if (named.length === 0) check("cweIds", "missing", "no CWE ids")
    else check("cweIds", hits.length > 0 ? "pass" : "fail", hits.length > 0 ? hits.join(", ") : `${named.join(", ")} not requested`)
  }

  const failed = checks.filter((c) => c.outcome === "fail").map((c) => c.filter)
  const missing = checks.filter((c) => c.outcome === "missing").map((c) => c.filter)
  return {
    pass: failed.length === 0 && (missing.length === 0 || options.missingData === "include"),
    checks,
    failed,
    missing,
    score
  }
}
