/**
 * The text report of a `ScanReport` (shared by `vulnera scan` and the demo): a table of
 * dependencies with their status, undetermined count and upgrade, a table of findings, the
 * ignored findings with their reasons, and a summary with the gate's verdict. The demo notice,
 * when set, is the first and the last line.
 */
import { severityOrder } from "../Advisory.js"
import type { Finding } from "../Finding.js"
import { verdictText } from "../internal/report/markdown.js"
import * as Remediation from "../Remediation.js"
import * as ScanReport from "../ScanReport.js"
import { epssCell, kevCell, severityCell } from "./findings.js"
import { type Painter, renderTable, truncate } from "./table.js"

const label = (d: ScanReport.ScannedDependency) => `${d.name}@${d.version}`

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** Counts per severity, highest first (`2 critical, 1 high, 3 unrated`). */
const severityBreakdown = (findings: ReadonlyArray<Finding>): string => {
  const levels = [...severityOrder].reverse().flatMap((level) => {
    const n = findings.filter((f) => f.severity === level).length
    return n === 0 ? [] : [`${n} ${level.toLowerCase()}`]
  })
  const unrated = findings.filter((f) => f.severity === null).length
  return [...levels, ...(unrated > 0 ? [`${unrated} unrated`] : [])].join(", ")
}

const statusCell = (d: ScanReport.DependencyReport, paint: Painter): string =>
  d.status === "vulnerable"
    ? paint.paint("vulnerable", "red", "bold")
    : d.status === "ok"
    ? paint.paint("ok", "green")
    : d.status === "error"
    ? paint.paint("error", "red")
    : paint.paint(d.status, "yellow")

/** The text report (the gate's verdict last when `gate` is set). */
export const renderReport = (
  report: ScanReport.ScanReport,
  options: { readonly paint: Painter; readonly gate?: ScanReport.Gate | undefined }
): string => {
  const { paint } = options
  const dependencies = renderTable(
    [
      { header: "dependency" },
      { header: "ecosystem" },
      { header: "status" },
      { header: "findings", align: "right" },
      { header: "undetermined", align: "right" },
      { header: "KEV" },
      { header: "remediation", maxWidth: 60 }
    ],
    report.dependencies.map((d) => [
      label(d.dependency),
      d.dependency.ecosystem,
      statusCell(d, paint),
      d.findings.length === 0 ? "" : String(d.findings.length),
      d.undetermined.length === 0 ? "" : String(d.undetermined.length),
      d.findings.some((f) => f.kev === true) ? paint.paint("KEV", "red", "bold") : "",
      d.error ?? (d.status === "not-covered" ? `not covered: no completed sync of ${d.dependency.ecosystem}` : Remediation.describe(d.remediation))
    ])
  )
  const all = report.dependencies.flatMap((d) => d.findings.map((finding) => ({ dependency: d.dependency, finding })))
  const findings = renderTable(
    [
      { header: "dependency" },
      { header: "advisory" },
      { header: "severity" },
      { header: "EPSS", align: "right" },
      { header: "KEV" },
      { header: "fixed in" },
      { header: "summary", maxWidth: 60 }
    ],
    all.map(({ dependency, finding }) => [
      label(dependency),
      finding.id,
      severityCell(finding, paint),
      epssCell(finding),
      kevCell(finding, paint),
      finding.fixedIn ?? "no fix",
      finding.summary ?? ""
    ])
  )
  const s = ScanReport.summarize(report)
  const summary = [
    `${count(s.dependencies, "dependency", "dependencies")} checked (${report.inputs.map((i) => `${i.format}: ${i.file}`).join(", ")}): ` +
    `${s.vulnerable} vulnerable, ${s.notCovered} not covered, ${s.undetermined} undetermined, ${s.ok} ok` +
    `${s.errors > 0 ? `, ${s.errors} failed` : ""}; ${count(all.length, "finding")}` +
    `${all.length > 0 ? ` (${severityBreakdown(all.map((f) => f.finding))})` : ""}` +
    `${s.ignored > 0 ? `, ${s.ignored} ignored` : ""}`
  ]
  const kev = all.filter((f) => f.finding.kev === true)
  if (kev.length > 0) {
    summary.push(
      `${paint.paint("known exploited (CISA KEV)", "red", "bold")}: ` +
        kev.map(({ dependency, finding }) => `${finding.id} in ${label(dependency)}`).join(", ")
    )
  }
  const uncovered = Array.from(new Set(report.dependencies.filter((d) => d.status === "not-covered" && d.error === null).map((d) => d.dependency.ecosystem)))
  if (uncovered.length > 0) {
    summary.push(
      `${paint.paint("not covered", "yellow")}: no completed sync of ${uncovered.join(", ")} in the store ` +
        `(covered: ${report.coverage.ecosystems.map((c) => c.ecosystem).join(", ") || "none"}); run \`vulnera sync --ecosystem <name>\``
    )
  }
  const undetermined = report.dependencies.filter((d) => d.undetermined.length > 0)
  for (const d of undetermined) {
    summary.push(
      `${paint.paint("undetermined", "yellow")} ${label(d.dependency)}: ${count(d.undetermined.length, "advisory", "advisories")} ` +
        `could not be evaluated: ${truncate(d.undetermined.map((u) => `${u.id} (${u.reasons.join("; ")})`).join(", "), 300)}`
    )
  }
  for (const d of report.dependencies) {
    for (const { finding, rule } of d.ignored) {
      summary.push(
        `${paint.paint("ignored", "dim")} ${finding.id} in ${label(d.dependency)}: ${rule.reason ?? "no reason given"} ` +
          `(${rule.file}${rule.until === null ? "" : `, until ${rule.until.toISOString().slice(0, 10)}`})`
      )
    }
  }
  for (const rule of report.expiredIgnores) {
    summary.push(
      `${paint.paint("expired ignore entry", "yellow")} ${rule.id} in ${rule.file} (until ${rule.until?.toISOString().slice(0, 10)}): ` +
        "no longer ignored; review it or extend `until`"
    )
  }
  const skipped = report.inputs.flatMap((i) => i.skipped)
  if (skipped.length > 0) {
    summary.push(
      `${count(skipped.length, "entry", "entries")} skipped: ` +
        truncate(skipped.map((sk) => `${sk.entry} (${sk.reason})`).join("; "), 300)
    )
  }
  if (options.gate !== undefined) {
    const { failOn } = options.gate
    const verdict = ScanReport.gate(report, options.gate)
    summary.push(
      !verdict.fails
        ? `${paint.paint("pass", "green")}: nothing at or above --fail-on ${failOn}`
        : `${paint.paint("fail", "red", "bold")}: ${verdictText(verdict)} (--fail-on ${failOn})` +
          (verdict.unrated > 0 && failOn !== "any"
            ? `; ${verdict.unrated} unrated: no published severity counts as at or above (--ignore-unrated leaves them out)`
            : "") +
          (verdict.uncovered.length > 0 ? "; --allow-uncovered accepts not-covered dependencies" : "") +
          (verdict.undetermined > 0 ? "; --ignore-undetermined accepts undetermined advisories" : "")
    )
  }
  const notice = report.notice === null ? [] : [paint.paint(report.notice, "yellow", "bold")]
  return [...notice, dependencies, "", ...(all.length > 0 ? [findings, ""] : []), ...summary, ...notice].join("\n")
}
