/**
 * Which `affected` entries of an advisory `Versions.advisoryAffects` evaluates for a package: the
 * one rule, shared with the store's match summaries (src/internal/store/summary.ts), which keep
 * exactly these entries so that evaluating a summary gives the answer of the full record.
 */
import type { Affected } from "../../Advisory.js"
import * as PackageKey from "../../PackageKey.js"
import { concerns } from "./git.js"

/**
 * Whether `advisoryAffects(_, key, _)` evaluates this entry: for a `git` key, an entry about that
 * repository (`concerns`); otherwise an entry whose package `key` covers (`PackageKey.covers`).
 */
export const entryApplies = (affected: Affected, key: PackageKey.PackageKey): boolean => {
  const last = answered.get(affected)
  if (last !== undefined && last.ecosystem === key.ecosystem && last.name === key.name) return last.applies
  const applies = key.ecosystem === "git"
    ? concerns(affected, key.name)
    : affected.package !== undefined && PackageKey.covers(key, affected.package)
  answered.set(affected, { ecosystem: key.ecosystem, name: key.name, applies })
  return applies
}

// The same entry is asked about the same package over and over (each version of a dependency,
// then each candidate fix in remediation), and normalizing its package name each time was a third
// of `advisoryAffects`. The last answer per entry is kept, weakly (entries are never mutated).
const answered = new WeakMap<Affected, { readonly ecosystem: string; readonly name: string; readonly applies: boolean }>()
