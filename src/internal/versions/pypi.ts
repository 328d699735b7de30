/**
 * PyPI ordering: PEP 440 through `@renovatebot/pep440`, with the pre-PEP 440 "legacy" ordering of
 * `packaging` < 22 (`LegacyVersion`) for strings PEP 440 rejects, as osv.dev's `packaging.version.parse`
 * did. Legacy versions sort below every PEP 440 version (legacy epoch -1) and among themselves by
 * setuptools' historical key.
 *
 * `@renovatebot/pep440` keeps numbers as JS numbers, so a PEP 440 version with a numeric run longer
 * than 15 digits is reported unparseable rather than compared with rounding.
 */
import * as pep440 from "@renovatebot/pep440"
import { compareLists, compareStrings, fail, ok, type Parsed, type Scheme } from "./scheme.js"

/** A parsed PyPI version. */
export type PypiKey =
  | { readonly kind: "pep440"; readonly text: string }
  | { readonly kind: "legacy"; readonly parts: ReadonlyArray<string> }

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
  if (pep440.valid(version) !== null) {
    if (/[0-9]{16,}/.test(version)) return fail("numeric part longer than 15 digits cannot be compared exactly")
    return ok({ kind: "pep440", text: version })
  }
  if (version.length === 0) return fail("empty version")
  return ok({ kind: "legacy", parts: legacyParts(version) })
}

const compare = (a: PypiKey, b: PypiKey): number => {
  if (a.kind === "pep440" && b.kind === "pep440") return pep440.compare(a.text, b.text)
  if (a.kind === "legacy" && b.kind === "legacy") return compareLists(a.parts, b.parts, compareStrings)
  return a.kind === "legacy" ? -1 : 1
}

/** PyPI ordering. */
export const pypi: Scheme<PypiKey> = { name: "PEP 440", parse, compare }
