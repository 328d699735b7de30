/**
 * Alpine apk ordering (Alpine, Chainguard, Wolfi, MinimOS, Alpaquita, BellSoft Hardened
 * Containers).
 *
 * Hand-written: apk-tools is C with no JavaScript port. Only the documented format is accepted —
 * `number{.number}...{letter}{_suffix{number}}...{~hash}{-r{number}}` with suffixes alpha, beta,
 * pre, rc (pre-releases) and cvs, svn, git, hg, p (post-releases); anything else is reported
 * unparseable rather than ordered the way some apk release happens to.
 *
 * Order, as apk compares its token stream: numbers (the first numerically; later ones as strings
 * when either starts with `0`, apk 3's rule, so `1.010` < `1.09`), then the letter, then suffixes
 * (by kind, then number), then the `-r` revision. When one version has a part the other lacks, a
 * pre-release suffix makes it older; otherwise more numbers beat a letter, which beats a suffix,
 * which beats a suffix number, which beats a revision, which beats nothing (`1.2.1` > `1.2a` >
 * `1.2_p1` > `1.2-r1` > `1.2` > `1.2_rc1`). The `~hash` is ignored, as apk does.
 */
import { compareDigits, compareStrings, fail, ok, type Parsed, type Scheme } from "./scheme.js"

/** Token kinds in apk's order of precedence when the two versions differ in kind (lower = newer). */
const Kind = { Number: 1, Letter: 2, Suffix: 3, SuffixNumber: 4, Revision: 5, End: 6 } as const
type Kind = (typeof Kind)[keyof typeof Kind]

interface Token {
  readonly kind: Kind
  readonly value: string
  /** Position among the numbers (only the first compares purely numerically). */
  readonly index: number
}

const suffixWeight: Readonly<Record<string, number>> = {
  alpha: -4,
  beta: -3,
  pre: -2,
  rc: -1,
  cvs: 0,
  svn: 1,
  git: 2,
  hg: 3,
  p: 4
}

const shape = /^([0-9]+(?:\.[0-9]+)*)([a-z])?((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*)(?:~[0-9a-f]+)?(?:-r([0-9]*))?$/

const parse = (version: string): Parsed<ReadonlyArray<Token>> => {
  const m = shape.exec(version)
  if (m === null) return fail("not an apk version (number{.number}...{letter}{_suffix{number}}...{-r#})")
  const tokens: Array<Token> = m[1].split(".").map((value, index) => ({ kind: Kind.Number, value, index }))
  if (m[2] !== undefined) tokens.push({ kind: Kind.Letter, value: m[2], index: 0 })
  for (const [, name, number] of m[3].matchAll(/_([a-z]+)([0-9]*)/g)) {
    tokens.push({ kind: Kind.Suffix, value: name, index: 0 })
    if (number !== "") tokens.push({ kind: Kind.SuffixNumber, value: number, index: 0 })
  }
  if (m[4] !== undefined) tokens.push({ kind: Kind.Revision, value: m[4] === "" ? "0" : m[4], index: 0 })
  return ok(tokens)
}

const compareSameKind = (x: Token, y: Token): number => {
  switch (x.kind) {
    case Kind.Number:
      return x.index > 0 && (x.value.startsWith("0") || y.value.startsWith("0"))
        ? compareStrings(x.value, y.value)
        : compareDigits(x.value, y.value)
    case Kind.Letter:
      return compareStrings(x.value, y.value)
    case Kind.Suffix:
      return suffixWeight[x.value] - suffixWeight[y.value]
    default:
      return compareDigits(x.value, y.value)
  }
}

const isPreRelease = (t: Token | undefined): boolean => t?.kind === Kind.Suffix && suffixWeight[t.value] < 0

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
    const kx = x?.kind ?? Kind.End
    const ky = y?.kind ?? Kind.End
    return ky - kx
  }
  return 0
}

/** apk ordering. */
export const alpine: Scheme<ReadonlyArray<Token>> = { name: "apk", parse, compare }
