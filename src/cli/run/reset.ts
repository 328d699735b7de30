/**
 * `vulnera reset-sync <source|--all>`: forget sync timestamps, so the next sync of that source (or
 * unit, or everything) is a full one.
 *
 * The handler part, imported when the command runs (`../commands/reset.ts` holds its options).
 */
import { Console, Effect, Option } from "effect"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import { chooseStore, describeStore, managerLayer, requireReachable, upstream } from "../environment.js"
import { usage } from "../failure.js"
import type { ResetSyncArgs } from "../commands/reset.js"

/** What `vulnera reset-sync` does (loaded when it runs). */
export const runResetSync = (args: ResetSyncArgs) =>
    Effect.gen(function*() {
      if (args.all === Option.isSome(args.source)) {
        return yield* usage("give either a source (osv, osv.npm, kev, epss, ...) or --all", "reset-sync")
      }
      const store = yield* chooseStore(args)
      yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        const removed = Option.isSome(args.source)
          ? yield* manager.resetSync(args.source.value)
          : yield* manager.resetAllSyncs
        const what = Option.getOrElse(args.source, () => "all sources")
        yield* Console.log(
          `reset ${removed} sync timestamp${removed === 1 ? "" : "s"} for ${what} in ${describeStore(store)}; ` +
            "the next sync of it is a full one"
        )
      }).pipe(Effect.provide(managerLayer(store, upstream)))
    })
