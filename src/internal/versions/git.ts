/**
 * Repository queries (`GIT` ecosystem): does a tag or commit of a repository fall in an `affected`
 * entry? The part of `Versions.advisoryAffects` for `{ ecosystem: "GIT", name: <repo URL> }`.
 *
 * Like osv.dev, a tag is matched against the entry's `versions` list (which, for GIT-ranged
 * records, osv.dev enumerated from the repository's tags) exactly or after tag normalization, so
 * `libssh2-1.11.1`, `v1.11.1` and `1.11.1` are one version. A commit is matched against the range
 * events only when it equals one of them; anything else needs the repository's history and is
 * reported (`CommitGraphRequired`), never answered "not affected".
 */
import { Option } from "effect"
import type { Affected } from "../../Advisory.js"
import * as PackageKey from "../../PackageKey.js"
import type { Evaluation, MatchIssue } from "../../Versions.js"
import { commitLike, evaluateRange } from "./ranges.js"

const isAlphanumeric = (c: string | undefined) => c !== undefined && /[a-z0-9]/.test(c)

/**
 * A tag's version part, spelled one way: from the first digit that starts a word (after the start,
 * a separator, or a word-initial `v`), its runs of digits and of letters joined by `-`
 * (`libssh2-1.11.1` → `1-11-1`, `OpenSSL_1_1_1k` → `1-1-1-k`, `v1.7.17` → `1-7-17`). The `2` of
 * `libssh2` does not start a word, so a project name ending in a digit is not taken for the
 * version. `""` when the tag has no such digit (it then matches only exactly).
 */
export const normalizeTag = (tag: string): string => {
  const t = tag.trim().toLowerCase().replace(/^refs\/tags\//, "")
  for (let i = 0; i < t.length; i++) {
    if (t[i] < "0" || t[i] > "9") continue
    const before = t[i - 1]
    const startsWord = !isAlphanumeric(before) || (before === "v" && !isAlphanumeric(t[i - 2]))
    if (startsWord) return (t.slice(i).match(/[0-9]+|[a-z]+/g) ?? []).join("-")
  }
  return ""
}

/** Whether an entry concerns the repository (a `GIT` package of that URL, or a GIT range on it). */
export const concerns = (affected: Affected, repo: string): boolean =>
  (affected.package !== undefined && PackageKey.baseEcosystem(affected.package.ecosystem) === "git" &&
    PackageKey.normalizeName("git", affected.package.name) === repo) ||
  (affected.ranges ?? []).some((r) => r.type === "GIT" && r.repo !== undefined && PackageKey.normalizeRepoUrl(r.repo) === repo)

/**
 * Evaluates a tag or commit of `repo` (normalized, `PackageKey.normalizeRepoUrl`) against one entry;
 * `undefined` when the entry is not about that repository.
 */
export const evaluateRepository = (affected: Affected, repo: string, version: string): Evaluation | undefined => {
  if (!concerns(affected, repo)) return undefined
  const versions = affected.versions ?? []
  const wanted = normalizeTag(version)
  if (versions.some((v) => v === version || (wanted !== "" && normalizeTag(v) === wanted))) {
    return { affected: true, matchedBy: Option.some("versions" as const), issues: [] }
  }
  const issues: Array<MatchIssue> = []
  const ranges = affected.ranges ?? []
  let gitRanges = 0
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]
    if (range.type !== "GIT" || (range.repo !== undefined && PackageKey.normalizeRepoUrl(range.repo) !== repo)) continue
    gitRanges++
    const result = evaluateRange(i, range, version, undefined)
    if (result === true) {
      return { affected: true, matchedBy: Option.some("GIT" as const), issues: [] }
    }
    if (result !== false) issues.push(result)
  }
  const isTag = !commitLike.test(version.trim().toLowerCase())
  if (issues.length === 0 && isTag && versions.length === 0 && gitRanges > 0) {
    issues.push({
      _tag: "CommitGraphRequired",
      range: ranges.findIndex((r) => r.type === "GIT"),
      version,
      message: `tag ${JSON.stringify(version)}: the record lists no tags for this repository, so placing it in the GIT range needs the repository's history`
    })
  }
  return { affected: false, matchedBy: Option.none(), issues }
}
