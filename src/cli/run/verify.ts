/** What `vulnera verify` does (loaded when it runs). */
import { Console, Effect } from "effect"
import type { VerifyReport } from "../../AdvisoryStore.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import type { VerifyArgs } from "../commands/verify.js"
import { chooseStore, managerLayer, requireReachable, type StoreChoice, upstream } from "../environment.js"
import { findings } from "../failure.js"

/** Corrupt record ids named in the text (all of them are in `--json`). */
const corruptShown = 10

/** Whether problems remain after the run (exit 1). */
export const problemsRemain = (report: VerifyReport): boolean =>
  (report.missingAdvisories > 0 || report.staleSummaries > 0 || report.corruptRecords.length > 0) && !report.repaired

/** The human-readable verify summary. */
export const verifyText = (report: VerifyReport, store: StoreChoice): string => {
  const lines = [
    `verified ${store.display}: ${report.indexSets} index sets, ${report.indexEntries} index entries, ` +
    `${report.recordedAdvisories} recorded advisories`
  ]
  if (report.missingSummaries > 0) {
    lines.push(
      `${report.missingSummaries} index entries have no match summary: matching reads their full records (slower, same answers); \`vulnera sync\` writes them again`
    )
  }
  if (report.staleSummaries > 0) {
    lines.push(
      report.repaired
        ? `${report.staleSummaries} match summaries disagreed with their records (re-written by another writer?) and were deleted: matching reads those records now`
        : `${report.staleSummaries} match summaries disagree with their records (re-written by another writer?): matching trusts them, so a query can miss an advisory; run \`vulnera verify --repair\` to delete them`
    )
  }
  if (report.corruptRecords.length > 0) {
    const shown = report.corruptRecords.slice(0, corruptShown).join(", ")
    const more = report.corruptRecords.length > corruptShown ? ` and ${report.corruptRecords.length - corruptShown} more` : ""
    lines.push(
      `${report.corruptRecords.length} stored records cannot be read (${shown}${more}): a query listing one fails, ` +
        (report.repaired
          ? `or is decided by its match summary alone; they are kept, and sync times were cleared for ${
            report.resetSources.length === 0 ? "no unit (none was recorded)" : report.resetSources.join(", ")
          }: run \`vulnera sync\` to write them again`
          : "or is decided by its match summary alone; run `vulnera verify --repair` (clears their units' sync times), then `vulnera sync`")
    )
  }
  if (report.missingAdvisories === 0) {
    if (report.corruptRecords.length === 0 && report.staleSummaries === 0) lines.push("no problems found")
    return lines.join("\n")
  }
  lines.push(
    `${report.missingAdvisories} advisories are referenced but their data is missing or expired: ` +
      `${report.danglingIndexEntries} index entries point at nothing, ` +
      `${report.danglingRecords} of the count's records have no data`,
    `affected ecosystems: ${report.affectedEcosystems.length === 0 ? "unknown" : report.affectedEcosystems.join(", ")}`
  )
  lines.push(
    report.repaired
      ? `repaired: dangling entries removed; sync times cleared for ${
        report.resetSources.length === 0 ? "no unit (none was recorded)" : report.resetSources.join(", ")
      }; run \`vulnera sync\` to download the lost advisories again`
      : "queries miss these advisories: run `vulnera verify --repair`, then `vulnera sync`"
  )
  return lines.join("\n")
}

/** Runs the check (and the repair) and prints the report; exit 1 when problems remain. */
export const runVerify = (args: VerifyArgs) =>
  Effect.gen(function*() {
    const store = yield* chooseStore(args)
    const report = yield* Effect.gen(function*() {
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      yield* requireReachable(store)
      return yield* manager.store.verify({ repair: args.repair })
    }).pipe(Effect.provide(managerLayer(store, upstream)))
    yield* Console.log(args.json ? JSON.stringify({ target: store.display, ...report }, null, 2) : verifyText(report, store))
    if (problemsRemain(report)) return yield* findings
  })
