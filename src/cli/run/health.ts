/**
 * `vulnera health`: the store's status (Healthy / Degraded / Unavailable), advisory count, latency,
 * server version (LMDB: its directory and map usage), and each sync unit's last successful sync.
 * Exit 3 when the store is unreachable.
 *
 * The handler part, imported when the command runs (`../commands/health.ts` holds its options).
 */
import { Console, Effect, Option } from "effect"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import {
  chooseStore,
  managerLayer,
  probeConnection,
  unreachableMessage,
  upstream
} from "../environment.js"
import { unavailable } from "../failure.js"
import { healthLine, syncStatusTable } from "../healthText.js"
import { painter } from "../table.js"
import type { HealthArgs } from "../commands/health.js"

/** What `vulnera health` does (loaded when it runs). */
export const runHealth = (args: HealthArgs) =>
  Effect.gen(function*() {
    const store = yield* chooseStore(args)
    const health = yield* Effect.flatMap(VulnerabilityManager.VulnerabilityManager, (m) => m.healthCheck).pipe(
      Effect.provide(managerLayer(store, upstream))
    )
    if (args.json) {
      yield* Console.log(JSON.stringify(
        {
          store: { ...health.store, target: store.display },
          sync: health.sync.map((s) => ({ ...s, lastSync: Option.getOrNull(Option.map(s.lastSync, (d) => d.toISOString())) }))
        },
        null,
        2
      ))
    } else {
      const paint = painter(process.stdout)
      yield* Console.log(
        health.store.status === "Unavailable" ? healthLine(health, store, paint) : `${healthLine(health, store, paint)}\n\n${syncStatusTable(health)}`
      )
      if (store.kind === "memory") {
        yield* Console.log("note: the in-memory store starts empty on every run; leave REDIS_URL=memory out for the default store.")
      }
    }
    if (health.store.status === "Unavailable") {
      const probe = store.kind === "redis" ? yield* probeConnection(store.redisUrl) : undefined
      return yield* unavailable(unreachableMessage(store, health.store.detail, probe))
    }
  })
