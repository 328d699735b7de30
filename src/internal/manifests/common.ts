/**
 * What every manifest parser shares: the result builder (dependencies de-duplicated, skipped
 * entries sanitized), the failure thrown for unreadable input, and offset → line conversion.
 * Parsers are plain synchronous functions (a lockfile is read in one pass); `Manifest.parse` turns
 * a thrown `ParseFailure` into a `ManifestError` naming the file.
 */
import { sanitize } from "../sanitize.js"
import type { Dependency, Skipped } from "../../Manifest.js"

/** Input a parser cannot read: the (1-based) line when known, and why. */
export class ParseFailure {
  readonly _tag = "ParseFailure"
  constructor(readonly detail: string, readonly line?: number, readonly file?: string) {}
}

/** Throws a `ParseFailure`: parsers stop at the first thing they cannot read. */
export const fail = (detail: string, line?: number): never => {
  throw new ParseFailure(detail, line)
}

/** What a parser returns; `Manifest` adds the file and format. */
export interface Parsed {
  readonly dependencies: ReadonlyArray<Dependency>
  readonly skipped: ReadonlyArray<Skipped>
}

/** Collects dependencies (first occurrence of each ecosystem/name/version wins) and skipped entries. */
export class Collector {
  private readonly seen = new Set<string>()
  readonly dependencies: Array<Dependency> = []
  readonly skipped: Array<Skipped> = []

  add(dependency: Dependency): void {
    const key = `${dependency.ecosystem}\u0000${dependency.name}\u0000${dependency.version}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    // Absent rather than `undefined`: results are compared and serialized as written.
    const entry: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(dependency)) if (v !== undefined) entry[k] = v
    this.dependencies.push(entry as unknown as Dependency)
  }

  skip(text: string, reason: string, line?: number, file?: string): void {
    this.skipped.push({
      ...(line === undefined ? {} : { line }),
      ...(file === undefined ? {} : { file: sanitize(file) }),
      text: sanitize(text),
      reason: sanitize(reason)
    })
  }

  result(): Parsed {
    return { dependencies: this.dependencies, skipped: this.skipped }
  }
}

/** Maps character offsets to 1-based line numbers (binary search over line starts). */
export const lineIndex = (text: string): (offset: number) => number => {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}

/** The text's lines, without line terminators. */
export const splitLines = (text: string): Array<string> => text.split(/\r?\n/)

/** A plain object (not an array, not null). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The string value, or `undefined` for anything else. */
export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

/** A release version: starts with a digit (not a git URL, a path, a tag name or a range). */
export const isReleaseVersion = (version: string): boolean => /^v?\d/.test(version)
