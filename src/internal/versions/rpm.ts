/**
 * RPM ordering (AlmaLinux, Rocky Linux, Red Hat, openSUSE, SUSE, Mageia, openEuler): rpm's
 * `rpmvercmp` applied to epoch, version and release of `[epoch:]version[-release]`.
 *
 * Hand-written: `rpmvercmp` is C inside rpm with no maintained JavaScript port.
 *
 * - The epoch is the leading run of digits when a `:` follows it (default 0); the release is what
 *   follows the last `-`.
 * - `rpmvercmp`: characters other than ASCII letters, digits, `~` and `^` only separate segments;
 *   `~` sorts before anything (even the end), `^` after the end but before anything else; digit
 *   runs compare numerically and beat letter runs; letter runs compare in byte order; otherwise
 *   whichever string has segments left wins.
 * - A version without a release sorts before the same version with any release (`1.0` < `1.0-1`),
 *   which is osv-scanner's reading; rpm itself skips the release comparison in that case.
 */
import { fail, ok, type Parsed, type Scheme } from "./scheme.js"

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const TILDE = 126
const CARET = 94

/** rpm's `rpmvercmp`. */
export const rpmvercmp = (a: string, b: string): number => {
  if (a === b) return 0
  let i = 0
  let j = 0
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0)
  const isSeparator = (c: number): boolean => c !== 0 && !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET
  for (;;) {
    while (isSeparator(at(a, i))) i++
    while (isSeparator(at(b, j))) j++
    const x = at(a, i)
    const y = at(b, j)
    if (x === TILDE || y === TILDE) {
      if (x !== TILDE) return 1
      if (y !== TILDE) return -1
      i++
      j++
      continue
    }
    if (x === CARET || y === CARET) {
      if (x === 0) return -1
      if (y === 0) return 1
      if (x !== CARET) return 1
      if (y !== CARET) return -1
      i++
      j++
      continue
    }
    if (x === 0 || y === 0) break
    const numeric = isDigit(x)
    const run = numeric ? isDigit : isAlpha
    const si = i
    const sj = j
    while (i < a.length && run(a.charCodeAt(i))) i++
    while (j < b.length && run(b.charCodeAt(j))) j++
    // Segments of different kinds: the numeric one is newer.
    if (sj === j) return numeric ? 1 : -1
    let sa = a.slice(si, i)
    let sb = b.slice(sj, j)
    if (numeric) {
      sa = sa.replace(/^0+/, "")
      sb = sb.replace(/^0+/, "")
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1
    }
    if (sa !== sb) return sa < sb ? -1 : 1
  }
  const restA = at(a, i) !== 0
  const restB = at(b, j) !== 0
  if (!restA && !restB) return 0
  return restA ? 1 : -1
}

/** A parsed RPM EVR; `release` is undefined when the string has no `-`. */
export interface RpmKey {
  readonly epoch: string
  readonly version: string
  readonly release: string | undefined
}

const parse = (evr: string): Parsed<RpmKey> => {
  if (evr.length === 0) return fail("empty version")
  const m = /^([0-9]*):/.exec(evr)
  const epoch = m === null ? "0" : m[1] === "" ? "0" : m[1]
  const rest = m === null ? evr : evr.slice(m[0].length)
  const hyphen = rest.lastIndexOf("-")
  return ok({
    epoch,
    version: hyphen === -1 ? rest : rest.slice(0, hyphen),
    release: hyphen === -1 ? undefined : rest.slice(hyphen + 1)
  })
}

const compare = (a: RpmKey, b: RpmKey): number => {
  const c = rpmvercmp(a.epoch, b.epoch) || rpmvercmp(a.version, b.version)
  if (c !== 0) return c
  if (a.release === undefined || b.release === undefined) {
    return (a.release === undefined ? 0 : 1) - (b.release === undefined ? 0 : 1)
  }
  return rpmvercmp(a.release, b.release)
}

/** RPM ordering. */
export const rpm: Scheme<RpmKey> = { name: "RPM (rpmvercmp)", parse, compare }
