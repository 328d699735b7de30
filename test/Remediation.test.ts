/**
 * Remediation in each ecosystem's own ordering: the nearest fix per advisory and the smallest
 * upgrade per dependency, on orderings where string order or SemVer would pick the wrong version
 * (npm 1.10 > 1.9, PEP 440 pre/post releases, Maven's four-part jackson fixes, Go's `v` prefix,
 * RubyGems pre-releases, dpkg epochs and tildes).
 */
import { describe, expect, it } from "@effect/vitest"
import type { Advisory } from "../src/Advisory.js"
import * as PackageKey from "../src/PackageKey.js"
import * as Remediation from "../src/Remediation.js"

/** An advisory for one package with ranges given as [introduced, fixed?] pairs (one ECOSYSTEM range each). */
const advisory = (id: string, ecosystem: string, name: string, ...ranges: ReadonlyArray<readonly [string, string?]>): Advisory => ({
  id,
  modified: "2024-01-01T00:00:00Z",
  affected: [{
    package: { ecosystem, name },
    ranges: ranges.map(([introduced, fixed]) => ({
      type: "ECOSYSTEM" as const,
      events: [{ introduced }, ...(fixed === undefined ? [] : [{ fixed }])]
    }))
  }]
} as Advisory)

const plan = (ecosystem: string, name: string, installed: string, advisories: ReadonlyArray<Advisory>) => {
  const key = PackageKey.unsafeMake(ecosystem, name)
  return {
    nearest: advisories.map((a) => Remediation.nearestFix(a, key, ecosystem, installed)),
    dependency: Remediation.forDependency(advisories, key, ecosystem, installed)
  }
}

