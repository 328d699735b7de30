/**
 * CVSS scores of OSV advisories, computed from the vectors they publish.
 *
 * Scoring is done by `ae-cvss-calculator` (FIRST's formulas for CVSS 2.0, 3.0, 3.1 and 4.0);
 * this module only decides which vectors to trust and which figure an advisory gets:
 *
 * - `scoreOf(entry)` scores one OSV `severity` entry (`CVSS_V2`, `CVSS_V3`, `CVSS_V4`). The number
 *   is the one NVD and GitHub publish for that vector: the base score for 2.0/3.x (temporal and
 *   environmental metrics in the vector are ignored), and for 4.0 the score of the vector as written
 *   (CVSS-B, or CVSS-BT/BE/BTE when threat/environmental metrics are present; 4.0 has no separate
 *   base score once they are set). Malformed vectors give `None`, never an exception.
 * - `advisoryScore(advisory)` picks one figure per advisory by a fixed precedence (see there).
 *
 * Scores are memoized per vector string (CVSS 4.0 costs about 1 ms per vector in that library,
 * and a package with hundreds of advisories repeats the same few vectors).
 *
 * @since 0.1.0
 */
import * as CvssModule from "ae-cvss-calculator"
import { Option, Predicate } from "effect"
import type { Advisory, SeverityScore } from "./Advisory.js"
import { type Severity, severityFromCvssScore } from "./Advisory.js"

/**
 * The CVSS versions this module scores.
 *
 * @since 0.1.0
 * @category Models
 */
export type CvssVersion = "2.0" | "3.0" | "3.1" | "4.0"

/**
 * One scored vector.
 *
 * @since 0.1.0
 * @category Models
 */
export interface CvssScore {
  readonly version: CvssVersion
  /** 0.0 ..= 10.0, one decimal, as FIRST's calculators round it. */
  readonly score: number
  /** Qualitative rating of `score` (for 2.0 NVD's three-level scale: LOW, MEDIUM, HIGH). */
  readonly severity: Severity
  /** The vector as published (trimmed). */
  readonly vector: string
}

/**
 * Where an advisory's figure came from, in precedence order.
 *
 * - `severity`: a CVSS vector in the advisory's or an affected entry's OSV `severity` list.
 * - `database_specific.cvss_vector`: the vector OSS Index conversion stores.
 * - `database_specific.cvss_score`: a number published without a usable vector (OSS Index).
 * - `database_specific.severity`: only a level (GitHub `MODERATE`, Bitnami `Medium`, ...).
 *
 * @since 0.1.0
 * @category Models
 */
export type ScoreSource =
  | "severity"
  | "database_specific.cvss_vector"
  | "database_specific.cvss_score"
  | "database_specific.severity"

/**
 * The figure an advisory is filtered and ranked by.
 *
 * @since 0.1.0
 * @category Models
 */
export interface AdvisoryScore {
  readonly source: ScoreSource
  readonly severity: Severity
  /** The numeric score; `None` when the advisory publishes only a level. */
  readonly score: Option.Option<number>
  /** The vector behind `score`, when there is one. */
  readonly cvss: Option.Option<CvssScore>
}

// The library ships one CommonJS (UMD) bundle. Node's ESM loader exposes it only as `default`
// (its named exports are not statically detectable), while CommonJS/bundler interop exposes the
// classes directly; accept both so the module works under node, vitest, tsx and bundlers alike.
const CvssCalculator: typeof CvssModule = "Cvss2" in CvssModule && CvssModule.Cvss2 !== undefined
  ? CvssModule
  : (CvssModule as unknown as { readonly default: typeof CvssModule }).default

type Calculator = { calculateScores(): { readonly base?: number | undefined }; isBaseFullyDefined(): boolean }

const calculators: Record<CvssVersion, new(vector: string) => Calculator> = {
  "2.0": CvssCalculator.Cvss2,
  "3.0": CvssCalculator.Cvss3P0,
  "3.1": CvssCalculator.Cvss3P1,
  "4.0": CvssCalculator.Cvss4P0
}

// The library is lenient where the CVSS specifications are not: it accepts `A:H:Z`, empty
// segments and repeated metrics (last one wins), and a 3.1 calculator silently re-labels a 3.0
// vector. The specifications require `prefix/metric:value/...` with each metric at most once, so
// that shape is checked here before the library sees the vector; metric names and values are then
// validated by the library (unknown ones throw) and the base group must be complete.
const metricPattern = /^[A-Za-z]+:[A-Za-z]+$/

const versionOfVector = (type: string, vector: string): CvssVersion | undefined => {
  switch (type) {
    case "CVSS_V2":
      return /^AV:/.test(vector) ? "2.0" : undefined
    case "CVSS_V3":
      return vector.startsWith("CVSS:3.1/") ? "3.1" : vector.startsWith("CVSS:3.0/") ? "3.0" : undefined
    case "CVSS_V4":
      return vector.startsWith("CVSS:4.0/") ? "4.0" : undefined
    default:
      return undefined
  }
}

