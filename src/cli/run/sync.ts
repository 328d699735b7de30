/**
 * `vulnera sync`: advisory sync (OSV, one unit per ecosystem) and, with `--enrichment`, the KEV
 * catalog and EPSS scores, with a progress display and a summary table. Exit 1 when a unit failed.
 *
 * The handler part, imported when the command runs (`../commands/sync.ts` holds its options).
 */
import { Console, Effect } from "effect"
import {
  type DataChoice,
  describeStore,
  displayPath,
  ephemeralNotice,
  requireReachable,
  type StoreChoice,
  withManager
} from "../environment.js"
import { findings, unavailable, usage } from "../failure.js"
import { summaryTable } from "../progress.js"
import { syncWithProgress } from "../syncRun.js"
import { painter } from "../table.js"
import type { SyncArgs } from "../commands/sync.js"

const describeTarget = (store: StoreChoice, data: DataChoice) =>
  `syncing ${data._tag === "Snapshot" ? `snapshot ${displayPath(data.dir)}` : "upstream sources"} into ${describeStore(store)}`

/** What `vulnera sync` does (loaded when it runs). */
export const runSync = (args: SyncArgs) =>
    withManager(args, (store, data) =>
      Effect.gen(function*() {
        const health = yield* requireReachable(store)
        if (health.store.evictionRisk !== undefined && !args.allowEviction) {
          return yield* usage(
            `refusing to sync into ${store.display}: ${health.store.evictionRisk}. ` +
              "Set maxmemory-policy noeviction, or pass --allow-eviction and check with `vulnera verify`",
            "sync"
          )
        }
        yield* Effect.sync(() =>
          process.stderr.write(`${describeTarget(store, data)}\n${store.kind === "memory" ? `${ephemeralNotice}\n` : ""}`)
        )
        const outcome = yield* syncWithProgress({ enrichment: args.enrichment })
        yield* Console.log(summaryTable(outcome.stats, outcome.enrichment, painter(process.stdout)))
        if (outcome.stats.storeUnavailable) {
          const units = outcome.stats.units.filter((u) => u.storeUnavailable).map((u) => u.unit)
          return yield* unavailable(`the store at ${store.display} stayed unreachable during the sync (${units.join(", ")})`)
        }
        if (outcome.failed) return yield* findings
      }), args.ecosystems)
