/**
 * The result of checking a list of dependencies, and the CI gate over it. `scan` looks every
 * dependency up with `matchesWithOptions` (enriched with EPSS/KEV) and gives each one a status:
 *
 * - `vulnerable`: at least one advisory affects the installed version (and is not ignored);
 * - `not-covered`: its ecosystem has no completed sync in the store (`VulnerabilityManager.covers`),
 *   so "no advisory" would prove nothing;
 * - `undetermined`: no advisory is known to affect it, but some could not be evaluated (an
 *   unparseable version, an ecosystem without an ordering, a commit-only range): not "ok";
 * - `ok`: covered, and every advisory for the package was evaluated and none affects it;
 * - `error`: the lookup failed.
 *
 * A vulnerable dependency also carries its undetermined count; a not-covered one its findings, if
 * any were stored. Ignored findings (`IgnoreList`) are kept apart with their rule, and expired
 * rules are reported. `failsGate` is the one gate rule (the severity part is `MatchOptions`'
 * rule, with unrated findings counted unless `ignoreUnrated`); formatters for JSON, SARIF 2.1.0,
 * CycloneDX 1.6 and Markdown are `toJson`, `toSarif`, `toCycloneDx` and `toMarkdown`.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Either, Option } from "effect"
import type { Advisory, Severity } from "./Advisory.js"
import type { AdvisoryStoreError } from "./Errors.js"
import { byRisk, type Finding, toFinding } from "./Finding.js"
import * as IgnoreList from "./IgnoreList.js"
import * as cyclonedx from "./internal/report/cyclonedx.js"
import * as json from "./internal/report/json.js"
import * as markdown from "./internal/report/markdown.js"
import * as sarif from "./internal/report/sarif.js"
import type { Threshold } from "./internal/report/thresholds.js"
import type * as Manifest from "./Manifest.js"
import * as MatchOptions from "./MatchOptions.js"
import * as PackageKey from "./PackageKey.js"
import { sanitizeForDisplay } from "./internal/sanitize.js"
import * as Remediation from "./Remediation.js"
import * as VulnerabilityManager from "./VulnerabilityManager.js"

/**
 * A dependency to check. `file` and `line` say where it is declared (SARIF locates results
 * there); `origin` is a free-form description (a lockfile path, `line 3`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface ScannedDependency {
  readonly ecosystem: string
  readonly name: string
  readonly version: string
  readonly origin?: string | undefined
  readonly file?: string | undefined
  readonly line?: number | undefined
}

/**
 * One input file: its dependencies and the entries its parser skipped, with why.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ScanInput {
  readonly file: string
  readonly format: string
  readonly dependencies: ReadonlyArray<ScannedDependency>
  readonly skipped: ReadonlyArray<{ readonly entry: string; readonly reason: string }>
}

/**
 * One parsed file (`Manifest.parseFile` / `scanDirectory`) as a report input: every dependency
 * located at the file (an include's own, else the manifest's) and line that declare it, skipped
 * entries with their place. `display` shortens paths for people (e.g. relative to the working directory).
 *
 * @since 0.2.0
 * @category Constructors
 */
export const inputOf = (f: Manifest.ManifestFile, display: (path: string) => string = (p) => p): ScanInput => ({
  file: display(f.file),
  format: f.format,
  dependencies: f.dependencies.map((d) => ({ ...d, file: display(d.file ?? f.file) })),
  skipped: f.skipped.map((sk) => ({
    entry: `${sk.file === undefined ? "" : `${display(sk.file)} `}${sk.line === undefined ? "" : `line ${sk.line}: `}${sk.text}`,
    reason: sk.reason
  }))
})

/**
 * A dependency's status (see the module documentation).
 *
 * @since 0.1.0
 * @category Models
 */
export type DependencyStatus = "vulnerable" | "not-covered" | "undetermined" | "ok" | "error"

/**
 * A finding with its nearest fix above the installed version (`null`: none published).
 *
 * @since 0.1.0
 * @category Models
 */
export interface ScanFinding extends Finding {
  readonly fixedIn: string | null
}

