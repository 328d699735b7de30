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
import * as Manifests from "../manifests.js"
import { json } from "../options.js"
import { gated, renderReport, reportJson, scanManifest } from "../report.js"
import { painter } from "../table.js"
import { loadSnapshot } from "./sync.js"

/** Reads and parses a dependency file (format from `--format`, else its name, else its content). */
export const readManifest = (file: string, format: Option.Option<Manifests.Format>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* Effect.mapError(fs.readFileString(file), (e) => usage(`cannot read ${file}: ${e.message}`, "scan"))
    const chosen = Option.getOrElse(format, () => Manifests.formatOfName(file) ?? Manifests.formatOfContent(text))
    return yield* Effect.mapError(Manifests.parse(text, file, chosen), (e) => usage(e.detail, "scan"))
  })

/** `vulnera scan` */
export const scanCommand = Command.make(
  "scan",
  {
    file: Args.file({ name: "file", exists: "yes" }).pipe(
      Args.withDescription(
        "package-lock.json / npm-shrinkwrap.json (lockfile v1-v3), requirements.txt (== pins), Cargo.lock, go.sum, " +
          "or a PURL list (one per line, # comments)"
      )
    ),
    format: Options.choice("format", Manifests.formats).pipe(
      Options.withDescription("The file's format; default: from its name, else JSON lockfile or PURL list by content."),
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
      const manifest = yield* readManifest(args.file, args.format)
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
