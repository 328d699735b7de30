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
const flatEvents = (events: ReadonlyArray<Event>): Array<{ readonly kind: Kind; readonly value: string }> =>
  events.flatMap((event) => kinds.flatMap((kind) => (event[kind] === undefined ? [] : [{ kind, value: event[kind]! }])))

type RangeResult = boolean | MatchIssue

const isSentinel = (e: { readonly kind: Kind; readonly value: string }): boolean =>
  (e.kind === "introduced" && e.value === "0") || (e.kind === "limit" && e.value === "*")

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
  const all = flatEvents(events)
  const limits = all.filter((e) => e.kind === "limit")
  const timeline = all.filter((e) => e.kind !== "limit")
  if (all.every(isSentinel)) {
    return timeline.some((e) => e.kind === "introduced")
  }
  if (scheme === undefined) {
    return { _tag: "NoOrdering", range: index, ecosystem, message: `no version ordering for ecosystem ${JSON.stringify(ecosystem)}` }
  }
  const issue = (role: Kind | "version", values: ReadonlyArray<string>, why: string): MatchIssue => ({
    _tag: "UnparseableVersion",
    range: index,
    role,
    values,
    ordering: scheme.name,
    message: `${role === "version" ? "queried version" : `${role} event`} ${values.map((v) => JSON.stringify(v)).join(", ")} is not a ${scheme.name} version: ${why}`
  })
  const target = parseWith(scheme, version)
  if (!target.ok) return issue("version", [version], target.reason)
  const v = target.value
  const unknown = new Map<Kind, Array<{ value: string; reason: string }>>()
  const parse = (e: { readonly kind: Kind; readonly value: string }) => {
    const parsed = parseWith(scheme, e.value)
    if (!parsed.ok) unknown.set(e.kind, [...(unknown.get(e.kind) ?? []), { value: e.value, reason: parsed.reason }])
    return parsed
  }
  const unknownIssue = (kindsToReport: ReadonlyArray<Kind>): MatchIssue => {
    const bad = kindsToReport.flatMap((k) => (unknown.get(k) ?? []).map((u) => ({ kind: k, ...u })))
    return issue(bad[0].kind, bad.map((b) => b.value), bad[0].reason)
  }

  if (limits.length > 0 && !limits.some((e) => e.value === "*")) {
    let before = false
    for (const limit of limits) {
      const parsed = parse(limit)
      if (parsed.ok && scheme.compare(v, parsed.value) < 0) before = true
    }
    if (!before) return unknown.has("limit") ? unknownIssue(["limit"]) : false
  }

  const known: Array<{ readonly kind: Kind; readonly key: unknown; readonly zero: boolean }> = []
  for (const e of timeline) {
    if (e.kind === "introduced" && e.value === "0") {
      known.push({ kind: e.kind, key: undefined, zero: true })
      continue
    }
    const parsed = parse(e)
    if (parsed.ok) known.push({ kind: e.kind, key: parsed.value, zero: false })
  }
  // Array.prototype.sort is stable: equal versions keep their document order.
  known.sort((x, y) => (x.zero || y.zero ? Number(y.zero) - Number(x.zero) : scheme.compare(x.key, y.key)))
  let vulnerable = false
  for (const e of known) {
    const c = e.zero ? 1 : scheme.compare(v, e.key)
    if (e.kind === "introduced" && c >= 0) vulnerable = true
    else if (e.kind === "fixed" && c >= 0) vulnerable = false
    else if (e.kind === "last_affected" && c > 0) vulnerable = false
  }
  if (vulnerable && (unknown.has("fixed") || unknown.has("last_affected"))) {
    return unknownIssue(["fixed", "last_affected"])
  }
  if (!vulnerable && unknown.has("introduced")) return unknownIssue(["introduced"])
  return vulnerable
}

/** A full or abbreviated commit id. */
export const commitLike = /^[0-9a-f]{7,64}$/

/** A `GIT` range without the commit graph: only listed `introduced`/`last_affected` commits match. */
const evaluateGit = (index: number, events: ReadonlyArray<Event>, version: string): RangeResult => {
  const target = version.trim().toLowerCase()
  const all = flatEvents(events)
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

