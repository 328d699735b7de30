/**
 * dpkg version ordering (Debian, Ubuntu, Echo) and the opam ordering built on the same algorithm.
 *
 * Hand-written: dpkg's `verrevcmp` is a few lines of C with no maintained JavaScript port.
 *
 * A Debian version is `[epoch:]upstream[-revision]`: the epoch is a number (default 0), the
 * revision follows the last `-` (absent = `0`). Parts are compared left to right; in each, runs
 * of non-digits compare character by character with `~` lowest (even below the end of the
 * string), then letters, then other characters; runs of digits compare numerically.
 *
 * Validation follows dpkg's parser, treating its warnings as errors (a version that only parses
 * with a warning is reported unparseable instead of compared): the upstream part must start with
 * a digit and use `[A-Za-z0-9.+~-:]`, the revision `[A-Za-z0-9.+~]`.
 *
 * opam compares whole version strings with this same character/number algorithm (no epoch or
 * revision), per the opam manual.
 */
import { compareDigits, fail, ok, type Parsed, type Scheme } from "./scheme.js"

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

/** dpkg's character weight inside a non-digit run; past the end (and digits) weigh 0. */
const weight = (s: string, i: number): number => {
  if (i >= s.length) return 0
  const c = s.charCodeAt(i)
  if (isDigit(c)) return 0
  if (isAlpha(c)) return c
  if (c === 126) return -1 // '~'
  return c + 256
}

/** dpkg's `verrevcmp`. */
export const verrevcmp = (a: string, b: string): number => {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const d = weight(a, i) - weight(b, j)
      if (d !== 0) return d
      i++
      j++
    }
    const si = i
    const sj = j
    while (i < a.length && isDigit(a.charCodeAt(i))) i++
    while (j < b.length && isDigit(b.charCodeAt(j))) j++
    const x = si === i ? "0" : a.slice(si, i)
    const y = sj === j ? "0" : b.slice(sj, j)
    const c = compareDigits(x, y)
    if (c !== 0) return c
  }
  return 0
}

/** A parsed Debian version. */
export interface DebianKey {
  readonly epoch: string
  readonly upstream: string
  readonly revision: string
}

const parseDebian = (version: string): Parsed<DebianKey> => {
  const colon = version.indexOf(":")
  const epoch = colon === -1 ? "0" : version.slice(0, colon)
  if (!/^[0-9]+$/.test(epoch)) return fail("epoch is not a number")
  const rest = colon === -1 ? version : version.slice(colon + 1)
  const hyphen = rest.lastIndexOf("-")
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen)
  const revision = hyphen === -1 ? "" : rest.slice(hyphen + 1)
  if (upstream.length === 0) return fail("empty upstream version")
  if (hyphen !== -1 && revision.length === 0) return fail("empty revision after '-'")
  if (!/^[0-9]/.test(upstream)) return fail("upstream version does not start with a digit")
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream)) return fail("invalid character in upstream version")
  if (!/^[A-Za-z0-9.+~]*$/.test(revision)) return fail("invalid character in revision")
  return ok({ epoch, upstream, revision })
}

const compareDebian = (a: DebianKey, b: DebianKey): number =>
  compareDigits(a.epoch, b.epoch) || verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision)

/** dpkg ordering. */
export const debian: Scheme<DebianKey> = { name: "dpkg", parse: parseDebian, compare: compareDebian }

/** opam ordering: `verrevcmp` over the whole string. */
export const opam: Scheme<string> = {
  name: "opam (Debian ordering)",
  parse: (version) =>
    /^[A-Za-z0-9_+.~-]+$/.test(version) ? ok(version) : fail("invalid character in opam version"),
  compare: verrevcmp
}