describe("Remediation", () => {
  it("npm: 1.10.0 is above 1.9.5 (SemVer, not string order); a multi-branch advisory fixes on the installed line", () => {
    const a = advisory("A", "npm", "qs", ["0", "1.9.5"])
    const b = advisory("B", "npm", "qs", ["0", "1.10.0"])
    expect(plan("npm", "qs", "1.9.0", [a, b])).toEqual({ nearest: ["1.9.5", "1.10.0"], dependency: { _tag: "Upgrade", version: "1.10.0" } })
    // qs@6.7.0: fixes on four release lines; the nearest is the one on 6.7.x.
    const branches = advisory("GHSA-hrpp-h998-j3pp", "npm", "qs", ["6.7.0", "6.7.3"], ["6.8.0", "6.8.3"], ["6.9.0", "6.9.7"], ["6.10.0", "6.10.3"])
    expect(plan("npm", "qs", "6.7.0", [branches])).toEqual({ nearest: ["6.7.3"], dependency: { _tag: "Upgrade", version: "6.7.3" } })
  })

  it("PyPI: PEP 440 orders 1.0rc2 < 1.0 < 1.0.post1", () => {
    const a = advisory("A", "PyPI", "django", ["0", "1.0rc2"])
    const b = advisory("B", "PyPI", "django", ["0", "1.0.post1"])
    const c = advisory("C", "PyPI", "django", ["0", "1.0"])
    expect(plan("PyPI", "Django", "1.0rc1", [a, b, c])).toEqual({
      nearest: ["1.0rc2", "1.0.post1", "1.0"],
      dependency: { _tag: "Upgrade", version: "1.0.post1" }
    })
  })

  it("Maven: a fix on 2.9.10.x does not clear an advisory fixed only in 2.12.6.1", () => {
    const a = advisory("A", "Maven", "com.fasterxml.jackson.core:jackson-databind", ["2.9.0", "2.9.10.8"])
    const b = advisory("B", "Maven", "com.fasterxml.jackson.core:jackson-databind", ["0", "2.12.6.1"])
    expect(plan("Maven", "com.fasterxml.jackson.core:jackson-databind", "2.9.10", [a, b])).toEqual({
      nearest: ["2.9.10.8", "2.12.6.1"],
      dependency: { _tag: "Upgrade", version: "2.12.6.1" }
    })
  })

  it("Go: installed versions carry Go's v prefix, OSV's fixes do not", () => {
    const a = advisory("GO-2023-1737", "Go", "github.com/gin-gonic/gin", ["0", "1.9.1"])
    const b = advisory("GO-X", "Go", "github.com/gin-gonic/gin", ["1.9.0", "1.10.0"])
    expect(plan("Go", "github.com/gin-gonic/gin", "v1.9.0", [a, b])).toEqual({
      nearest: ["1.9.1", "1.10.0"],
      dependency: { _tag: "Upgrade", version: "1.10.0" }
    })
  })

  it("RubyGems: 1.0.0.rc1 is below 1.0.0", () => {
    const a = advisory("A", "RubyGems", "rack", ["0", "1.0.0.rc1"])
    const b = advisory("B", "RubyGems", "rack", ["0", "1.0.0"])
    expect(plan("RubyGems", "rack", "0.9", [b, a])).toEqual({
      nearest: ["1.0.0", "1.0.0.rc1"],
      dependency: { _tag: "Upgrade", version: "1.0.0" }
    })
  })

  it("Debian: an epoch outranks any upstream version; ~ sorts before the release", () => {
    const a = advisory("A", "Debian:11", "openssl", ["0", "1.2-1+deb11u1"])
    const b = advisory("B", "Debian:11", "openssl", ["0", "1:1.0-1"])
    const c = advisory("C", "Debian:11", "openssl", ["0", "1.3~rc1-1"])
    expect(plan("Debian:11", "openssl", "1.2-1", [a, b, c])).toEqual({
      nearest: ["1.2-1+deb11u1", "1:1.0-1", "1.3~rc1-1"],
      dependency: { _tag: "Upgrade", version: "1:1.0-1" }
    })
  })

  it("no fix published: named per advisory; fixes on other lines only do not count as one upgrade", () => {
    const unfixed = advisory("GHSA-2qrg-x229-3v8q", "Maven", "log4j:log4j", ["0"])
    const fixed = advisory("B", "Maven", "log4j:log4j", ["0", "1.2.18"])
    const result = plan("Maven", "log4j:log4j", "1.2.17", [unfixed, fixed])
    expect(result.nearest).toEqual([null, "1.2.18"])
    expect(result.dependency).toEqual({ _tag: "NoFix", unfixed: ["GHSA-2qrg-x229-3v8q"] })
    expect(Remediation.describe(result.dependency)).toBe("no fix published (GHSA-2qrg-x229-3v8q)")
    // A fixed version below the installed one is no remediation.
    expect(plan("npm", "a", "2.0.0", [advisory("C", "npm", "a", ["0", "1.0.0"], ["1.5.0"])]).dependency).toEqual({ _tag: "NoFix", unfixed: ["C"] })
    expect(Remediation.forDependency([], PackageKey.unsafeMake("npm", "a"), "npm", "1.0.0")).toEqual({ _tag: "Nothing" })
  })

  it("another advisory's fix can clear one that publishes none (last_affected); answers do not leak between packages", () => {
    const lastAffected = {
      id: "L",
      modified: "2024-01-01T00:00:00Z",
      affected: [
        { package: { ecosystem: "npm", name: "a" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { last_affected: "1.4.0" }] }] },
        { package: { ecosystem: "npm", name: "b" }, ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.2.0" }] }] }
      ]
    } as Advisory
    const fixed = advisory("F", "npm", "a", ["0", "1.5.0"])
    // The only candidate is F's 1.5.0, and it is above L's last affected version.
    expect(plan("npm", "a", "1.0.0", [lastAffected, fixed])).toEqual({
      nearest: [null, "1.5.0"],
      dependency: { _tag: "Upgrade", version: "1.5.0" }
    })
    // The same advisory object asked about another of its packages: that package's own fix.
    expect(plan("npm", "b", "1.0.0", [lastAffected])).toEqual({ nearest: ["1.2.0"], dependency: { _tag: "Upgrade", version: "1.2.0" } })
    expect(plan("npm", "a", "1.0.0", [lastAffected])).toEqual({ nearest: [null], dependency: { _tag: "NoFix", unfixed: ["L"] } })
    // An installed version the ordering rejects has no candidate fixes.
    expect(plan("npm", "a", "not-a-version", [fixed]).dependency).toEqual({ _tag: "NoFix", unfixed: ["F"] })
  })
})
