/**
 * The vulnerability report of a dependency list (shared by `vulnera scan` and the demo): every
 * dependency checked in one `queryBatch` with enrichment, then a table of dependencies, a table of
 * findings, and a summary, or the same as JSON.
 */
import { Effect } from "effect"
import { severityOrder } from "../Advisory.js"
import * as PackageKey from "../PackageKey.js"
import * as VulnerabilityManager from "../VulnerabilityManager.js"
import { atOrAbove, byRisk, epssCell, type Finding, fixedCell, kevCell, severityCell, type Threshold, toFinding } from "./findings.js"
import type * as Manifest from "../Manifest.js"
import { type Painter, renderTable, truncate } from "./table.js"

/** A dependency as scanned: with the file (and line, when known) that declares it. */
export type Dependency = Manifest.LocatedDependency

/** What `scan` checks: the dependencies of one file or of every file found in a directory. */
export interface ScanInput {
  /** The format, or `directory` for a directory scan. */
  readonly format: string
  readonly files: ReadonlyArray<Manifest.ManifestFile>
  readonly dependencies: ReadonlyArray<Dependency>
  readonly skipped: ReadonlyArray<Manifest.LocatedSkipped>
}

/** One dependency's result. */
export interface DependencyResult {
  readonly dependency: Dependency
  readonly findings: ReadonlyArray<Finding>
  /** Why the lookup failed, when it did (the dependency is then unchecked). */
  readonly error: string | undefined
  readonly storeFailure: boolean
}

/** A checked dependency list. */
export interface ScanReport {
  readonly file: string
  readonly manifest: ScanInput
  readonly results: ReadonlyArray<DependencyResult>
}

/** Checks every dependency with one `queryBatch` (enriched: EPSS and KEV from the store). */
export const scanManifest = (file: string, manifest: ScanInput) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const outcome = yield* manager.queryBatch(
      manifest.dependencies.map((d) => ({ ecosystem: d.ecosystem, name: d.name, version: d.version })),
      { enriched: true }
    )
    const results = outcome.results.map((result, i): DependencyResult => {
      const dependency = manifest.dependencies[i]!
      if (result._tag === "Failure") {
        return { dependency, findings: [], error: result.error.message, storeFailure: result.error._tag === "StoreError" }
      }
      const key = PackageKey.unsafeMake(dependency.ecosystem, dependency.name)
      return {
        dependency,
        findings: result.advisories.map((a) => toFinding(a, key)).sort(byRisk),
        error: undefined,
        storeFailure: false
      }
    })
    return { file, manifest, results } satisfies ScanReport
  })

/** The findings at or above the threshold. */
export const gated = (
  report: ScanReport,
  gate: Gate
): ReadonlyArray<{ readonly dependency: Dependency; readonly finding: Finding }> =>
  report.results.flatMap((r) =>
    r.findings
      .filter((f) => atOrAbove(f, gate.failOn) && !(gate.ignoreUnrated && f.severity === null && gate.failOn !== "any"))
      .map((finding) => ({ dependency: r.dependency, finding }))
  )

/** The CI gate: `--fail-on` and whether unrated findings are left out of it (`--ignore-unrated`). */
export interface Gate {
  readonly failOn: Threshold
  readonly ignoreUnrated: boolean
}

const label = (d: Dependency) => `${d.name}@${d.version}`

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

/** The finding with the highest severity (an unrated one only when none is rated). */
const highest = (findings: ReadonlyArray<Finding>): Finding | undefined => {
  const rank = (f: Finding) => (f.severity === null ? -1 : severityOrder.indexOf(f.severity) * 100 + (f.cvss ?? 0))
  return findings.reduce<Finding | undefined>((best, f) => (best === undefined || rank(f) > rank(best) ? f : best), undefined)
}

