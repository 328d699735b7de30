/**
 * NuGet version order (NuGet.Versioning): up to four numeric parts (missing ones are 0, so
 * `1.0` = `1.0.0.0`), leading zeros allowed (`1.0.01` = `1.0.1`), SemVer 2.0 pre-release rules
 * with case-insensitive identifiers, build metadata ignored.
 *
 * Hand-written: the `semver` package accepts neither four parts nor case-insensitive
 * pre-releases, and no maintained JS port of NuGet.Versioning exists.
 */
import { compareDigits, fail, ok, type Parsed, type Scheme } from "./scheme.js"
import { compareIdentifiers, type SemverKey } from "./semver.js"

const shape = /^([0-9]+(?:\.[0-9]+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/

const parse = (version: string): Parsed<SemverKey> => {
  const m = shape.exec(version)
  if (m === null) return fail("not a NuGet version (expected N[.N[.N[.N]]][-PRE][+BUILD])")
  const core = m[1].split(".")
  while (core.length < 4) core.push("0")
  return ok({ core, pre: m[2] === undefined ? [] : m[2].toLowerCase().split("."), build: [] })
}

const compare = (a: SemverKey, b: SemverKey): number => {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(a.core[i], b.core[i])
    if (c !== 0) return c
  }
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length
  return compareIdentifiers(a.pre, b.pre)
}

/** NuGet ordering. */
export const nuget: Scheme<SemverKey> = { name: "NuGet", parse, compare }
