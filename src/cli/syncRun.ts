/**
 * Running a sync from the command line: with the progress display (`vulnera sync`, `vulnera
 * demo`), or quietly to load a snapshot before `query`/`scan` (`--demo`, `--snapshot`).
 */
import { Effect } from "effect"
import type * as Sync from "../Sync.js"
import * as VulnerabilityManager from "../VulnerabilityManager.js"
import { type DataChoice, displayPath } from "./environment.js"
import { CliExit, ExitCode } from "./failure.js"
import { durationText, makeSyncDisplay } from "./progress.js"
import { painter } from "./table.js"

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
