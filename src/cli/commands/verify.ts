/**
 * `vulnera verify [--repair]`: walks the store's indexes and the count's bookkeeping and reports
 * references to advisory data that is gone (what a Redis server with an eviction policy leaves
 * behind), records that cannot be read, and match summaries that disagree with their records.
 * `--repair` removes the dangling references, deletes the stale summaries and clears the sync
 * times of the affected units, so the next `vulnera sync` of those units is full. Exit 1 when
 * problems were found and not repaired.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { json, storeOptions } from "../options.js"

const verifyConfig = {
  repair: Options.boolean("repair").pipe(
    Options.withDescription(
      "Remove dangling entries, delete stale match summaries, and clear the sync times of the units of lost or " +
        "unreadable advisories (next sync is full)."
    )
  ),
  ...storeOptions,
  json
}

/** The arguments of `vulnera verify`, as parsed. */
export type VerifyArgs = Command.Command.ParseConfig<typeof verifyConfig>

/** `vulnera verify` */
export const verifyCommand = Command.make("verify", verifyConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/verify.js")), (run) => run.runVerify(args))
).pipe(
  Command.withDescription(
    "Check the store for advisories lost behind its back (Redis eviction): index entries and count records whose " +
      "data is missing or expired; stored records that cannot be read; match summaries that disagree with their " +
      "records (re-written by another writer). Reads every stored record once. --repair removes the dangling " +
      "entries, deletes the stale summaries and clears the sync times of the affected units, so the next " +
      "`vulnera sync` downloads them again. Exit 1 when problems were found and not repaired."
  )
)
