/**
 * One advisory as a report shows it for one package: id, aliases, severity (from
 * `Cvss.advisoryScore`), EPSS and KEV (from the advisory's `enrichment`), and the affected and
 * fixed versions of that package's entries. `vulnera query`, `vulnera scan` and `ScanReport` share
 * it, so a finding reads the same in every output.
 *
 * @since 0.1.0
 */
import { Either, Option } from "effect"
import type { Advisory, Affected, Severity } from "./Advisory.js"
import { severityOrder } from "./Advisory.js"
import * as Cvss from "./Cvss.js"
import { lastPackageMemo } from "./internal/packageMemo.js"
import * as PackageKey from "./PackageKey.js"
import * as Versions from "./Versions.js"

/**
 * A reported advisory (the JSON shape of a finding).
 *
 * @since 0.1.0
 * @category Models
 */
export interface Finding {
  readonly id: string
  readonly aliases: ReadonlyArray<string>
  readonly summary: string | null
  /** `null` when the advisory publishes no score or level. */
  readonly severity: Severity | null
  /** CVSS score, when the advisory has a scorable vector or a published number. */
  readonly cvss: number | null
  /** The CVSS version behind `cvss` (`3.1`, `4.0`, ...), when it came from a vector. */
  readonly cvssVersion: Cvss.CvssVersion | null
  /** Where the severity came from (see `Cvss.ScoreSource`). */
  readonly severitySource: Cvss.ScoreSource | null
  /** EPSS probability 0..1 (highest over the advisory's CVEs), when enrichment has one. */
  readonly epss: number | null
  readonly epssPercentile: number | null
  /** Any of the advisory's CVEs is in CISA's KEV catalog; `null` when enrichment was not read. */
  readonly kev: boolean | null
  /** Affected ranges of this package, e.g. `>=1.0.3 <3.5.0`, or the listed versions. */
  readonly affected: ReadonlyArray<string>
  /** Fixed versions of this package, ascending in the ecosystem's ordering (empty: no fix published). */
  readonly fixed: ReadonlyArray<string>
  readonly published: string | null
  readonly modified: string | null
}

const rangeText = (affected: Affected): ReadonlyArray<string> => {
  const texts: Array<string> = []
  for (const range of affected.ranges ?? []) {
    if (range.type === "GIT") {
      texts.push("git commits")
      continue
    }
    let open: string | undefined
    for (const event of range.events) {
      if (event.introduced !== undefined) open = event.introduced === "0" ? "" : `>=${event.introduced}`
      const end = event.fixed !== undefined ? `<${event.fixed}` : event.last_affected !== undefined ? `<=${event.last_affected}` : undefined
      if (end !== undefined) {
        texts.push([open, end].filter((s) => s !== undefined && s !== "").join(" "))
        open = undefined
      }
    }
    if (open !== undefined) texts.push(open === "" ? "all versions" : open)
  }
  const versions = affected.versions ?? []
  if (texts.length === 0 && versions.length > 0) {
    texts.push(versions.length <= 3 ? `=${versions.join(", =")}` : `${versions.length} listed versions`)
  }
  return texts
}

/**
 * The `affected` entries of `advisory` that name this package (any spelling).
 *
 * Remembered per advisory for the last package asked about: a scan asks it for the finding and
 * again per remediation step.
 *
 * @since 0.1.0
 * @category Matching
 */
export const entriesFor: (advisory: Advisory, key: PackageKey.PackageKey) => ReadonlyArray<Affected> = lastPackageMemo(
  (advisory: Advisory, key: PackageKey.PackageKey): ReadonlyArray<Affected> =>
    (advisory.affected ?? []).filter((a) => a.package !== undefined && PackageKey.same(a.package, key))
)

/**
 * Versions sorted ascending in the ecosystem's ordering; when one does not parse (or the ecosystem
 * has no ordering) the input order is kept, since a wrong order would be worse than none.
 *
 * @since 0.1.0
 * @category Ordering
 */
export const sortVersions = (ecosystem: string, versions: ReadonlyArray<string>): ReadonlyArray<string> =>
  Either.getOrElse(Versions.sort(ecosystem, versions), () => versions)

/**
 * The finding for `advisory` about the package `key`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const toFinding = (advisory: Advisory, key: PackageKey.PackageKey): Finding => {
  const score = Cvss.advisoryScore(advisory)
  const entries = entriesFor(advisory, key)
  const enrichment = advisory.enrichment
  const ecosystem = entries[0]?.package?.ecosystem ?? key.ecosystem
  return {
    id: advisory.id,
    aliases: advisory.aliases ?? [],
    summary: advisory.summary ?? null,
    severity: Option.match(score, { onNone: () => null, onSome: (s) => s.severity }),
    cvss: Option.getOrNull(Option.flatMap(score, (s) => s.score)),
    cvssVersion: Option.getOrNull(Option.map(Option.flatMap(score, (s) => s.cvss), (c) => c.version)),
    severitySource: Option.match(score, { onNone: () => null, onSome: (s) => s.source }),
    epss: enrichment?.epss_score ?? null,
    epssPercentile: enrichment?.epss_percentile ?? null,
    kev: enrichment === undefined ? null : enrichment.is_kev === true,
    affected: Array.from(new Set(entries.flatMap(rangeText))),
    fixed: sortVersions(ecosystem, Array.from(new Set(entries.flatMap((e) => Versions.fixedVersions(e))))),
    published: advisory.published ?? null,
    modified: advisory.modified ?? null
  }
}

const rank = (finding: Finding): number => (finding.severity === null ? -1 : severityOrder.indexOf(finding.severity))

/**
 * Orders findings: KEV first, then severity (highest first, unrated last), then EPSS, then id.
 *
 * @since 0.1.0
 * @category Ordering
 */
export const byRisk = (a: Finding, b: Finding): number =>
  Number(b.kev === true) - Number(a.kev === true) || rank(b) - rank(a) || (b.epss ?? -1) - (a.epss ?? -1) || a.id.localeCompare(b.id)
