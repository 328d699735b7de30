/**
 * Packagist (Composer) ordering: PHP's `version_compare` after Composer's normalizations, as
 * osv.dev and osv-scanner apply it.
 *
 * Hand-written: `version_compare` is a PHP built-in with no maintained JavaScript port.
 *
 * - A leading `v`/`V` is dropped; `-`, `_`, `+` become `.`; a `.` is inserted at every digit/letter
 *   transition; empty parts are skipped (PHP tokenizes with `strtok`).
 * - Numbers compare numerically (any length). Other parts compare by "special form", matched on
 *   the prefix as PHP does: dev < alpha = a < beta = b < RC = rc < # < pl = p; anything else ranks
 *   below dev. A number counts as `#` against a word.
 * - When one version runs out: the other is greater if its next part is a number, otherwise its
 *   remaining parts are compared with `#` (so `1.0-dev` < `1.0` < `1.0pl1`).
 */
import { compareDigits, fail, isDigits, ok, type Parsed, type Scheme } from "./scheme.js"

const specialForms: ReadonlyArray<readonly [string, number]> = [
  ["dev", 0],
  ["alpha", 1],
  ["a", 1],
  ["beta", 2],
  ["b", 2],
  ["RC", 3],
  ["rc", 3],
  ["#", 4],
  ["pl", 5],
  ["p", 5]
]

const specialRank = (part: string): number => {
  for (const [prefix, rank] of specialForms) if (part.startsWith(prefix)) return rank
  return -1
}

const canonicalize = (version: string): ReadonlyArray<string> =>
  version
    .replace(/^[vV]/, "")
    .replace(/[-_+]/g, ".")
    .replace(/([^0-9.])([0-9])/g, "$1.$2")
    .replace(/([0-9])([^0-9.])/g, "$1.$2")
    .split(".")
    .filter((part) => part !== "")

const comparePart = (a: string, b: string): number => {
  const an = isDigits(a)
  const bn = isDigits(b)
  if (an && bn) return compareDigits(a, b)
  return specialRank(an ? "#" : a) - specialRank(bn ? "#" : b)
}

const compareParts = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = comparePart(a[i], b[i])
    if (c !== 0) return c
  }
  if (a.length > n) return isDigits(a[n]) ? 1 : compareParts(a.slice(n), ["#"])
  if (b.length > n) return isDigits(b[n]) ? -1 : compareParts(["#"], b.slice(n))
  return 0
}

const parse = (version: string): Parsed<ReadonlyArray<string>> => {
  const parts = canonicalize(version)
  return parts.length === 0 ? fail("no version parts") : ok(parts)
}

/** Packagist ordering. */
export const packagist: Scheme<ReadonlyArray<string>> = {
  name: "Composer (PHP version_compare)",
  parse,
  compare: compareParts
}
