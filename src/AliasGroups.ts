/**
 * Groups advisories that describe the same vulnerability.
 *
 * Two advisories are the same vulnerability when they share an id: one's `id` or `aliases` entry
 * equals one of the other's. The relation is closed transitively (A aliases B, B aliases C: one
 * group), with union-find over the ids. Only `id` and `aliases` link: `related` and `upstream`
 * name *different* vulnerabilities by definition (OSV schema), and CVE ids that merely appear in
 * reference URLs or text link nothing (the Rust crate merged on those and joined advisories that
 * only cite each other).
 *
 * The result does not depend on input order: groups are sorted by `primaryId`, ids and records
 * inside a group are sorted, and every input record is kept (two sources' copies of one id both
 * stay, so callers can compare them or show provenance).
 *
 * @since 0.1.0
 */
import type { Advisory } from "./Advisory.js"

/**
 * One vulnerability and every record describing it.
 *
 * @since 0.1.0
 * @category Models
 */
export interface AdvisoryGroup {
  /**
   * The id to show for the group: its CVE when it has exactly one; otherwise the smallest GHSA id;
   * otherwise the smallest record id. (A group can hold several CVEs when an advisory covers
   * several, e.g. RUSTSEC-2021-0110; a CVE then does not name the whole group.)
   */
  readonly primaryId: string
  /** Every id and alias of the group's records, in `canonicalId` spelling, sorted. */
  readonly ids: ReadonlyArray<string>
  /** Every record, sorted by `canonicalId(id)`, then `modified`, then content. */
  readonly advisories: ReadonlyArray<Advisory>
}

const cvePrefix = /^cve-/i
const ghsaPrefix = /^ghsa-/i

/**
 * The spelling ids are compared in: trimmed; CVE ids upper-case (`CVE-2021-44228`); GHSA ids
 * `GHSA-` plus the lower-case body GitHub uses (`GHSA-jfh8-c2jp-5v3q`), since NVD and others
 * upper-case it. Other ids (GO-, PYSEC-, RUSTSEC-, ...) are compared exactly as written.
 *
 * @since 0.1.0
 * @category Ids
 */
export const canonicalId = (id: string): string => {
  const trimmed = id.trim()
  if (cvePrefix.test(trimmed)) return trimmed.toUpperCase()
  if (ghsaPrefix.test(trimmed)) return `GHSA-${trimmed.slice(5).toLowerCase()}`
  return trimmed
}

/**
 * Every id an advisory is known by (`id` and `aliases`, not `related`/`upstream`), canonical,
 * without empties or duplicates.
 *
 * @since 0.1.0
 * @category Ids
 */
export const linkingIds = (advisory: Advisory): ReadonlyArray<string> => {
  const ids = new Set<string>()
  for (const raw of [advisory.id, ...(advisory.aliases ?? [])]) {
    if (typeof raw !== "string") continue
    const id = canonicalId(raw)
    if (id !== "") ids.add(id)
  }
  return [...ids]
}

// Code-unit order: the same on every platform and locale (localeCompare is not).
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const byRecord = (a: Advisory, b: Advisory): number =>
  byText(canonicalId(a.id), canonicalId(b.id)) ||
  byText(a.modified ?? "", b.modified ?? "") ||
  // Same id and modified time from two sources: order by content so the result is still fixed.
  byText(JSON.stringify(a), JSON.stringify(b))

/**
 * The primary id of a set of ids (see `AdvisoryGroup.primaryId`); `recordIds` are the canonical
 * `id`s of the group's records.
 *
 * @since 0.1.0
 * @category Ids
 */
export const primaryIdOf = (ids: ReadonlyArray<string>, recordIds: ReadonlyArray<string>): string => {
  const cves = ids.filter((id) => id.startsWith("CVE-"))
  if (cves.length === 1) return cves[0]!
  const ghsas = ids.filter((id) => id.startsWith("GHSA-")).sort(byText)
  if (ghsas.length > 0) return ghsas[0]!
  return [...recordIds].sort(byText)[0] ?? [...ids].sort(byText)[0] ?? ""
}

/**
 * Groups advisories by shared ids, transitively (see the module notes). Records with an empty id
 * and no aliases each form their own group. Withdrawn records take part like any other; filter
 * them out first if they should not link groups.
 *
 * @since 0.1.0
 * @category Grouping
 */
export const group = (advisories: Iterable<Advisory>): ReadonlyArray<AdvisoryGroup> => {
  // Union-find over canonical ids, with path halving; the output is built from the final
  // partition and sorted, so union order (input order) cannot show through.
  const parent = new Map<string, string>()
  const find = (id: string): string => {
    let node = id
    for (;;) {
      const up = parent.get(node)
      if (up === undefined) {
        parent.set(node, node)
        return node
      }
      if (up === node) return node
      const grand = parent.get(up) ?? up
      parent.set(node, grand)
      node = grand
    }
  }
  const union = (a: string, b: string) => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent.set(ra, rb)
  }

  const records: Array<{ readonly advisory: Advisory; readonly ids: ReadonlyArray<string> }> = []
  let anonymous = 0
  for (const advisory of advisories) {
    // A record with no usable id still needs a group of its own, under a key no real id can take.
    const ids = linkingIds(advisory)
    const keyed = ids.length > 0 ? ids : [`\u0000anonymous:${anonymous++}`]
    for (const id of keyed.slice(1)) union(keyed[0]!, id)
    records.push({ advisory, ids: keyed })
  }

  const members = new Map<string, { ids: Set<string>; advisories: Array<Advisory> }>()
  for (const record of records) {
    const root = find(record.ids[0]!)
    let entry = members.get(root)
    if (entry === undefined) {
      entry = { ids: new Set(), advisories: [] }
      members.set(root, entry)
    }
    for (const id of record.ids) if (!id.startsWith("\u0000")) entry.ids.add(id)
    entry.advisories.push(record.advisory)
  }

  const groups = [...members.values()].map(({ advisories: list, ids }): AdvisoryGroup => {
    const sortedIds = [...ids].sort(byText)
    const sortedRecords = [...list].sort(byRecord)
    return {
      primaryId: primaryIdOf(sortedIds, sortedRecords.map((a) => canonicalId(a.id))),
      ids: sortedIds,
      advisories: sortedRecords
    }
  })
  return groups.sort((a, b) =>
    byText(a.primaryId, b.primaryId) || byRecord(a.advisories[0]!, b.advisories[0]!)
  )
}