/**
 * An advisory that could not be evaluated for the installed version, and why.
 *
 * @since 0.1.0
 * @category Models
 */
export interface UndeterminedAdvisory {
  readonly id: string
  readonly reasons: ReadonlyArray<string>
}

/**
 * One dependency's result.
 *
 * @since 0.1.0
 * @category Models
 */
export interface DependencyReport {
  readonly dependency: ScannedDependency
  /** The input file it was read from. */
  readonly file: string
  readonly status: DependencyStatus
  /** Affecting advisories not ignored, riskiest first (`Finding.byRisk`). */
  readonly findings: ReadonlyArray<ScanFinding>
  /** Affecting advisories an ignore rule accepted, with the rule. */
  readonly ignored: ReadonlyArray<{ readonly finding: ScanFinding; readonly rule: IgnoreList.IgnoreRule }>
  readonly undetermined: ReadonlyArray<UndeterminedAdvisory>
  /** The upgrade that fixes `findings` (ignored ones are not counted). */
  readonly remediation: Remediation.DependencyRemediation
  /** Why the lookup failed (status `error`). */
  readonly error: string | null
  /** The failure was the store's (exit 3 in the CLI), not the input's. */
  readonly storeFailure: boolean
}

/**
 * A checked dependency list.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ScanReport {
  readonly inputs: ReadonlyArray<Omit<ScanInput, "dependencies">>
  readonly dependencies: ReadonlyArray<DependencyReport>
  readonly coverage: VulnerabilityManager.Coverage
  /** Ignore rules whose `until` has passed: they no longer ignore anything. */
  readonly expiredIgnores: ReadonlyArray<IgnoreList.IgnoreRule>
  /** Ignore files read. */
  readonly ignoreFiles: ReadonlyArray<string>
  /** Set when the data is the bundled demo snapshot: every output says so first and last. */
  readonly notice: string | null
  /** When the scan ran (ISO 8601, from `Clock`). */
  readonly scannedAt: string
}

/**
 * Options of `scan`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ScanOptions {
  readonly ignore?: IgnoreList.IgnoreList | undefined
  /** A line every output must show first and last (e.g. that the data is a demo snapshot). */
  readonly notice?: string | undefined
}

const statusOf = (
  findings: number,
  covered: boolean,
  undetermined: number
): DependencyStatus => (findings > 0 ? "vulnerable" : !covered ? "not-covered" : undetermined > 0 ? "undetermined" : "ok")

/** Why a dependency of an ecosystem OSV does not know is not covered, with a "did you mean". */
const notAnEcosystem = (ecosystem: string): string => {
  const suggestions = PackageKey.suggestEcosystems(ecosystem)
  return `not covered: ${JSON.stringify(sanitizeForDisplay(ecosystem))} is not an OSV ecosystem` +
    (suggestions.length === 0 ? "" : ` (did you mean ${suggestions.map((e) => JSON.stringify(e)).join(" or ")}?)`)
}

/**
 * Checks every dependency of the inputs against the store. Fails only when the store's coverage
 * cannot be read; a failed lookup is that dependency's `error`.
 *
 * @since 0.1.0
 * @category Scanning
 */
