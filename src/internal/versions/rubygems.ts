/**
 * RubyGems ordering (`Gem::Version#<=>`): segments are runs of digits or letters (`-` means
 * `.pre.`); trailing zeros of the leading numeric part and of the rest are dropped
 * (`canonical_segments`); missing segments are 0; a letter segment ranks below a number
 * (pre-release), letters compare in byte order, numbers numerically.
 *
 * Validity comes from `@renovatebot/ruby-semver` (Gem's `ANCHORED_VERSION_PATTERN`), relaxed to
 * also accept letters glued to digits (`1beta`, same segments as `1.beta`). The comparison itself
 * is re-implemented because that library parses segments with `parseInt` (30-digit segments
 * collide) and compares letter segments with `localeCompare` instead of Ruby's byte order.
 */
import { valid } from "@renovatebot/ruby-semver"
import { compareDigits, compareStrings, fail, isDigits, ok, type Parsed, type Scheme } from "./scheme.js"

const relaxed = /^[0-9]+[0-9A-Za-z.-]*$/

const dropTrailingZeros = (segments: Array<string>): Array<string> => {
  while (segments.length > 0 && isDigits(segments[segments.length - 1]) && /^0+$/.test(segments[segments.length - 1])) {
    segments.pop()
  }
  return segments
}

const parse = (version: string): Parsed<ReadonlyArray<string>> => {
  if (version.length === 0 || (valid(version) === null && !relaxed.test(version))) {
    return fail("not a RubyGems version (expected digits and letters separated by dots)")
  }
  const segments = version.replace(/-/g, ".pre.").match(/[0-9]+|[a-z]+/gi) ?? []
  const firstLetters = segments.findIndex((s) => !isDigits(s))
  const numeric = firstLetters === -1 ? segments : segments.slice(0, firstLetters)
  const rest = firstLetters === -1 ? [] : segments.slice(firstLetters)
  return ok([...dropTrailingZeros(numeric), ...dropTrailingZeros(rest)])
}

const compare = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? "0"
    const y = b[i] ?? "0"
    const xn = isDigits(x)
    const yn = isDigits(y)
    const c = xn && yn ? compareDigits(x, y) : xn ? 1 : yn ? -1 : compareStrings(x, y)
    if (c !== 0) return c
  }
  return 0
}

/** RubyGems ordering. */
export const rubygems: Scheme<ReadonlyArray<string>> = { name: "RubyGems (Gem::Version)", parse, compare }
