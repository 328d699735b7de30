/**
 * SemVer 2.0 precedence (semver.org §11) for npm, crates.io, Go, Hex, Bitnami, Julia, SwiftURL,
 * GHC and every OSV `SEMVER` range, plus the Pub variant (pub_semver also orders build metadata).
 *
 * Hand-written rather than the `semver` package: `semver` keeps numbers as JS numbers (it throws
 * past 2^53, and real data and the OSV test vectors have 30-digit components), and it rejects the
 * coercions OSV data needs. The `semver` package is used in the tests as an oracle on the
 * versions it does accept.
 *
 * Accepted beyond strict SemVer, as osv.dev's own coercion does (`osv/semver_index.py`):
 * - a leading `v` (Go module versions: `v1.2.3`, `v0.0.0-20210101000000-abcdef123456`);
 * - one or two components (`1`, `1.19` → `1.0.0`, `1.19.0`); leading zeros (`2022.11.08`);
 * - components after the third (`1.2.3.4`, seen in Bitnami) compare numerically after the patch
 *   number instead of being rejected — this library's choice, documented in `Versions.ts`.
 * Anything else (empty pre-release identifiers, characters outside `[0-9A-Za-z-]`, no leading
 * number) is unparseable, never guessed.
 *
 * Go pseudo-versions need no special case: `v1.2.4-0.20210101000000-abc` is a pre-release whose
 * identifiers order as Go orders them (timestamps are fixed-width, so ASCII order is time order).
 */
import { compareDigits, compareLists, compareStrings, fail, isDigits, ok, type Parsed, type Scheme } from "./scheme.js"

/** A parsed SemVer-like version: numeric core (at least 3, zero-padded), pre-release and build identifiers. */
export interface SemverKey {
  readonly core: ReadonlyArray<string>
  readonly pre: ReadonlyArray<string>
  readonly build: ReadonlyArray<string>
}

const identifiers = /^[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*$/
const shape = /^v?([0-9]+(?:\.[0-9]+)*)(?:-([^+]*))?(?:\+(.*))?$/

/** Parses a (coerced) SemVer version. */
export const parseSemver = (version: string): Parsed<SemverKey> => {
  const m = shape.exec(version)
  if (m === null) return fail("not a SemVer version (expected [v]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD])")
  const core = m[1].split(".")
  while (core.length < 3) core.push("0")
  const pre = m[2]
  const build = m[3]
  if (pre !== undefined && !identifiers.test(pre)) return fail(`invalid pre-release "${pre}"`)
  if (build !== undefined && !identifiers.test(build)) return fail(`invalid build metadata "${build}"`)
  return ok({ core, pre: pre === undefined ? [] : pre.split("."), build: build === undefined ? [] : build.split(".") })
}

const compareCore = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i] ?? "0", b[i] ?? "0")
    if (c !== 0) return c
  }
  return 0
}

/**
 * SemVer §11.4 identifier-list order: numeric identifiers numerically and below alphanumeric
 * ones, alphanumeric in ASCII order, a longer list wins when one is a prefix of the other.
 */
export const compareIdentifiers = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number =>
  compareLists(a, b, (x, y) => {
    const xn = isDigits(x)
    const yn = isDigits(y)
    return xn && yn ? compareDigits(x, y) : xn ? -1 : yn ? 1 : compareStrings(x, y)
  })

const comparePre = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  // A version without pre-release ranks above any pre-release of the same core (§11.3).
  if (a.length === 0 || b.length === 0) return b.length - a.length
  return compareIdentifiers(a, b)
}

/** SemVer precedence: build metadata is ignored (§10). */
export const compareSemver = (a: SemverKey, b: SemverKey): number =>
  compareCore(a.core, b.core) || comparePre(a.pre, b.pre)

/** SemVer 2.0 (with osv.dev's coercions). */
export const semver: Scheme<SemverKey> = { name: "SemVer 2.0", parse: parseSemver, compare: compareSemver }

/**
 * Pub (Dart) orders like SemVer but, as `pub_semver` does, also orders build metadata: a version
 * with build metadata ranks above the same version without it, and build identifiers compare like
 * pre-release identifiers.
 */
export const pub: Scheme<SemverKey> = {
  name: "Pub (pub_semver)",
  parse: parseSemver,
  compare: (a, b) => {
    const c = compareSemver(a, b)
    if (c !== 0) return c
    if (a.build.length === 0 || b.build.length === 0) return a.build.length - b.build.length
    return compareIdentifiers(a.build, b.build)
  }
}
