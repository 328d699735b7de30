/**
 * Evaluation of one OSV range for one version (the core of `Versions.evaluate`).
 *
 * SEMVER and ECOSYSTEM ranges follow the OSV evaluation pseudo-code (sort the events, walk them),
 * made total: a value the ordering cannot parse is "unknown", and the range answers only when no
 * placement of the unknown values could change the answer; otherwise it reports a `MatchIssue`
 * and counts as not matching. GIT ranges are decided by exact commits only.
 */
import type { Event, Range } from "../../Advisory.js"
import type { MatchIssue } from "../../Versions.js"
import { schemeFor, semverScheme } from "./registry.js"
import { type AnyScheme, parseWith } from "./scheme.js"

type Kind = "introduced" | "fixed" | "last_affected" | "limit"
const kinds: ReadonlyArray<Kind> = ["introduced", "fixed", "last_affected", "limit"]

/** Every (kind, value) of the events; an (invalid) event with several keys counts once per key. */
const flatEvents = (events: ReadonlyArray<Event>): Array<{ readonly kind: Kind; readonly value: string }> => {
  const all: Array<{ readonly kind: Kind; readonly value: string }> = []
  for (const event of events) {
    for (const kind of kinds) {
      const value = event[kind]
      if (value !== undefined) all.push({ kind, value })
    }
  }
  return all
}

type RangeResult = boolean | MatchIssue

const isSentinel = (e: { readonly kind: Kind; readonly value: string }): boolean =>
  (e.kind === "introduced" && e.value === "0") || (e.kind === "limit" && e.value === "*")

type Flat = { readonly kind: Kind; readonly value: string }
type Unknown = ReadonlyArray<{ readonly value: string; readonly reason: string }>

/** What an evaluation needs of a range's events in one ordering, whatever the queried version. */
interface Ordered {
  readonly scheme: AnyScheme
  /** Parsed `limit` values, when the limits bound the range (some limit and none is `*`). */
  readonly limits: ReadonlyArray<unknown> | undefined
  /** Parsed `introduced`/`fixed`/`last_affected` events, sorted (stable; `introduced: "0"` first). */
  readonly known: ReadonlyArray<{ readonly kind: Kind; readonly key: unknown; readonly zero: boolean }>
  /** Values the ordering rejects, per kind, in document order. */
  readonly unknown: ReadonlyMap<Kind, Unknown>
}

/** The events of a range, flattened once; `ordered` is filled on the first evaluation that needs it. */
interface Prepared {
  readonly all: ReadonlyArray<Flat>
  readonly sentinelsOnly: boolean
  readonly introduced: boolean
  ordered: Ordered | undefined
}

// An advisory is evaluated many times (each dependency of a package, then each candidate fix in
// remediation); flattening, parsing and sorting its events each time was most of the matching
// cost. Events are never mutated after decoding, so the preparation is kept per events array,
// weakly: it lives as long as the advisory does.
const prepared = new WeakMap<ReadonlyArray<Event>, Prepared>()

const prepare = (events: ReadonlyArray<Event>): Prepared => {
  let found = prepared.get(events)
  if (found === undefined) {
    const all = flatEvents(events)
    found = {
      all,
      sentinelsOnly: all.every(isSentinel),
      introduced: all.some((e) => e.kind === "introduced"),
      ordered: undefined
    }
    prepared.set(events, found)
  }
  return found
}

const order = (all: ReadonlyArray<Flat>, scheme: AnyScheme): Ordered => {
  const unknown = new Map<Kind, Array<{ value: string; reason: string }>>()
  const parse = (e: Flat) => {
    const parsed = parseWith(scheme, e.value)
    if (!parsed.ok) {
      const list = unknown.get(e.kind)
      if (list === undefined) unknown.set(e.kind, [{ value: e.value, reason: parsed.reason }])
      else list.push({ value: e.value, reason: parsed.reason })
    }
    return parsed
  }
  const limitEvents = all.filter((e) => e.kind === "limit")
  let limits: Array<unknown> | undefined
  if (limitEvents.length > 0 && !limitEvents.some((e) => e.value === "*")) {
    limits = []
    for (const limit of limitEvents) {
      const parsed = parse(limit)
      if (parsed.ok) limits.push(parsed.value)
    }
  }
  const known: Array<{ readonly kind: Kind; readonly key: unknown; readonly zero: boolean }> = []
  for (const e of all) {
    if (e.kind === "limit") continue
    if (e.kind === "introduced" && e.value === "0") {
      known.push({ kind: e.kind, key: undefined, zero: true })
      continue
    }
    const parsed = parse(e)
    if (parsed.ok) known.push({ kind: e.kind, key: parsed.value, zero: false })
  }
  // Array.prototype.sort is stable: equal versions keep their document order.
  known.sort((x, y) => (x.zero || y.zero ? Number(y.zero) - Number(x.zero) : scheme.compare(x.key, y.key)))
  return { scheme, limits, known, unknown }
}

