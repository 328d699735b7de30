/**
 * `vulnera health`: the store's status (Healthy / Degraded / Unavailable), advisory count, latency,
 * server version (LMDB: its directory and map usage), and each sync unit's last successful sync.
 * Exit 3 when the store is unreachable.
 */
import { Command } from "@effect/cli"
import { Effect } from "effect"
import { json, storeOptions } from "../options.js"

const healthConfig = { ...storeOptions, json }

/** The arguments of `vulnera health`, as parsed. */
export type HealthArgs = Command.Command.ParseConfig<typeof healthConfig>

/** `vulnera health` */
export const healthCommand = Command.make("health", healthConfig, (args) =>
  Effect.flatMap(Effect.promise(() => import("../run/health.js")), (run) => run.runHealth(args))
).pipe(
    Command.withDescription(
      "Show the store's health (Healthy, Degraded or Unavailable; advisory count; latency; server version) and each " +
        "sync unit's last successful sync; for LMDB its directory and map usage (Degraded above 90%). Exit 3 when the " +
        "store is unreachable."
    )
)
