/**
 * `vulnera demo` (what `npm start` runs): syncs the bundled offline snapshot (examples/data: real
 * OSV records in OSV's bulk layout, a KEV subset, an EPSS subset) through the same OSV/KEV/EPSS
 * source code as live data, into the in-memory store (or Redis/Dragonfly with `--redis` /
 * `REDIS_URL`), then prints the store's health and a vulnerability report for the bundled
 * package-lock.json. `--live` uses the real upstream URLs instead (network; npm ecosystem only).
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { storeOptions } from "../options.js"

const demoConfig = {
    live: Options.boolean("live").pipe(
      Options.withDescription(
        "Sync from the real upstream URLs (osv-vulnerabilities.storage.googleapis.com npm export, CISA KEV, FIRST EPSS) " +
          "instead of the bundled snapshot. Needs network; downloads hundreds of MB."
      )
    ),
    ...storeOptions
  }

/** The arguments of `vulnera demo`, as parsed. */
export type DemoArgs = Command.Command.ParseConfig<typeof demoConfig>

/** `vulnera demo` */
export const demoCommand = Command.make("demo", demoConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/demo.js")), (run) => run.runDemo(args))
).pipe(
  Command.withDescription(
    "The one-command demo: sync the bundled offline snapshot (examples/data) into an in-memory store (or the " +
      "store --store, --redis, VULNERA__STORE__PATH or REDIS_URL name; never the default store in the cache directory), print the store's health and a vulnerability report for " +
      "examples/data/package-lock.json. No network access unless --live. Exit 1 only if the sync failed."
  )
)
