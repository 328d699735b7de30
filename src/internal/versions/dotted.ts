/**
 * Purely numeric orderings: Hackage (Haskell's `Data.Version`, components separated by `.`) and
 * CRAN / Bioconductor (R's `package_version`, components separated by `.` or `-`).
 *
 * Both compare the integer lists lexicographically, and a list that extends another is greater:
 * `1.0` < `1.0.0` (unlike SemVer, trailing zeros matter), `0.1-9` = `0.1.9`.
 */
import { compareDigits, compareLists, fail, ok, type Parsed, type Scheme } from "./scheme.js"

const compareNumbers = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => compareLists(a, b, compareDigits)

/** Hackage ordering. */
export const hackage: Scheme<ReadonlyArray<string>> = {
  name: "Haskell Data.Version",
  parse: (version): Parsed<ReadonlyArray<string>> =>
    /^[0-9]+(?:\.[0-9]+)*$/.test(version) ? ok(version.split(".")) : fail("not a Haskell version (N.N...)"),
  compare: compareNumbers
}

/** CRAN / Bioconductor ordering. */
export const cran: Scheme<ReadonlyArray<string>> = {
  name: "R package_version",
  parse: (version): Parsed<ReadonlyArray<string>> =>
    /^[0-9]+(?:[.-][0-9]+)*$/.test(version) ? ok(version.split(/[.-]/)) : fail("not an R package version (N.N-N...)"),
  compare: compareNumbers
}
