/**
 * Package URLs (PURL): parsing and canonical form, with `packageurl-js` (type-specific case rules,
 * scoped npm names, sorted qualifiers). The canonical string is what OSS Index cache entries are
 * keyed by, so `pkg:npm/@Angular/Core@1.0.0` and `pkg:npm/%40angular/core@1.0.0` share one entry.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { PackageURL } from "packageurl-js"
import { InvalidInput } from "./Errors.js"
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
 * Parses and canonicalizes a PURL; a malformed one fails with `InvalidInput` naming it.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const parse = (purl: string): Effect.Effect<Purl, InvalidInput> =>
  Effect.suspend(() => {
    if (purl.length > PackageKey.maxLength) {
      return Effect.fail(InvalidInput.of("purl", purl, `longer than ${PackageKey.maxLength} characters`))
    }
    try {
      const parsed = PackageURL.fromString(purl.trim())
      return Effect.succeed<Purl>({
        canonical: parsed.toString(),
        type: parsed.type,
        namespace: parsed.namespace ?? undefined,
        name: parsed.name,
        version: parsed.version ?? undefined,
        qualifiers: (parsed.qualifiers as Record<string, string> | undefined | null) ?? undefined,
        subpath: parsed.subpath ?? undefined
      })
    } catch (error) {
      return Effect.fail(InvalidInput.of("purl", purl, error instanceof Error ? error.message : String(error)))
    }
  })

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
