/**
 * Package URLs (PURL): parsing and canonical form, with `packageurl-js` (type-specific case rules,
 * scoped npm names, sorted qualifiers). The canonical string is what OSS Index cache entries are
 * keyed by, so `pkg:npm/@Angular/Core@1.0.0` and `pkg:npm/%40angular/core@1.0.0` share one entry.
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { PackageURL } from "packageurl-js"
import { InvalidInput } from "./Errors.js"
import { maxIdentifierLength } from "./internal/identifier.js"
import * as PackageKey from "./PackageKey.js"

/**
 * A parsed PURL.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Purl {
  /** The canonical PURL string. */
  readonly canonical: string
  readonly type: string
  readonly namespace: string | undefined
  readonly name: string
  readonly version: string | undefined
  readonly qualifiers: Readonly<Record<string, string>> | undefined
  readonly subpath: string | undefined
}

/** PURL types whose OSV ecosystem name differs from the type. */
const osvEcosystemByType: Readonly<Record<string, string>> = {
  cargo: "crates.io",
  pypi: "PyPI",
  gem: "RubyGems",
  golang: "Go",
  composer: "Packagist",
  nuget: "NuGet",
  hex: "Hex",
  pub: "Pub",
  maven: "Maven",
  npm: "npm",
  swift: "SwiftURL",
  github: "GitHub Actions",
  deb: "Debian",
  apk: "Alpine",
  cran: "CRAN",
  hackage: "Hackage",
  conan: "ConanCenter"
}

/** Namespace separators per type: how OSV spells the full package name. */
const fullName = (type: string, namespace: string | undefined, name: string): string => {
  if (!namespace) return name
  if (type === "maven") return `${namespace}:${name}`
  if (type === "deb" || type === "apk" || type === "rpm") return name
  return `${namespace}/${name}`
}

/**
 * `parse` as a plain value, for loops over many PURLs (an SBOM's components): no effect per PURL.
 *
 * @since 0.3.0
 * @category Constructors
 */
export const parseEither = (purl: string): Either.Either<Purl, InvalidInput> => {
  if (purl.length > maxIdentifierLength) {
    return Either.left(InvalidInput.of("purl", purl, `longer than ${maxIdentifierLength} characters`))
  }
  try {
    const parsed = PackageURL.fromString(purl.trim())
    return Either.right({
      canonical: parsed.toString(),
      type: parsed.type,
      namespace: parsed.namespace ?? undefined,
      name: parsed.name,
      version: parsed.version ?? undefined,
      qualifiers: (parsed.qualifiers as Record<string, string> | undefined | null) ?? undefined,
      subpath: parsed.subpath ?? undefined
    })
  } catch (error) {
    return Either.left(InvalidInput.of("purl", purl, error instanceof Error ? error.message : String(error)))
  }
}

/**
 * Parses and canonicalizes a PURL; a malformed one fails with `InvalidInput` naming it.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const parse = (purl: string): Effect.Effect<Purl, InvalidInput> => Effect.suspend(() => parseEither(purl))

/**
 * The canonical string of a PURL.
 *
 * @since 0.1.0
 * @category Normalization
 */
export const normalize = (purl: string): Effect.Effect<string, InvalidInput> =>
  Effect.map(parse(purl), (p) => p.canonical)

/**
 * The OSV ecosystem a PURL type belongs to (`cargo` → `crates.io`); unknown types are returned as is.
 *
 * @since 0.1.0
 * @category Accessors
 */
export const osvEcosystem = (purl: Purl): string => osvEcosystemByType[purl.type] ?? purl.type

/**
 * The full package name as OSV spells it, case kept (`maven` → `group:artifact`, npm scope →
 * `@scope/name`, Go → full module path); see `toPackageKey` for the normalized form.
 *
 * @since 0.1.0
 * @category Accessors
 */
export const osvName = (purl: Purl): string => fullName(purl.type, purl.namespace, purl.name)

/**
 * The package a PURL names, as OSV spells it (`maven` → `group:artifact`, npm scope →
 * `@scope/name`, Go → full module path), normalized.
 *
 * @since 0.1.0
 * @category Accessors
 */
export const toPackageKey = (purl: Purl): PackageKey.PackageKey =>
  PackageKey.unsafeMake(osvEcosystem(purl), fullName(purl.type, purl.namespace, purl.name))

/**
 * The OSV queries a PURL stands for: its package and, for `pkg:github/owner/repo`, also the
 * repository itself (`GIT`, `https://github.com/owner/repo`), so a vendored C library named by its
 * GitHub repository is matched against GIT-ranged records (by tag or commit) as well as against
 * `GitHub Actions` records (OSV's ecosystem for that PURL type).
 *
 * @since 0.2.0
 * @category Accessors
 */
export const queryTargets = (purl: Purl): ReadonlyArray<{ readonly ecosystem: string; readonly name: string }> => {
  const pkg = { ecosystem: osvEcosystem(purl), name: osvName(purl) }
  return purl.type === "github" && purl.namespace !== undefined
    ? [{ ecosystem: "GIT", name: `https://github.com/${purl.namespace}/${purl.name}` }, pkg]
    : [pkg]
}

/**
 * A git repository reference as pip and npm write one, `git+<url>@<tag or commit>`
 * (`git+https://github.com/madler/zlib@v1.3.1`, `git+ssh://git@host/owner/repo.git@abc1234`):
 * the repository URL (without any `user:password@`) and the ref, or `undefined` when the entry is not one (no `git+` scheme, or
 * no `@ref` after the path).
 *
 * @since 0.2.0
 * @category Constructors
 */
export const parseGitReference = (entry: string): { readonly url: string; readonly ref: string } | undefined => {
  const trimmed = entry.trim()
  if (!/^git\+[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return undefined
  const url = trimmed.slice(4)
  const at = url.lastIndexOf("@")
  // The ref's `@` comes after the last `/` of the path; an earlier one is `user@host`.
  if (at <= url.lastIndexOf("/") || at === url.length - 1) return undefined
  // Credentials never leave this function (reports print the URL); repository matching ignores them.
  return { url: url.slice(0, at).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1"), ref: url.slice(at + 1) }
}
