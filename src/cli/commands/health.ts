/**
 * `vulnera health`: the store's status (Healthy / Degraded / Unavailable), advisory count, latency,
 * server version, and each sync unit's last successful sync. Exit 3 when the store is unreachable.
 */
import { Command } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import type { ManagerHealth } from "../../VulnerabilityManager.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import {
  chooseStore,
  managerLayer,
  probeConnection,
  redisOption,
  type StoreChoice,
  unreachableMessage,
  upstream
} from "../environment.js"
import { json } from "../options.js"
import { unavailable } from "../failure.js"
import { type Painter, painter, renderTable } from "../table.js"

/** `store: Healthy, 459 advisories, ...` — the one-line health summary (also printed by the demo). */
export const healthLine = (health: ManagerHealth, store: StoreChoice, paint: Painter): string => {
  const s = health.store
  const status = paint.paint(s.status, s.status === "Healthy" ? "green" : s.status === "Degraded" ? "yellow" : "red")
  const parts = [
    `${s.advisoryCount.toLocaleString("en-US")} advisories`,
    store.kind === "memory" ? "in memory" : `${store.display}${s.serverVersion ? ` (server ${s.serverVersion})` : ""}`,
    `latency ${s.latencyMs} ms`,
    `last sync ${s.lastSync ?? "never"}`
  ]
  const detail = s.detail?.replace(`${store.display}: `, "")
  return `store: ${status}, ${parts.join(", ")}${detail ? ` (${detail})` : ""}`
}

/** The per-unit sync table. */
export const syncStatusTable = (health: ManagerHealth): string =>
  renderTable(
    [{ header: "source" }, { header: "unit" }, { header: "last successful sync" }],
    health.sync.map((s) => [
      s.source,
      s.unit,
      Option.match(s.lastSync, { onNone: () => "never", onSome: (d) => d.toISOString() })
    ])
  )

/** `vulnera health` */
export const healthCommand = Command.make("health", { redis: redisOption, json }, (args) =>
  Effect.gen(function*() {
    const store = yield* chooseStore(args.redis)
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
        yield* Console.log("note: the in-memory store starts empty on every run; use --redis URL or REDIS_URL for a lasting store.")
      }
    }
    if (health.store.status === "Unavailable") {
      const probe = store.kind === "redis" ? yield* probeConnection(store.redisUrl) : undefined
      return yield* unavailable(unreachableMessage(store, health.store.detail, probe))
    }
  })).pipe(
    Command.withDescription(
      "Show the store's health (Healthy, Degraded or Unavailable; advisory count; latency; server version) and each " +
        "sync unit's last successful sync. Exit 3 when the store is unreachable. With the in-memory store this shows " +
        "an empty store (it lives only for this run)."
    )
  )
