/**
 * The memory behind fast matching: the bounded parse cache per ordering, the PEP 440 sort keys
 * built once, and the per-range preparation kept with the advisory. Each must give the answers
 * computed without it, and the parse cache must stay within its bound whatever the input.
 */
import { describe, expect, it } from "@effect/vitest"
import * as pep440 from "@renovatebot/pep440"
import { Effect, Either } from "effect"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { Advisory } from "../src/Advisory.js"
import { pypi } from "../src/internal/versions/pypi.js"
import { schemeFor } from "../src/internal/versions/registry.js"
import { parseCacheLimit, parseCacheSize } from "../src/internal/versions/scheme.js"
import * as PackageKey from "../src/PackageKey.js"
import * as Purl from "../src/Purl.js"
import * as Versions from "../src/Versions.js"
import { readVectors, vectorEcosystems } from "./utils/versionVectors.js"

const fixtures = fileURLToPath(new URL("./fixtures/versions/", import.meta.url))

/** Every distinct version string of the vector files. */
const vectorVersions = (file: string): ReadonlyArray<string> =>
  Array.from(new Set(readVectors(`${fixtures}${file}`).flatMap((v) => [v.a, v.b])))

describe("parse cache", () => {
  it("stays within its bound per ordering, and answers after a refill equal the first answers", () => {
    const npm = schemeFor("npm")!
    const first = Versions.compare("npm", "1.10.0", "1.9.99")
    for (let i = 0; i < parseCacheLimit + 500; i++) {
      expect(Versions.isValid("npm", `${i}.${i % 7}.${i % 3}`)).toBe(true)
      expect(parseCacheSize(npm)).toBeLessThanOrEqual(parseCacheLimit)
    }
    // Unparseable strings are remembered too, and never turn valid.
    for (let i = 0; i < 2000; i++) expect(Versions.isValid("npm", `not-a-version-${i}`)).toBe(false)
    expect(parseCacheSize(npm)).toBeLessThanOrEqual(parseCacheLimit)
    expect(first).toEqual(Either.right(1))
    expect(Versions.compare("npm", "1.10.0", "1.9.99")).toEqual(first)
  })

  it("answers every vector pair the same asked twice (cold, then from the cache)", () => {
    for (const file of readdirSync(fixtures)) {
      const vectors = readVectors(`${fixtures}${file}`)
      const ecosystem = vectorEcosystems[file]![0]!
      const cold = vectors.map((v) => Versions.compare(ecosystem, v.a, v.b))
      const warm = vectors.map((v) => Versions.compare(ecosystem, v.a, v.b))
      expect(warm, file).toEqual(cold)
      expect(cold.filter(Either.isRight).length, file).toBeGreaterThan(0)
    }
  })
})

describe("PEP 440 sort keys", () => {
  it("order every pair of PyPI vector versions as pep440.compare does", () => {
    const versions = vectorVersions("pypi-versions.txt").filter((v) => pep440.valid(v) !== null)
    expect(versions.length).toBeGreaterThan(30)
    let pairs = 0
    for (const a of versions) {
      const ka = pypi.parse(a)
      for (const b of versions) {
        const kb = pypi.parse(b)
        if (!ka.ok || !kb.ok) continue
        expect(Math.sign(pypi.compare(ka.value, kb.value)), `${a} vs ${b}`).toBe(Math.sign(pep440.compare(a, b)))
        pairs++
      }
    }
    expect(pairs).toBe(versions.length * versions.length)
  })

  it("order local versions, epochs, dev/post/pre releases as pep440.compare does", () => {
    const versions = ["1.0", "1.0.0", "1!0.1", "1.0.dev0", "1.0a0", "1.0a1.dev2", "1.0rc1", "1.0.post1", "1.0.post1.dev1", "1.0+abc.5", "1.0+abc.10", "1.0+5", "1.0+abc", "2.0-1", "1.0c1", "1.0pre1"]
    for (const a of versions) {
      for (const b of versions) {
        const ka = pypi.parse(a)
        const kb = pypi.parse(b)
        expect(ka.ok && kb.ok).toBe(true)
        if (ka.ok && kb.ok) expect(Math.sign(pypi.compare(ka.value, kb.value)), `${a} vs ${b}`).toBe(Math.sign(pep440.compare(a, b)))
      }
    }
  })
})

