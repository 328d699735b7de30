/**
 * Exploit and risk data stored per CVE (`enrich:<CVE>`): FIRST EPSS score and CISA KEV status.
 * The JSON form uses the Rust crate's snake_case keys, so entries either side wrote are
 * readable by the other.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const opt = <S extends Schema.Schema.Any>(schema: S, key: string) =>
  Schema.optionalWith(schema, { nullable: true }).pipe(Schema.fromKey(key))

/**
 * @since 0.1.0
 * @category Models
 */
export class EnrichmentData extends Schema.Class<EnrichmentData>("vulnera-advisor/EnrichmentData")({
  /** EPSS probability of exploitation in the next 30 days, 0..1. */
  epssScore: opt(Schema.Number, "epss_score"),
  /** EPSS percentile, 0..1. */
  epssPercentile: opt(Schema.Number, "epss_percentile"),
  /** The EPSS score date (`YYYY-MM-DD`). */
  epssDate: opt(Schema.String, "epss_date"),
  /** Listed in the CISA Known Exploited Vulnerabilities catalog. */
  isKev: Schema.optionalWith(Schema.Boolean, { nullable: true, default: () => false }).pipe(Schema.fromKey("is_kev")),
  /** KEV `dateAdded` (`YYYY-MM-DD`, or RFC 3339 when written by the Rust crate). */
  kevDateAdded: opt(Schema.String, "kev_date_added"),
  /** KEV `dueDate`. */
  kevDueDate: opt(Schema.String, "kev_due_date"),
  /** KEV `knownRansomwareCampaignUse` is `Known`. */
  kevRansomware: opt(Schema.Boolean, "kev_ransomware"),
  /** When this entry was written (RFC 3339). */
  updatedAt: Schema.String.pipe(Schema.propertySignature, Schema.fromKey("updated_at"))
}) {}
