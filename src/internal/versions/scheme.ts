/**
 * The shape every per-ecosystem version ordering implements, plus the small exact helpers they
 * share. Versions are parsed once into a scheme-specific key and then compared, so sorting range
 * events does not re-parse.
 *
 * Numbers are compared as digit strings (strip leading zeros, then length, then lexically), which
 * is exact for any length: real data has 30-digit components and `Number` would silently round
 * them.
 */

/** A parse result: the comparable key, or why the string is not a version of this scheme. */
export type Parsed<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly reason: string }

/** A version ordering: parse a string into a key, compare two keys (negative, zero, positive). */
export interface Scheme<A> {
  /** Human-readable name of the ordering, used in reports (`"SemVer 2.0"`, `"PEP 440"`). */
  readonly name: string
  readonly parse: (version: string) => Parsed<A>
  readonly compare: (a: A, b: A) => number
}

/** A scheme whose key type has been forgotten (the registry holds many). */
export type AnyScheme = Scheme<unknown>

/** Forgets the key type of a scheme. */
export const erase = <A>(scheme: Scheme<A>): AnyScheme => scheme as unknown as AnyScheme

/** A successful parse. */
export const ok = <A>(value: A): Parsed<A> => ({ ok: true, value })

/** A failed parse with a reason a person can act on. */
export const fail = (reason: string): Parsed<never> => ({ ok: false, reason })

/** -1, 0 or 1. */
export const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0)

/** Compares by UTF-16 code unit, i.e. byte order for ASCII (what C `strcmp` and Ruby `<=>` do). */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const stripZeros = (digits: string): string => {
  let i = 0
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++
  return i === 0 ? digits : digits.slice(i)
}

/** Compares two non-empty strings of ASCII digits numerically, exactly, at any length. */
export const compareDigits = (a: string, b: string): number => {
  const x = stripZeros(a)
  const y = stripZeros(b)
  if (x.length !== y.length) return x.length - y.length
  return compareStrings(x, y)
}

/** Lexicographic order of two lists by an element order; a list that extends the other is greater. */
export const compareLists = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>, compare: (x: A, y: A) => number): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compare(a[i], b[i])
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** Whether a string is a non-empty run of ASCII digits. */
export const isDigits = (s: string): boolean => /^[0-9]+$/.test(s)

/** Rejects strings that no ecosystem accepts as a version: empty, or with whitespace/control characters. */
export const checkBasic = (version: string): string | undefined => {
  if (version.length === 0) return "empty version"
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(version)) return "contains whitespace or control characters"
  return undefined
}

/** How many parse results `parseWith` keeps per ordering before it starts over. */
export const parseCacheLimit = 16_384

// A scan compares the same few thousand strings (installed versions, range events, fixes) many
// times over: matching, then remediation re-evaluating each fix. Parsing dominated (a PEP 440
// parse is a 30-group regex). Keys are immutable once built (no `compare` mutates one), so a
// parse can be shared. Bounded per ordering: when full the map is dropped and refilled, which keeps
// memory fixed whatever the input and costs only re-parsing.
const parsedBy = new WeakMap<AnyScheme, Map<string, Parsed<unknown>>>()

/** How many parse results `parseWith` holds for a scheme now (for tests of the bound). */
export const parseCacheSize = (scheme: AnyScheme): number => parsedBy.get(scheme)?.size ?? 0

/**
 * Parses with a scheme after the checks every ordering shares (`checkBasic`). Results (failures
 * too) are remembered per scheme, at most `parseCacheLimit` of them.
 */
export const parseWith = (scheme: AnyScheme, version: string): Parsed<unknown> => {
  let cache = parsedBy.get(scheme)
  if (cache === undefined) parsedBy.set(scheme, cache = new Map())
  let parsed = cache.get(version)
  if (parsed === undefined) {
    const basic = checkBasic(version)
    parsed = basic === undefined ? scheme.parse(version) : { ok: false, reason: basic }
    if (cache.size >= parseCacheLimit) cache.clear()
    cache.set(version, parsed)
  }
  return parsed
}
