/**
 * Quickstart: a store and the manager from layers, the bundled offline snapshot synced through the
 * real OSV / KEV / EPSS sources, then the health check, a version match and an enriched query.
 *
 *   npx tsx examples/quickstart.ts                          # in-memory store
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/quickstart.ts   # Redis / DragonflyDB
 *
 * No network access: the snapshot (examples/data, see its README for sources and licenses) is read
 * through `file://` URLs, exactly as a mirror of the upstream files would be.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { readFileSync } from "node:fs"
import { VulnerabilityManager } from "../src/index.js"
import * as Node from "../src/node.js"

const data = new URL("./data/", import.meta.url)
const ecosystems = readFileSync(new URL("osv/ecosystems.txt", data), "utf8").split("\n").filter((l) => l.trim() !== "")

// The store: DragonflyStore when REDIS_URL is set, otherwise the in-memory store
// (VULNERA__STORE__* configure TTLs, compression level and key prefix).
const StoreLive = VulnerabilityManager.storeLayerFromEnv()

// The sources, pointed at the offline snapshot instead of the upstream URLs.
const SourcesLive = Node.sourcesLayerFromEnv({
  osv: { baseUrl: new URL("osv", data).href, ecosystems },
  kev: { url: new URL("kev/known_exploited_vulnerabilities.json", data).href },
  epss: { bulkUrl: new URL("epss/epss_scores-current.csv.gz", data).href }
})

// The manager over both. `Node.layerFromEnv()` is this same wiring in one call
// (plus OSS Index); it is spelled out here to show the parts.
const ManagerLive = VulnerabilityManager.layer().pipe(Layer.provideMerge(StoreLive), Layer.provide(SourcesLive))

const program = Effect.gen(function*() {
  const manager = yield* VulnerabilityManager.VulnerabilityManager
  yield* Console.log(`store: ${process.env.REDIS_URL ? "Redis/Dragonfly (REDIS_URL)" : "in-memory (set REDIS_URL to use Redis/Dragonfly)"}`)

  const sync = yield* manager.syncAll()
  yield* Console.log(
    `sync: ${sync.units.length} units, ${sync.fetched} records fetched, ${sync.written} written, ` +
      `${sync.failed} failed (${sync.units.map((u) => `${u.unit} ${u.mode}`).join(", ")})`
  )
  const enrichment = yield* manager.syncEnrichment
  yield* Console.log(
    `enrichment: KEV ${enrichment.kev.status} (${enrichment.kev.entries} entries), ` +
      `EPSS ${enrichment.epss.status} (${enrichment.epss.scores} scores), ${enrichment.written} CVEs written`
  )

  const health = yield* manager.healthCheck
  yield* Console.log(
    `health: ${health.store.status}, ${health.store.advisoryCount} advisories, server ${health.store.serverVersion ?? "?"}, ` +
      `latency ${health.store.latencyMs} ms, last sync ${health.store.lastSync ?? "never"}`
  )
  for (const unit of health.sync) {
    yield* Console.log(`  ${unit.unit.padEnd(14)} ${Option.match(unit.lastSync, { onNone: () => "never", onSome: (d) => d.toISOString() })}`)
  }

  const matched = yield* manager.matches("npm", "jquery", "3.4.1")
  yield* Console.log(`matches npm/jquery@3.4.1: ${matched.map((a) => a.id).join(", ")}`)
  for (const advisory of matched) {
    yield* Console.log(`  ${advisory.id} ${(advisory.aliases ?? []).join(" ")}: ${advisory.summary ?? ""}`)
  }

  const enriched = yield* manager.queryEnriched("npm", "jquery")
  yield* Console.log(`queryEnriched npm/jquery: ${enriched.length} advisories`)
  for (const advisory of enriched) {
    const e = advisory.enrichment
    const epss = e?.epss_score === undefined ? "EPSS -" : `EPSS ${e.epss_score} (percentile ${e.epss_percentile})`
    const kev = e?.is_kev ? `KEV since ${e.kev_date_added}, due ${e.kev_due_date}` : "not in KEV"
    const cvss = e?.cvss_v3_score === undefined ? "CVSS -" : `CVSS ${e.cvss_v3_score} ${e.cvss_v3_severity ?? ""}`.trim()
    yield* Console.log(`  ${advisory.id}: ${cvss}, ${epss}, ${kev}`)
  }
})

program.pipe(Effect.provide(ManagerLive), NodeRuntime.runMain)
