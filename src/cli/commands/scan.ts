/**
 * `vulnera scan <file>`: checks every dependency of a lockfile or PURL list in one batch
 * (`ScanReport.scan`) and prints the report as a table, JSON, SARIF, CycloneDX or Markdown; exit 1
 * when the gate (`ScanReport.gate`) fails: a finding at or above `--fail-on`, a not-covered
 * dependency (unless `--allow-uncovered`), an undetermined advisory (unless
 * `--ignore-undetermined`) or a failed lookup.
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { dirname, join, resolve } from "node:path"
import * as IgnoreList from "../../IgnoreList.js"
import * as ScanReport from "../../ScanReport.js"
import {
  demoNotice,
  displayPath,
  isSnapshot,
  requireData,
  storeAndDataOptions,
  withManager
} from "../environment.js"
import { findings as findingsExit, unavailable, usage } from "../failure.js"
import * as Manifest from "../../Manifest.js"
import { version as cliVersion } from "../version.js"
import { renderReport } from "../report.js"
import { painter } from "../table.js"
import { loadSnapshot } from "./sync.js"

/** What `scan` read: one file, or every recognized file under a directory. */
export interface ScanSource {
  readonly format: string
  readonly files: ReadonlyArray<Manifest.ManifestFile>
}

/**
 * Reads the dependencies to scan: one file (format from `--input-format`, else its name, else its
 * content), or every recognized file under a directory. A directory with none is an error, not an
 * empty (clean-looking) scan.
 */
export const readManifest = (path: string, format: Option.Option<Manifest.Format>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.mapError(fs.stat(path), (e) => usage(`cannot read ${path}: ${e.message}`, "scan"))
    const files = info.type === "Directory"
      ? yield* Manifest.scanDirectory(path)
      : [yield* Manifest.parseFile(path, Option.isSome(format) ? { format: format.value } : {})]
    if (files.length === 0) {
      return yield* usage(`no dependency files found in ${path}; supported: ${Object.values(Manifest.formats).join("; ")}`, "scan")
    }
    return { format: info.type === "Directory" ? "directory" : files[0]!.format, files } satisfies ScanSource
  }).pipe(Effect.catchTag("ManifestError", (e) => usage(e.message, "scan")))

/** The report formats of `--format`. */
export const outputFormats = ["table", "json", "sarif", "cyclonedx", "markdown"] as const

/**
 * The ignore files used when `--ignore-file` is not given: in the scanned directory (or beside the
 * scanned file), then in the working directory.
 */
const defaultIgnoreFiles = (scanned: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dirs = Array.from(new Set([resolve(scanned), resolve(".")]))
    const candidates = dirs.flatMap((dir) => [join(dir, "vulnera.toml"), join(dir, "osv-scanner.toml")])
    const found = yield* Effect.filter(candidates, (path) => Effect.orElseSucceed(fs.exists(path), () => false))
    return found.map(displayPath)
  })

