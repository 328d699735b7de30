/**
 * How the command line prints a finding (`Finding` is the library's model): severity, EPSS, KEV,
 * aliases and fixed-version cells for the tables.
 */
import type { Finding } from "../Finding.js"
import { type Column, type Painter, renderTable, severityStyles, truncate } from "./table.js"

export { byRisk, type Finding, toFinding } from "../Finding.js"
export { type Threshold, thresholds } from "../ScanReport.js"

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

/** Fixed versions (ascending), or `none` when no fix is published. */
export const fixedCell = (finding: Finding): string =>
  finding.fixed.length === 0 ? "none" : truncate(finding.fixed.join(", "), 30)

/**
 * The findings table shared by `query` and the scan report; the EPSS and KEV columns only when the
 * advisories were enriched (an empty KEV cell must mean "not listed", never "not looked up").
 */
export const findingTable = (
  findings: ReadonlyArray<Finding>,
  options: { readonly enriched: boolean; readonly paint: Painter; readonly summary?: boolean }
): string => {
  const { enriched, paint } = options
  const columns: Array<Column & { readonly cell: (f: Finding) => string }> = [
    { header: "id", cell: (f) => f.id },
    { header: "aliases", cell: (f) => aliasesCell(f) },
    { header: "severity", cell: (f) => severityCell(f, paint) },
    ...(enriched
      ? [
        { header: "EPSS", align: "right" as const, cell: epssCell },
        { header: "KEV", cell: (f: Finding) => kevCell(f, paint) }
      ]
      : []),
    { header: "affected", maxWidth: 36, cell: (f) => f.affected.join(", ") },
    { header: "fixed", cell: fixedCell },
    ...(options.summary === false ? [] : [{ header: "summary", maxWidth: 60, cell: (f: Finding) => f.summary ?? "" }])
  ]
  return renderTable(columns, findings.map((f) => columns.map((c) => c.cell(f))))
}
