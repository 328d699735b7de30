/**
 * SARIF 2.1.0 (what GitHub code scanning and other SAST dashboards read). One rule per advisory,
 * plus `vulnera/not-covered` and `vulnera/undetermined` when the report has such dependencies (a
 * dashboard must not look clean when the scan could not decide). Results point at the line that
 * declares the package when the parser knew it, else at the file. Ignored findings are kept as
 * results with an accepted external suppression carrying the reason.
 *
 * Written as plain objects (no SARIF builder is among the dependencies, and the shape is small);
 * the tests validate the output against the official SARIF 2.1.0 JSON schema.
 */
import type { Severity } from "../../Advisory.js"
import * as Remediation from "../../Remediation.js"
import type { DependencyReport, ScanFinding, ScanReport } from "../../ScanReport.js"
import { advisoryUrl, count, label } from "./common.js"

const schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

const levelOf = (severity: Severity | null): "error" | "warning" | "note" =>
  severity === "CRITICAL" || severity === "HIGH" ? "error" : severity === "LOW" || severity === "NONE" ? "note" : "warning"

/** A path as a URI reference: forward slashes, percent-encoded. */
const uriOf = (file: string): string => encodeURI(file.replace(/\\/g, "/"))

const location = (d: DependencyReport) => ({
  physicalLocation: {
    artifactLocation: { uri: uriOf(d.file) },
    ...(d.dependency.line !== undefined && d.dependency.line >= 1 ? { region: { startLine: d.dependency.line } } : {})
  },
  logicalLocations: [{ name: label(d.dependency), fullyQualifiedName: `${d.dependency.ecosystem}/${label(d.dependency)}`, kind: "package" }]
})

const rule = (finding: ScanFinding) => ({
  id: finding.id,
  name: finding.id.replace(/[^A-Za-z0-9]/g, ""),
  shortDescription: { text: finding.summary ?? finding.id },
  fullDescription: { text: [finding.summary, finding.aliases.length > 0 ? `Aliases: ${finding.aliases.join(", ")}` : null].filter((s) => s !== null && s !== "").join(". ") || finding.id },
  helpUri: advisoryUrl(finding.id),
  help: { text: `See ${advisoryUrl(finding.id)}`, markdown: `See [${finding.id}](${advisoryUrl(finding.id)}).` },
  defaultConfiguration: { level: levelOf(finding.severity) },
  properties: {
    tags: ["security", "vulnerability", "dependency"],
    precision: "very-high",
    ...(finding.cvss === null ? {} : { "security-severity": finding.cvss.toFixed(1) })
  }
})

const fixText = (finding: ScanFinding) => (finding.fixedIn === null ? "No fix published." : `Fixed in ${finding.fixedIn}.`)

/** The SARIF log of a report. */
export const render = (report: ScanReport, tool: { readonly version: string }) => {
  const rules: Array<ReturnType<typeof rule> | Record<string, unknown>> = []
  const ruleIndex = new Map<string, number>()
  const indexOf = (id: string, make: () => ReturnType<typeof rule> | Record<string, unknown>) => {
    let index = ruleIndex.get(id)
    if (index === undefined) {
      index = rules.length
      rules.push(make())
      ruleIndex.set(id, index)
    }
    return index
  }
  const results: Array<Record<string, unknown>> = []
  for (const d of report.dependencies) {
    const remediation = Remediation.describe(d.remediation)
    const findingResult = (finding: ScanFinding) => ({
      ruleId: finding.id,
      ruleIndex: indexOf(finding.id, () => rule(finding)),
      level: levelOf(finding.severity),
      message: {
        text: `${label(d.dependency)} (${d.dependency.ecosystem}) is affected by ${finding.id}` +
          `${finding.summary === null ? "" : `: ${finding.summary}`}. ${fixText(finding)}` +
          `${remediation === "" ? "" : ` Dependency: ${remediation}.`}`
      },
      locations: [location(d)],
      properties: {
        severity: finding.severity,
        cvss: finding.cvss,
        epss: finding.epss,
        kev: finding.kev,
        fixedIn: finding.fixedIn
      }
    })
    for (const finding of d.findings) results.push(findingResult(finding))
    for (const { finding, rule: ignoreRule } of d.ignored) {
      results.push({
        ...findingResult(finding),
        suppressions: [{
          kind: "external",
          status: "accepted",
          justification: `${ignoreRule.reason ?? "no reason given"} (${ignoreRule.file}${ignoreRule.until === null ? "" : `, until ${ignoreRule.until.toISOString().slice(0, 10)}`})`
        }]
      })
    }
    /** A result of one of vulnera's own rules (the scan could not decide), at the dependency. */
    const undecided = (id: string, name: string, short: string, full: string, text: string) =>
      results.push({
        ruleId: id,
        ruleIndex: indexOf(id, () => ({
          id,
          name,
          shortDescription: { text: short },
          fullDescription: { text: full },
          defaultConfiguration: { level: "warning" }
        })),
        level: "warning",
        message: { text },
        locations: [location(d)]
      })
    if (d.status === "not-covered") {
      undecided(
        "vulnera-advisor/not-covered",
        "NotCovered",
        "Ecosystem not synced: the dependency could not be checked",
        "The store holds no completed sync of this ecosystem, so finding no advisory proves nothing. Run `vulnera sync --ecosystem <name>`.",
        `${label(d.dependency)}: ${d.dependency.ecosystem} is not covered (no completed sync of osv.${d.dependency.ecosystem.toLowerCase()} in the store).`
      )
    }
    if (d.undetermined.length > 0) {
      undecided(
        "vulnera-advisor/undetermined",
        "Undetermined",
        "Advisories that could not be evaluated for the installed version",
        "Not known to be affected, not known to be safe: the version or a range could not be compared in the ecosystem's ordering.",
        `${label(d.dependency)}: ${count(d.undetermined.length, "advisory", "advisories")} could not be evaluated: ` +
          d.undetermined.map((u) => `${u.id} (${u.reasons.join("; ")})`).join(", ")
      )
    }
  }
  const notifications = [
    ...(report.notice === null ? [] : [{ level: "warning", message: { text: report.notice } }]),
    ...report.expiredIgnores.map((r) => ({
      level: "warning",
      message: { text: `expired ignore entry ${r.id} in ${r.file} (until ${r.until?.toISOString().slice(0, 10)}): no longer ignored` }
    }))
  ]
  return {
    $schema: schema,
    version: "2.1.0",
    runs: [{
      tool: {
        driver: {
          name: "vulnera",
          version: tool.version,
          rules
        }
      },
      invocations: [{
        executionSuccessful: report.dependencies.every((d) => d.status !== "error"),
        endTimeUtc: report.scannedAt,
        ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {})
      }],
      results,
      ...(report.notice === null ? {} : { properties: { notice: report.notice } })
    }]
  }
}
