/**
 * Alpine apk ordering (Alpine, Chainguard, Wolfi, MinimOS, Alpaquita, BellSoft Hardened
 * Containers).
 *
 * Hand-written: apk-tools is C with no JavaScript port. This is apk-tools' own tokenizer
 * (`src/version.c`: `get_token`/`next_token`, `apk_version_validate`, `apk_version_compare`)
 * re-expressed, not a grammar of the documented format, so strings real distributions publish
 * that the documentation does not describe are read the way `apk` reads them: a letter may be
 * followed by more digits (`5.1p1-r0`, openssh; `0.8.21r2`), and then by another letter
 * (`1.0p1p2`). Two apk 3 rules are kept where apk 2 differed: a `~<hex>` commit hash before the
 * revision is ignored, and a number after the first one is compared as a string when either
 * side starts with `0` (`1.010` < `1.09`). A string `apk_version_validate` rejects (an unknown
 * `_suffix`, an upper-case letter, `-` not followed by `r`, anything after the revision) is
 * reported unparseable rather than ordered the way apk's fallback happens to.
 *
 * Order: tokens are compared in turn while both sides have the same kind of token; the first
 * differing value decides. When the kinds differ, a pre-release suffix (`_alpha`, `_beta`,
 * `_pre`, `_rc`) makes its side older; otherwise the side whose next token comes earlier in
 * apk's precedence (number, letter, suffix, suffix number, revision, end) is newer (`1.2.1` >
 * `1.2a` > `1.2_p1` > `1.2-r1` > `1.2` > `1.2_rc1`).
 */
import { compareDigits, compareStrings, fail, ok, type Parsed, type Scheme } from "./scheme.js"

/** apk's token kinds, in its precedence order (lower = newer when two versions differ in kind). */
const Kind = { Number: 1, Letter: 2, Suffix: 3, SuffixNumber: 4, Revision: 5, End: 6 } as const
type Kind = (typeof Kind)[keyof typeof Kind]

interface Token {
  readonly kind: Kind
  readonly text: string
  /** The very first number compares numerically whatever its leading zeros. */
  readonly initial: boolean
}

const suffixes: ReadonlyArray<readonly [name: string, weight: number]> = [
  ["alpha", -4],
  ["beta", -3],
  ["pre", -2],
  ["rc", -1],
  ["cvs", 0],
  ["svn", 1],
  ["git", 2],
  ["hg", 3],
  ["p", 4]
]
const suffixWeight = new Map(suffixes)

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9"
const isLower = (c: string | undefined) => c !== undefined && c >= "a" && c <= "z"
const isHex = (c: string | undefined) => isDigit(c) || (c !== undefined && c >= "a" && c <= "f")

const parse = (version: string): Parsed<ReadonlyArray<Token>> => {
  if (version === "") return fail("empty")
  const tokens: Array<Token> = []
  let i = 0
  const digits = () => {
    const start = i
    while (isDigit(version[i])) i++
    return version.slice(start, i)
  }
  const invalid = (why: string) => fail(`not an apk version: ${why} at offset ${i}`)
  // apk's state machine: `kind` is the kind of the token about to be read.
  let kind: Kind = Kind.Number
  tokens.push({ kind, text: digits(), initial: true })
  if (tokens[0].text === "") return invalid("a version starts with a number")
  while (i < version.length) {
    const c = version[i]
    let next: Kind
    if (kind === Kind.Number && isLower(c)) next = Kind.Letter
    else if (kind === Kind.Letter && isDigit(c)) next = Kind.Number
    else if (kind === Kind.Suffix && isDigit(c)) next = Kind.SuffixNumber
    else if (c === ".") {
      // A dot starts another number only after a number (apk: TOKEN_DIGIT_OR_ZERO).
      if (kind !== Kind.Number) return invalid("'.' after a letter or suffix")
      i++
      next = Kind.Number
    } else if (c === "_") {
      if (kind > Kind.SuffixNumber) return invalid("'_' after the revision")
      i++
      next = Kind.Suffix
    } else if (c === "~") {
      // apk 3: `~<hex>` names the commit the package was built from; it does not order.
      if (kind > Kind.SuffixNumber) return invalid("'~' after the revision")
      const start = ++i
      while (isHex(version[i])) i++
      if (i === start) return invalid("'~' without a commit hash")
      if (i < version.length && version.slice(i, i + 2) !== "-r") return invalid("commit hash not followed by -r")
      continue
    } else if (c === "-" && version[i + 1] === "r") {
      if (kind >= Kind.Revision) return invalid("a second revision")
      i += 2
      next = Kind.Revision
    } else return invalid(`unexpected ${JSON.stringify(c)}`)
    kind = next
    if (kind === Kind.Letter) tokens.push({ kind, text: version[i++], initial: false })
    else if (kind === Kind.Suffix) {
      const found = suffixes.find(([name]) => version.startsWith(name, i))
      if (found === undefined) return invalid("unknown suffix (expected alpha, beta, pre, rc, cvs, svn, git, hg or p)")
      i += found[0].length
      tokens.push({ kind, text: found[0], initial: false })
    } else {
      const text = digits()
      // apk 3 rejects a dot or `-r` without digits after it... except `-r` alone, read as `-r0`.
      if (text === "" && kind === Kind.Number) return invalid("'.' not followed by a number")
      tokens.push({ kind, text, initial: false })
    }
  }
  return ok(tokens)
}

const number = (text: string) => (text === "" ? "0" : text)

const compareSameKind = (x: Token, y: Token): number => {
  switch (x.kind) {
    case Kind.Number:
      return !x.initial && (x.text.startsWith("0") || y.text.startsWith("0"))
        ? compareStrings(x.text, y.text)
        : compareDigits(number(x.text), number(y.text))
    case Kind.Letter:
      return compareStrings(x.text, y.text)
    case Kind.Suffix:
      return suffixWeight.get(x.text)! - suffixWeight.get(y.text)!
    default:
      return compareDigits(number(x.text), number(y.text))
  }
}

const isPreRelease = (t: Token | undefined): boolean => t?.kind === Kind.Suffix && suffixWeight.get(t.text)! < 0

const compare = (a: ReadonlyArray<Token>, b: ReadonlyArray<Token>): number => {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i]
    const y = b[i]
    if (x !== undefined && y !== undefined && x.kind === y.kind) {
      const c = compareSameKind(x, y)
      if (c !== 0) return c
      continue
    }
    if (isPreRelease(x)) return -1
    if (isPreRelease(y)) return 1
    // The version that still has a part is newer; between two parts, the lower kind is newer.
    return (y?.kind ?? Kind.End) - (x?.kind ?? Kind.End)
  }
  return 0
}

/** apk ordering. */
export const alpine: Scheme<ReadonlyArray<Token>> = { name: "apk", parse, compare }
