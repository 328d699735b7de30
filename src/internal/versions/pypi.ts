/**
 * PyPI ordering: PEP 440 through `@renovatebot/pep440`, with the pre-PEP 440 "legacy" ordering of
 * `packaging` < 22 (`LegacyVersion`) for strings PEP 440 rejects, as osv.dev's `packaging.version.parse`
 * did. Legacy versions sort below every PEP 440 version (legacy epoch -1) and among themselves by
 * setuptools' historical key.
 *
 * `@renovatebot/pep440` keeps numbers as JS numbers, so a PEP 440 version with a numeric run longer
 * than 15 digits is reported unparseable rather than compared with rounding.
 *
 * `pep440.compare` takes strings and parses both on every call, which made PyPI matching the
 * slowest ordering in a scan. So a version is parsed once with `pep440.parse` (the same regex) and
 * its sort key built once by `sortKey`/`compareKeys`, a line-for-line port of the package's
 * private `calculateKey`/`pyCompare` (lib/operator.js, 4.2.4, Apache-2.0 OR BSD-2-Clause); the
 * tests check it against `pep440.compare` on every pair of the PyPI vectors.
 */
import * as pep440 from "@renovatebot/pep440"
import { compareLists, compareStrings, fail, ok, type Parsed, type Scheme } from "./scheme.js"

/** A parsed PyPI version (`key`: the PEP 440 sort key, see `sortKey`). */
export type PypiKey =
  | { readonly kind: "pep440"; readonly text: string; readonly key: SortKey }
  | { readonly kind: "legacy"; readonly parts: ReadonlyArray<string> }

/** An element of a PEP 440 sort key: numbers (with the ±Infinity sentinels), strings, tuples. */
type SortKey = number | string | ReadonlyArray<SortKey>

interface Pep440Parts {
  readonly epoch: number
  readonly release: ReadonlyArray<number>
  readonly pre: ReadonlyArray<string | number> | null
  readonly post: ReadonlyArray<string | number> | null
  readonly dev: ReadonlyArray<string | number> | null
  readonly local: ReadonlyArray<string | number> | null
}

/** `calculateKey` of `@renovatebot/pep440` (PEP 440's `_cmpkey`). */
const sortKey = (parts: Pep440Parts): SortKey => {
  const release = parts.release.slice()
  // Trailing zeros of the release do not count (`1.0` == `1`).
  while (release.length > 0 && release[release.length - 1] === 0) release.pop()
  // `1.0.dev0` sorts before `1.0a0`: a dev release without pre/post takes the lowest pre-release.
  const pre: SortKey = !parts.pre && !parts.post && parts.dev ? -Infinity : parts.pre ? parts.pre : Infinity
  const post: SortKey = parts.post ? parts.post : -Infinity
  const dev: SortKey = parts.dev ? parts.dev : Infinity
  const local: SortKey = parts.local
    ? parts.local.map((i) => (Number.isNaN(Number(i)) ? [-Infinity, i] : [Number(i), ""]))
    : -Infinity
  return [parts.epoch, release, pre, post, dev, local]
}

/** `pyCompare` of `@renovatebot/pep440`: Python's tuple order over `SortKey`s. */
const compareKeys = (elemIn: SortKey, otherIn: SortKey): number => {
  let elem = elemIn
  let other = otherIn
  if (elem === other) return 0
  if (Array.isArray(elem) !== Array.isArray(other)) {
    elem = Array.isArray(elem) ? elem : [elem]
    other = Array.isArray(other) ? other : [other]
  }
  if (Array.isArray(elem)) {
    const x = elem as ReadonlyArray<SortKey>
    const y = other as ReadonlyArray<SortKey>
    const len = Math.min(x.length, y.length)
    for (let i = 0; i < len; i += 1) {
      const res = compareKeys(x[i], y[i])
      if (res !== 0) return res
    }
    return x.length - y.length
  }
  if (elem === -Infinity || other === Infinity) return -1
  if (elem === Infinity || other === -Infinity) return 1
  return elem < other ? -1 : 1
}

const replacements: Readonly<Record<string, string>> = { pre: "c", preview: "c", "-": "final-", rc: "c", dev: "@" }

/** `packaging` 21's `_legacy_cmpkey`: numbers zero-padded to 8, words prefixed with `*`. */
const legacyParts = (version: string): ReadonlyArray<string> => {
  const raw: Array<string> = []
  for (const piece of version.toLowerCase().split(/(\d+|[a-z]+|\.|-)/)) {
    const part = replacements[piece] ?? piece
    if (part === "" || part === ".") continue
    raw.push(/^[0-9]/.test(part) ? part.padStart(8, "0") : `*${part}`)
  }
  raw.push("*final")
  const parts: Array<string> = []
  for (const part of raw) {
    if (part.startsWith("*")) {
      // A "-" before a pre-release tag is dropped, and trailing zeros of each numeric run.
      if (part < "*final") while (parts.length > 0 && parts[parts.length - 1] === "*final-") parts.pop()
      while (parts.length > 0 && parts[parts.length - 1] === "00000000") parts.pop()
    }
    parts.push(part)
  }
  return parts
}

const parse = (version: string): Parsed<PypiKey> => {
  const parts = pep440.parse(version) as Pep440Parts | null
  if (parts !== null) {
    if (/[0-9]{16,}/.test(version)) return fail("numeric part longer than 15 digits cannot be compared exactly")
    return ok({ kind: "pep440", text: version, key: sortKey(parts) })
  }
  if (version.length === 0) return fail("empty version")
  return ok({ kind: "legacy", parts: legacyParts(version) })
}

const compare = (a: PypiKey, b: PypiKey): number => {
  if (a.kind === "pep440" && b.kind === "pep440") return compareKeys(a.key, b.key)
  if (a.kind === "legacy" && b.kind === "legacy") return compareLists(a.parts, b.parts, compareStrings)
  return a.kind === "legacy" ? -1 : 1
}

/** PyPI ordering. */
export const pypi: Scheme<PypiKey> = { name: "PEP 440", parse, compare }
