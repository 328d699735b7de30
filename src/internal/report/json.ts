/**
 * `--format json`: the report as data. The demo notice (when set) is the first and the last key,
 * so it is what a reader sees at both ends of the document.
 */
import * as Remediation from "../../Remediation.js"
import type { Gate, ScanReport } from "../../ScanReport.js"
import type * as ScanReportModule from "../../ScanReport.js"

/** The gate and summary rules of `ScanReport`, passed in so this module does not import it back at run time (no cycle). */
export type Rules = Pick<typeof ScanReportModule, "gate" | "summarize">

/** The JSON document of a report (`gate` adds the verdict). */
export const render = (report: ScanReport, rules: Rules, gate?: Gate) => {
  const { gate: applyGate, summarize } = rules
  const verdict = gate === undefined ? undefined : applyGate(report, gate)
  const body = {
    scannedAt: report.scannedAt,
    inputs: report.inputs,
    summary: summarize(report),
    gate: gate === undefined || verdict === undefined
      ? null
      : {
        failOn: gate.failOn,
        ignoreUnrated: gate.ignoreUnrated === true,
        allowUncovered: gate.allowUncovered === true,
        ignoreUndetermined: gate.ignoreUndetermined === true,
        fails: verdict.fails,
        atOrAboveFailOn: verdict.findings.length,
        unrated: verdict.unrated,
        uncovered: verdict.uncovered.length,
        undetermined: verdict.undetermined,
        errors: verdict.errors
      },
    coverage: report.coverage.ecosystems.map((c) => ({ ecosystem: c.ecosystem, lastSync: c.lastSync.toISOString() })),
    results: report.dependencies.map((d) => ({
      ecosystem: d.dependency.ecosystem,
      name: d.dependency.name,
      version: d.dependency.version,
      file: d.file,
      line: d.dependency.line ?? null,
      origin: d.dependency.origin ?? null,
      status: d.status,
      error: d.error,
      findings: d.findings,
      remediation: { ...d.remediation, text: Remediation.describe(d.remediation) },
      undetermined: { count: d.undetermined.length, advisories: d.undetermined },
      ignored: d.ignored.map((i) => ({ ...i.finding, ignoredBy: ruleJson(i.rule) }))
    })),
    ignoreFiles: report.ignoreFiles,
    expiredIgnores: report.expiredIgnores.map(ruleJson)
  }
  return report.notice === null ? body : { notice: report.notice, ...body, noticeEnd: report.notice }
}

const ruleJson = (rule: ScanReport["expiredIgnores"][number]) => ({
  id: rule.id,
  package: rule.package,
  reason: rule.reason,
  until: rule.until?.toISOString() ?? null,
  file: rule.file
})
