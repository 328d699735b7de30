/**
 * One advisory as the command line reports it for one package: id, aliases, severity (from
 * `Cvss.advisoryScore`), EPSS and KEV (from the advisory's `enrichment`), and the affected and
 * fixed versions of that package's entries. The same record is printed as a table row and as JSON.
 */
import { Option } from "effect"
import type { Advisory, Affected, Severity } from "../Advisory.js"
import { compareSeverity, severityOrder } from "../Advisory.js"
import * as Cvss from "../Cvss.js"
import * as PackageKey from "../PackageKey.js"
import * as Versions from "../Versions.js"
import { type Painter, severityStyles, truncate } from "./table.js"

/** A reported advisory (the `--json` shape). */
export interface Finding {
  readonly id: string
  readonly aliases: ReadonlyArray<string>
  readonly summary: string | null
  /** `null` when the advisory publishes no score or level. */
  readonly severity: Severity | null
  /** CVSS score, when the advisory has a scorable vector or a published number. */
  readonly cvss: number | null
  /** Where the severity came from (see `Cvss.ScoreSource`). */
  readonly severitySource: Cvss.ScoreSource | null
  /** EPSS probability 0..1 (highest over the advisory's CVEs), when enrichment has one. */
  readonly epss: number | null
  readonly epssPercentile: number | null
  /** Any of the advisory's CVEs is in CISA's KEV catalog; `null` when enrichment was not read. */
  readonly kev: boolean | null
  /** Affected ranges of this package, e.g. `>=1.0.3 <3.5.0`, or the listed versions. */
  readonly affected: ReadonlyArray<string>
  /** Fixed versions of this package (empty: no fix published). */
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

/** The `affected` entries of `advisory` that name this package (any spelling). */
const entriesFor = (advisory: Advisory, key: PackageKey.PackageKey) =>
  (advisory.affected ?? []).filter((a) => a.package !== undefined && PackageKey.same(a.package, key))

/** The finding for `advisory` about the package `key`. */
export const toFinding = (advisory: Advisory, key: PackageKey.PackageKey): Finding => {
  const score = Cvss.advisoryScore(advisory)
  const entries = entriesFor(advisory, key)
  const enrichment = advisory.enrichment
  return {
    id: advisory.id,
    aliases: advisory.aliases ?? [],
    summary: advisory.summary ?? null,
    severity: Option.match(score, { onNone: () => null, onSome: (s) => s.severity }),
    cvss: Option.getOrNull(Option.flatMap(score, (s) => s.score)),
    severitySource: Option.match(score, { onNone: () => null, onSome: (s) => s.source }),
    epss: enrichment?.epss_score ?? null,
    epssPercentile: enrichment?.epss_percentile ?? null,
    kev: enrichment === undefined ? null : enrichment.is_kev === true,
    affected: Array.from(new Set(entries.flatMap(rangeText))),
    fixed: Array.from(new Set(entries.flatMap((e) => Versions.fixedVersions(e)))),
    published: advisory.published ?? null,
    modified: advisory.modified ?? null
  }
}

/** Severity thresholds of `--fail-on` / `--min-severity`, lowest first. `any`: every finding. */
export const thresholds = ["any", "low", "medium", "high", "critical"] as const

/** A `--fail-on` threshold. */
export type Threshold = (typeof thresholds)[number]

/**
 * Whether a finding is at or above the threshold. A finding without any published severity counts
 * as at or above every threshold: a gate must not pass what it cannot rate (malicious-package
 * records, for one, publish no score).
 */
export const atOrAbove = (finding: Finding, threshold: Threshold): boolean =>
  threshold === "any" || finding.severity === null ||
  compareSeverity(finding.severity, threshold.toUpperCase() as Severity) >= 0

const rank = (finding: Finding): number => (finding.severity === null ? -1 : severityOrder.indexOf(finding.severity))

/** Orders findings: KEV first, then severity (highest first, unrated last), then EPSS, then id. */
export const byRisk = (a: Finding, b: Finding): number =>
  Number(b.kev === true) - Number(a.kev === true) || rank(b) - rank(a) || (b.epss ?? -1) - (a.epss ?? -1) || a.id.localeCompare(b.id)

/** `HIGH 7.5`, `MEDIUM`, or `unrated`. */
export const severityCell = (finding: Finding, paint: Painter): string =>
  finding.severity === null
    ? paint.paint("unrated", "dim")
    : paint.paint(
      finding.cvss === null ? finding.severity : `${finding.severity} ${finding.cvss.toFixed(1)}`,
      ...severityStyles(finding.severity)
    )

/** EPSS as a percentage (`97.4%`, `0.04%`), or `-`. */
export const epssCell = (finding: Finding): string =>
  finding.epss === null ? "-" : `${(finding.epss * 100).toFixed(finding.epss < 0.01 ? 2 : 1)}%`

/** `KEV` when listed. */
export const kevCell = (finding: Finding, paint: Painter): string =>
  finding.kev === true ? paint.paint("KEV", "red", "bold") : ""

/** Aliases, cut to a readable width. */
export const aliasesCell = (finding: Finding, width = 40): string => truncate(finding.aliases.join(", "), width)

/** Fixed versions, or `none` when no fix is published. */
export const fixedCell = (finding: Finding): string =>
  finding.fixed.length === 0 ? "none" : truncate(finding.fixed.join(", "), 30)
