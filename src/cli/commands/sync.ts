/**
 * `vulnera sync`: advisory sync (OSV, one unit per ecosystem) and, with `--enrichment`, the KEV
 * catalog and EPSS scores, with a progress display and a summary table. Exit 1 when a unit failed.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import type * as Sync from "../../Sync.js"
import * as VulnerabilityManager from "../../VulnerabilityManager.js"
import {
  type DataChoice,
  displayPath,
  requireReachable,
  storeAndDataOptions,
  type StoreChoice,
  withManager
} from "../environment.js"
import { CliExit, ExitCode, findings, unavailable, usage } from "../failure.js"
import { durationText, makeSyncDisplay, summaryTable } from "../progress.js"
import { painter } from "../table.js"

/** What one sync did. */
export interface SyncOutcome {
  readonly stats: Sync.SyncStats
  readonly enrichment: VulnerabilityManager.EnrichmentSyncResult | undefined
  /** A unit or an enrichment source failed, or a unit was partial (records failed or were rejected). */
  readonly failed: boolean
}

/** Runs the advisory sync (and the enrichment sync) with the progress display on stderr. */
export const syncWithProgress = (options: { readonly enrichment: boolean }) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const display = makeSyncDisplay(process.stderr, painter(process.stderr))
    const stats = yield* manager.syncAll({ onEvent: display.onEvent })
    let enrichment: VulnerabilityManager.EnrichmentSyncResult | undefined
    if (options.enrichment) {
      yield* Effect.sync(() => process.stderr.write("[sync] kev, epss: fetching the KEV catalog and EPSS scores\n"))
      enrichment = yield* manager.syncEnrichment
    }
    const failed = stats.failed > 0 || stats.partial > 0 || enrichment?.kev.status === "failed" ||
      enrichment?.epss.status === "failed"
    return { stats, enrichment, failed } satisfies SyncOutcome
  })

/**
 * Loads a snapshot quietly before `query`/`scan` (one line on stderr, so `--json` output stays
 * clean); a failed unit ends the command with exit 1, since results would be incomplete.
 */
export const loadSnapshot = (data: Extract<DataChoice, { _tag: "Snapshot" }>) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const stats = yield* manager.syncAll()
    const enrichment = yield* manager.syncEnrichment
    const broken = stats.units.filter((u) => u.status === "failed").map((u) => `${u.unit}: ${u.error}`)
    if (enrichment.kev.error !== undefined) broken.push(`kev: ${enrichment.kev.error}`)
    if (enrichment.epss.error !== undefined) broken.push(`epss: ${enrichment.epss.error}`)
    if (broken.length > 0) {
      return yield* new CliExit({ code: ExitCode.findings, message: `snapshot sync failed: ${broken.join("; ")}` })
    }
    const count = yield* Effect.orElseSucceed(manager.store.advisoryCount, () => 0)
    yield* Effect.sync(() =>
      process.stderr.write(
        `loaded snapshot ${displayPath(data.dir)}: ${count} advisories (${stats.units.length} ecosystems), ` +
          `${enrichment.kev.entries} KEV entries, ${enrichment.epss.scores} EPSS scores in ` +
          `${durationText(stats.durationMs + enrichment.durationMs)}\n`
      )
    )
    return { advisories: count, ecosystems: stats.units.length }
  })

const describeTarget = (store: StoreChoice, data: DataChoice) =>
  `syncing ${data._tag === "Snapshot" ? `snapshot ${displayPath(data.dir)}` : "upstream sources"} into ${store.display}`

/** `vulnera sync` */
export const syncCommand = Command.make(
  "sync",
  {
    ecosystems: Options.text("ecosystem").pipe(
      Options.withDescription(
        "Only this OSV ecosystem (repeatable: --ecosystem npm --ecosystem PyPI). Default: " +
          "VULNERA__SOURCES__OSV_ECOSYSTEMS, else npm, PyPI, Maven, Go, crates.io, NuGet, RubyGems, Packagist, Hex, Pub."
      ),
      Options.repeated
    ),
    enrichment: Options.boolean("enrichment").pipe(
      Options.withDescription("Also download the CISA KEV catalog and FIRST EPSS scores.")
    ),
    allowEviction: Options.boolean("allow-eviction").pipe(
      Options.withDescription(
        "Write even though the Redis server can evict keys (maxmemory-policy other than noeviction): evicted " +
          "advisories are lost without an error; check with `vulnera verify`."
      )
    ),
    ...storeAndDataOptions
  },
  (args) =>
    withManager(args, (store, data) =>
      Effect.gen(function*() {
        const health = yield* requireReachable(store)
        if (health.store.evictionRisk !== undefined && !args.allowEviction) {
          return yield* usage(
            `refusing to sync into ${store.display}: ${health.store.evictionRisk}. ` +
              "Set maxmemory-policy noeviction, or pass --allow-eviction and check with `vulnera verify`",
            "sync"
          )
        }
        yield* Effect.sync(() => process.stderr.write(`${describeTarget(store, data)}\n`))
        const outcome = yield* syncWithProgress({ enrichment: args.enrichment })
        yield* Console.log(summaryTable(outcome.stats, outcome.enrichment, painter(process.stdout)))
        if (store.kind === "memory") {
          yield* Console.log(
            "note: the in-memory store ends with this run; use --redis URL (or REDIS_URL) to keep the data for query/scan."
          )
        }
        if (outcome.stats.storeUnavailable) {
          const units = outcome.stats.units.filter((u) => u.storeUnavailable).map((u) => u.unit)
          return yield* unavailable(`the store at ${store.display} stayed unreachable during the sync (${units.join(", ")})`)
        }
        if (outcome.failed) return yield* findings
      }), args.ecosystems)
).pipe(
  Command.withDescription(
    "Sync advisories from OSV (one unit per ecosystem; incremental after the first run) and, with --enrichment, " +
      "KEV and EPSS. Shows progress on a terminal (log lines otherwise) and a summary table. Exit 1 if a unit failed " +
      "or was partial (records that failed or were rejected are listed), 3 if the store stayed unreachable. " +
      "Offline: --demo (bundled demo snapshot) or --snapshot DIR; live URLs can be overridden with " +
      "VULNERA__SOURCES__OSV_URL, VULNERA__SOURCES__KEV_URL, VULNERA__SOURCES__EPSS_BULK_URL."
  )
)
