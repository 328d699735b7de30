/**
 * CycloneDX 1.6 JSON: every checked dependency as a component (with its scan status and
 * undetermined count as `vulnera:` properties) and every finding as a vulnerability with its
 * source (OSV), ratings (CVSS score and method, or the published level), the affected component
 * and the recommended upgrade. Ignored findings carry an analysis with the reason.
 *
 * Built as plain JSON rather than through `@cyclonedx/cyclonedx-library`'s models (which would
 * become a runtime dependency for a few dozen lines of output); the tests validate the result
 * with that library's JSON schema validator.
 */
import { randomUUID } from "node:crypto"
import type { CvssVersion } from "../../Cvss.js"
import * as Remediation from "../../Remediation.js"
import type { DependencyReport, ScanFinding, ScanReport } from "../../ScanReport.js"
import { advisoryUrl, purlOf } from "./common.js"

const methodOf = (version: CvssVersion | null) =>
  version === "2.0" ? "CVSSv2" : version === "3.0" ? "CVSSv3" : version === "3.1" ? "CVSSv31" : version === "4.0" ? "CVSSv4" : "other"

const rating = (finding: ScanFinding) =>
  finding.severity === null
    ? [{ source: { name: "OSV" }, severity: "unknown" }]
    : [{
      source: { name: "OSV", url: advisoryUrl(finding.id) },
      ...(finding.cvss === null ? {} : { score: finding.cvss, method: methodOf(finding.cvssVersion) }),
      severity: finding.severity.toLowerCase()
    }]

/** The CycloneDX BOM of a report. */
export const render = (report: ScanReport, tool: { readonly version: string }) => {
  const refs = new Map<DependencyReport, string>()
  const components: Array<Record<string, unknown>> = []
  const seen = new Set<string>()
  for (const d of report.dependencies) {
    const purl = purlOf(d.dependency)
    // The same package may appear in two inputs; bom-refs must be unique.
    let ref = purl
    for (let i = 2; seen.has(ref); i++) ref = `${purl}#${i}`
    seen.add(ref)
    refs.set(d, ref)
    components.push({
      type: "library",
      "bom-ref": ref,
      name: d.dependency.name,
      version: d.dependency.version,
      purl,
      properties: [
        { name: "vulnera:ecosystem", value: d.dependency.ecosystem },
        { name: "vulnera:status", value: d.status },
        { name: "vulnera:file", value: d.file },
        { name: "vulnera:undetermined", value: String(d.undetermined.length) },
        ...d.undetermined.map((u) => ({ name: "vulnera:undetermined:advisory", value: `${u.id}: ${u.reasons.join("; ")}` })),
        ...(d.error === null ? [] : [{ name: "vulnera:error", value: d.error }]),
        ...(d.remediation._tag === "Nothing" ? [] : [{ name: "vulnera:remediation", value: Remediation.describe(d.remediation) }])
      ]
    })
  }
  const vulnerabilities: Array<Record<string, unknown>> = []
  for (const d of report.dependencies) {
    const entry = (finding: ScanFinding, ignored?: DependencyReport["ignored"][number]["rule"]) => ({
      "bom-ref": `${finding.id}@${refs.get(d)}`,
      id: finding.id,
      source: { name: "OSV", url: advisoryUrl(finding.id) },
      ...(finding.aliases.length > 0
        ? { references: finding.aliases.map((alias) => ({ id: alias, source: { name: "OSV", url: advisoryUrl(alias) } })) }
        : {}),
      ratings: rating(finding),
      ...(finding.summary === null ? {} : { description: finding.summary }),
      recommendation: finding.fixedIn === null ? "No fix published." : `Upgrade to ${finding.fixedIn} or later.`,
      ...(finding.published === null ? {} : { published: finding.published }),
      ...(finding.modified === null ? {} : { updated: finding.modified }),
      affects: [{ ref: refs.get(d), versions: [{ version: d.dependency.version, status: "affected" }] }],
      ...(ignored === undefined
        ? {}
        : {
          analysis: {
            state: "exploitable",
            response: ["will_not_fix"],
            detail: `ignored by ${ignored.file}: ${ignored.reason ?? "no reason given"}` +
              `${ignored.until === null ? "" : ` (until ${ignored.until.toISOString().slice(0, 10)})`}`
          }
        }),
      properties: [
        ...(finding.epss === null ? [] : [{ name: "vulnera:epss", value: String(finding.epss) }]),
        ...(finding.kev === null ? [] : [{ name: "vulnera:kev", value: String(finding.kev) }])
      ]
    })
    for (const finding of d.findings) vulnerabilities.push(entry(finding))
    for (const { finding, rule } of d.ignored) vulnerabilities.push(entry(finding, rule))
  }
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: report.scannedAt,
      tools: { components: [{ type: "application", name: "vulnera", version: tool.version }] },
      ...(report.notice === null ? {} : { properties: [{ name: "vulnera:notice", value: report.notice }] })
    },
    components,
    vulnerabilities
  }
}
