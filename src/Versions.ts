/**
 * Version ordering per ecosystem, and OSV "is this version affected" evaluation.
 *
 * Orderings (see `src/internal/versions/` for each one's rules and why it is hand-written where
 * it is): SemVer 2.0 for npm, crates.io, Go (with `v` and pseudo-versions), Hex, Bitnami, Julia,
 * SwiftURL, GHC and every `SEMVER` range; Pub (pub_semver); PEP 440 for PyPI
 * (`@renovatebot/pep440`, plus legacy versions below all PEP 440 ones); Maven ComparableVersion;
 * NuGet; RubyGems; Composer for Packagist; dpkg for Debian, Ubuntu and Echo; opam; rpmvercmp for
 * AlmaLinux, Rocky Linux, Red Hat, openSUSE, SUSE, Mageia and openEuler; apk for Alpine, Wolfi,
 * Chainguard, MinimOS, Alpaquita; Haskell `Data.Version` for Hackage; R `package_version` for CRAN
 * and Bioconductor. Distribution ecosystems use the name before the first `:` (`Debian:11`,
 * `Ubuntu:22.04:LTS`, `Alpine:v3.18`, `Red Hat:rhel_aus:8.4::appstream`).
 *
 * Nothing is ever guessed: a string an ordering cannot parse is reported, an ecosystem without an
 * ordering is reported, and a range whose answer depends on such a value counts as not matching
 * and is listed in the evaluation's `issues` (the Rust crate treated an unparseable `fixed` as "no
 * upper bound" and matched everything above `introduced`).
 *
 * Deliberate readings where OSV or the ecosystems leave room:
 * - SemVer components after the third (`1.2.3.4`) compare numerically after the patch number.
 * - `SEMVER` ranges ignore build metadata as SemVer says, also for Julia (`1.2.12+3` = `1.2.12+2`).
 * - Events that sort equal keep their document order (as osv-scanner does).
 * - A `GIT` range matches only a version string equal (case-insensitively) to one of its
 *   `introduced` or `last_affected` commits; without the repository's commit graph nothing else
 *   can be decided, and a commit-like version that is not listed is reported. Repository
 *   queries (`GIT` ecosystem) also match tags against `versions` as osv.dev does (`normalizeTag`).
 * - `versions` lists match by exact string equality, as the OSV evaluation pseudo-code says.
 * - Withdrawn advisories are not filtered here; that is the caller's policy.
 *
 * All functions are pure and synchronous (they run in tight loops over many advisories); `compare`
 * returns an `Either`, which can be yielded directly inside `Effect.gen`.
 *
 * @since 0.1.0
 */
import { Either, Option, Schema } from "effect"
import type { Advisory, Affected } from "./Advisory.js"
import * as PackageKey from "./PackageKey.js"
import { entryApplies } from "./internal/versions/entries.js"
import { evaluateRepository, normalizeTag as normalizeGitTag } from "./internal/versions/git.js"
import { evaluateRange } from "./internal/versions/ranges.js"
import { baseEcosystem, schemeFor } from "./internal/versions/registry.js"
import { type AnyScheme, parseWith, sign } from "./internal/versions/scheme.js"

/**
 * A version string that the ecosystem's ordering cannot parse.
 *
 * @since 0.1.0
 * @category Errors
 */
export class UnparseableVersion extends Schema.TaggedError<UnparseableVersion>("vulnera-advisor/UnparseableVersion")(
  "UnparseableVersion",
  {
    ecosystem: Schema.String,
    ordering: Schema.String,
    version: Schema.String,
    reason: Schema.String
  }
) {
  override get message(): string {
    return `${JSON.stringify(this.version)} is not a ${this.ordering} version (${this.ecosystem}): ${this.reason}`
  }
}

/**
 * The ecosystem has no known version ordering (only explicit `versions` lists can match it).
 *
 * @since 0.1.0
 * @category Errors
 */
export class NoVersionOrdering extends Schema.TaggedError<NoVersionOrdering>("vulnera-advisor/NoVersionOrdering")(
  "NoVersionOrdering",
  { ecosystem: Schema.String }
) {
  override get message(): string {
    return `no version ordering for ecosystem ${JSON.stringify(this.ecosystem)}`
  }
}

/**
 * Why two versions could not be compared.
 *
 * @since 0.1.0
 * @category Errors
 */
export type VersionError = UnparseableVersion | NoVersionOrdering

/**
 * The result of a comparison: -1 (a < b), 0 (same version) or 1 (a > b).
 *
 * @since 0.1.0
 * @category Models
 */
export type Ordering = -1 | 0 | 1

