/**
 * The advisory model: an OSV 1.6 document as OSV publishes it (snake_case on the wire and in the
 * type), plus this library's optional `enrichment` block.
 *
 * Every object in the model keeps the fields it does not know about (an index signature of
 * `unknown`), so decoding and re-encoding any real OSV document returns it unchanged. Rust
 * `vulnera-advisor` writes `null` for absent optionals; those decode as absent.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { InvalidInput } from "./Errors.js"
import { identifierProblem } from "./internal/identifier.js"

/** Fields this model does not know are kept as they are. */
const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** `null` (as written by the Rust crate) or absent both decode to absent. */
const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

/**
 * A severity score: `type` is `CVSS_V2`, `CVSS_V3`, `CVSS_V4` or `Ubuntu`; `score` a vector or a
 * level.
 *
 * @since 0.1.0
 * @category Models
 */
export const SeverityScore = Schema.Struct(
  {
    type: Schema.String,
    score: Schema.String
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type SeverityScore = typeof SeverityScore.Type

/**
 * The affected package. `purl` is optional; names keep the spelling of the source.
 *
 * @since 0.1.0
 * @category Models
 */
export const Package = Schema.Struct(
  {
    ecosystem: Schema.String,
    name: Schema.String,
    purl: opt(Schema.String)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Package = typeof Package.Type

/**
 * One range event. OSV requires exactly one of the four keys per event object.
 *
 * @since 0.1.0
 * @category Models
 */
export const Event = Schema.Struct(
  {
    introduced: opt(Schema.String),
    fixed: opt(Schema.String),
    last_affected: opt(Schema.String),
    limit: opt(Schema.String)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Event = typeof Event.Type

/**
 * Range types defined by OSV.
 *
 * @since 0.1.0
 * @category Models
 */
export const RangeType = Schema.Literal("SEMVER", "ECOSYSTEM", "GIT")
/** @since 0.1.0 @category Models */
export type RangeType = typeof RangeType.Type

/**
 * A version range: events are applied in version order (OSV does not require them sorted).
 *
 * @since 0.1.0
 * @category Models
 */
export const Range = Schema.Struct(
  {
    type: RangeType,
    repo: opt(Schema.String),
    events: Schema.Array(Event),
    database_specific: opt(Schema.Unknown)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Range = typeof Range.Type

/**
 * One affected package entry. `package` may be absent (OSV allows GIT-only entries).
 *
 * @since 0.1.0
 * @category Models
 */
export const Affected = Schema.Struct(
  {
    package: opt(Package),
    severity: opt(Schema.Array(SeverityScore)),
    ranges: opt(Schema.Array(Range)),
    versions: opt(Schema.Array(Schema.String)),
    ecosystem_specific: opt(Schema.Unknown),
    database_specific: opt(Schema.Unknown)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Affected = typeof Affected.Type

/**
 * A reference. `type` is one of OSV's reference types (`ADVISORY`, `FIX`, `WEB`, ...); unknown
 * types are kept as they are.
 *
 * @since 0.1.0
 * @category Models
 */
export const Reference = Schema.Struct(
  {
    type: Schema.String,
    url: Schema.String
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Reference = typeof Reference.Type

/**
 * A credit entry.
 *
 * @since 0.1.0
 * @category Models
 */
export const Credit = Schema.Struct(
  {
    name: Schema.String,
    contact: opt(Schema.Array(Schema.String)),
    type: opt(Schema.String)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Credit = typeof Credit.Type

/**
 * Qualitative severity, ordered NONE < LOW < MEDIUM < HIGH < CRITICAL.
 *
 * @since 0.1.0
 * @category Models
 */
export const Severity = Schema.Literal("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
/** @since 0.1.0 @category Models */
export type Severity = typeof Severity.Type

/**
 * Severity levels in ascending order.
 *
 * @since 0.1.0
 * @category Models
 */
export const severityOrder: ReadonlyArray<Severity> = ["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"]

/**
 * Compares two severities (negative when `a` is lower).
 *
 * @since 0.1.0
 * @category Utils
 */
export const compareSeverity = (a: Severity, b: Severity): number =>
  severityOrder.indexOf(a) - severityOrder.indexOf(b)

/**
 * The CVSS qualitative rating of a base score: 0 NONE, 0.1-3.9 LOW, 4.0-6.9 MEDIUM, 7.0-8.9 HIGH,
 * 9.0-10.0 CRITICAL. NaN is NONE.
 *
 * @since 0.1.0
 * @category Utils
 */
export const severityFromCvssScore = (score: number): Severity =>
  score >= 9 ? "CRITICAL" : score >= 7 ? "HIGH" : score >= 4 ? "MEDIUM" : score > 0 ? "LOW" : "NONE"

/**
 * Exploit and risk data attached to an advisory at query time (never present in upstream data).
 * Field names match the Rust crate's `Enrichment` JSON.
 *
 * @since 0.1.0
 * @category Models
 */
export const AdvisoryEnrichment = Schema.Struct(
  {
    epss_score: opt(Schema.Number),
    epss_percentile: opt(Schema.Number),
    epss_date: opt(Schema.String),
    is_kev: Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false }),
    kev_due_date: opt(Schema.String),
    kev_date_added: opt(Schema.String),
    kev_ransomware: opt(Schema.Boolean),
    cvss_v3_score: opt(Schema.Number),
    cvss_v3_severity: opt(Severity)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type AdvisoryEnrichment = typeof AdvisoryEnrichment.Type

/**
 * An OSV advisory (schema 1.6) plus optional `enrichment`. Dates stay strings exactly as
 * published (RFC 3339), so a round trip is lossless.
 *
 * @since 0.1.0
 * @category Models
 */
export const Advisory = Schema.Struct(
  {
    schema_version: opt(Schema.String),
    id: Schema.String,
    modified: opt(Schema.String),
    published: opt(Schema.String),
    withdrawn: opt(Schema.String),
    aliases: opt(Schema.Array(Schema.String)),
    related: opt(Schema.Array(Schema.String)),
    upstream: opt(Schema.Array(Schema.String)),
    summary: opt(Schema.String),
    details: opt(Schema.String),
    severity: opt(Schema.Array(SeverityScore)),
    affected: opt(Schema.Array(Affected)),
    references: opt(Schema.Array(Reference)),
    credits: opt(Schema.Array(Credit)),
    database_specific: opt(Schema.Unknown),
    enrichment: opt(AdvisoryEnrichment)
  },
  Rest
)
/** @since 0.1.0 @category Models */
export type Advisory = typeof Advisory.Type
/** The JSON form of an advisory. @since 0.1.0 @category Models */
export type AdvisoryEncoded = typeof Advisory.Encoded

/**
 * Decodes unknown JSON into an `Advisory` (effectful, fails with `ParseError`).
 *
 * @since 0.1.0
 * @category Codecs
 */
export const decodeUnknown = Schema.decodeUnknown(Advisory)

/**
 * Encodes an `Advisory` to its JSON form.
 *
 * @since 0.1.0
 * @category Codecs
 */
export const encode = Schema.encode(Advisory)

/**
 * Parses an advisory from JSON text.
 *
 * @since 0.1.0
 * @category Codecs
 */
export const fromJson = Schema.decode(Schema.parseJson(Advisory))

/**
 * Serializes an advisory to JSON text.
 *
 * @since 0.1.0
 * @category Codecs
 */
export const toJson = Schema.encode(Schema.parseJson(Advisory))

/**
 * All ids this advisory is known by: its id, then aliases, in document order, without duplicates.
 *
 * @since 0.1.0
 * @category Utils
 */
export const ids = (advisory: Advisory): ReadonlyArray<string> =>
  Array.from(new Set([advisory.id, ...(advisory.aliases ?? [])]))

/**
 * CVE ids this advisory is known by (its id and aliases that are CVE ids), upper-cased.
 *
 * @since 0.1.0
 * @category Utils
 */
export const cveIds = (advisory: Advisory): ReadonlyArray<string> =>
  Array.from(
    new Set(ids(advisory).map((id) => id.toUpperCase()).filter(isCve))
  )

/**
 * The packages this advisory names (entries without a package are skipped).
 *
 * @since 0.1.0
 * @category Utils
 */
export const packages = (advisory: Advisory): ReadonlyArray<Package> =>
  (advisory.affected ?? []).flatMap((a) => (a.package ? [a.package] : []))

/**
 * Validates an advisory id: non-empty, at most 1024 characters, no whitespace or control
 * characters. `field` names it in the `InvalidInput` (`id`, `advisory.id`).
 *
 * @since 0.4.0
 * @category Validation
 */
export const validateAdvisoryId = (id: string, field = "id"): Effect.Effect<string, InvalidInput> => {
  const error = identifierProblem(field, id) ?? (/\s/.test(id) ? InvalidInput.of(field, id, "contains whitespace") : undefined)
  return error ? Effect.fail(error) : Effect.succeed(id)
}

const cvePattern = /^CVE-\d{4}-\d{4,}$/

/**
 * Whether a string is a CVE id as written canonically (upper case, `CVE-YYYY-NNNN...`). A plain
 * predicate for hot loops (e.g. the 360k rows of the EPSS bulk file), where an Effect per value
 * would dominate the cost; `validateCve` is the Effect form that also upper-cases.
 *
 * @since 0.4.0
 * @category Validation
 */
export const isCve = (cve: string): boolean => cvePattern.test(cve)

/**
 * Validates and upper-cases a CVE id (`cve-2021-44228` → `CVE-2021-44228`): the key of
 * enrichment data and of `syncEnrichmentWithCves`.
 *
 * @since 0.4.0
 * @category Validation
 */
export const validateCve = (cve: string, field = "cve"): Effect.Effect<string, InvalidInput> => {
  const upper = cve.trim().toUpperCase()
  return isCve(upper)
    ? Effect.succeed(upper)
    : Effect.fail(InvalidInput.of(field, cve, "not a CVE id (expected CVE-YYYY-NNNN...)"))
}