const wellFormed = (version: CvssVersion, vector: string): boolean => {
  const metrics = (version === "2.0" ? vector : vector.slice("CVSS:x.y/".length)).split("/")
  const seen = new Set<string>()
  for (const metric of metrics) {
    if (!metricPattern.test(metric)) return false
    const name = metric.slice(0, metric.indexOf(":"))
    if (seen.has(name)) return false
    seen.add(name)
  }
  return true
}

/**
 * The qualitative rating for a score of the given version: CVSS 3.x/4.0 use FIRST's five levels
 * (`severityFromCvssScore`); CVSS 2.0 has no NONE/CRITICAL, NVD rates 0.0-3.9 LOW, 4.0-6.9 MEDIUM,
 * 7.0-10.0 HIGH (https://nvd.nist.gov/vuln-metrics/cvss).
 *
 * @since 0.1.0
 * @category Utils
 */
export const severityOf = (version: CvssVersion, score: number): Severity =>
  version === "2.0" ? (score >= 7 ? "HIGH" : score >= 4 ? "MEDIUM" : "LOW") : severityFromCvssScore(score)

const compute = (version: CvssVersion, vector: string): Option.Option<CvssScore> => {
  if (!wellFormed(version, vector)) return Option.none()
  try {
    const calculator = new calculators[version](vector)
    if (!calculator.isBaseFullyDefined()) return Option.none()
    const score = calculator.calculateScores().base
    if (score === undefined || !Number.isFinite(score) || score < 0 || score > 10) return Option.none()
    return Option.some({ version, score, severity: severityOf(version, score), vector })
  } catch {
    // The library throws on unknown metrics or values (and TypeErrors on some garbage): malformed.
    return Option.none()
  }
}

// Bounded memo: vectors repeat a lot, and the distinct ones seen in practice are few (the 26k-record
// test corpus has about 1,000). Cleared wholesale when full, which keeps it trivially bounded.
const memoLimit = 10_000
const memo = new Map<string, Option.Option<CvssScore>>()

const scoreVector = (version: CvssVersion, vector: string): Option.Option<CvssScore> => {
  const key = `${version} ${vector}`
  const cached = memo.get(key)
  if (cached !== undefined) return cached
  const result = compute(version, vector)
  if (memo.size >= memoLimit) memo.clear()
  memo.set(key, result)
  return result
}

/**
 * Scores one OSV `severity` entry. `None` for non-CVSS types (e.g. `Ubuntu`), for a vector whose
 * prefix does not match its `type` (a `CVSS_V3` entry must start `CVSS:3.0/` or `CVSS:3.1/`, a
 * `CVSS_V4` entry `CVSS:4.0/`, a `CVSS_V2` entry is the bare `AV:...` form), and for any malformed
 * vector (unknown or repeated metric, incomplete base group). Never throws.
 *
 * @since 0.1.0
 * @category Scoring
 */
export const scoreOf = (entry: SeverityScore): Option.Option<CvssScore> => {
  if (typeof entry.score !== "string" || typeof entry.type !== "string") return Option.none()
  const vector = entry.score.trim()
  const version = versionOfVector(entry.type, vector)
  return version === undefined ? Option.none() : scoreVector(version, vector)
}

/**
 * Scores a bare vector string, detecting the version from its prefix (`CVSS:4.0/`, `CVSS:3.1/`,
 * `CVSS:3.0/`, or the bare 2.0 form `AV:...`). Same rules as `scoreOf`.
 *
 * @since 0.1.0
 * @category Scoring
 */
export const scoreVectorString = (vector: string): Option.Option<CvssScore> => {
  const trimmed = vector.trim()
  const type = trimmed.startsWith("CVSS:4") ? "CVSS_V4" : trimmed.startsWith("CVSS:3") ? "CVSS_V3" : "CVSS_V2"
  return scoreOf({ type, score: trimmed })
}

const versionRank: Record<CvssVersion, number> = { "2.0": 0, "3.0": 1, "3.1": 2, "4.0": 3 }

/**
 * Every CVSS vector an advisory publishes that scores: the advisory-level `severity` list and each
 * affected entry's `severity` list, in document order.
 *
 * @since 0.1.0
 * @category Scoring
 */
export const vectorScores = (advisory: Advisory): ReadonlyArray<CvssScore> => {
  const entries = [...(advisory.severity ?? []), ...(advisory.affected ?? []).flatMap((a) => a.severity ?? [])]
  return entries.flatMap((entry) => Option.toArray(scoreOf(entry)))
}

/**
 * The score to use when an advisory publishes several vectors: the newest CVSS version present
 * wins (4.0 over 3.1 over 3.0 over 2.0), and within that version the highest score (ties: vector
 * text, so the choice never depends on the order of the entries).
 *
 * Why newest rather than highest: a publisher that adds a 4.0 vector next to a 3.x one states its
 * current assessment with it. GitHub rates with it too: over the 33 GitHub records of the test
 * corpus that carry both 3.x and 4.0 vectors, GitHub's own `database_specific.severity` agrees with
 * this rule for 31, with "highest score" for 28. Scales also differ across versions (2.0 runs high and has no
 * CRITICAL), so taking a maximum across versions mixes units. Callers wanting another rule get
 * every vector from `vectorScores`.
 *
 * @since 0.1.0
 * @category Scoring
 */
