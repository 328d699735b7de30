/**
 * Maven version order (the "Version Order Specification" of the POM reference, which is what
 * `org.apache.maven.artifact.versioning.ComparableVersion` implements).
 *
 * Hand-written: there is no maintained JavaScript implementation of ComparableVersion.
 *
 * - Tokens split at `.`, `-` and digit/letter transitions (a transition counts as `-`); each token
 *   remembers its separator; empty tokens are `0`; everything is case-insensitive.
 * - Aliases: `cr` = `rc`; `ga`, `final`, `release` = `` (the release itself); `a`, `b`, `m`
 *   directly followed by a digit mean `alpha`, `beta`, `milestone`.
 * - Trailing "null" tokens (`0`, ``) are trimmed, and again before every remaining `-`.
 * - Known qualifiers order alpha < beta < milestone < rc < snapshot < `` < sp, unknown qualifiers
 *   come after them alphabetically; numbers order naturally (any length).
 * - Different kinds order `.qualifier` < `-qualifier` < `-number` < `.number`.
 * - A missing token compares like ComparableVersion's `null` item: as the number 0 against a
 *   number, as the release (``) against a qualifier — so `1-SNAPSHOT` < `1` < `1-sp` and `1.0.1` > `1`.
 */
import { compareDigits, compareStrings, fail, ok, type Parsed, type Scheme } from "./scheme.js"

interface Token {
  /** `.` or `-` (the first token counts as `.`). */
  readonly separator: "." | "-"
  readonly numeric: boolean
  readonly value: string
}

const qualifierRank: Readonly<Record<string, number>> = {
  alpha: 0,
  beta: 1,
  milestone: 2,
  rc: 3,
  snapshot: 4,
  "": 5,
  sp: 6
}

const aliases: Readonly<Record<string, string>> = { cr: "rc", ga: "", final: "", release: "" }
const shortForms: Readonly<Record<string, string>> = { a: "alpha", b: "beta", m: "milestone" }

const tokenize = (version: string): Array<Token> => {
  const tokens: Array<Token> = []
  const lower = version.toLowerCase()
  let separator: "." | "-" = "."
  for (const piece of lower.split(/([.-])/)) {
    if (piece === "." || piece === "-") {
      separator = piece
      continue
    }
    if (piece === "") {
      tokens.push({ separator, numeric: true, value: "0" })
      continue
    }
    const runs = piece.match(/[0-9]+|[^0-9]+/g) ?? []
    runs.forEach((run, i) => {
      const numeric = /^[0-9]/.test(run)
      let value = run
      if (numeric) value = run.replace(/^0+(?=.)/, "")
      else {
        value = aliases[run] ?? run
        const followedByDigit = i + 1 < runs.length
        if (followedByDigit && shortForms[run] !== undefined) value = shortForms[run]
      }
      tokens.push({ separator: i === 0 ? separator : "-", numeric, value })
    })
  }
  return tokens
}

const isNull = (t: Token): boolean => (t.numeric ? t.value === "0" : t.value === "")

/** Trims trailing null tokens, then again in front of each remaining `-` token, from the end. */
const trim = (tokens: Array<Token>): Array<Token> => {
  let i = tokens.length - 1
  while (i > 0) {
    if (isNull(tokens[i])) {
      tokens.splice(i, 1)
      i--
      continue
    }
    while (i >= 0 && tokens[i].separator !== "-") i--
    i--
  }
  return tokens
}

const compareQualifiers = (a: string, b: string): number => {
  const ra = qualifierRank[a]
  const rb = qualifierRank[b]
  if (ra !== undefined && rb !== undefined) return ra - rb
  if (ra !== undefined) return -1
  if (rb !== undefined) return 1
  return compareStrings(a, b)
}

const kindRank = (t: Token): number =>
  t.numeric ? (t.separator === "-" ? 2 : 3) : t.separator === "-" ? 1 : 0

const compareToMissing = (t: Token): number => (t.numeric ? compareDigits(t.value, "0") : compareQualifiers(t.value, ""))

const compareTokens = (a: ReadonlyArray<Token>, b: ReadonlyArray<Token>): number => {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i]
    const y = b[i]
    let c: number
    if (x === undefined) c = -compareToMissing(y)
    else if (y === undefined) c = compareToMissing(x)
    else if (kindRank(x) !== kindRank(y)) c = kindRank(x) - kindRank(y)
    else c = x.numeric ? compareDigits(x.value, y.value) : compareQualifiers(x.value, y.value)
    if (c !== 0) return c
  }
  return 0
}

const parse = (version: string): Parsed<ReadonlyArray<Token>> =>
  version.length === 0 ? fail("empty version") : ok(trim(tokenize(version)))

/** Maven ordering. */
export const maven: Scheme<ReadonlyArray<Token>> = { name: "Maven ComparableVersion", parse, compare: compareTokens }
