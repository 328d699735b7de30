import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { fileURLToPath } from "node:url"
import semverLib from "semver"
import { valid as rubyValid, eq as rubyEq, gt as rubyGt } from "@renovatebot/ruby-semver"
import type { Advisory, Affected } from "../src/Advisory.js"
import * as PackageKey from "../src/PackageKey.js"
import * as Versions from "../src/Versions.js"
import { checkVectors, readVectors, vectorEcosystems } from "./utils/versionVectors.js"

const fixtures = fileURLToPath(new URL("./fixtures/versions/", import.meta.url))

/** The files copied from ../shared/data/versions: every line must pass for every ecosystem. */
const required = [
  "semver-versions.txt",
  "debian-versions.txt",
  "maven-versions.txt",
  "nuget-versions.txt",
  "packagist-versions.txt",
  "pypi-versions.txt",
  "rubygems-versions.txt"
]
/**
 * Extra osv-scalibr vectors; these also contain strings outside the ecosystems' formats, which must
 * be exactly the ones the documented format (stated here independently of the parsers) excludes.
 */
const extra: Readonly<Record<string, RegExp>> = {
  // apk-tools' tokenizer: after the first number, `.number` or `letter number` groups, then an
  // optional letter (`5.1p1`, `1.0p1z`), suffixes, a commit hash and the revision.
  "alpine-versions.txt":
    /^[0-9]+(\.[0-9]+|[a-z][0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]*)?$/,
  "redhat-versions.txt": /^\S+$/,
  "cran-versions.txt": /^[0-9]+([.-][0-9]+)*$/,
  "hackage-versions.txt": /^[0-9]+(\.[0-9]+)*$/,
  "pub-versions.txt": /^v?[0-9]+(\.[0-9]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/
}

const cmp = (ecosystem: string, a: string, b: string) => Versions.compare(ecosystem, a, b).pipe(Either.getOrThrow)

describe("Versions ordering vectors", () => {
  for (const file of required) {
    for (const ecosystem of vectorEcosystems[file]) {
      it(`${file} passes 100% for ${ecosystem}`, () => {
        const report = checkVectors(fixtures, file, ecosystem)
        console.log(`${ecosystem.padEnd(10)} ${file.padEnd(24)} ${report.passed}/${report.total}`)
        expect(report.wrong).toEqual([])
        expect(report.unparseable).toEqual([])
        expect(report.passed).toBe(report.total)
        expect(report.total).toBeGreaterThan(20)
      })
    }
  }

  for (const [file, format] of Object.entries(extra)) {
    for (const ecosystem of vectorEcosystems[file]) {
      it(`${file}: every line is ordered right or has a string outside the ${ecosystem} format`, () => {
        const report = checkVectors(fixtures, file, ecosystem)
        console.log(
          `${ecosystem.padEnd(10)} ${file.padEnd(24)} ${report.passed}/${report.total} (${report.unparseable.length} with a non-${ecosystem} string)`
        )
        expect(report.wrong).toEqual([])
        const versions = new Set(readVectors(`${fixtures}${file}`).flatMap((v) => [v.a, v.b]))
        const rejected = [...versions].filter((v) => !Versions.isValid(ecosystem, v))
        expect(rejected).toEqual([...versions].filter((v) => !format.test(v)))
        expect(report.unparseable.flatMap((u) => u.rejected).every((v) => !format.test(v))).toBe(true)
      })
    }
  }

  it("agrees with the semver package on every strict SemVer version of the vectors", () => {
    const versions = [...new Set(readVectors(`${fixtures}semver-versions.txt`).flatMap((v) => [v.a, v.b]))]
      .filter((v) => semverLib.valid(v) !== null)
    expect(versions.length).toBeGreaterThan(30)
    for (const a of versions) {
      for (const b of versions) expect(cmp("npm", a, b), `${a} vs ${b}`).toBe(semverLib.compare(a, b))
    }
  })

  it("agrees with @renovatebot/ruby-semver on the RubyGems vectors within its number range", () => {
    const versions = [...new Set(readVectors(`${fixtures}rubygems-versions.txt`).flatMap((v) => [v.a, v.b]))]
      .filter((v) => rubyValid(v) !== null && !/[0-9]{16}/.test(v))
    expect(versions.length).toBeGreaterThan(10)
    for (const a of versions) {
      for (const b of versions) {
        const expected = rubyEq(a, b) ? 0 : rubyGt(a, b) ? 1 : -1
        expect(cmp("RubyGems", a, b), `${a} vs ${b}`).toBe(expected)
      }
    }
  })
})

describe("Versions.compare", () => {
  it("accepts every spelling of an ecosystem and distribution suffixes", () => {
    for (const eco of ["PyPI", "pypi", "pip", "Python"]) expect(cmp(eco, "1.0a1", "1.0")).toBe(-1)
    for (const eco of ["crates.io", "cargo", "RUST"]) expect(cmp(eco, "1.0.0-alpha", "1.0.0")).toBe(-1)
    for (const eco of ["Debian:11", "Ubuntu:22.04:LTS", "Ubuntu:Pro:18.04:LTS"]) expect(cmp(eco, "1:1.0", "2.0")).toBe(1)
    for (const eco of ["AlmaLinux:8", "Rocky Linux:9", "Red Hat:rhel_aus:8.4::appstream", "openSUSE:Leap 15.5", "SUSE:Linux Enterprise Server 15"]) {
      expect(cmp(eco, "1.0~rc1-1.el8", "1.0-1.el8")).toBe(-1)
    }
    for (const eco of ["Alpine:v3.18", "Wolfi", "Chainguard"]) expect(cmp(eco, "1.2_rc1-r0", "1.2-r0")).toBe(-1)
    expect(cmp("Packagist:https://packages.drupal.org/8", "10.4.5", "10.4.10")).toBe(-1)
    expect(Versions.orderingName("Debian:12")).toEqual(Option.some("dpkg"))
    expect(Versions.orderingEcosystem("Ubuntu:Pro:18.04:LTS")).toBe("ubuntu")
  })

  it("fixes the Rust crate's digit-only comparison (pre-releases, PEP 440 letters, Go v prefix, NuGet 4 parts)", () => {
    expect(cmp("npm", "1.0.0-beta", "1.0.0")).toBe(-1)
    expect(cmp("PyPI", "1.0.0a1", "1.0.0")).toBe(-1)
    expect(cmp("PyPI", "2.0.0rc1", "2.0.0.post1")).toBe(-1)
    expect(cmp("Go", "v1.2.3", "1.2.3")).toBe(0)
    expect(cmp("NuGet", "4.0.0.1", "4.0.0")).toBe(1)
    expect(cmp("Maven", "2.0.RELEASE", "2.0")).toBe(0)
    expect(cmp("Maven", "2.0-SNAPSHOT", "2.0")).toBe(-1)
    expect(cmp("Maven", "2.0.sp1", "2.0")).toBe(1)
  })

  it("orders Go pseudo-versions by base version and commit time", () => {
    const older = "v0.0.0-20200101000000-abcdefabcdef"
    const newer = "v0.0.0-20210101000000-012345678901"
    expect(cmp("Go", older, newer)).toBe(-1)
    expect(cmp("Go", newer, "v0.0.1")).toBe(-1)
    // A pseudo-version derived from v1.2.3 sorts after v1.2.3 and before v1.2.4 and its pre-releases.
    expect(cmp("Go", "v1.2.4-0.20210101000000-abcdefabcdef", "v1.2.3")).toBe(1)
    expect(cmp("Go", "v1.2.4-0.20210101000000-abcdefabcdef", "v1.2.4-rc.1")).toBe(-1)
    expect(cmp("Go", "v2.0.0+incompatible", "2.0.0")).toBe(0)
  })

  it("compares numbers beyond 2^53 exactly", () => {
    expect(cmp("Maven", "20190126.230843", "20190126.230844")).toBe(-1)
    expect(cmp("npm", "9007199254740993.0.0", "9007199254740992.0.0")).toBe(1)
    expect(cmp("Debian", "1.9007199254740993", "1.9007199254740992")).toBe(1)
  })

  it.effect("reports unparseable versions and ecosystems without ordering as typed errors", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(Versions.compare("npm", "1.2.3", "not-a-version"))
      expect(bad._tag).toBe("UnparseableVersion")
      if (bad._tag !== "UnparseableVersion") return
      expect(bad.version).toBe("not-a-version")
      expect(bad.ordering).toBe("SemVer 2.0")
      expect(bad.message).toContain("not-a-version")
      const none = yield* Effect.flip(Versions.compare("OSS-Fuzz", "1", "2"))
      expect(none._tag).toBe("NoVersionOrdering")
      expect(none.message).toContain("OSS-Fuzz")
      for (const eco of ["GitHub Actions", "Linux", "Android", "SomethingNew"]) expect(Versions.hasOrdering(eco)).toBe(false)
      expect(Versions.isValid("Debian", "abc")).toBe(false)
      expect(Versions.isValid("Alpine", "1.2.0A")).toBe(false)
      expect(Versions.isValid("npm", " 1.2.3")).toBe(false)
      // Within Effect.gen the Either is an effect: success is the ordering.
      expect(yield* Versions.compare("Hackage", "1.0", "1.0.0")).toBe(-1)
    }))

  it("sorts versions or names the first unparseable one", () => {
    expect(Versions.sort("Debian", ["1.0-1", "1:0.1", "1.0~rc1-1", "1.0-1+deb11u1"]).pipe(Either.getOrThrow)).toEqual([
      "1.0~rc1-1",
      "1.0-1",
      "1.0-1+deb11u1",
      "1:0.1"
    ])
    const failed = Versions.sort("Alpine", ["1.0-r0", "1.0-x"])
    expect(Either.isLeft(failed) && failed.left._tag === "UnparseableVersion" && failed.left.version).toBe("1.0-x")
  })
})

