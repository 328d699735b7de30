/**
 * Which ordering each OSV ecosystem uses. Keys are canonical names from
 * `PackageKey.normalizeEcosystem` applied to the part before the first `:` (`Debian:11` → `debian`,
 * `Ubuntu:Pro:18.04:LTS` → `ubuntu`, `crates.io` → `cargo`).
 *
 * The table follows osv.dev's `osv/ecosystems/_ecosystems.py`, with one difference: CRAN and
 * Bioconductor use R's `package_version` order instead of coerced SemVer. Ecosystems osv.dev
 * lists without an ordering (Android, ConanCenter, GIT, GitHub Actions, Kubernetes, Linux,
 * OSS-Fuzz, Photon OS) and unknown ones have none here either.
 */
import { baseEcosystem } from "../../PackageKey.js"
import { alpine } from "./alpine.js"
import { debian, opam } from "./debian.js"
import { cran, hackage } from "./dotted.js"
import { maven } from "./maven.js"
import { nuget } from "./nuget.js"
import { packagist } from "./packagist.js"
import { pypi } from "./pypi.js"
import { rpm } from "./rpm.js"
import { rubygems } from "./rubygems.js"
import { type AnyScheme, erase } from "./scheme.js"
import { pub, semver } from "./semver.js"

const table: ReadonlyArray<readonly [AnyScheme, ReadonlyArray<string>]> = [
  [erase(semver), ["npm", "cargo", "go", "hex", "bitnami", "julia", "swifturl", "ghc", "vscode"]],
  [erase(pub), ["pub"]],
  [erase(pypi), ["pypi"]],
  [erase(maven), ["maven"]],
  [erase(nuget), ["nuget"]],
  [erase(rubygems), ["rubygems"]],
  [erase(packagist), ["packagist"]],
  [erase(debian), ["debian", "ubuntu", "echo"]],
  [erase(opam), ["opam"]],
  [erase(rpm), ["almalinux", "rocky linux", "red hat", "opensuse", "suse", "mageia", "openeuler"]],
  [erase(alpine), ["alpine", "chainguard", "wolfi", "minimos", "alpaquita", "bellsoft hardened containers"]],
  [erase(hackage), ["hackage"]],
  [erase(cran), ["cran", "bioconductor"]]
]

const byEcosystem: ReadonlyMap<string, AnyScheme> = new Map(
  table.flatMap(([scheme, names]) => names.map((name) => [name, scheme] as const))
)

/** The canonical base ecosystem (one rule, in `PackageKey`). */
export { baseEcosystem }

// Callers pass the same few raw spellings over and over (one per affected entry); normalizing each
// time dominated `compare` in bench/versions.ts. Bounded so arbitrary input cannot grow it.
const resolved = new Map<string, AnyScheme | null>()

/** The ordering of an ecosystem, if it has one. */
export const schemeFor = (ecosystem: string): AnyScheme | undefined => {
  const cached = resolved.get(ecosystem)
  if (cached !== undefined) return cached ?? undefined
  const scheme = byEcosystem.get(baseEcosystem(ecosystem))
  if (resolved.size >= 1024) resolved.clear()
  resolved.set(ecosystem, scheme ?? null)
  return scheme
}

/** The ordering of OSV `SEMVER` ranges, whatever the ecosystem. */
export const semverScheme: AnyScheme = erase(semver)
