/**
 * `vulnera demo` (what `npm start` runs): syncs the bundled offline snapshot (examples/data: real
 * OSV records in OSV's bulk layout, a KEV subset, an EPSS subset) through the same OSV/KEV/EPSS
 * source code as live data, into the in-memory store (or Redis/Dragonfly with `--redis` /
 * `REDIS_URL`), then prints the store's health and a vulnerability report for the bundled
 * package-lock.json. `--live` uses the real upstream URLs instead (network; npm ecosystem only).
 *
 * The handler part, imported when the command runs (`../commands/demo.ts` holds its options).
 */
import { Console, Effect, Option } from "effect"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import {
  bundledSnapshotDir,
  chooseData,
  chooseStore,
  demoNotice,
  describeStore,
  displayPath,
  managerLayer,
  requireReachable
} from "../environment.js"
import { findings } from "../failure.js"
import { summaryTable } from "../progress.js"
import * as ScanReport from "../../ScanReport.js"
import { renderReport } from "../report.js"
import { painter } from "../table.js"
import { healthLine } from "../healthText.js"
import { readManifest } from "../manifestInput.js"
import { syncWithProgress } from "../syncRun.js"
import type { DemoArgs } from "../commands/demo.js"

/** The lockfile the demo reports on. */
export const demoLockfile = `${bundledSnapshotDir}/package-lock.json`

/** What `vulnera demo` does (loaded when it runs). */
export const runDemo = (args: DemoArgs) =>
    Effect.gen(function*() {
      const store = yield* chooseStore(args, { ephemeral: true })
      const data = args.live
        ? yield* chooseData({ demo: false, snapshot: Option.none(), ecosystems: ["npm"] })
        : yield* chooseData({ demo: true, snapshot: Option.none() })
      const paint = painter(process.stdout)
      const manifest = yield* readManifest(demoLockfile, Option.some("npm"))
      yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        yield* Console.log(
          `${paint.paint("vulnera demo", "bold")}: ` +
            (data._tag === "Snapshot"
              ? `syncing the bundled offline snapshot (${data.ecosystems.length} OSV ecosystems in OSV's bulk layout, ` +
                "a CISA KEV subset, a FIRST EPSS subset; file:// URLs, no network)"
              : "syncing live upstream data (OSV npm export, CISA KEV, FIRST EPSS)") +
            ` into ${describeStore(store)}\n`
        )
        const outcome = yield* syncWithProgress({ enrichment: true })
        yield* Console.log(`${summaryTable(outcome.stats, outcome.enrichment, paint)}\n`)
        const health = yield* manager.healthCheck
        yield* Console.log(`${healthLine(health, store, paint)}\n`)
        yield* Console.log(`${paint.paint(`vulnerability report for ${displayPath(demoLockfile)}`, "bold")}\n`)
        const report = yield* ScanReport.scan(
          manifest.files.map((f) => ScanReport.inputOf(f, displayPath)),
          { notice: data._tag === "Snapshot" ? demoNotice(health.store.advisoryCount, data.ecosystems.length) : undefined }
        )
        yield* Console.log(renderReport(report, { paint }))
        yield* Console.log(
          "\nnext: `npx tsx src/cli/main.ts scan examples/data/purls.txt --demo` (many ecosystems), " +
            "`... query npm jquery --version 3.4.1 --enriched --demo`, `... --help`"
        )
        if (outcome.failed) return yield* findings
      }).pipe(Effect.provide(managerLayer(store, data)))
    })