/** The issue of range `index`: `values` (of the queried version or an event kind) do not parse in `scheme`. */
const unparseableIssue = (
  index: number,
  scheme: AnyScheme,
  role: Kind | "version",
  values: ReadonlyArray<string>,
  why: string
): MatchIssue => ({
  _tag: "UnparseableVersion",
  range: index,
  role,
  values,
  ordering: scheme.name,
  message: `${role === "version" ? "queried version" : `${role} event`} ${values.map((v) => JSON.stringify(v)).join(", ")} is not a ${scheme.name} version: ${why}`
})

/** The issue naming the unparseable event values of the first of `kinds` that has some. */
const unknownEventsIssue = (index: number, scheme: AnyScheme, unknown: Ordered["unknown"], kinds: ReadonlyArray<Kind>): MatchIssue => {
  const bad = kinds.flatMap((k) => (unknown.get(k) ?? []).map((u) => ({ kind: k, ...u })))
  return unparseableIssue(index, scheme, bad[0]!.kind, bad.map((b) => b.value), bad[0]!.reason)
}

/**
 * OSV's evaluation for one SEMVER/ECOSYSTEM range, made total: an unparseable value is "unknown",
 * and the range answers only when no placement of the unknown values could change the answer.
 * That works because the walk over sorted events ends in the state set by the last event at or
 * below the version: extra `introduced` events can only turn "unaffected" into "affected", extra
 * `fixed`/`last_affected` only the reverse.
 */
const evaluateOrdered = (
  index: number,
  events: ReadonlyArray<Event>,
  version: string,
  scheme: AnyScheme | undefined,
  ecosystem: string
): RangeResult => {
  const range = prepare(events)
  if (range.sentinelsOnly) return range.introduced
  if (scheme === undefined) {
    return { _tag: "NoOrdering", range: index, ecosystem, message: `no version ordering for ecosystem ${JSON.stringify(ecosystem)}` }
  }
  // The issues are built by module-level functions: closures made on every call cost more than
  // the comparisons on this path.
  const target = parseWith(scheme, version)
  if (!target.ok) return unparseableIssue(index, scheme, "version", [version], target.reason)
  const v = target.value
  let ordered = range.ordered
  if (ordered === undefined || ordered.scheme !== scheme) range.ordered = ordered = order(range.all, scheme)
  const { known, limits, unknown } = ordered

  if (limits !== undefined) {
    let before = false
    for (const limit of limits) {
      if (scheme.compare(v, limit) < 0) before = true
    }
    if (!before) return unknown.has("limit") ? unknownEventsIssue(index, scheme, unknown, ["limit"]) : false
  }

  let vulnerable = false
  for (const e of known) {
    const c = e.zero ? 1 : scheme.compare(v, e.key)
    if (e.kind === "introduced" && c >= 0) vulnerable = true
    else if (e.kind === "fixed" && c >= 0) vulnerable = false
    else if (e.kind === "last_affected" && c > 0) vulnerable = false
  }
  if (vulnerable && (unknown.has("fixed") || unknown.has("last_affected"))) {
    return unknownEventsIssue(index, scheme, unknown, ["fixed", "last_affected"])
  }
  if (!vulnerable && unknown.has("introduced")) return unknownEventsIssue(index, scheme, unknown, ["introduced"])
  return vulnerable
}

/** A full or abbreviated commit id. */
export const commitLike = /^[0-9a-f]{7,64}$/

/** A `GIT` range without the commit graph: only listed `introduced`/`last_affected` commits match. */
const evaluateGit = (index: number, events: ReadonlyArray<Event>, version: string): RangeResult => {
  const target = version.trim().toLowerCase()
  const all = prepare(events).all
  const listed = (ks: ReadonlyArray<Kind>) =>
    all.some((e) => ks.includes(e.kind) && e.value !== "0" && e.value.trim().toLowerCase() === target)
  if (listed(["introduced", "last_affected"])) return true
  if (commitLike.test(target) && !listed(["fixed", "limit"])) {
    return {
      _tag: "CommitGraphRequired",
      range: index,
      version,
      message: `commit ${version} is not listed in the GIT range; deciding needs the repository's history`
    }
  }
  return false
}

/** One range: `true`/`false`, or why it could not be decided. */
export const evaluateRange = (index: number, range: Range, version: string, ecosystem: string | undefined): RangeResult => {
  switch (range.type) {
    case "GIT":
      return evaluateGit(index, range.events, version)
    case "SEMVER":
      return evaluateOrdered(index, range.events, version, semverScheme, ecosystem ?? "SEMVER")
    case "ECOSYSTEM":
      return evaluateOrdered(
        index,
        range.events,
        version,
        ecosystem === undefined ? undefined : schemeFor(ecosystem),
        ecosystem ?? "(none)"
      )
  }
}

