/**
 * The sync progress display and summary.
 *
 * On a terminal, one line per unit (records read and written, failures, rate, ETA when the source
 * announced how many records to expect) redrawn in place with ANSI cursor movement, at most ten
 * times a second. Elsewhere (CI logs, pipes) plain log lines: a unit's start, its progress every
 * few seconds, its end. Progress goes to stderr; the summary table is the command's output.
 */
import { Clock, Effect } from "effect"
import { sanitizeForDisplay } from "../internal/sanitize.js"
import type { EnrichmentSyncResult } from "../VulnerabilityManager.js"
import type * as Sync from "../Sync.js"
import { type Painter, renderTable, stripAnsi, truncate, visibleWidth } from "./table.js"

interface UnitState {
  phase: "waiting" | "running" | "done"
  mode: "full" | "incremental" | undefined
  expected: number | undefined
  fetched: number
  written: number
  failed: number
  elapsedMs: number
  stats: Sync.UnitStats | undefined
  lastLogged: number
}

/** Receives the sync's events. */
export interface SyncDisplay {
  readonly onEvent: (event: Sync.SyncEvent) => Effect.Effect<void>
}

const number = (n: number) => n.toLocaleString("en-US")

/** `850/s`, `1.2k/s`. */
const rateText = (perSecond: number) =>
  perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k/s` : `${Math.round(perSecond)}/s`

/** `4s`, `2m05s`. */
export const durationText = (ms: number): string => {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`
}

const rateAndEta = (unit: UnitState): string => {
  if (unit.elapsedMs <= 0 || unit.fetched === 0) return ""
  const rate = (unit.fetched / unit.elapsedMs) * 1000
  const eta = unit.expected !== undefined && unit.expected > unit.fetched && rate > 0
    ? `  ETA ${durationText(((unit.expected - unit.fetched) / rate) * 1000)}`
    : ""
  return `  ${rateText(rate)}${eta}`
}