/** `vulnera scan` */
export const scanCommand = Command.make(
  "scan",
  {
    file: Args.path({ name: "path", exists: "yes" }).pipe(
      Args.withDescription(
        "A lockfile, manifest, SBOM or PURL list, or a directory to search for them (node_modules, vendor, target " +
          "and dot-directories are not entered). Formats: see --input-format."
      )
    ),
    // 24 formats: named FORMAT in the usage line and header (a choice would list them all there), listed in the description.
    inputFormat: Options.text("input-format").pipe(
      Options.withPseudoName("FORMAT"),
      Options.mapEffect((name) =>
        (Manifest.formatNames as ReadonlyArray<string>).includes(name)
          ? Effect.succeed(name as Manifest.Format)
          : Effect.fail(ValidationError.invalidValue(HelpDoc.p(
            `unknown input format ${JSON.stringify(name)}; one of: ${Manifest.formatNames.join(", ")}`
          )))
      ),
      Options.withDescription(
        "The file's format, when its name does not tell it: " +
          Manifest.formatNames.map((f) => `${f} (${Manifest.formats[f]})`).join(", ") + "."
      ),
      Options.optional
    ),
    format: Options.choice("format", outputFormats).pipe(
      Options.withDescription(
        "Report format: table (text), json, sarif (SARIF 2.1.0 for code scanning), cyclonedx (CycloneDX 1.6 " +
          "with vulnerabilities) or markdown."
      ),
      Options.withDefault("table" as const)
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Same as --format json.")),
    failOn: Options.choice("fail-on", ScanReport.thresholds).pipe(
      Options.withDescription(
        "Exit 1 when a finding is at or above this severity (any = every finding). Findings without a published " +
          "severity (malicious-package records, most Go and PyPA advisories) count as at or above every level unless " +
          "--ignore-unrated. Not-covered dependencies and undetermined advisories also fail the gate."
      ),
      Options.withDefault("any" as const)
    ),
    ignoreUnrated: Options.boolean("ignore-unrated").pipe(
      Options.withDescription("Leave findings without a published severity out of the --fail-on gate (they are still listed).")
    ),
    allowUncovered: Options.boolean("allow-uncovered").pipe(
      Options.withDescription(
        "Pass the gate even when a dependency's ecosystem has no completed sync in the store (it is still reported " +
          "as not covered)."
      )
    ),
    ignoreUndetermined: Options.boolean("ignore-undetermined").pipe(
      Options.withDescription(
        "Pass the gate even when advisories could not be evaluated for a dependency's version (they are still " +
          "reported with the reason)."
      )
    ),
    ignoreFile: Options.file("ignore-file", { exists: "yes" }).pipe(
      Options.withPseudoName("FILE"),
      Options.withDescription(
        "An ignore file: vulnera.toml ([[ignore]] id, package, reason, until) or osv-scanner.toml ([[IgnoredVulns]]). " +
          "Repeatable. Default: vulnera.toml and osv-scanner.toml in the scanned directory (or beside the scanned file), " +
          "then in the working directory."
      ),
      Options.repeated
    ),
    ...storeAndDataOptions
  },
  (args) =>
    Effect.gen(function*() {
      const manifest = yield* readManifest(args.file, args.inputFormat)
      const ignoreFiles = args.ignoreFile.length > 0 ? args.ignoreFile : yield* defaultIgnoreFiles(manifest.format === "directory" ? args.file : dirname(args.file))
      const ignore = yield* Effect.mapError(IgnoreList.load(ignoreFiles), (e) => usage(`ignore file ${e.message}`, "scan"))
      const format = args.json ? "json" : args.format
      const gate: ScanReport.Gate = {
        failOn: args.failOn,
        ignoreUnrated: args.ignoreUnrated,
        allowUncovered: args.allowUncovered,
        ignoreUndetermined: args.ignoreUndetermined
      }
      yield* withManager(args, (store, data) =>
        Effect.gen(function*() {
          const loaded = isSnapshot(data) ? Option.some(yield* loadSnapshot(data)) : Option.none()
          yield* requireData(store)
          const notice = isSnapshot(data) && data.demo
            ? Option.map(loaded, (l) => demoNotice(l.advisories, l.ecosystems))
            : Option.none()
          const report = yield* ScanReport.scan(
            manifest.files.map((f) => ScanReport.inputOf(f, displayPath)),
            { ignore, notice: Option.getOrUndefined(notice) }
          ).pipe(Effect.mapError((e) => unavailable(`store error: ${e.message}`)))
          yield* Console.log(render(report, format, gate))
          const storeFailure = report.dependencies.find((d) => d.storeFailure)
          if (storeFailure !== undefined) return yield* unavailable(`store error: ${storeFailure.error}`)
          if (ScanReport.failsGate(report, gate)) return yield* findingsExit
        }))
    })
).pipe(
  Command.withDescription(
    "Check every dependency of a lockfile or PURL list against the store in one batch, with EPSS and KEV. Each " +
      "dependency is vulnerable, ok, not covered (its ecosystem was never synced) or undetermined (advisories that " +
      "could not be evaluated), with the smallest upgrade that fixes it. Exit 1 when the gate fails (see --fail-on). " +
      "The store must hold data: --redis URL / REDIS_URL after `vulnera sync`, or --demo for the bundled demo snapshot."
  )
)

/** The report in the chosen format. */
const render = (report: ScanReport.ScanReport, format: (typeof outputFormats)[number], gate: ScanReport.Gate): string => {
  switch (format) {
    case "table":
      return renderReport(report, { paint: painter(process.stdout), gate })
    case "json":
      return JSON.stringify(ScanReport.toJson(report, gate), null, 2)
    case "sarif":
      return JSON.stringify(ScanReport.toSarif(report, { version: cliVersion }), null, 2)
    case "cyclonedx":
      return JSON.stringify(ScanReport.toCycloneDx(report, { version: cliVersion }), null, 2)
    case "markdown":
      return ScanReport.toMarkdown(report, gate).trimEnd()
  }
}
