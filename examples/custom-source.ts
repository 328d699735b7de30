/**
 * A custom `AdvisorySource`: an in-house advisory feed (name `inhouse`, one unit `inhouse.main`)
 * synced by `syncAll` next to OSV, with its own sync timestamp, progress events, incremental
 * fetches and `resetSync("inhouse")`.
 *
 *   npx tsx examples/custom-source.ts
 *
 * The feed is an array here; in practice it is a JSON file, an internal API or a database. Records
 * are decoded with the library's OSV schema: a malformed one becomes a `Failed` item (counted and
 * listed, never silently dropped) and the rest are still written.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Option, ParseResult, Schema, Stream } from "effect"
import { Advisory, AdvisorySource, VulnerabilityManager } from "../src/index.js"
import type { Sync } from "../src/index.js"
import * as Node from "../src/node.js"

/** The in-house feed: OSV JSON, as your security team publishes it. */
const feed: ReadonlyArray<unknown> = [
  {
    id: "ACME-2026-0001",
    modified: "2026-03-02T10:00:00Z",
    published: "2026-03-02T10:00:00Z",
    summary: "Card numbers written to debug logs",
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N" }],
    affected: [{
      package: { ecosystem: "npm", name: "@acme/payments-sdk" },
      ranges: [{ type: "SEMVER", events: [{ introduced: "2.0.0" }, { fixed: "2.4.1" }] }]
    }],
    database_specific: { source: "inhouse", owner: "payments-team" }
  },
  {
    // A house rule about a public package: it shares CVE-2020-11023 with OSV's GHSA-jpcq-cgw6-v4j6,
    // so `queryGrouped` puts both in one group.
    id: "ACME-2026-0002",
    modified: "2026-03-05T08:30:00Z",
    aliases: ["CVE-2020-11023"],
    summary: "jQuery before 3.5.0 is banned on customer-facing pages (XSS, CISA KEV)",
    affected: [{
      package: { ecosystem: "npm", name: "jquery" },
      ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "3.5.0" }] }]
    }]
  },
  // Malformed: `affected` must be a list.
  { id: "ACME-2026-0003", modified: "2026-03-06T00:00:00Z", affected: "every version" }
]

const decodeAdvisory = Schema.decodeUnknownEither(Advisory.Advisory)

/**
 * The feed as an `AdvisorySource`: everything on the first sync, then only what changed since the
 * last successful one (a record without a readable `modified` is always sent: its age is unknown).
 */
const inhouse: AdvisorySource.AdvisorySource = {
  name: "inhouse",
  units: ["inhouse.main"],
  fetch: (_unit, since) => {
    const changed = feed.filter((raw) => {
      const modified = (raw as { modified?: unknown }).modified
      return Option.isNone(since) || typeof modified !== "string" || new Date(modified) > since.value
    })
    return Stream.concat(
      Stream.succeed(AdvisorySource.SourceItem.Started({ mode: Option.isNone(since) ? "full" : "incremental", expected: changed.length })),
      Stream.fromIterable(changed).pipe(Stream.map((raw) => {
        const decoded = decodeAdvisory(raw)
        return decoded._tag === "Right"
          ? AdvisorySource.SourceItem.Record({ advisory: decoded.right })
          : AdvisorySource.SourceItem.Failed({
            id: String((raw as { id?: unknown }).id ?? "?"),
            // The first issue says what is wrong and where (the others are the alternatives of a union).
            detail: ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
              .slice(0, 1)
              .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
              .join(""),
            retryable: false
          })
      }))
    )
  }
}

const data = new URL("./data/", import.meta.url)
const ManagerLive = Node.layerFromEnv({
  redisUrl: "memory",
  sources: [inhouse], // synced after OSV
  osv: { baseUrl: new URL("osv", data).href, ecosystems: ["npm"] },
  ossIndex: false
})

/** One line per progress event. */
const printEvent = (event: Sync.SyncEvent) => {
  switch (event._tag) {
    case "SyncStarted":
      return Console.log(`[sync] started: ${event.units.join(", ")}`)
    case "UnitStarted":
      return Console.log(`[sync] ${event.unit}: ${event.mode} sync, ${event.expected ?? "unknown number of"} records expected`)
    case "UnitProgress":
      return Console.log(`[sync] ${event.unit}: ${event.fetched} fetched, ${event.written} written, ${event.failed} failed`)
    case "UnitFinished": {
      const s = event.stats
      const failures = s.failures.map((f) => `${f.id} (${f.detail})`).join("; ")
      return Console.log(
        `[sync] ${s.unit}: ${s.status}, ${s.inserted} inserted, ${s.updated} updated, ${s.failed} failed` +
          (failures === "" ? "" : ` — ${failures}`)
      )
    }
    case "SyncFinished":
      return Console.log(`[sync] finished: ${event.stats.succeeded} succeeded, ${event.stats.partial} partial, ${event.stats.failed} failed`)
  }
}

const program = Effect.gen(function*() {
  const manager = yield* VulnerabilityManager.VulnerabilityManager
  yield* Console.log(`sources: ${manager.sources.map((s) => `${s.name} (${s.units.join(", ")})`).join(", ")}`)

  yield* manager.syncAll({ onEvent: printEvent })

  const payments = yield* manager.matches("npm", "@acme/payments-sdk", "2.3.0")
  yield* Console.log(`matches npm/@acme/payments-sdk@2.3.0: ${payments.map((a) => `${a.id} (${a.summary})`).join(", ")}`)
  const fixed = yield* manager.matches("npm", "@acme/payments-sdk", "2.4.1")
  yield* Console.log(`matches npm/@acme/payments-sdk@2.4.1: ${fixed.length} advisories`)
  const groups = yield* manager.queryGrouped("npm", "jquery")
  const shared = groups.find((g) => g.advisories.some((a) => a.id === "ACME-2026-0002"))
  yield* Console.log(`queryGrouped npm/jquery: ACME-2026-0002 is grouped with ${shared?.advisories.map((a) => a.id).join(", ")}`)

  const lastSync = yield* manager.lastSync("inhouse")
  yield* Console.log(`lastSync(inhouse): ${Option.map(lastSync, (d) => d.toISOString()).pipe(Option.getOrElse(() => "never"))}`)

  yield* Console.log("second sync of inhouse (incremental: nothing changed since):")
  yield* manager.syncAll({ only: ["inhouse"], onEvent: printEvent })

  const reset = yield* manager.resetSync("inhouse")
  yield* Console.log(`resetSync(inhouse): ${reset} unit reset; lastSync(inhouse) is now ${Option.isNone(yield* manager.lastSync("inhouse")) ? "never" : "set"}`)
  yield* Console.log("third sync of inhouse (full again after the reset):")
  yield* manager.syncAll({ only: ["inhouse"], onEvent: printEvent })

  const unknown = yield* Effect.flip(manager.resetSync("inhous"))
  yield* Console.log(`resetSync(inhous): ${unknown._tag}: ${unknown.message}`)
})

program.pipe(Effect.provide(ManagerLive), NodeRuntime.runMain)
