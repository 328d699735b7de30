/**
 * Shared pieces of the benchmarks: size scaling, percentiles, number formatting, Markdown rows and
 * the machine-readable result line `bench/index.ts` collects for its summary table.
 *
 * Benchmarks print figures as ratios against a baseline measured in the same run; they never
 * assert. A figure with a target carries `pass` so the summary can say "pass" or "miss".
 */
import { readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { PerformanceObserver, constants as perfConstants } from "node:perf_hooks"
import { getHeapStatistics } from "node:v8"

/** The prefix of the one line per figure that `bench/index.ts` parses (JSON after it). */
export const resultMarker = "##bench-figure "

/** One figure of a benchmark, as shown in the summary table. */
export interface Figure {
  /** The benchmark (`sync`, `matches`, ...). */
  readonly bench: string
  /** What was measured, e.g. `200k sync: advisories/s vs raw SET`. */
  readonly name: string
  /** The figure as printed (`0.62x`, `183 MB`, `8.1 s`). */
  readonly value: string
  /** The target, when the issues name one (`>= 0.50x`, `< 300 MB`). */
  readonly target?: string | undefined
  /** Whether the target was met (absent when there is no target). */
  readonly pass?: boolean | undefined
}

/** Prints a figure for the summary (one JSON line, after the human-readable output). */
export const emitFigure = (figure: Figure): void => {
  console.log(`${resultMarker}${JSON.stringify(figure)}`)
}

/**
 * `BENCH_SCALE` (default 1): multiplies the sizes the issues name, for a quick run
 * (`BENCH_SCALE=0.1`). Sizes never drop below `min`.
 */
export const scale = (): number => {
  const raw = process.env.BENCH_SCALE
  const value = raw === undefined || raw.trim() === "" ? 1 : Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_SCALE must be a positive number, got ${JSON.stringify(raw)}`)
  return value
}

/** `n` scaled by `BENCH_SCALE`, rounded, at least `min`. */
export const scaled = (n: number, min = 1): number => Math.max(min, Math.round(n * scale()))

/** The value below which `p` percent of the sorted samples fall (nearest rank). */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

/** p50 and p99 of unsorted samples. */
export const latencySummary = (samples: ReadonlyArray<number>): { readonly p50: number; readonly p99: number } => {
  const sorted = samples.slice().sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

/** Megabytes (MiB) with no decimals. */
export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`
/** Milliseconds with three decimals. */
export const ms = (millis: number): string => `${millis.toFixed(3)} ms`
/** A rate per second, rounded, with thousands separators. */
export const perSecond = (count: number, millis: number): string =>
  Math.round((count / millis) * 1000).toLocaleString("en")
/** A ratio as `0.62x`. */
export const ratio = (value: number): string => `${value.toFixed(2)}x`
/** A Markdown table row. */
export const row = (...cells: ReadonlyArray<string | number>): void => console.log(`| ${cells.join(" | ")} |`)

/** One line describing the machine's state, printed at the top of each benchmark. */
export const environmentLine = (): string =>
  `node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`

/**
 * Peak resident set size of this process so far, in bytes: `VmHWM` from /proc/self/status on
 * Linux, else `getrusage` `ru_maxrss`. Not `ru_maxrss` on Linux: it survives `execve`, so a child
 * spawned by a big parent reports at least the parent's RSS at the fork (measured: a sync child
 * of a 380 MB benchmark parent reported 379 MB while its own high-water mark was 252 MB).
 */
export const peakRss = (): number => {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))
    if (hwm !== null) return Number(hwm[1]) * 1024
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return process.resourceUsage().maxRSS * 1024
}

/** What `trackHeap` saw. */
export interface HeapFigures {
  /** The largest V8 heap (`total_heap_size`) sampled every 50 ms. */
  readonly peakHeapTotal: number
  /** The largest used heap measured right after a major GC: roughly what the run retains. */
  readonly liveHeap: number
}

/** Starts watching the V8 heap; call the returned function to stop and read the figures. */
export const trackHeap = (): (() => HeapFigures) => {
  let liveHeap = 0
  let peakHeapTotal = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { readonly detail?: { readonly kind?: number } }).detail?.kind
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) liveHeap = Math.max(liveHeap, getHeapStatistics().used_heap_size)
    }
  })
  observer.observe({ entryTypes: ["gc"] })
  const sampler = setInterval(() => (peakHeapTotal = Math.max(peakHeapTotal, getHeapStatistics().total_heap_size)), 50)
  return () => {
    clearInterval(sampler)
    observer.disconnect()
    return { peakHeapTotal, liveHeap }
  }
}
