/**
 * Package-key normalization: the one place where ecosystem and package-name spellings are made
 * canonical. Every store read and write, every matcher and every cache key goes through here, so
 * `PyPI`/`pypi`/`pip`/`PIP`, `crates.io`/`cargo`/`RUST` or `Django`/`django` find the same
 * advisories.
 *
 * Canonical ecosystem names follow the Rust crate (`pypi`, `cargo`, `go`, ...), so index keys it
 * wrote stay readable. Deviation: PyPI names are folded per PEP 503 (`Foo_Bar.baz` → `foo-bar-baz`).
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { InvalidInput } from "./Errors.js"
import { identifierProblem, maxIdentifierLength } from "./internal/identifier.js"

/**
 * A normalized (ecosystem, name) pair.
 *
 * @since 0.1.0
 * @category Models
 */
export interface PackageKey {
  readonly ecosystem: string
  readonly name: string
}

const aliases: ReadonlyArray<readonly [canonical: string, spellings: ReadonlyArray<string>]> = [
  ["npm", ["npm", "node", "nodejs", "javascript"]],
  ["pypi", ["pypi", "python", "pip"]],
  ["maven", ["maven", "java"]],
  ["cargo", ["cargo", "rust", "crates.io", "crates"]],
  ["go", ["go", "golang"]],
  ["packagist", ["packagist", "composer", "php"]],
  ["rubygems", ["rubygems", "ruby", "gem", "gems", "bundler"]],
  ["nuget", ["nuget", "dotnet", ".net"]],
  ["hex", ["hex", "erlang", "elixir"]],
  ["pub", ["pub", "dart"]],
  ["github actions", ["github actions", "actions"]],
  ["swifturl", ["swifturl", "swift"]],
  ["git", ["git"]]
]

const canonicalByAlias: ReadonlyMap<string, string> = new Map(
  aliases.flatMap(([canonical, spellings]) => spellings.map((s) => [s, canonical] as const))
)

/**
 * Ecosystems whose package names keep their case (Go module paths are case-sensitive); every
 * other known ecosystem folds case. Unknown ecosystems (distributions, Bitnami, ...) keep names
 * as given.
 */
const caseSensitive: ReadonlySet<string> = new Set(["go", "swifturl", "github actions"])

/**
 * The canonical ecosystem name: trimmed, lower-cased, aliases resolved (`PyPI` → `pypi`,
 * `crates.io` → `cargo`, GitHub's `PIP` → `pypi`). Unknown ecosystems are lower-cased
 * (`Debian:11` → `debian:11`).
 *
 * @since 0.1.0
 * @category Normalization
 */
export const normalizeEcosystem = (ecosystem: string): string => {
  const lowered = ecosystem.trim().toLowerCase()
  return canonicalByAlias.get(lowered) ?? lowered
}

/**
 * Whether the ecosystem is one of the known language ecosystems (as opposed to a distribution or
 * vendor feed).
 *
 * @since 0.1.0
 * @category Normalization
 */
export const isKnownEcosystem = (ecosystem: string): boolean =>
  canonicalByAlias.has(ecosystem.trim().toLowerCase())

/**
 * Every ecosystem OSV defines (ossf/osv-schema `ecosystems.json`, plus `GIT` and the newer
 * ecosystems osv.dev serves), as OSV spells them. An ecosystem may carry a `:<variant>` suffix
 * (`Debian:12`, `Ubuntu:Pro:18.04:LTS`, `Maven:https://maven.google.com`); its base must be one of
 * these or an alias (`pip`, `cargo`, `golang`, ...).
 *
 * @since 0.1.0
 * @category Validation
 */
export const knownEcosystems: ReadonlyArray<string> = [
  "AlmaLinux", "Alpaquita", "Alpine", "Android", "Azure Linux", "BellSoft", "Bioconductor", "Bitnami", "Chainguard",
  "CleanStart", "ConanCenter", "CRAN", "crates.io", "Debian", "Echo", "GHC", "GIT", "GitHub Actions", "Go", "Hackage",
  "Hex", "Julia", "Kubernetes", "Linux", "Mageia", "Maven", "MinimOS", "npm", "NuGet", "opam", "openEuler", "openSUSE",
  "OSS-Fuzz", "Packagist", "Photon OS", "Pub", "PyPI", "Red Hat", "Rocky Linux", "Root", "RubyGems", "SUSE", "SwiftURL",
  "Ubuntu", "VSCode", "Wolfi"
]

