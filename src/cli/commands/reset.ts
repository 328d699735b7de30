/**
 * `vulnera reset-sync <source|--all>`: forget sync timestamps, so the next sync of that source (or
 * unit, or everything) is a full one.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { storeOptions } from "../options.js"

const resetSyncConfig = {
    source: Args.text({ name: "source" }).pipe(
      Args.withDescription("A source (osv, kev, epss) or one unit (osv.npm, osv.pypi, ...); case-insensitive."),
      Args.optional
    ),
    all: Options.boolean("all").pipe(Options.withDescription("Forget every sync timestamp.")),
    ...storeOptions
  }

/** The arguments of `vulnera reset-sync`, as parsed. */
export type ResetSyncArgs = Command.Command.ParseConfig<typeof resetSyncConfig>

/** `vulnera reset-sync` */
export const resetSyncCommand = Command.make("reset-sync", resetSyncConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/reset.js")), (run) => run.runResetSync(args))
).pipe(
  Command.withDescription(
    "Forget the last-sync time of a source (osv: all its ecosystems), one unit (osv.npm) or, with --all, every " +
      "source, so the next `vulnera sync` downloads everything again. An unknown source is an error listing the known ones."
  )
)
