/**
 * A Markdown report for pull-request comments and CI job summaries: a summary, a table of the
 * dependencies that need attention (vulnerable, not covered, undetermined, failed) with their
 * upgrade, the findings, the ignored findings with their reasons, and expired ignore entries.
 * The demo notice is the first and the last line.
 */
import * as Remediation from "../../Remediation.js"
import type { Gate, ScanReport } from "../../ScanReport.js"
import type * as ScanReportModule from "../../ScanReport.js"

/** The gate and summary rules of `ScanReport`, passed in so this module does not import it back at run time (no cycle). */
export type Rules = Pick<typeof ScanReportModule, "gate" | "summarize">
import { advisoryUrl, count, label } from "./common.js"

/** Escapes a table cell (pipes, newlines) and inline Markdown that would change the text. */
const cell = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ").replace(/([*_`<>[\]])/g, "\\$1")

const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [`| ${headers.join(" | ")} |`, `|${headers.map(() => " --- ").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n")

/** The Markdown text of a report. */
export const render = (report: ScanReport, rules: Rules, gate?: Gate): string => {
  const { gate: applyGate, summarize } = rules
  const s = summarize(report)
  const out: Array<string> = []
  if (report.notice !== null) out.push(`> **${cell(report.notice)}**`, "")
  out.push("## vulnera scan", "")
  out.push(
    `${count(s.dependencies, "dependency", "dependencies")} checked (${report.inputs.map((i) => `\`${i.file}\` (${i.format})`).join(", ")}): ` +
      `${s.vulnerable} vulnerable, ${s.notCovered} not covered, ${s.undetermined} undetermined, ${s.ok} ok` +
      `${s.errors > 0 ? `, ${s.errors} failed` : ""}; ${count(s.findings, "finding")}` +
      `${s.ignored > 0 ? `, ${s.ignored} ignored` : ""}.`,
    ""
  )
  const attention = report.dependencies.filter((d) => d.status !== "ok")
  if (attention.length > 0) {
    out.push(table(
      ["dependency", "ecosystem", "status", "findings", "undetermined", "remediation"],
      attention.map((d) => [
        cell(label(d.dependency)),
        cell(d.dependency.ecosystem),
        d.status,
        String(d.findings.length),
        d.undetermined.length === 0 ? "" : cell(`${d.undetermined.length}: ${d.undetermined.map((u) => `${u.id} (${u.reasons.join("; ")})`).join(", ")}`),
        cell(d.error ?? Remediation.describe(d.remediation))
      ])
    ), "")
  }
  const findings = report.dependencies.flatMap((d) => d.findings.map((f) => ({ d, f })))
  if (findings.length > 0) {
    out.push("### Findings", "", table(
      ["dependency", "advisory", "severity", "EPSS", "KEV", "fixed in", "summary"],
      findings.map(({ d, f }) => [
        cell(label(d.dependency)),
        `[${cell(f.id)}](${advisoryUrl(f.id)})`,
        f.severity === null ? "unrated" : `${f.severity}${f.cvss === null ? "" : ` ${f.cvss.toFixed(1)}`}`,
        f.epss === null ? "-" : `${(f.epss * 100).toFixed(f.epss < 0.01 ? 2 : 1)}%`,
        f.kev === true ? "**KEV**" : "",
        cell(f.fixedIn ?? "no fix published"),
        cell(f.summary ?? "")
      ])
    ), "")
  }
  const ignored = report.dependencies.flatMap((d) => d.ignored.map((i) => ({ d, ...i })))
  if (ignored.length > 0) {
    out.push("### Ignored", "", table(
      ["dependency", "advisory", "reason", "until", "file"],
      ignored.map(({ d, finding, rule }) => [
        cell(label(d.dependency)),
        cell(finding.id),
        cell(rule.reason ?? "no reason given"),
        rule.until?.toISOString().slice(0, 10) ?? "",
        cell(rule.file)
      ])
    ), "")
  }
  if (report.expiredIgnores.length > 0) {
    out.push(
      "### Expired ignore entries (no longer ignored)",
      "",
      ...report.expiredIgnores.map((r) => `- ${cell(r.id)} in \`${r.file}\`, until ${r.until?.toISOString().slice(0, 10)}: ${cell(r.reason ?? "no reason given")}`),
      ""
    )
  }
  const skipped = report.inputs.flatMap((i) => i.skipped.map((sk) => ({ file: i.file, ...sk })))
  if (skipped.length > 0) {
    out.push(`<details><summary>${count(skipped.length, "entry", "entries")} skipped</summary>`, "",
      ...skipped.map((sk) => `- \`${sk.file}\`: ${cell(sk.entry)} (${cell(sk.reason)})`), "", "</details>", "")
  }
  if (gate !== undefined) {
    const v = applyGate(report, gate)
    out.push(v.fails ? `**fail** (--fail-on ${gate.failOn}): ${verdictText(v)}` : `**pass**: nothing at or above --fail-on ${gate.failOn}`, "")
  }
  if (report.notice !== null) out.push(`> **${cell(report.notice)}**`)
  return out.join("\n").trimEnd() + "\n"
}

/** What failed the gate, in words (shared with the text report). */
export const verdictText = (v: ReturnType<Rules["gate"]>): string =>
  [
    v.findings.length > 0 ? `${count(v.findings.length, "finding")} at or above the threshold` : "",
    v.uncovered.length > 0 ? `${count(v.uncovered.length, "dependency", "dependencies")} not covered` : "",
    v.undetermined > 0 ? `${count(v.undetermined, "advisory", "advisories")} undetermined` : "",
    v.errors > 0 ? `${count(v.errors, "lookup")} failed` : ""
  ].filter((t) => t !== "").join(", ")
