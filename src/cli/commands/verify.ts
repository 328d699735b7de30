/**
 * `vulnera verify [--repair]`: walks the store's indexes and the count's bookkeeping and reports
 * references to advisory data that is gone (what a Redis server with an eviction policy leaves
 * behind). `--repair` removes them and clears the sync times of the affected units, so the next
 * `vulnera sync` of those units is full. Exit 1 when problems were found and not repaired.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import type { VerifyReport } from "../../AdvisoryStore.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import { chooseStore, managerLayer, redisOption, requireReachable, type StoreChoice, upstream } from "../environment.js"
import { findings } from "../failure.js"
import { json } from "../options.js"

/** The human-readable verify summary. */
export const verifyText = (report: VerifyReport, store: StoreChoice): string => {
  const lines = [
    `verified ${store.display}: ${report.indexSets} index sets, ${report.indexEntries} index entries, ` +
    `${report.recordedAdvisories} recorded advisories`
  ]
  if (report.missingAdvisories === 0) {
    lines.push("no problems found")
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

/** `vulnera verify` */
export const verifyCommand = Command.make(
  "verify",
  {
    repair: Options.boolean("repair").pipe(
      Options.withDescription("Remove dangling entries and clear the sync times of the affected units (next sync is full).")
    ),
    redis: redisOption,
    json
  },
  (args) =>
    Effect.gen(function*() {
      const store = yield* chooseStore(args.redis)
      const report = yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        return yield* manager.store.verify({ repair: args.repair })
      }).pipe(Effect.provide(managerLayer(store, upstream)))
      yield* Console.log(args.json ? JSON.stringify({ target: store.display, ...report }, null, 2) : verifyText(report, store))
      if (report.missingAdvisories > 0 && !report.repaired) return yield* findings
    })
).pipe(
  Command.withDescription(
    "Check the store for advisories lost behind its back (Redis eviction): index entries and count records whose " +
      "data is missing or expired. --repair removes them and clears the sync times of the affected units, so the " +
      "next `vulnera sync` downloads them again. Exit 1 when problems were found and not repaired."
  )
)