export const preferredScore = (scores: Iterable<CvssScore>): Option.Option<CvssScore> => {
  let best: CvssScore | undefined
  for (const score of scores) {
    if (
      best === undefined ||
      versionRank[score.version] > versionRank[best.version] ||
      (score.version === best.version &&
        (score.score > best.score || (score.score === best.score && score.vector < best.vector)))
    ) best = score
  }
  return Option.fromNullable(best)
}

const levels: Record<string, Severity> = {
  none: "NONE",
  low: "LOW",
  moderate: "MEDIUM",
  medium: "MEDIUM",
  high: "HIGH",
  critical: "CRITICAL"
}

/**
 * Reads a published qualitative level, case-insensitively: `NONE`, `LOW`, `MEDIUM` (or GitHub's
 * `MODERATE`), `HIGH`, `CRITICAL`. Anything else (e.g. Bitnami's `Unknown`) is `None`.
 *
 * @since 0.1.0
 * @category Utils
 */
export const parseSeverityLevel = (level: unknown): Option.Option<Severity> =>
  typeof level === "string" ? Option.fromNullable(levels[level.trim().toLowerCase()]) : Option.none()

const databaseSpecific = (advisory: Advisory): Record<string, unknown> =>
  Predicate.isRecord(advisory.database_specific) ? advisory.database_specific : {}

// 0.0 without a vector is how OSS Index reports a vulnerability it has not scored (e.g. its
// answers for CVE-2019-16056, which NVD rates 7.5), so it counts as no score, not as "no impact".
const reportedScore = (value: unknown): Option.Option<number> => {
  const score = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof score === "number" && Number.isFinite(score) && score > 0 && score <= 10
    ? Option.some(score)
    : Option.none()
}

/**
 * The figure an advisory is filtered by. Precedence (first that yields something):
 *
 * 1. CVSS vectors in OSV `severity`, advisory level and affected level together, chosen by
 *    `preferredScore` (newest version, then highest). A computed score is preferred to any
 *    published number because it is checkable and means the same thing for every source.
 * 2. `database_specific.cvss_vector` (written by OSS Index conversion), if it scores.
 * 3. `database_specific.cvss_score`, a number in (0, 10] (OSS Index without a usable vector; its
 *    0.0 means "not scored" and is skipped); severity derived from it with the CVSS 3.x scale.
 * 4. `database_specific.severity` as a level only (GitHub's `HIGH`/`MODERATE`, Bitnami's
 *    `Critical`/`Medium`); `score` is then `None`, so a `minCvss` filter treats it as missing.
 *
 * Only advisory-level `database_specific` is read for 2-4 (that is where GitHub, Bitnami and
 * OSS Index conversion put them). `None` when the advisory publishes none of these.
 *
 * The answer is remembered per advisory object (weakly held): a scan asks it of each finding's
 * advisory three times (filters, enrichment, the finding). Like the other per-advisory caches
 * (`Finding.entriesFor`, `Versions.advisoryAffects`), this takes advisories as the immutable
 * values their readonly type says they are.
 *
 * @since 0.1.0
 * @category Scoring
 */
export const advisoryScore = (advisory: Advisory): Option.Option<AdvisoryScore> => {
  let score = scoresOf.get(advisory)
  if (score === undefined) scoresOf.set(advisory, score = computeAdvisoryScore(advisory))
  return score
}

const scoresOf = new WeakMap<Advisory, Option.Option<AdvisoryScore>>()

const computeAdvisoryScore = (advisory: Advisory): Option.Option<AdvisoryScore> => {
  const fromVectors = preferredScore(vectorScores(advisory))
  if (Option.isSome(fromVectors)) return Option.some(fromCvss("severity", fromVectors.value))
  const specific = databaseSpecific(advisory)
  const vector = typeof specific.cvss_vector === "string" ? scoreVectorString(specific.cvss_vector) : Option.none()
  if (Option.isSome(vector)) return Option.some(fromCvss("database_specific.cvss_vector", vector.value))
  const score = reportedScore(specific.cvss_score)
  if (Option.isSome(score)) {
    return Option.some({
      source: "database_specific.cvss_score",
      severity: severityFromCvssScore(score.value),
      score,
      cvss: Option.none()
    })
  }
  return parseSeverityLevel(specific.severity).pipe(
    Option.map((severity): AdvisoryScore => ({
      source: "database_specific.severity",
      severity,
      score: Option.none(),
      cvss: Option.none()
    }))
  )
}

const fromCvss = (source: ScoreSource, cvss: CvssScore): AdvisoryScore => ({
  source,
  severity: cvss.severity,
  score: Option.some(cvss.score),
  cvss: Option.some(cvss)
})