/**
 * The name of the ordering an ecosystem uses (`"PEP 440"`, `"dpkg"`, ...), if it has one. Accepts
 * any spelling `PackageKey.normalizeEcosystem` knows and distribution suffixes (`Debian:11`).
 *
 * @since 0.1.0
 * @category Orderings
 */
export const orderingName = (ecosystem: string): Option.Option<string> =>
  Option.fromNullable(schemeFor(ecosystem)?.name)

/**
 * Whether versions of this ecosystem can be ordered (and so its `ECOSYSTEM` ranges evaluated).
 *
 * @since 0.1.0
 * @category Orderings
 */
export const hasOrdering = (ecosystem: string): boolean => schemeFor(ecosystem) !== undefined

/**
 * Compares two versions of an ecosystem. Fails with `NoVersionOrdering` for an ecosystem without
 * an ordering and `UnparseableVersion` (naming the offending string) for a version its ordering
 * rejects.
 *
 * @since 0.1.0
 * @category Orderings
 */
export const compare = (ecosystem: string, a: string, b: string): Either.Either<Ordering, VersionError> => {
  const scheme = schemeFor(ecosystem)
  if (scheme === undefined) return Either.left(new NoVersionOrdering({ ecosystem }))
  const pa = parseWith(scheme, a)
  if (!pa.ok) return Either.left(unparseable(ecosystem, scheme, a, pa.reason))
  const pb = parseWith(scheme, b)
  if (!pb.ok) return Either.left(unparseable(ecosystem, scheme, b, pb.reason))
  return Either.right(sign(scheme.compare(pa.value, pb.value)))
}

const unparseable = (ecosystem: string, scheme: AnyScheme, version: string, reason: string) =>
  new UnparseableVersion({ ecosystem, ordering: scheme.name, version, reason })

/**
 * Whether a string is a version the ecosystem's ordering accepts (false when it has none).
 *
 * @since 0.1.0
 * @category Orderings
 */
export const isValid = (ecosystem: string, version: string): boolean => {
  const scheme = schemeFor(ecosystem)
  return scheme !== undefined && parseWith(scheme, version).ok
}

/**
 * Sorts versions ascending by the ecosystem's ordering (stable for equal versions). Fails on the
 * first version that cannot be parsed.
 *
 * @since 0.1.0
 * @category Orderings
 */
export const sort = (
  ecosystem: string,
  versions: ReadonlyArray<string>
): Either.Either<ReadonlyArray<string>, VersionError> => {
  const scheme = schemeFor(ecosystem)
  if (scheme === undefined) return Either.left(new NoVersionOrdering({ ecosystem }))
  const keyed: Array<{ readonly version: string; readonly key: unknown }> = []
  for (const version of versions) {
    const parsed = parseWith(scheme, version)
    if (!parsed.ok) return Either.left(unparseable(ecosystem, scheme, version, parsed.reason))
    keyed.push({ version, key: parsed.value })
  }
  return Either.right(keyed.sort((x, y) => scheme.compare(x.key, y.key)).map((k) => k.version))
}

/**
 * Why one range of an affected entry could not be evaluated; such a range counts as not matching.
 *
 * - `NoOrdering`: an `ECOSYSTEM` range in an ecosystem without a known ordering.
 * - `UnparseableVersion`: the queried version or an event value does not parse, and the answer
 *   depends on it (`role` says which).
 * - `CommitGraphRequired`: the version looks like a commit and a `GIT` range does not list it;
 *   only the repository's history could tell.
 *
 * @since 0.1.0
 * @category Models
 */
export type MatchIssue =
  | { readonly _tag: "NoOrdering"; readonly range: number; readonly ecosystem: string; readonly message: string }
  | {
    readonly _tag: "UnparseableVersion"
    readonly range: number
    readonly role: "version" | "introduced" | "fixed" | "last_affected" | "limit"
    readonly values: ReadonlyArray<string>
    readonly ordering: string
    readonly message: string
  }
  | { readonly _tag: "CommitGraphRequired"; readonly range: number; readonly version: string; readonly message: string }

/**
 * What matched: the explicit `versions` list, or a range of that type.
 *
 * @since 0.1.0
 * @category Models
 */
export type MatchSource = "versions" | "SEMVER" | "ECOSYSTEM" | "GIT"

/**
 * The answer for one version: `affected`, what matched, and the ranges that could not be
 * evaluated. When `affected` is false and `issues` is not empty, the answer is "not known to be
 * affected" rather than "unaffected" (see `isConclusive`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface Evaluation {
  readonly affected: boolean
  readonly matchedBy: Option.Option<MatchSource>
  readonly issues: ReadonlyArray<MatchIssue>
}

/**
 * Whether an evaluation is a definite answer (affected, or unaffected with every range evaluated).
 *
 * @since 0.1.0
 * @category Matching
 */
