/**
 * Plain-text tables and terminal colors for the command line.
 *
 * The layout is hand-written (about 60 lines) rather than a table package: the output needs only
 * left/right alignment and width caps. Widths come from `string-width` (East Asian wide characters
 * take two columns, emoji sequences one glyph, ANSI sequences none) and cuts fall between grapheme
 * clusters (`Intl.Segmenter`), so a cut never splits an emoji or a combining sequence.
 * Colors are used only when the stream is a terminal and `NO_COLOR` is unset
 * (https://no-color.org), so piped output and tests see plain text.
 */
import { createRequire } from "node:module"
import type { Severity } from "../Advisory.js"

/** Whether `stream` gets colors. */
export const colorsFor = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && (process.env.NO_COLOR ?? "") === "" && process.env.TERM !== "dumb"

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39]
} as const

/** A text style. */
export type Style = keyof typeof codes

/** Styles text for one stream (identity without colors). */
export interface Painter {
  readonly enabled: boolean
  readonly paint: (text: string, ...styles: ReadonlyArray<Style>) => string
}

/** A painter for `stream`, or a no-op when colors are off. */
export const painter = (stream: NodeJS.WriteStream = process.stdout): Painter => {
  const enabled = colorsFor(stream)
  return {
    enabled,
    paint: (text, ...styles) =>
      !enabled || text === ""
        ? text
        : styles.reduce((acc, style) => `\u001b[${codes[style][0]}m${acc}\u001b[${codes[style][1]}m`, text)
  }
}

/** The severity's color. */
export const severityStyles = (severity: Severity | undefined): ReadonlyArray<Style> =>
  severity === "CRITICAL"
    ? ["red", "bold"]
    : severity === "HIGH"
    ? ["red"]
    : severity === "MEDIUM"
    ? ["yellow"]
    : severity === "LOW"
    ? ["cyan"]
    : ["dim"]

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*[A-Za-z]/g

/** The text without ANSI sequences. */
export const stripAnsi = (text: string): string => text.replace(ansi, "")

const printableAscii = /^[\x20-\x7e]*$/
let stringWidth: ((text: string) => number) | undefined

/**
 * Printed width of a string in terminal columns (ANSI sequences take no room, wide characters
 * two). Printable ASCII is its length; anything else is measured by `string-width`, loaded on the
 * first such text: loading it builds Unicode property regexes (`\p{RGI_Emoji}`, about 50 ms of a
 * cold start) that JSON output and plain ASCII tables never need. Bundled, `require` is esbuild's
 * (the bundled module, evaluated on that first call); from source (tsx, an ES module) it is
 * Node's (`require` of an ES module, Node >= 20.19).
 */
export const visibleWidth = (text: string): number => {
  if (printableAscii.test(text)) return text.length
  stringWidth ??= ((typeof require === "function" ? require("string-width") : createRequire(import.meta.url)("string-width")) as {
    readonly default: (text: string) => number
  }).default
  return stringWidth(text)
}

let graphemes: Intl.Segmenter | undefined

/** Cuts plain text to `width` columns, marking the cut with `…`, never inside a grapheme cluster. */
export const truncate = (text: string, width: number): string => {
  if (visibleWidth(text) <= width) return text
  const room = width <= 1 ? width : width - 1
  let out = ""
  let used = 0
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" })
  for (const { segment } of graphemes.segment(text)) {
    const w = visibleWidth(segment)
    if (used + w > room) break
    out += segment
    used += w
  }
  return width <= 1 ? out : `${out}…`
}

/** One column: its header, alignment and an optional width cap (cells are cut to it). */
export interface Column {
  readonly header: string
  readonly align?: "left" | "right"
  readonly maxWidth?: number
}

/**
 * Renders rows under a header line and a rule. Cells may carry ANSI colors; width caps apply to
 * plain cells only (a colored cell is short by construction: a level, a flag).
 */
export const renderTable = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const cells = rows.map((row) =>
    columns.map((column, i) => {
      const cell = row[i] ?? ""
      return column.maxWidth !== undefined && stripAnsi(cell) === cell ? truncate(cell, column.maxWidth) : cell
    })
  )
  // A loop, not `Math.max(...cells)`: a scan of 100k dependencies would exceed the argument limit.
  const widths = columns.map((column, i) => cells.reduce((w, row) => Math.max(w, visibleWidth(row[i]!)), visibleWidth(column.header)))
  const pad = (text: string, i: number) => {
    const fill = " ".repeat(Math.max(0, widths[i]! - visibleWidth(text)))
    return columns[i]!.align === "right" ? fill + text : text + fill
  }
  const line = (row: ReadonlyArray<string>) => row.map(pad).join("  ").trimEnd()
  return [
    line(columns.map((c) => c.header)),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map(line)
  ].join("\n")
}
