/**
 * Which `affected` entries of an advisory `Versions.advisoryAffects` evaluates for a package: the
 * one rule, shared with the store's match summaries (src/internal/store/summary.ts), which keep
 * exactly these entries so that evaluating a summary gives the answer of the full record.
 */
import type { Affected } from "../../Advisory.js"
import * as PackageKey from "../../PackageKey.js"
import { lastPackageMemo } from "../packageMemo.js"
import { concerns } from "./git.js"

/**
 * Whether `advisoryAffects(_, key, _)` evaluates this entry: for a `git` key, an entry about that
 * repository (`concerns`); otherwise an entry whose package `key` covers (`PackageKey.covers`).
 * Remembered per entry (`lastPackageMemo`): normalizing the entry's package name on every ask was
 * a third of `advisoryAffects`.
 */
export const entryApplies: (affected: Affected, key: PackageKey.PackageKey) => boolean = lastPackageMemo(
  (affected: Affected, key: PackageKey.PackageKey) =>
    key.ecosystem === "git"
      ? concerns(affected, key.name)
      : affected.package !== undefined && PackageKey.covers(key, affected.package)
)
