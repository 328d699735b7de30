/**
 * `vulnera scan <file>`: checks every dependency of a lockfile or PURL list in one batch; exit 1
 * when a finding is at or above `--fail-on` (a CI gate).
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import {
  isSnapshot,
  requireData,
  storeAndDataOptions,
  withManager
} from "../environment.js"
import { CliExit, ExitCode, findings as findingsExit, unavailable, usage } from "../failure.js"
import { thresholds } from "../findings.js"
import * as Manifest from "../../Manifest.js"
import { json } from "../options.js"
import { gated, renderReport, reportJson, type ScanInput, scanManifest } from "../report.js"
import { painter } from "../table.js"
import { loadSnapshot } from "./sync.js"

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
    return {
      format: info.type === "Directory" ? "directory" : files[0]!.format,
      files,
      dependencies: Manifest.dependenciesOf(files),
      skipped: Manifest.skippedOf(files)
    } satisfies ScanInput
  }).pipe(Effect.catchTag("ManifestError", (e) => usage(e.message, "scan")))

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
    inputFormat: Options.choice("input-format", Manifest.formatNames).pipe(
      Options.withDescription(
        "The file's format, when its name does not tell it: " +
          Manifest.formatNames.map((f) => `${f} (${Manifest.formats[f]})`).join(", ") + "."
      ),
      Options.optional
    ),
    failOn: Options.choice("fail-on", thresholds).pipe(
      Options.withDescription(
        "Exit 1 when a finding is at or above this severity (any = every finding). Findings without a published " +
          "severity (malicious-package records, most Go and PyPA advisories) count as at or above every level unless " +
          "--ignore-unrated."
      ),
      Options.withDefault("any" as const)
    ),
    ignoreUnrated: Options.boolean("ignore-unrated").pipe(
      Options.withDescription("Leave findings without a published severity out of the --fail-on gate (they are still listed).")
    ),
    json,
    ...storeAndDataOptions
  },
  (args) =>
    Effect.gen(function*() {
      const manifest = yield* readManifest(args.file, args.inputFormat)
      yield* withManager(args, (store, data) => Effect.gen(function*() {
        if (isSnapshot(data)) yield* loadSnapshot(data)
        yield* requireData(store)
        const report = yield* scanManifest(args.file, manifest)
        const gate = { failOn: args.failOn, ignoreUnrated: args.ignoreUnrated }
        yield* Console.log(
          args.json
            ? JSON.stringify(reportJson(report, gate), null, 2)
            : renderReport(report, { paint: painter(process.stdout), gate })
        )
        const storeFailure = report.results.find((r) => r.storeFailure)
        if (storeFailure !== undefined) return yield* unavailable(`store error: ${storeFailure.error}`)
        if (report.results.some((r) => r.error !== undefined)) {
          return yield* new CliExit({ code: ExitCode.findings, message: "some dependencies could not be checked" })
        }
        if (gated(report, gate).length > 0) return yield* findingsExit
      }))
    })
).pipe(
  Command.withDescription(
    "Check every dependency of a lockfile or PURL list against the store in one batch, with EPSS and KEV. Prints " +
      "every dependency, the findings (severity, EPSS, KEV, fixed version) and a summary; exit 1 when a finding is " +
      "at or above --fail-on. The store must hold data: --redis URL / REDIS_URL after `vulnera sync`, or --offline " +
      "to load the bundled snapshot first."
  )
)
