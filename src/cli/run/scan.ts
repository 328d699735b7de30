/**
 * `vulnera scan <file>`: checks every dependency of a lockfile or PURL list in one batch
 * (`ScanReport.scan`) and prints the report as a table, JSON, SARIF, CycloneDX or Markdown; exit 1
 * when the gate (`ScanReport.gate`) fails: a finding at or above `--fail-on`, a not-covered
 * dependency (unless `--allow-uncovered`), an undetermined advisory (unless
 * `--ignore-undetermined`) or a failed lookup.
 *
 * The handler part, imported when the command runs (`../commands/scan.ts` holds its options).
 */
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
  withManager
} from "../environment.js"
import { findings as findingsExit, unavailable, usage } from "../failure.js"
import { version as cliVersion } from "../version.js"
import { renderReport } from "../report.js"
import { painter } from "../table.js"
import { readManifest } from "../manifestInput.js"
import { loadSnapshot } from "../syncRun.js"
import type { ScanArgs } from "../commands/scan.js"

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

/** What `vulnera scan` does (loaded when it runs). */
export const runScan = (args: ScanArgs) =>
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

/** The report in the chosen format. */
const render = (report: ScanReport.ScanReport, format: ScanArgs["format"], gate: ScanReport.Gate): string => {
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