const knownLowered: ReadonlySet<string> = new Set(knownEcosystems.map((e) => e.toLowerCase()))

/** Whether `lowered` (trimmed, lower-case) names a known ecosystem or an alias of one. */
const knownBase = (lowered: string) => knownLowered.has(lowered) || canonicalByAlias.has(lowered)

/**
 * Edit distance where swapping two adjacent characters is one edit (optimal string alignment),
 * so `nmp` is one edit from `npm`. Hand-written (a dozen lines): @effect/cli's Levenshtein counts a
 * transposition as two, and no other string-distance package is a dependency.
 */
const editDistance = (a: string, b: string): number => {
  const rows: Array<Array<number>> = []
  for (let i = 0; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      row.push(best)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}

/**
 * The known ecosystems closest to a misspelled one (at most two edits, or a prefix of at least
 * three characters), best first.
 *
 * @since 0.1.0
 * @category Validation
 */
export const suggestEcosystems = (ecosystem: string): ReadonlyArray<string> => {
  const wanted = ecosystem.trim().toLowerCase().split(":")[0]!
  const candidates = [...knownEcosystems, ...aliases.flatMap(([, spellings]) => spellings)]
  const scored: Array<readonly [name: string, distance: number]> = []
  for (const name of candidates) {
    const lowered = name.toLowerCase()
    const distance = editDistance(wanted, lowered)
    const limit = wanted.length <= 3 ? 1 : 2
    if (distance <= limit || (wanted.length >= 3 && lowered.startsWith(wanted))) scored.push([name, distance])
  }
  scored.sort((x, y) => x[1] - y[1])
  // Show OSV's spelling for an alias (`pypi` for `pip`).
  const shown = scored.map(([name]) => knownEcosystems.find((k) => normalizeEcosystem(k) === normalizeEcosystem(name)) ?? name)
  return Array.from(new Set(shown)).slice(0, 3)
}

/**
 * Checks that an ecosystem is one OSV knows (any case, aliases allowed, with or without a
 * `:<variant>` suffix whose base is known). An unknown one is an `InvalidInput` with a "did you
 * mean" and the known list: a typo (`nmp`) must not answer "0 advisories".
 *
 * @since 0.1.0
 * @category Validation
 */
export const validateEcosystem = (ecosystem: string): Effect.Effect<string, InvalidInput> => {
  const error = ecosystemProblem(ecosystem)
  return error === undefined ? Effect.succeed(ecosystem) : Effect.fail(error)
}

/**
 * What `validateEcosystem` would fail with, as a plain value (`undefined`: a known ecosystem), for
 * loops over a batch.
 *
 * @since 0.3.0
 * @category Validation
 */
export const ecosystemProblem = (ecosystem: string): InvalidInput | undefined => {
  const error = check("ecosystem", ecosystem)
  if (error) return error
  const lowered = ecosystem.trim().toLowerCase()
  if (knownBase(lowered) || knownBase(lowered.split(":")[0]!.trim())) return undefined
  const suggestions = suggestEcosystems(ecosystem)
  const hint = suggestions.length === 0 ? "" : `did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}? `
  return InvalidInput.of("ecosystem", ecosystem, `unknown ecosystem; ${hint}known: ${knownEcosystems.join(", ")}`)
}

/**
 * PEP 503 name normalization: runs of `-`, `_` and `.` become one `-`, lower-cased.
 *
 * @since 0.1.0
 * @category Normalization
 */
export const pep503 = (name: string): string => name.replace(/[-_.]+/g, "-").toLowerCase()

/**
 * The canonical base of an ecosystem: the part before the first `:`, normalized
 * (`Debian:12` → `debian`, `Packagist:https://packages.drupal.org/8` → `packagist`,
 * `Ubuntu:Pro:18.04:LTS` → `ubuntu`, `PyPI` → `pypi`).
 *
 * @since 0.2.0
 * @category Normalization
 */
export const baseEcosystem = (ecosystem: string): string => {
  const colon = ecosystem.indexOf(":")
  return normalizeEcosystem(colon === -1 ? ecosystem : ecosystem.slice(0, colon))
}

/**
 * Whether an ecosystem names a variant of a base (`Debian:12`, `Alpine:v3.18`,
 * `Packagist:https://packages.drupal.org/8`) rather than the base itself.
 *
 * @since 0.2.0
 * @category Normalization
 */
export const isVariant = (ecosystem: string): boolean => ecosystem.includes(":")

/**
 * The canonical form of a git repository URL, the package name of the `GIT` ecosystem: scheme,
 * credentials, `www.`, a `.git` suffix, trailing slashes and case are dropped, and scp-like
 * `git@host:owner/repo` is read as `host/owner/repo` (`https://GitHub.com/DaveGamble/cJSON.git/`
 * → `github.com/davegamble/cjson`). Case is folded because the big hosts (GitHub, GitLab,
 * Bitbucket) treat paths case-insensitively and osv.dev answers either spelling; two repositories
 * that differ only in case would both match (a false positive, never a miss).
 *
 * @since 0.2.0
 * @category Normalization
 */
export const normalizeRepoUrl = (url: string): string => {
  let rest = url.trim().toLowerCase()
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(rest)
  if (scheme !== null) rest = rest.slice(scheme[0].length)
  else {
    // scp-like syntax: [user@]host:path
    const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(rest)
    if (scp !== null) rest = `${scp[1]}/${scp[2]}`
  }
  rest = rest.replace(/^[^@/]*@/, "").replace(/[?#].*$/, "").replace(/\/+$/, "").replace(/\.git$/, "").replace(/\/+$/, "")
  return rest.replace(/^www\./, "").replace(/:(80|443)(?=\/|$)/, "")
}

/**
 * The canonical package name within a (canonical or raw) ecosystem. A variant's names follow its
 * base's rules (`Packagist:https://packages.drupal.org/8` folds case like `Packagist`); `GIT`
 * names are repository URLs (`normalizeRepoUrl`).
 *
 * @since 0.1.0
 * @category Normalization
 */
export const normalizeName = (ecosystem: string, name: string): string => {
  const eco = baseEcosystem(ecosystem)
  const trimmed = name.trim()
  if (eco === "pypi") return pep503(trimmed)
  if (eco === "git") return normalizeRepoUrl(trimmed)
  if (!canonicalByAlias.has(eco) || caseSensitive.has(eco)) return trimmed
  return trimmed.toLowerCase()
}

/**
 * Longest accepted package name, ecosystem or advisory id (longer input is an `InvalidInput`).
 *
 * @since 0.1.0
 * @category Validation
 */
export const maxLength: number = maxIdentifierLength

const check = identifierProblem

/**
 * Normalizes without validation (for data that was already validated, e.g. read from the store).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const unsafeMake = (ecosystem: string, name: string): PackageKey => ({
  ecosystem: normalizeEcosystem(ecosystem),
  name: normalizeName(ecosystem, name)
})

/**
 * Validates and normalizes a package key. Empty, over-long (> 1024 chars) or control-character
 * input fails with `InvalidInput` naming the field.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (ecosystem: string, name: string): Effect.Effect<PackageKey, InvalidInput> => {
  const error = check("ecosystem", ecosystem) ?? check("name", name)
  return error ? Effect.fail(error) : Effect.succeed(unsafeMake(ecosystem, name))
}

/**
 * `make` as a plain value, for loops over a batch (no effect per package).
 *
 * @since 0.3.0
 * @category Constructors
 */
export const makeEither = (ecosystem: string, name: string): Either.Either<PackageKey, InvalidInput> => {
  const error = check("ecosystem", ecosystem) ?? check("name", name)
  return error ? Either.left(error) : Either.right(unsafeMake(ecosystem, name))
}

/**
 * Whether a record's package is found by a query for `key`: the same package, or `key` names a
 * base ecosystem (no `:`) and the package belongs to one of its variants (a query for `Debian`
 * finds `Debian:12` records; a query for `Debian:12` finds only `Debian:12` records).
 *
 * @since 0.2.0
 * @category Normalization
 */
export const covers = (key: PackageKey, pkg: { readonly ecosystem: string; readonly name: string }): boolean => {
  if (isVariant(key.ecosystem)) return same(pkg, key)
  return baseEcosystem(pkg.ecosystem) === key.ecosystem && normalizeName(pkg.ecosystem, pkg.name) === key.name
}

/**
 * Whether two (ecosystem, name) spellings denote the same package.
 *
 * @since 0.1.0
 * @category Normalization
 */
export const same = (a: { readonly ecosystem: string; readonly name: string }, b: PackageKey): boolean => {
  const ka = unsafeMake(a.ecosystem, a.name)
  return ka.ecosystem === b.ecosystem && ka.name === b.name
}
