/**
 * The EPSS daily bulk file, line by line: an optional `#model_version:...,score_date:...` comment,
 * the header `cve,epss,percentile` (columns found by name), then one score per row.
 *
 * Hand-written rather than a CSV library because the format is three unquoted columns and the
 * parser runs 360k times per sync: a plain `split(",")` with a shape check is the fastest correct
 * reading, and it lets every bad row be reported with its line number instead of stopping the file.
 * Lines are split here too, not with `Stream.splitLines`: that one emits the unterminated tail
 * when the upstream *fails* (effect 3.22), which would turn a row cut by a broken download into a
 * bogus record; here the tail is only read at a successful end (`end`).
 */
import { Chunk, Effect, Option } from "effect"
import { DecodeError, type SourceError } from "../../Errors.js"
import { isCve } from "../../Advisory.js"

/** What the comment line says about the file (both absent when the file has no comment line). */
export interface BulkMetadata {
  readonly modelVersion: Option.Option<string>
  /** As published, e.g. `2026-08-16T12:55:00Z`. */
  readonly scoreDate: Option.Option<string>
}

/** The items the parser yields (the public `EpssSource.BulkItem`). */
export type ParsedItem =
  | ({ readonly _tag: "Metadata" } & BulkMetadata)
  | { readonly _tag: "Score"; readonly cve: string; readonly epss: number; readonly percentile: number }
  | { readonly _tag: "Malformed"; readonly line: number; readonly reason: string; readonly text: string }

const source = "EPSS"

/** Parses `#model_version:v2025.03.14,score_date:2026-08-16T12:55:00Z` (values may contain `:`). */
export const parseMetadataLine = (line: string): BulkMetadata => {
  const fields = new Map<string, string>()
  for (const part of line.replace(/^#\s*/, "").split(",")) {
    const colon = part.indexOf(":")
    if (colon > 0) fields.set(part.slice(0, colon).trim().toLowerCase(), part.slice(colon + 1).trim())
  }
  const get = (key: string) => Option.filter(Option.fromNullable(fields.get(key)), (v) => v.length > 0)
  return { modelVersion: get("model_version"), scoreDate: get("score_date") }
}

const excerpt = (line: string) => (line.length > 200 ? `${line.slice(0, 200)}…` : line)

/** A probability written as a plain decimal (`0.033510000`, `1e-05`), within [0, 1]. */
const probability = (text: string): number | undefined => {
  if (text.length === 0 || /[^0-9.eE+-]/.test(text)) return undefined
  const n = Number(text)
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined
}

/**
 * A stateful parser for one pass over the file. `push` takes the next pieces of decoded text and
 * returns the items of the complete lines in them; it fails with `DecodeError` when the header is
 * not the expected one, or with the error `checkMetadata` returns for the metadata line. `end`
 * parses the last line when it has no newline, and fails when the file had no header at all.
 * Blank lines are skipped (they are not records); `\r\n` line ends are accepted.
 */
export const makeParser = (checkMetadata: (metadata: BulkMetadata) => SourceError | undefined) => {
  let lineNumber = 0
  let metadataEmitted = false
  let columns: { readonly cve: number; readonly epss: number; readonly percentile: number; readonly count: number } | undefined

  const row = (line: string): ParsedItem => {
    const fields = line.split(",")
    const malformed = (reason: string): ParsedItem => ({ _tag: "Malformed", line: lineNumber, reason, text: excerpt(line) })
    if (fields.length !== columns!.count) return malformed(`expected ${columns!.count} fields, got ${fields.length}`)
    const cve = fields[columns!.cve]!.trim()
    if (!isCve(cve)) return malformed(`not a CVE id: ${JSON.stringify(cve.slice(0, 40))}`)
    const epss = probability(fields[columns!.epss]!.trim())
    if (epss === undefined) return malformed(`epss is not a number in [0, 1]: ${JSON.stringify(fields[columns!.epss])}`)
    const percentile = probability(fields[columns!.percentile]!.trim())
    if (percentile === undefined) {
      return malformed(`percentile is not a number in [0, 1]: ${JSON.stringify(fields[columns!.percentile])}`)
    }
    return { _tag: "Score", cve, epss, percentile }
  }

  const emitMetadata = (metadata: BulkMetadata, out: Array<ParsedItem>): SourceError | undefined => {
    metadataEmitted = true
    out.push({ _tag: "Metadata", ...metadata })
    return checkMetadata(metadata)
  }

  const header = (line: string, out: Array<ParsedItem>): DecodeError | SourceError | undefined => {
    const names = line.split(",").map((name) => name.trim().toLowerCase())
    const [cve, epss, percentile] = ["cve", "epss", "percentile"].map((name) => names.indexOf(name))
    if (cve! < 0 || epss! < 0 || percentile! < 0) {
      return new DecodeError({
        source,
        detail: `line ${lineNumber}: expected the header cve,epss,percentile, got ${JSON.stringify(excerpt(line))}`
      })
    }
    columns = { cve: cve!, epss: epss!, percentile: percentile!, count: names.length }
    return metadataEmitted ? undefined : emitMetadata({ modelVersion: Option.none(), scoreDate: Option.none() }, out)
  }

  /** The text after the last newline seen so far. */
  let tail = ""

  const parseLines = (
    lines: ReadonlyArray<string>
  ): Effect.Effect<Chunk.Chunk<ParsedItem>, DecodeError | SourceError> =>
    Effect.suspend(() => {
      const out: Array<ParsedItem> = []
      for (const raw of lines) {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw
        lineNumber++
        if (columns !== undefined) {
          if (line.length > 0) out.push(row(line))
        } else if (line.startsWith("#")) {
          // Only the first comment line carries the metadata; later ones (none in real files) are notes.
          if (!metadataEmitted) {
            const error = emitMetadata(parseMetadataLine(line), out)
            if (error) return Effect.fail(error)
          }
        } else if (line.trim().length > 0) {
          const error = header(line, out)
          if (error) return Effect.fail(error)
        }
      }
      return Effect.succeed(Chunk.unsafeFromArray(out))
    })

  const push = (texts: Chunk.Chunk<string>): Effect.Effect<Chunk.Chunk<ParsedItem>, DecodeError | SourceError> =>
    Effect.suspend(() => {
      const lines = (tail + Chunk.join(texts, "")).split("\n")
      tail = lines.pop()!
      return parseLines(lines)
    })

  const end: Effect.Effect<Chunk.Chunk<ParsedItem>, DecodeError | SourceError> = Effect.suspend(() => {
    const last = tail
    tail = ""
    return parseLines(last.length > 0 ? [last] : [])
  }).pipe(
    Effect.filterOrFail(
      () => columns !== undefined,
      () => new DecodeError({ source, detail: "no header line (cve,epss,percentile): empty or not an EPSS file" })
    )
  )

  return { push, end }
}
