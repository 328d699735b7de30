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
import { entriesFor, sortVersions } from "./Finding.js"
import type * as PackageKey from "./PackageKey.js"
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

const above = (ecosystem: string, candidate: string, installed: string): boolean => {
  const order = Versions.compare(ecosystem, candidate, installed)
  return order._tag === "Right" && order.right > 0
}

/** The fixed versions of the package's entries above `installed`, ascending (unplaceable ones left out). */
const candidates = (
  advisories: ReadonlyArray<Advisory>,
  key: PackageKey.PackageKey,
  ecosystem: string,
  installed: string
): ReadonlyArray<string> => {
  const fixed = new Set<string>()
  for (const advisory of advisories) {
    for (const entry of entriesFor(advisory, key)) {
      for (const version of Versions.fixedVersions(entry)) {
        if (Versions.isValid(ecosystem, version) && above(ecosystem, version, installed)) fixed.add(version)
      }
    }
  }
  return sortVersions(ecosystem, Array.from(fixed))
}

/**
 * Verdicts already computed, per advisory object: a scan asks the same (advisory, package,
 * version) questions for each finding's `nearestFix` and again in `forDependency`, and
 * `advisoryAffects` re-reads every range each time. Weakly held, so a verdict lives as long as
 * the advisory object it is about (and an advisory is never mutated after decoding).
 */
const verdicts = new WeakMap<Advisory, Map<string, boolean>>()

const clears = (advisory: Advisory, key: PackageKey.PackageKey, version: string): boolean => {
  let known = verdicts.get(advisory)
  if (known === undefined) verdicts.set(advisory, known = new Map())
  const question = `${key.ecosystem}\u0000${key.name}\u0000${version}`
  let verdict = known.get(question)
  if (verdict === undefined) known.set(question, verdict = !Versions.advisoryAffects(advisory, key, version).affected)
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
