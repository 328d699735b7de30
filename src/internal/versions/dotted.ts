/**
 * Purely numeric orderings: Hackage (Haskell's `Data.Version`, components separated by `.`) and
 * CRAN / Bioconductor (R's `package_version`, components separated by `.` or `-`).
 *
 * Both compare the integer lists lexicographically, and a list that extends another is greater:
 * `1.0` < `1.0.0` (unlike SemVer, trailing zeros matter), `0.1-9` = `0.1.9`.
 */
import { compareDigits, fail, ok, type Parsed, type Scheme } from "./scheme.js"

const compareLists = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i], b[i])
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** Hackage ordering. */
export const hackage: Scheme<ReadonlyArray<string>> = {
  name: "Haskell Data.Version",
  parse: (version): Parsed<ReadonlyArray<string>> =>
    /^[0-9]+(?:\.[0-9]+)*$/.test(version) ? ok(version.split(".")) : fail("not a Haskell version (N.N...)"),
  compare: compareLists
}

/** CRAN / Bioconductor ordering. */
export const cran: Scheme<ReadonlyArray<string>> = {
  name: "R package_version",
  parse: (version): Parsed<ReadonlyArray<string>> =>
    /^[0-9]+(?:[.-][0-9]+)*$/.test(version) ? ok(version.split(/[.-]/)) : fail("not an R package version (N.N-N...)"),
  compare: compareLists
}
