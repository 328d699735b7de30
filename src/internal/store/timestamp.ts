/**
 * The one rule for reading a stored sync timestamp, for every backend: strict RFC 3339
 * (`2025-08-16T10:11:12.345Z`, `...+02:00`; what this library and the Rust crate write) or a bare
 * date `YYYY-MM-DD`, read as midnight UTC. Anything else (`Jan 1 2024`, `last tuesday`, an
 * impossible date such as `2025-02-30`) is unreadable, and the caller reports `CorruptEntry`.
 */

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i
const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/

/** `true` when year-month-day names a real calendar day (`Date` would roll 02-30 over to 03-02). */
const realDay = (year: string, month: string, day: string): boolean => {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)))
  return date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day)
}

/** Parses a stored sync timestamp by the rule above; `undefined` when it does not follow it. */
export const parseTimestamp = (text: string): Date | undefined => {
  const trimmed = text.trim()
  const match = rfc3339.exec(trimmed) ?? dateOnly.exec(trimmed)
  if (match === null || !realDay(match[1]!, match[2]!, match[3]!)) return undefined
  const date = new Date(match.length === 4 ? `${trimmed}T00:00:00Z` : trimmed)
  return Number.isNaN(date.getTime()) ? undefined : date
}