export const isConclusive = (evaluation: Evaluation): boolean =>
  evaluation.affected || evaluation.issues.length === 0

/**
 * Evaluates whether `version` is affected by one OSV `affected` entry, per the OSV evaluation
 * algorithm: an exact `versions` entry, or any range (`introduced`/`fixed`/`last_affected`/
 * `limit`, any number of intervals, events in any order, `introduced: "0"` lowest, `limit: "*"`
 * unbounded). The ordering is taken from `ecosystem` or else the entry's package ecosystem.
 * Ranges that cannot be evaluated count as not matching and are listed in `issues`.
 *
 * @since 0.1.0
 * @category Matching
 */
export const evaluate = (affected: Affected, version: string, ecosystem?: string): Evaluation => {
  if ((affected.versions ?? []).includes(version)) {
    return { affected: true, matchedBy: Option.some("versions"), issues: [] }
  }
  const eco = ecosystem ?? affected.package?.ecosystem
  const issues: Array<MatchIssue> = []
  const ranges = affected.ranges ?? []
  for (let i = 0; i < ranges.length; i++) {
    const result = evaluateRange(i, ranges[i], version, eco)
    if (result === true) return { affected: true, matchedBy: Option.some(ranges[i].type), issues: [] }
    if (result !== false) issues.push(result)
  }
  return { affected: false, matchedBy: Option.none(), issues }
}

/**
 * Whether `version` is affected by one OSV `affected` entry (see `evaluate`; ranges that cannot
 * be evaluated count as not matching).
 *
 * @since 0.1.0
 * @category Matching
 */
export const isAffected = (affected: Affected, version: string, ecosystem?: string): boolean =>
  evaluate(affected, version, ecosystem).affected

/**
 * Evaluates an advisory for a package: every `affected` entry the key covers
 * (`PackageKey.covers`: the same package, or any variant's package when the key names a base
 * ecosystem such as `Debian`) is evaluated with its own ecosystem's ordering; the version is
 * affected if any entry says so, and the issues of all entries are kept otherwise. No matching
 * entry gives an unaffected, conclusive evaluation.
 *
 * A `git` key (`PackageKey.make("GIT", repoUrl)`) evaluates the entries about that repository: a
 * tag against their `versions` (exactly or by `normalizeTag`), a commit against their GIT range
 * events (equal to an `introduced`/`last_affected` commit: affected; to a `fixed`/`limit` commit:
 * not); any other commit, or a tag when the record lists no tags, is a `CommitGraphRequired` issue.
 *
 * @since 0.1.0
 * @category Matching
 */
export const advisoryAffects = (advisory: Advisory, key: PackageKey.PackageKey, version: string): Evaluation => {
  const issues: Array<MatchIssue> = []
  const repository = key.ecosystem === "git"
  for (const affected of advisory.affected ?? []) {
    // `evaluateRepository` applies the `git` half of `entryApplies` itself (undefined: not about the repository).
    const result = repository
      ? evaluateRepository(affected, key.name, version)
      : entryApplies(affected, key) ? evaluate(affected, version) : undefined
    if (result === undefined) continue
    if (result.affected) return result
    for (const issue of result.issues) issues.push(issue)
  }
  return { affected: false, matchedBy: Option.none(), issues }
}

/**
 * The version part of a git tag, spelled one way, as osv.dev compares tags with the `versions` of
 * GIT-ranged records: `libssh2-1.11.1`, `v1.11.1` and `1.11.1` all give `1-11-1`; `""` when the
 * tag has no version part.
 *
 * @since 0.2.0
 * @category Matching
 */
export const normalizeTag = (tag: string): string => normalizeGitTag(tag)

/**
 * The `fixed` versions of an `affected` entry's `SEMVER` and `ECOSYSTEM` ranges, in document
 * order without duplicates (GIT fix commits are not versions and are left out).
 *
 * @since 0.1.0
 * @category Matching
 */
export const fixedVersions = (affected: Affected): ReadonlyArray<string> => {
  let fixed = fixedOf.get(affected)
  if (fixed === undefined) {
    const found = new Set<string>()
    for (const range of affected.ranges ?? []) {
      if (range.type === "GIT") continue
      for (const event of range.events) if (event.fixed !== undefined) found.add(event.fixed)
    }
    fixedOf.set(affected, fixed = Array.from(found))
  }
  return fixed
}

// Asked per finding and again per remediation step; an entry is never mutated after decoding.
const fixedOf = new WeakMap<Affected, ReadonlyArray<string>>()

/**
 * The canonical base ecosystem used to pick an ordering (`Debian:11` → `debian`, `crates.io` →
 * `cargo`).
 *
 * @since 0.1.0
 * @category Orderings
 */
export const orderingEcosystem = (ecosystem: string): string => baseEcosystem(ecosystem)