export const scan = (
  inputs: ReadonlyArray<ScanInput>,
  options: ScanOptions = {}
): Effect.Effect<ScanReport, AdvisoryStoreError, VulnerabilityManager.VulnerabilityManager> =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const coverage = yield* manager.coverage
    const now = new Date(yield* Clock.currentTimeMillis)
    const ignore = options.ignore ?? IgnoreList.empty
    const jobs = inputs.flatMap((input) => input.dependencies.map((dependency) => ({ input, dependency })))
    // One batched lookup for every dependency (see `matchesWithOptionsBatch`), then plain loops.
    const answers = yield* manager.matchesWithOptionsBatch(
      jobs.map(({ dependency }) => dependency),
      MatchOptions.withEnrichment
    ).pipe(Effect.orDie)
    const dependencies = jobs.map(({ dependency, input }, i): DependencyReport => {
      const answer = answers[i]!
      const file = dependency.file ?? input.file
      if (Either.isRight(answer)) {
        return dependencyReport(dependency, file, answer.right, {
          covered: VulnerabilityManager.covers(coverage, dependency.ecosystem),
          ignore,
          now
        })
      }
      const error = answer.left
      // A package type with no OSV ecosystem (pkg:generic, pkg:docker, a typo) can never be
      // covered by advisory data: "not covered", with the hint, rather than a failed lookup.
      const noEcosystem = error._tag === "InvalidInput" && error.field === "ecosystem"
      return {
        dependency,
        file,
        status: noEcosystem ? "not-covered" : "error",
        findings: [],
        ignored: [],
        undetermined: [],
        remediation: { _tag: "Nothing" },
        error: noEcosystem ? notAnEcosystem(dependency.ecosystem) : error.message,
        storeFailure: error._tag === "StoreError"
      }
    })
    return {
      inputs: inputs.map(({ dependencies: _, ...rest }) => rest),
      dependencies,
      coverage,
      expiredIgnores: IgnoreList.expired(ignore, now),
      ignoreFiles: ignore.files,
      notice: options.notice ?? null,
      scannedAt: now.toISOString()
    }
  }).pipe(Effect.withSpan("ScanReport.scan", { attributes: { inputs: inputs.length } }))

/**
 * One dependency's report from a `matchesWithOptions` answer (exported for callers that look
 * dependencies up themselves).
 *
 * @since 0.1.0
 * @category Scanning
 */
export const dependencyReport = (
  dependency: ScannedDependency,
  file: string,
  answer: Pick<VulnerabilityManager.MatchReport, "advisories" | "undetermined">,
  context: { readonly covered: boolean; readonly ignore: IgnoreList.IgnoreList; readonly now: Date }
): DependencyReport => {
  const key = PackageKey.unsafeMake(dependency.ecosystem, dependency.name)
  const kept: Array<Advisory> = []
  const findings: Array<ScanFinding> = []
  const ignored: Array<DependencyReport["ignored"][number]> = []
  for (const advisory of answer.advisories) {
    const finding: ScanFinding = {
      ...toFinding(advisory, key),
      fixedIn: Remediation.nearestFix(advisory, key, dependency.ecosystem, dependency.version)
    }
    const rule = IgnoreList.find(context.ignore, finding, dependency, context.now)
    if (rule === undefined) {
      findings.push(finding)
      kept.push(advisory)
    } else ignored.push({ finding, rule })
  }
  const undetermined = answer.undetermined.map((u) => ({
    id: u.id,
    reasons: Array.from(new Set(u.issues.map((i) => i.message)))
  }))
  return {
    dependency,
    file,
    status: statusOf(findings.length, context.covered, undetermined.length),
    findings: findings.sort(byRisk),
    ignored,
    undetermined,
    remediation: Remediation.forDependency(kept, key, dependency.ecosystem, dependency.version),
    error: null,
    storeFailure: false
  }
}

export {
  /**
   * A `--fail-on` threshold.
   *
   * @since 0.1.0
   * @category Gate
   */
  type Threshold,
  /**
   * Severity thresholds of `--fail-on`, lowest first. `any`: every finding.
   *
   * @since 0.1.0
   * @category Gate
   */
  thresholds
} from "./internal/report/thresholds.js"

/**
 * The CI gate. Findings at or above `failOn` fail it (unrated ones too, unless `ignoreUnrated`:
 * a gate must not pass what it cannot rate); so do not-covered dependencies unless
 * `allowUncovered`, undetermined advisories unless `ignoreUndetermined`, and failed lookups.
 *
 * @since 0.1.0
 * @category Gate
 */
export interface Gate {
  readonly failOn: Threshold
  readonly ignoreUnrated?: boolean | undefined
  readonly allowUncovered?: boolean | undefined
  readonly ignoreUndetermined?: boolean | undefined
}

/**
 * Whether a finding counts against `failOn`: `MatchOptions.severityCheck` with a missing level
 * admitted (`include`) unless `ignoreUnrated`.
 *
 * @since 0.1.0
 * @category Gate
 */