describe("prepared ranges", () => {
  const advisory: Advisory = {
    id: "GHSA-prep-0000-0000",
    modified: "2024-01-01T00:00:00Z",
    affected: [{
      package: { ecosystem: "PyPI", name: "demo" },
      ranges: [
        { type: "ECOSYSTEM", events: [{ introduced: "1.0" }, { fixed: "1.2" }, { introduced: "2.0rc1" }, { last_affected: "2.3" }] },
        { type: "ECOSYSTEM", events: [{ introduced: "3.0" }, { fixed: "not a version!!" }] }
      ]
    }]
  } as Advisory
  const key = PackageKey.unsafeMake("PyPI", "demo")
  const versions = ["0.9", "1.0", "1.1.5", "1.2", "2.0a1", "2.0rc1", "2.3", "2.3.post1", "2.9", "3.0", "3.5", "bad version"]

  it("answer every version as a fresh copy of the advisory does, in any order", () => {
    const fresh = versions.map((v) => Versions.advisoryAffects(structuredClone(advisory), key, v))
    expect(fresh.map((e) => e.affected)).toEqual([false, true, true, false, false, true, true, false, false, false, false, false])
    // 3.0 and above: the fix does not parse, so the answer is an issue, not "unaffected".
    expect(fresh[9].issues.map((i) => i._tag)).toEqual(["UnparseableVersion"])
    expect(Versions.isConclusive(fresh[10])).toBe(false)
    for (const order of [versions, [...versions].reverse()]) {
      const again = order.map((v) => Versions.advisoryAffects(advisory, key, v))
      expect(again).toEqual(order.map((v) => fresh[versions.indexOf(v)]))
    }
  })

  it("re-sort the same events for another ordering", () => {
    const events = [{ introduced: "1.0" }, { fixed: "1.10" }]
    const shared = (ecosystem: string): Advisory => ({
      id: "GHSA-prep-0000-0001",
      modified: "2024-01-01T00:00:00Z",
      affected: [{ package: { ecosystem, name: "demo" }, ranges: [{ type: "ECOSYSTEM", events }] }]
    }) as Advisory
    // One events array read by two orderings: each gets its own sorted, parsed events.
    expect(Versions.advisoryAffects(shared("npm"), PackageKey.unsafeMake("npm", "demo"), "1.9.0").affected).toBe(true)
    expect(Versions.advisoryAffects(shared("PyPI"), PackageKey.unsafeMake("PyPI", "demo"), "1.10.dev0").affected).toBe(true)
    expect(Versions.advisoryAffects(shared("npm"), PackageKey.unsafeMake("npm", "demo"), "1.10.0-dev0").affected).toBe(true)
    expect(Versions.advisoryAffects(shared("PyPI"), PackageKey.unsafeMake("PyPI", "demo"), "1.10").affected).toBe(false)
    // The same advisory object asked about two spellings of its package keeps answering right.
    const one = shared("PyPI")
    expect(Versions.advisoryAffects(one, PackageKey.unsafeMake("pip", "Demo"), "1.5").affected).toBe(true)
    expect(Versions.advisoryAffects(one, PackageKey.unsafeMake("npm", "demo"), "1.5").affected).toBe(false)
    expect(Versions.advisoryAffects(one, PackageKey.unsafeMake("PyPI", "demo"), "1.5").affected).toBe(true)
  })
})

describe("Purl.parseEither", () => {
  it("gives what Purl.parse gives, valid or not", () => {
    for (const text of ["pkg:npm/%40babel/core@7.0.0", "pkg:pypi/Django@1.2", "pkg:golang/github.com/a/b@v1.2.3", "not a purl", "pkg:npm/"]) {
      const plain = Purl.parseEither(text)
      const effect = Effect.runSync(Effect.either(Purl.parse(text)))
      expect(plain).toEqual(effect)
    }
    expect(Either.isRight(Purl.parseEither("pkg:npm/%40babel/core@7.0.0"))).toBe(true)
    expect(Either.isLeft(Purl.parseEither("not a purl"))).toBe(true)
  })
})
