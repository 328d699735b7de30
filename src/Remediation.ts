/**
 * What to upgrade to. Per finding: the nearest fixed version above the installed one, in the
 * ecosystem's own ordering (`Versions`), that the advisory no longer affects. Per dependency: the
 * smallest version above the installed one that none of its findings affects, or "no fix
 * published" naming the advisories without one.
 *
 * Only versions named by the advisories' `fixed` events are candidates: a version between two
 * published fixes may not exist, and an unparseable one cannot be placed, so neither is guessed.
 *
 * @since 0.1.0
 */
import type { Advisory } from "./Advisory.js"
import { entriesFor } from "./Finding.js"
import type * as PackageKey from "./PackageKey.js"
import { lastPackageMemo } from "./internal/packageMemo.js"
import { schemeFor } from "./internal/versions/registry.js"
import { parseWith } from "./internal/versions/scheme.js"
import * as Versions from "./Versions.js"

/**
 * The upgrade for one dependency.
 *
 * - `Upgrade`: `version` fixes every finding (the smallest such published fix).
 * - `NoFix`: no published fix above the installed version clears every finding; `unfixed` lists
 *   the advisories that have no fix above it at all (empty when each has one but no single
 *   version fixes them all, e.g. fixes on different release lines).
 * - `Nothing`: no findings, nothing to do.
 *
 * @since 0.1.0
 * @category Models
 */
export type DependencyRemediation =
  | { readonly _tag: "Upgrade"; readonly version: string }
  | { readonly _tag: "NoFix"; readonly unfixed: ReadonlyArray<string> }
  | { readonly _tag: "Nothing" }

/**
 * The fixed versions of the package's entries above `installed`, ascending (unplaceable ones left
 * out). Each version is parsed once (`parseWith` remembers parses) and compared on its key, rather
 * than through `Versions.compare`/`Versions.sort`, which re-check and wrap every answer; the order
 * is theirs (the same scheme, a stable sort).
 */
const candidates = (
  advisories: ReadonlyArray<Advisory>,
  key: PackageKey.PackageKey,
  ecosystem: string,
  installed: string
): ReadonlyArray<string> => {
  const scheme = schemeFor(ecosystem)
  if (scheme === undefined) return []
  const base = parseWith(scheme, installed)
  if (!base.ok) return []
  const seen = new Set<string>()
  const fixed: Array<{ readonly version: string; readonly key: unknown }> = []
  for (const advisory of advisories) {
    for (const entry of entriesFor(advisory, key)) {
      for (const version of Versions.fixedVersions(entry)) {
        if (seen.has(version)) continue
        const parsed = parseWith(scheme, version)
        if (parsed.ok && scheme.compare(parsed.value, base.value) > 0) {
          seen.add(version)
          fixed.push({ version, key: parsed.value })
        }
      }
    }
  }
  if (fixed.length > 1) fixed.sort((x, y) => scheme.compare(x.key, y.key))
  return fixed.map((f) => f.version)
}

/**
 * Verdicts already computed (version → clears), per advisory and package (`lastPackageMemo`): a
 * scan asks the same (advisory, package, version) questions for each finding's `nearestFix` and
 * again in `forDependency`.
 */
const verdictsFor = lastPackageMemo((_advisory: Advisory, _key: PackageKey.PackageKey) => new Map<string, boolean>())

const clears = (advisory: Advisory, key: PackageKey.PackageKey, version: string): boolean => {
  const known = verdictsFor(advisory, key)
  let verdict = known.get(version)
  if (verdict === undefined) known.set(version, verdict = !Versions.advisoryAffects(advisory, key, version).affected)
  return verdict
}

/**
 * The nearest fixed version above `installed` that `advisory` does not affect, or `null` when it
 * publishes none (a version on another release line that is still affected is skipped).
 *
 * @since 0.1.0
 * @category Remediation
 */
export const nearestFix = (
  advisory: Advisory,
  key: PackageKey.PackageKey,
  ecosystem: string,
  installed: string
): string | null => candidates([advisory], key, ecosystem, installed).find((v) => clears(advisory, key, v)) ?? null

/**
 * The smallest upgrade that fixes every advisory in `advisories` (those affecting `installed`).
 *
 * @since 0.1.0
 * @category Remediation
 */
export const forDependency = (
  advisories: ReadonlyArray<Advisory>,
  key: PackageKey.PackageKey,
  ecosystem: string,
  installed: string
): DependencyRemediation => {
  if (advisories.length === 0) return { _tag: "Nothing" }
  const upgrade = candidates(advisories, key, ecosystem, installed).find((v) => advisories.every((a) => clears(a, key, v)))
  if (upgrade !== undefined) return { _tag: "Upgrade", version: upgrade }
  return {
    _tag: "NoFix",
    unfixed: advisories.filter((a) => nearestFix(a, key, ecosystem, installed) === null).map((a) => a.id).sort()
  }
}

/**
 * One line for people: `upgrade to 4.17.21`, `no fix published (GHSA-…)`, or `` (nothing to do).
 *
 * @since 0.1.0
 * @category Rendering
 */
export const describe = (remediation: DependencyRemediation): string =>
  remediation._tag === "Upgrade"
    ? `upgrade to ${remediation.version}`
    : remediation._tag === "NoFix"
    ? remediation.unfixed.length > 0
      ? `no fix published (${remediation.unfixed.join(", ")})`
      : "no single version fixes every finding"
    : ""
