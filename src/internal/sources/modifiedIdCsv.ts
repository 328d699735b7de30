/**
 * Reading OSV's `modified_id.csv` (`<RFC 3339 modified>,<id>` per line, newest first) for an
 * incremental sync: the ids modified after `since`, up to the first line that is not, plus the
 * malformed lines met on the way (reported, never skipped silently).
 */
import { Option } from "effect"

/** An RFC 3339 instant as epoch milliseconds plus whether digits below the millisecond are non-zero. */
interface Instant {
  readonly millis: number
  readonly subMillis: boolean
}

const rfc3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/

/** Parses an RFC 3339 timestamp keeping sub-millisecond precision (OSV writes microseconds). */
const parseInstant = (text: string): Option.Option<Instant> => {
  const m = rfc3339.exec(text)
  if (m === null) return Option.none()
  const fraction = m[3] ?? ""
  const millis = Date.parse(`${m[1]}T${m[2]}.${fraction.slice(0, 3).padEnd(3, "0")}${m[4]!.toUpperCase()}`)
  return Number.isNaN(millis) ? Option.none() : Option.some({ millis, subMillis: /[1-9]/.test(fraction.slice(3)) })
}

/** Strictly after `since`, sub-millisecond digits included (a `Date` has none). */
const isAfter = (instant: Instant, since: Date) =>
  instant.millis > since.getTime() || (instant.millis === since.getTime() && instant.subMillis)

/** Ids become URL path segments: no separators, whitespace or dot segments. */
const isValidId = (id: string): boolean =>
  id.length > 0 && id.length <= 256 && id !== "." && id !== ".." && !/[/\\\s]/.test(id)

/** A line that could not be used: the record id when it was readable, else `modified_id.csv line N`. */
export interface MalformedLine {
  readonly id: string
  readonly detail: string
}

/** The scan so far; `done` once a line not after `since` was met. Mutated by `scanLine`. */
export interface IndexScan {
  readonly ids: Array<string>
  readonly seen: Set<string>
  readonly malformed: Array<MalformedLine>
  line: number
  done: boolean
}

/** An empty scan. */
export const emptyScan = (): IndexScan => ({ ids: [], seen: new Set(), malformed: [], line: 0, done: false })

/** Consumes one line (newest first); marks the scan done at the first line not after `since`. */
export const scanLine = (since: Date) => (scan: IndexScan, raw: string): IndexScan => {
  scan.line++
  const line = raw.trim()
  if (line === "") return scan
  const fields = line.split(",")
  const [time, id] = fields.length === 2 ? [fields[0]!.trim(), fields[1]!.trim()] : ["", ""]
  const instant = parseInstant(time)
  if (fields.length !== 2 || Option.isNone(instant) || !isValidId(id)) {
    const reason = fields.length !== 2
      ? `expected "<modified>,<id>", got ${fields.length} field(s)`
      : Option.isNone(instant)
      ? `invalid RFC 3339 time ${JSON.stringify(time.slice(0, 60))}`
      : `invalid id ${JSON.stringify(id.slice(0, 60))}`
    scan.malformed.push({
      id: fields.length === 2 && isValidId(id) ? id : `modified_id.csv line ${scan.line}`,
      detail: `modified_id.csv line ${scan.line}: ${reason}; line skipped`
    })
    return scan
  }
  if (!isAfter(instant.value, since)) {
    scan.done = true
  } else if (!scan.seen.has(id)) {
    scan.seen.add(id)
    scan.ids.push(id)
  }
  return scan
}