export const atOrAbove = (finding: Finding, gate: Gate): boolean =>
  gate.failOn === "any" ||
  MatchOptions.admits(
    MatchOptions.severityCheck(Option.fromNullable(finding.severity), gate.failOn.toUpperCase() as Severity),
    gate.ignoreUnrated === true ? "exclude" : "include"
  )

/**
 * What trips the gate, per kind.
 *
 * @since 0.1.0
 * @category Gate
 */
export interface GateVerdict {
  readonly fails: boolean
  /** Findings at or above `failOn`. */
  readonly findings: ReadonlyArray<{ readonly dependency: ScannedDependency; readonly finding: ScanFinding }>
  /** Of those, findings without a published severity. */
  readonly unrated: number
  /** Not-covered dependencies counted (0 under `allowUncovered`). */
  readonly uncovered: ReadonlyArray<ScannedDependency>
  /** Undetermined advisories counted (0 under `ignoreUndetermined`). */
  readonly undetermined: number
  /** Failed lookups (always counted). */
  readonly errors: number
}

/**
 * Applies the gate to a report.
 *
 * @since 0.1.0
 * @category Gate
 */
export const gate = (report: ScanReport, options: Gate): GateVerdict => {
  const findings = report.dependencies.flatMap((d) =>
    d.findings.filter((f) => atOrAbove(f, options)).map((finding) => ({ dependency: d.dependency, finding }))
  )
  const uncovered = options.allowUncovered === true
    ? []
    : report.dependencies.filter((d) => d.status === "not-covered").map((d) => d.dependency)
  const undetermined = options.ignoreUndetermined === true
    ? 0
    : report.dependencies.reduce((n, d) => n + d.undetermined.length, 0)
  const errors = report.dependencies.filter((d) => d.status === "error").length
  return {
    fails: findings.length > 0 || uncovered.length > 0 || undetermined > 0 || errors > 0,
    findings,
    unrated: findings.filter((f) => f.finding.severity === null).length,
    uncovered,
    undetermined,
    errors
  }
}

/**
 * Whether the report fails the gate (`gate(report, options).fails`).
 *
 * @since 0.1.0
 * @category Gate
 */
export const failsGate = (report: ScanReport, options: Gate): boolean => gate(report, options).fails

/**
 * Counts for summaries: dependencies per status, findings, ignored findings, undetermined advisories.
 *
 * @since 0.1.0
 * @category Summaries
 */
export const summarize = (report: ScanReport) => {
  const byStatus = (status: DependencyStatus) => report.dependencies.filter((d) => d.status === status).length
  return {
    dependencies: report.dependencies.length,
    vulnerable: byStatus("vulnerable"),
    notCovered: byStatus("not-covered"),
    undetermined: byStatus("undetermined"),
    ok: byStatus("ok"),
    errors: byStatus("error"),
    findings: report.dependencies.reduce((n, d) => n + d.findings.length, 0),
    ignored: report.dependencies.reduce((n, d) => n + d.ignored.length, 0),
    undeterminedAdvisories: report.dependencies.reduce((n, d) => n + d.undetermined.length, 0)
  }
}

/**
 * The JSON form (what `--format json` prints): `notice` first and last when set.
 *
 * @since 0.1.0
 * @category Formats
 */
export const toJson = (report: ScanReport, options?: Gate): unknown => json.render(report, { gate, summarize }, options)

/**
 * SARIF 2.1.0 for code scanning: one rule per advisory, results at the declaring line.
 *
 * @since 0.1.0
 * @category Formats
 */
export const toSarif = (report: ScanReport, tool: { readonly version: string }): unknown => sarif.render(report, tool)

/**
 * CycloneDX 1.6 JSON: the dependencies as components and the findings as vulnerabilities.
 *
 * @since 0.1.0
 * @category Formats
 */
export const toCycloneDx = (report: ScanReport, tool: { readonly version: string }): unknown =>
  cyclonedx.render(report, tool)

/**
 * A Markdown report (for pull-request comments and job summaries).
 *
 * @since 0.1.0
 * @category Formats
 */
export const toMarkdown = (report: ScanReport, options?: Gate): string => markdown.render(report, { gate, summarize }, options)