const affected = (fields: Partial<Affected> & { readonly ecosystem?: string; readonly name?: string }): Affected => ({
  package: { ecosystem: fields.ecosystem ?? "npm", name: fields.name ?? "pkg" },
  ranges: fields.ranges,
  versions: fields.versions
})
const semverRange = (...events: Array<Record<string, string>>): Affected["ranges"] => [{ type: "SEMVER", events }]
const ecoRange = (...events: Array<Record<string, string>>): Affected["ranges"] => [{ type: "ECOSYSTEM", events }]

describe("Versions.isAffected", () => {
  it("sorts unsorted events and handles several intervals", () => {
    const a = affected({
      ranges: semverRange({ fixed: "3.2.5" }, { introduced: "1.0.0" }, { introduced: "3.0.0" }, { fixed: "1.0.2" })
    })
    const answers = ["0.9.0", "1.0.0", "1.0.1", "1.0.2", "2.0.0", "3.0.0", "3.2.4", "3.2.5", "4.0.0"].map((v) =>
      Versions.isAffected(a, v)
    )
    expect(answers).toEqual([false, true, true, false, false, true, true, false, false])
  })

  it("treats introduced 0 as the lowest version and an open end as unbounded", () => {
    const a = affected({ ranges: semverRange({ introduced: "0" }) })
    expect(Versions.isAffected(a, "0.0.0-alpha")).toBe(true)
    expect(Versions.isAffected(a, "99.0.0")).toBe(true)
    const b = affected({ ranges: semverRange({ introduced: "0" }, { fixed: "1.0.0" }) })
    expect(Versions.isAffected(b, "0.0.0")).toBe(true)
    expect(Versions.isAffected(b, "1.0.0")).toBe(false)
  })

  it("distinguishes fixed (exclusive), last_affected (inclusive) and limit", () => {
    const fixed = affected({ ranges: ecoRange({ introduced: "0" }, { fixed: "2.1.214" }) })
    const last = affected({ ranges: ecoRange({ introduced: "0" }, { last_affected: "2.1.214" }) })
    expect([Versions.isAffected(fixed, "2.1.213"), Versions.isAffected(fixed, "2.1.214")]).toEqual([true, false])
    expect([Versions.isAffected(last, "2.1.214"), Versions.isAffected(last, "2.1.215")]).toEqual([true, false])
    // limit: versions at or above every limit are outside the range; "*" is infinity.
    const limited = affected({ ranges: ecoRange({ introduced: "1.0.0" }, { limit: "2.0.0" }) })
    expect([Versions.isAffected(limited, "1.5.0"), Versions.isAffected(limited, "2.0.0")]).toEqual([true, false])
    const twoLimits = affected({ ranges: ecoRange({ introduced: "1.0.0" }, { limit: "2.0.0" }, { limit: "4.0.0" }) })
    expect([Versions.isAffected(twoLimits, "3.0.0"), Versions.isAffected(twoLimits, "4.0.0")]).toEqual([true, false])
    const star = affected({ ranges: ecoRange({ introduced: "1.0.0" }, { limit: "*" }) })
    expect(Versions.isAffected(star, "100.0.0")).toBe(true)
  })

  it("evaluates ECOSYSTEM ranges with each ecosystem's ordering", () => {
    const pypi = affected({ ecosystem: "PyPI", ranges: ecoRange({ introduced: "0" }, { fixed: "1.0.0" }) })
    expect(Versions.isAffected(pypi, "1.0.0rc1")).toBe(true)
    expect(Versions.isAffected(pypi, "1.0.0.post1")).toBe(false)
    const debian = affected({ ecosystem: "Debian:11", ranges: ecoRange({ introduced: "0" }, { fixed: "1:2.0-1" }) })
    expect(Versions.isAffected(debian, "9.9-1")).toBe(true) // epoch 0 < epoch 1
    expect(Versions.isAffected(debian, "1:2.0-1~deb11u1")).toBe(true) // ~ sorts before the end
    expect(Versions.isAffected(debian, "1:2.0-1+deb11u1")).toBe(false)
    const rpm = affected({ ecosystem: "AlmaLinux:9", ranges: ecoRange({ introduced: "0" }, { fixed: "1:3.0.7-1.el9" }) })
    expect(Versions.isAffected(rpm, "1:3.0.7~rc1-1.el9")).toBe(true)
    expect(Versions.isAffected(rpm, "3.5.0-1.el9")).toBe(true) // no epoch = epoch 0
    expect(Versions.isAffected(rpm, "1:3.0.7-1.el9")).toBe(false)
    const alpine = affected({ ecosystem: "Alpine:v3.18", ranges: ecoRange({ introduced: "0" }, { fixed: "9.3_p2-r0" }) })
    expect(Versions.isAffected(alpine, "9.3_p1-r5")).toBe(true)
    expect(Versions.isAffected(alpine, "9.3_rc1-r0")).toBe(true)
    expect(Versions.isAffected(alpine, "9.3_p2-r1")).toBe(false)
    // openssh as Alpine's security data spells it: a letter followed by digits, no underscore.
    const openssh = affected({ ecosystem: "Alpine:v3.18", ranges: ecoRange({ introduced: "0" }, { fixed: "5.1p1-r0" }) })
    expect(Versions.isAffected(openssh, "5.0p1-r3")).toBe(true)
    expect(Versions.isAffected(openssh, "5.1-r9")).toBe(true)
    expect(Versions.isAffected(openssh, "5.1p1-r0")).toBe(false)
    expect(Versions.isAffected(openssh, "5.1p2-r0")).toBe(false)
    expect(Versions.evaluate(openssh, "5.1p1-r0").issues).toEqual([])
    const maven = affected({ ecosystem: "Maven", ranges: ecoRange({ introduced: "0" }, { fixed: "5.3.18" }) })
    expect(Versions.isAffected(maven, "5.3.18-SNAPSHOT")).toBe(true)
    expect(Versions.isAffected(maven, "5.3.18.RELEASE")).toBe(false)
  })

  it("orders pre-releases and Go pseudo-versions inside ranges", () => {
    const npm = affected({ ranges: semverRange({ introduced: "2.0.0-beta.1" }, { fixed: "2.0.0" }) })
    expect(Versions.isAffected(npm, "2.0.0-alpha.9")).toBe(false)
    expect(Versions.isAffected(npm, "2.0.0-rc.1")).toBe(true)
    const go = affected({
      ecosystem: "Go",
      name: "golang.org/x/net",
      ranges: semverRange({ introduced: "0" }, { fixed: "0.0.0-20220906165146-f3363e06e74c" })
    })
    expect(Versions.isAffected(go, "v0.0.0-20220127200216-cd36cc0744dd")).toBe(true)
    expect(Versions.isAffected(go, "v0.0.0-20221012135044-0b7e1fb9d458")).toBe(false)
    expect(Versions.isAffected(go, "v0.1.0")).toBe(false)
  })

  it("matches explicit versions exactly, and an ecosystem without ordering only through them", () => {
    const a = affected({
      ecosystem: "OSS-Fuzz",
      name: "libfoo",
      versions: ["1.2", "v1.3"],
      ranges: ecoRange({ introduced: "1.0" }, { fixed: "2.0" })
    })
    expect(Versions.evaluate(a, "1.2")).toEqual({ affected: true, matchedBy: Option.some("versions"), issues: [] })
    const other = Versions.evaluate(a, "1.5")
    expect(other.affected).toBe(false)
    expect(Versions.isConclusive(other)).toBe(false)
    expect(other.issues).toEqual([
      expect.objectContaining({ _tag: "NoOrdering", range: 0, ecosystem: "OSS-Fuzz", message: expect.stringContaining("no version ordering") })
    ])
    // "Every version" needs no ordering.
    const all = affected({ ecosystem: "GitHub Actions", ranges: ecoRange({ introduced: "0" }) })
    expect(Versions.evaluate(all, "anything")).toEqual({ affected: true, matchedBy: Option.some("ECOSYSTEM"), issues: [] })
  })

  it("never turns an unparseable fixed into 'no upper bound' (the Rust crate's over-match)", () => {
    const a = affected({ ranges: semverRange({ introduced: "1.0.0" }, { fixed: "not-a-version" }) })
    const above = Versions.evaluate(a, "5.0.0")
    expect(above.affected).toBe(false)
    expect(above.issues).toEqual([
      expect.objectContaining({ _tag: "UnparseableVersion", role: "fixed", values: ["not-a-version"], ordering: "SemVer 2.0" })
    ])
    // Below the interval, no placement of the bad value could make it affected: a conclusive no.
    const below = Versions.evaluate(a, "0.5.0")
    expect(below).toEqual({ affected: false, matchedBy: Option.none(), issues: [] })
    // An unparseable introduced cannot undo an affected answer from a parseable interval...
    const b = affected({ ranges: semverRange({ introduced: "0" }, { fixed: "2.0.0" }, { introduced: "bad" }) })
    expect(Versions.evaluate(b, "1.0.0")).toEqual({ affected: true, matchedBy: Option.some("SEMVER"), issues: [] })
    // ...but could have made an unaffected version affected.
    expect(Versions.evaluate(b, "3.0.0").issues).toEqual([expect.objectContaining({ role: "introduced", values: ["bad"] })])
    // An unparseable limit leaves a version above the parseable limits undecided.
    const c = affected({ ranges: ecoRange({ introduced: "1.0.0" }, { limit: "2.0.0" }, { limit: "x.y" }) })
    expect(Versions.evaluate(c, "1.5.0").affected).toBe(true)
    expect(Versions.evaluate(c, "3.0.0").issues).toEqual([expect.objectContaining({ role: "limit", values: ["x.y"] })])
  })

  it("reports an unparseable queried version instead of guessing", () => {
    const a = affected({ ranges: semverRange({ introduced: "0" }, { fixed: "1.0.0" }) })
    const result = Versions.evaluate(a, "latest")
    expect(result.affected).toBe(false)
    expect(result.issues).toEqual([expect.objectContaining({ _tag: "UnparseableVersion", role: "version", values: ["latest"] })])
  })

  it("matches GIT ranges only by exact listed commits", () => {
    const x = "a".repeat(40)
    const y = "b".repeat(40)
    const a: Affected = { ranges: [{ type: "GIT", repo: "https://github.com/o/r", events: [{ introduced: "0" }, { last_affected: x }] }] }
    expect(Versions.isAffected(a, x)).toBe(true)
    expect(Versions.isAffected(a, x.toUpperCase())).toBe(true)
    // The Rust crate matched every version here (introduced 0 + last_affected never closed the range).
    expect(Versions.isAffected(a, "1.2.3")).toBe(false)
    expect(Versions.evaluate(a, "1.2.3").issues).toEqual([])
    const unknownCommit = Versions.evaluate(a, y)
    expect(unknownCommit.affected).toBe(false)
    expect(unknownCommit.issues).toEqual([expect.objectContaining({ _tag: "CommitGraphRequired", version: y })])
    const b: Affected = { ranges: [{ type: "GIT", repo: "https://github.com/o/r", events: [{ introduced: x }, { fixed: y }] }] }
    expect(Versions.isAffected(b, x)).toBe(true)
    expect(Versions.evaluate(b, y)).toEqual({ affected: false, matchedBy: Option.none(), issues: [] })
  })

  it("keeps document order for events that sort equal", () => {
    const reintroduced = affected({ ranges: semverRange({ introduced: "0" }, { fixed: "1.0.0" }, { introduced: "1.0.0" }) })
    expect(Versions.isAffected(reintroduced, "1.0.0")).toBe(true)
    const empty = affected({ ranges: semverRange({ introduced: "1.0.0" }, { fixed: "1.0.0" }) })
    expect(Versions.isAffected(empty, "1.0.0")).toBe(false)
  })

  it("lists fixed versions of SEMVER and ECOSYSTEM ranges", () => {
    const a: Affected = {
      package: { ecosystem: "PyPI", name: "x" },
      ranges: [
        { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.2" }, { introduced: "2.0" }, { fixed: "2.3" }] },
        { type: "GIT", repo: "https://github.com/o/r", events: [{ introduced: "0" }, { fixed: "c".repeat(40) }] },
        { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.2" }] }
      ]
    }
    expect(Versions.fixedVersions(a)).toEqual(["1.2", "2.3"])
  })
})

describe("Versions.advisoryAffects", () => {
  const advisory: Advisory = {
    id: "GHSA-test-0000-0000",
    affected: [
      { package: { ecosystem: "PyPI", name: "Django_Utils" }, ranges: ecoRange({ introduced: "0" }, { fixed: "1.0" }) },
      { package: { ecosystem: "PyPI", name: "django-utils" }, ranges: ecoRange({ introduced: "2.0" }, { fixed: "2.1" }) },
      { package: { ecosystem: "crates.io", name: "other" }, ranges: semverRange({ introduced: "0" }) }
    ]
  }

  it("evaluates every affected entry whose package normalizes to the key", () => {
    const key = PackageKey.unsafeMake("pip", "django.utils")
    expect(Versions.advisoryAffects(advisory, key, "0.9").affected).toBe(true)
    expect(Versions.advisoryAffects(advisory, key, "2.0.5").affected).toBe(true)
    expect(Versions.advisoryAffects(advisory, key, "1.5")).toEqual({ affected: false, matchedBy: Option.none(), issues: [] })
    expect(Versions.advisoryAffects(advisory, PackageKey.unsafeMake("cargo", "Other"), "9.9.9").affected).toBe(true)
    expect(Versions.advisoryAffects(advisory, PackageKey.unsafeMake("npm", "other"), "9.9.9").affected).toBe(false)
  })
})
