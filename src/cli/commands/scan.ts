/**
 * `vulnera scan <file>`: checks every dependency of a lockfile or PURL list in one batch
 * (`ScanReport.scan`) and prints the report as a table, JSON, SARIF, CycloneDX or Markdown; exit 1
 * when the gate (`ScanReport.gate`) fails: a finding at or above `--fail-on`, a not-covered
 * dependency (unless `--allow-uncovered`), an undetermined advisory (unless
 * `--ignore-undetermined`) or a failed lookup.
 */
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect } from "effect"
import { storeAndDataOptions } from "../options.js"
import { type Format, formatNames, formats } from "../../internal/manifests/formats.js"
import { thresholds } from "../../internal/report/thresholds.js"

/** The report formats of `--format`. */
export const outputFormats = ["table", "json", "sarif", "cyclonedx", "markdown"] as const

const scanConfig = {
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
        (formatNames as ReadonlyArray<string>).includes(name)
          ? Effect.succeed(name as Format)
          : Effect.fail(ValidationError.invalidValue(HelpDoc.p(
            `unknown input format ${JSON.stringify(name)}; one of: ${formatNames.join(", ")}`
          )))
      ),
      Options.withDescription(
        "The file's format, when its name does not tell it: " +
          formatNames.map((f) => `${f} (${formats[f]})`).join(", ") + "."
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
    failOn: Options.choice("fail-on", thresholds).pipe(
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
  }

/** The arguments of `vulnera scan`, as parsed. */
export type ScanArgs = Command.Command.ParseConfig<typeof scanConfig>

/** `vulnera scan` */
export const scanCommand = Command.make("scan", scanConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/scan.js")), (run) => run.runScan(args))
).pipe(
  Command.withDescription(
    "Check every dependency of a lockfile or PURL list against the store in one batch, with EPSS and KEV. Each " +
      "dependency is vulnerable, ok, not covered (its ecosystem was never synced) or undetermined (advisories that " +
      "could not be evaluated), with the smallest upgrade that fixes it. Exit 1 when the gate fails (see --fail-on). " +
      "The store must hold data: run `vulnera sync` first (the default store in the cache directory keeps it between " +
      "runs), or add --demo for the bundled demo snapshot."
  )
)