const bar = (fetched: number, expected: number | undefined) => {
  if (expected === undefined || expected <= 0) return ""
  const ratio = Math.min(1, fetched / expected)
  const filled = Math.round(ratio * 20)
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  `
}

const counts = (unit: UnitState) =>
  `${number(unit.fetched)}${unit.expected === undefined ? "" : `/${number(unit.expected)}`} read, ` +
  `${number(unit.written)} written${unit.failed > 0 ? `, ${number(unit.failed)} failed` : ""}`

const failedText = (stats: Sync.UnitStats) =>
  stats.failed === 0
    ? ""
    : `, ${number(stats.failed)} failed${stats.rejected > 0 ? ` (${number(stats.rejected)} rejected)` : ""}`

const finishedText = (stats: Sync.UnitStats) =>
  stats.status === "failed"
    ? `FAILED: ${sanitizeForDisplay(stats.error ?? "unknown reason")}`
    : `${stats.status}: ${number(stats.fetched)} read, ${number(stats.written)} written${failedText(stats)}` +
      ` in ${durationText(stats.durationMs)}`

/**
 * A display writing to `stream`: redrawn in place when it is a terminal, log lines otherwise
 * (`logEveryMs` apart per unit).
 */
export const makeSyncDisplay = (
  stream: NodeJS.WriteStream,
  paint: Painter,
  options: { readonly logEveryMs?: number } = {}
): SyncDisplay => {
  const tty = stream.isTTY === true
  const logEvery = options.logEveryMs ?? 5_000
  const units = new Map<string, UnitState>()
  let drawn = 0
  let lastDraw = 0
  const write = (text: string) => Effect.sync(() => void stream.write(text))
  const nameWidth = () => {
    let width = 4
    for (const name of units.keys()) width = Math.max(width, name.length)
    return width
  }

  const lineOf = (name: string, unit: UnitState) => {
    const label = name.padEnd(nameWidth())
    switch (unit.phase) {
      case "waiting":
        return `${label}  ${paint.paint("waiting", "dim")}`
      case "running":
        return `${label}  ${unit.mode ?? ""}  ${bar(unit.fetched, unit.expected)}${counts(unit)}${rateAndEta(unit)}`
      case "done": {
        const stats = unit.stats!
        const mark = stats.status === "failed"
          ? paint.paint("x", "red")
          : stats.status === "partial"
          ? paint.paint("!", "yellow")
          : paint.paint("ok", "green")
        return `${label}  ${mark} ${finishedText(stats)}`
      }
    }
  }

  const redraw = (force: boolean) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (!force && now - lastDraw < 100) return Effect.void
      lastDraw = now
      const width = Math.max(40, (stream.columns || 120) - 1)
      const fit = (line: string) => (visibleWidth(line) <= width ? line : truncate(stripAnsi(line), width))
      const lines = Array.from(units, ([name, unit]) => `\u001b[2K${fit(lineOf(name, unit))}\n`)
      const up = drawn > 0 ? `\u001b[${drawn}A` : ""
      drawn = lines.length
      return write(up + lines.join(""))
    })

  const log = (name: string, text: string) => write(`[sync] ${name}: ${text}\n`)

  const onEvent = (event: Sync.SyncEvent): Effect.Effect<void> => {
    switch (event._tag) {
      case "SyncStarted": {
        for (const unit of event.units) {
          units.set(unit, {
            phase: "waiting",
            mode: undefined,
            expected: undefined,
            fetched: 0,
            written: 0,
            failed: 0,
            elapsedMs: 0,
            stats: undefined,
            lastLogged: 0
          })
        }
        return tty ? redraw(true) : log("sync", `${event.units.length} unit(s): ${event.units.join(", ")}`)
      }
      case "UnitStarted": {
        const unit = units.get(event.unit)
        if (unit === undefined) return Effect.void
        unit.phase = "running"
        unit.mode = event.mode
        unit.expected = event.expected
        return tty
          ? redraw(true)
          : log(event.unit, `started (${event.mode}${event.expected === undefined ? "" : `, ${number(event.expected)} records expected`})`)
      }
      case "UnitProgress": {
        const unit = units.get(event.unit)
        if (unit === undefined) return Effect.void
        unit.phase = "running"
        unit.fetched = event.fetched
        unit.written = event.written
        unit.failed = event.failed
        unit.expected = event.expected ?? unit.expected
        unit.elapsedMs = event.elapsedMs
        if (tty) return redraw(false)
        if (event.elapsedMs - unit.lastLogged < logEvery) return Effect.void
        unit.lastLogged = event.elapsedMs
        return log(event.unit, `${counts(unit)}${rateAndEta(unit)}`)
      }
      case "UnitFinished": {
        const unit = units.get(event.stats.unit)
        if (unit === undefined) return Effect.void
        unit.phase = "done"
        unit.stats = event.stats
        return tty ? redraw(true) : log(event.stats.unit, finishedText(event.stats))
      }
      case "SyncFinished":
        return tty ? redraw(true) : Effect.void
    }
  }
  return { onEvent }
}

/** The summary table of a sync (and of the enrichment sync, when it ran). */
export const summaryTable = (stats: Sync.SyncStats, enrichment: EnrichmentSyncResult | undefined, paint: Painter) => {
  const status = (s: string) => paint.paint(s, s === "failed" ? "red" : s === "partial" ? "yellow" : "green")
  const rows = stats.units.map((u) => [
    u.unit,
    u.mode,
    status(u.status),
    number(u.fetched),
    number(u.written),
    number(u.withdrawn),
    number(u.failed),
    durationText(u.durationMs),
    sanitizeForDisplay(u.error ?? (u.failures.length > 0 ? `e.g. ${u.failures[0]!.id}: ${u.failures[0]!.detail}` : ""))
  ])
  if (enrichment !== undefined) {
    const kev = enrichment.kev
    const epss = enrichment.epss
    rows.push([
      "kev",
      "full",
      status(kev.status),
      number(kev.entries),
      "",
      "",
      number(kev.malformed),
      "",
      kev.error ?? (kev.catalogVersion === undefined ? "" : `catalog ${kev.catalogVersion}`)
    ])
    rows.push([
      "epss",
      "full",
      status(epss.status),
      number(epss.scores),
      "",
      "",
      number(epss.malformed),
      durationText(enrichment.durationMs),
      epss.error ?? (epss.scoreDate === undefined ? "" : `scores of ${epss.scoreDate}`)
    ])
  }
  const table = renderTable(
    [
      { header: "unit" },
      { header: "mode" },
      { header: "status" },
      { header: "read", align: "right" },
      { header: "written", align: "right" },
      { header: "withdrawn", align: "right" },
      { header: "failed", align: "right" },
      { header: "time", align: "right" },
      { header: "note", maxWidth: 70 }
    ],
    rows
  )
  const totals = `${stats.units.length} unit(s): ${stats.succeeded} succeeded, ${stats.partial} partial, ` +
    `${stats.failed} failed; ${number(stats.fetched)} records read, ${number(stats.written)} written` +
    (stats.rejected > 0 ? `, ${number(stats.rejected)} rejected` : "") +
    (enrichment === undefined ? "" : `; ${number(enrichment.written)} enrichment entries written`) +
    ` in ${durationText(stats.durationMs + (enrichment?.durationMs ?? 0))}`
  return `${table}\n${totals}${failureList(stats)}`
}

/** Failed and rejected records, a few per unit (ids and reasons are already sanitized by the sync). */
const failureList = (stats: Sync.SyncStats, perUnit = 10): string => {
  const lines: Array<string> = []
  for (const unit of stats.units) {
    for (const failure of unit.failures.slice(0, perUnit)) {
      const what = failure.kind === "rejected" ? "rejected" : failure.retryable ? "failed (will be fetched again)" : "failed"
      lines.push(`  ${unit.unit}: ${what} ${failure.id}: ${failure.detail}`)
    }
    if (unit.failed > Math.min(perUnit, unit.failures.length)) {
      lines.push(`  ${unit.unit}: ... and ${number(unit.failed - Math.min(perUnit, unit.failures.length))} more`)
    }
  }
  return lines.length === 0 ? "" : `\nrecords not written:\n${lines.join("\n")}`
}
