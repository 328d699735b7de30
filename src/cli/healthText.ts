/**
 * The store's health as text: the one-line summary (`vulnera health`, `vulnera demo`) and the
 * per-unit sync table.
 */
import { Option } from "effect"
import type { ManagerHealth } from "../VulnerabilityManager.js"
import type { StoreChoice } from "./environment.js"
import { type Painter, renderTable } from "./table.js"

/** A share of the LMDB map as a percentage (`0.4%`, `37%`). */
const mapUsage = (usage: number): string => {
  const percent = usage * 100
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`
}

/** `store: Healthy, 459 advisories, ...` — the one-line health summary (also printed by the demo). */
export const healthLine = (health: ManagerHealth, store: StoreChoice, paint: Painter): string => {
  const s = health.store
  const status = paint.paint(s.status, s.status === "Healthy" ? "green" : s.status === "Degraded" ? "yellow" : "red")
  const parts = [
    `${s.advisoryCount.toLocaleString("en-US")} advisories`,
    store.kind === "memory"
      ? "in memory"
      : store.kind === "lmdb"
      ? `LMDB at ${store.display}${s.usage === undefined ? "" : ` (map ${mapUsage(s.usage)} used)`}`
      : `${store.display}${s.serverVersion ? ` (server ${s.serverVersion})` : ""}`,
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