/** The text report: dependencies, findings, summary (and the gate's verdict when `failOn` is set). */
export const renderReport = (
  report: ScanReport,
  options: { readonly paint: Painter; readonly gate?: Gate | undefined }
): string => {
  const { paint } = options
  const dependencyRows = report.results.map((r) => {
    const top = highest(r.findings)
    return [
      label(r.dependency),
      r.dependency.ecosystem,
      r.error !== undefined
        ? paint.paint("error", "red")
        : r.findings.length === 0
        ? paint.paint("ok", "green")
        : paint.paint(String(r.findings.length), "bold"),
      top === undefined ? "" : severityCell(top, paint),
      r.findings.some((f) => f.kev === true) ? paint.paint("KEV", "red", "bold") : "",
      r.error ?? r.findings.map((f) => f.id).join(", ")
    ]
  })
  const dependencies = renderTable(
    [
      { header: "dependency" },
      { header: "ecosystem" },
      { header: "findings", align: "right" },
      { header: "highest" },
      { header: "KEV" },
      { header: "advisories", maxWidth: 70 }
    ],
    dependencyRows
  )
  const all = report.results.flatMap((r) => r.findings.map((finding) => ({ dependency: r.dependency, finding })))
  const findingRows = all.map(({ dependency, finding }) => [
    label(dependency),
    finding.id,
    severityCell(finding, paint),
    epssCell(finding),
    kevCell(finding, paint),
    fixedCell(finding),
    truncate(finding.summary ?? "", 60)
  ])
  const findings = renderTable(
    [
      { header: "dependency" },
      { header: "advisory" },
      { header: "severity" },
      { header: "EPSS", align: "right" },
      { header: "KEV" },
      { header: "fixed in" },
      { header: "summary" }
    ],
    findingRows
  )
  const vulnerable = report.results.filter((r) => r.findings.length > 0).length
  const failed = report.results.filter((r) => r.error !== undefined)
  const kev = all.filter((f) => f.finding.kev === true)
  const summary = [
    `${count(report.results.length, "dependency", "dependencies")} checked (${report.manifest.format}: ${report.file}), ` +
    `${vulnerable} vulnerable, ${count(all.length, "finding")}${all.length > 0 ? ` (${severityBreakdown(all.map((f) => f.finding))})` : ""}`
  ]
  if (kev.length > 0) {
    summary.push(
      `${paint.paint("known exploited (CISA KEV)", "red", "bold")}: ` +
        kev.map(({ dependency, finding }) => `${finding.id} in ${label(dependency)}`).join(", ")
    )
  }
  if (failed.length > 0) summary.push(`${paint.paint(`${failed.length} not checked`, "red")} (lookup failed; see the table)`)
  if (report.manifest.skipped.length > 0) {
    summary.push(
      `${count(report.manifest.skipped.length, "entry", "entries")} skipped: ` +
        truncate(report.manifest.skipped.map((s) => `${s.line === undefined ? "" : `line ${s.line}: `}${s.text} (${s.reason})`).join("; "), 300)
    )
  }
  if (options.gate !== undefined) {
    const { failOn } = options.gate
    const hits = gated(report, options.gate)
    const unrated = hits.filter((h) => h.finding.severity === null).length
    summary.push(
      hits.length === 0
        ? `${paint.paint("pass", "green")}: nothing at or above --fail-on ${failOn}`
        : `${paint.paint("fail", "red", "bold")}: ${count(hits.length, "finding")} at or above --fail-on ${failOn}` +
          (unrated > 0 && failOn !== "any"
            ? ` (${unrated} of them unrated: no published severity counts as at or above; --ignore-unrated leaves them out)`
            : "")
    )
  }
  return [dependencies, "", ...(all.length > 0 ? [findings, ""] : []), ...summary].join("\n")
}

/** The `--json` form of a report. */
export const reportJson = (report: ScanReport, gate: Gate | undefined) => {
  const all = report.results.flatMap((r) => r.findings)
  return {
    file: report.file,
    format: report.manifest.format,
    dependencies: report.results.length,
    vulnerable: report.results.filter((r) => r.findings.length > 0).length,
    findings: all.length,
    failOn: gate?.failOn ?? null,
    ignoreUnrated: gate?.ignoreUnrated ?? null,
    atOrAboveFailOn: gate === undefined ? null : gated(report, gate).length,
    results: report.results.map((r) => ({
      ecosystem: r.dependency.ecosystem,
      name: r.dependency.name,
      version: r.dependency.version,
      file: r.dependency.file,
      line: r.dependency.line ?? null,
      error: r.error ?? null,
      findings: r.findings
    })),
    skipped: report.manifest.skipped
  }
}
