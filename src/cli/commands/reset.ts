/**
 * `vulnera reset-sync <source|--all>`: forget sync timestamps, so the next sync of that source (or
 * unit, or everything) is a full one.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import { chooseStore, managerLayer, redisOption, requireReachable, upstream } from "../environment.js"
import { usage } from "../failure.js"

/** `vulnera reset-sync` */
export const resetSyncCommand = Command.make(
  "reset-sync",
  {
    source: Args.text({ name: "source" }).pipe(
      Args.withDescription("A source (osv, kev, epss) or one unit (osv.npm, osv.pypi, ...); case-insensitive."),
      Args.optional
    ),
    all: Options.boolean("all").pipe(Options.withDescription("Forget every sync timestamp.")),
    redis: redisOption
  },
  (args) =>
    Effect.gen(function*() {
      if (args.all === Option.isSome(args.source)) {
        return yield* usage("give either a source (osv, osv.npm, kev, epss, ...) or --all", "reset-sync")
      }
      const store = yield* chooseStore(args.redis)
      yield* Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* requireReachable(store)
        const removed = Option.isSome(args.source)
          ? yield* manager.resetSync(args.source.value)
          : yield* manager.resetAllSyncs
        const what = Option.getOrElse(args.source, () => "all sources")
        yield* Console.log(
          `reset ${removed} sync timestamp${removed === 1 ? "" : "s"} for ${what} in ${store.display}; ` +
            "the next sync of it is a full one"
        )
      }).pipe(Effect.provide(managerLayer(store, upstream)))
    })
).pipe(
  Command.withDescription(
    "Forget the last-sync time of a source (osv: all its ecosystems), one unit (osv.npm) or, with --all, every " +
      "source, so the next `vulnera sync` downloads everything again. An unknown source is an error listing the known ones."
  )
)
