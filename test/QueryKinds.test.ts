/**
 * Repository (`GIT`) and base-ecosystem queries through the manager (`matches`,
 * `matchesWithOptions`, `queryBatch`) over both store layers, on real OSS-Fuzz, PSF, Drupal and
 * AlmaLinux records; plus the normalization rules they rest on (`PackageKey.normalizeRepoUrl`,
 * `PackageKey.covers`, `Versions.normalizeTag`).
 */
import { afterAll, beforeAll, describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as PackageKey from "../src/PackageKey.js"
import * as Versions from "../src/Versions.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"
import { loadSampleAdvisories, sampleById } from "./utils/osvFixtures.js"
import { loadQueryKindRecords } from "./utils/queryKindsContract.js"
import { storeLayers, withStore } from "./utils/managerLayers.js"
import { useRedisServer } from "./utils/redis.js"

const server = useRedisServer({ beforeAll, afterAll })

const records = [...loadQueryKindRecords().values(), sampleById(loadSampleAdvisories(), "PSF-2007-1")]
const ids = (advisories: ReadonlyArray<{ readonly id: string }>) => advisories.map((a) => a.id)
const augeas = "https://github.com/hercules-team/augeas"
const libarchive = "https://github.com/libarchive/libarchive"
const cpython = "https://github.com/python/cpython"

for (const [name, storeLayer] of storeLayers(() => server.current().url, `qk-vm-${process.pid}`)) {
  layer(withStore(storeLayer), { timeout: 60_000 })(`repository and base-ecosystem queries (${name} store)`, (it) => {
    it.effect("GIT: a tag matches the versions list in any of its spellings", () =>
      Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* manager.store.upsertBatch(records, "test")
        for (const tag of ["release-1.14.0", "1.14.0", "v1.14.0", "augeas-1.14.0"]) {
          expect(ids(yield* manager.matches("GIT", augeas, tag)), tag).toEqual(["OSV-2020-1540"])
        }
        expect(ids(yield* manager.matches("GIT", `${augeas}.git`, "release-1.13.0"))).toEqual(["OSV-2020-1540"])
        const older = yield* manager.matchesWithOptions("GIT", augeas, "release-1.12.0", {})
        expect(older.advisories).toEqual([])
        expect(older.undetermined).toEqual([]) // the record lists its tags: a listed-tag answer is osv.dev's
        expect(ids(yield* manager.matches("GIT", "git@github.com:libarchive/libarchive.git", "v3.4.0"))).toEqual(["OSV-2020-487"])
      }))

    it.effect("GIT: a commit matches only an event commit; any other is undetermined, never unaffected", () =>
      Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* manager.store.upsertBatch(records, "test")
        const introduced = yield* manager.matches("GIT", libarchive, "4bd12b6f40cb4413c8970c52f15f3b6885b5e32f")
        expect(ids(introduced)).toEqual(["OSV-2020-487"])
        const fixed = yield* manager.matchesWithOptions("GIT", libarchive, "47bb8187d3ef2d49ee8c7841cb2872b3cfa1f6f7", {})
        expect(fixed.advisories).toEqual([])
        expect(fixed.undetermined).toEqual([])
        const other = yield* manager.matchesWithOptions("GIT", libarchive, "0123456789abcdef0123456789abcdef01234567", {})
        expect(other.advisories).toEqual([])
        expect(other.undetermined.map((u) => [u.id, u.issues.map((i) => i._tag)])).toEqual([
          ["OSV-2020-487", ["CommitGraphRequired"]]
        ])
        // PSF records have GIT ranges on cpython and no tag list: a tag cannot be placed without history.
        const tag = yield* manager.matchesWithOptions("GIT", cpython, "v2.5.1", {})
        expect(tag.advisories).toEqual([])
        expect(tag.undetermined.map((u) => u.id)).toEqual(["PSF-2007-1"])
        expect(tag.undetermined[0].issues[0].message).toContain("history")
      }))

    it.effect("base ecosystem: all variants, each ordered by its own rules; a variant only itself", () =>
      Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* manager.store.upsertBatch(records, "test")
        // Between the AlmaLinux 8 fix (1.19.5-12.el8_10) and the AlmaLinux 9 fix (1.21.1-8.el9_4).
        expect(ids(yield* manager.matches("AlmaLinux", "wget", "1.19.5-13.el8_10"))).toEqual(["ALSA-2024:6192"])
        expect(ids(yield* manager.matches("AlmaLinux", "wget", "1.19.5-11.el8"))).toEqual(["ALSA-2024:5299", "ALSA-2024:6192"])
        expect(ids(yield* manager.matches("AlmaLinux:8", "wget", "1.19.5-11.el8"))).toEqual(["ALSA-2024:5299"])
        expect(ids(yield* manager.matches("AlmaLinux:9", "wget", "1.21.1-8.el9_4"))).toEqual([])
        expect(ids(yield* manager.matches("Packagist", "drupal/config_perms", "1.0.0"))).toEqual(["DRUPAL-CONTRIB-2017-083"])
        expect(ids(yield* manager.matches("Packagist", "drupal/config_perms", "1.1.0"))).toEqual([])
      }))

    it.effect("queryBatch answers GIT and base-ecosystem entries like single queries", () =>
      Effect.gen(function*() {
        const manager = yield* VulnerabilityManager.VulnerabilityManager
        yield* manager.store.upsertBatch(records, "test")
        const batch = yield* manager.queryBatch([
          { ecosystem: "GIT", name: augeas, version: "1.14.1" },
          { ecosystem: "AlmaLinux", name: "wget", version: "1.19.5-11.el8" },
          { ecosystem: "GIT", name: libarchive }
        ])
        expect(batch.failed).toBe(0)
        expect(batch.results.map((r) => (r._tag === "Success" ? ids(r.advisories) : r._tag))).toEqual([
          ["OSV-2020-1540"],
          ["ALSA-2024:5299", "ALSA-2024:6192"],
          ["OSV-2020-487"]
        ])
      }))
  })
}

describe("normalization for repository and base-ecosystem queries", () => {
  it("normalizeRepoUrl: one spelling per repository, credentials dropped", () => {
    for (
      const url of [
        "https://github.com/DaveGamble/cJSON",
        "https://github.com/davegamble/cjson.git",
        "http://www.github.com/davegamble/cjson/",
        "git+https://github.com/davegamble/cjson",
        "ssh://git@github.com/DaveGamble/cJSON.git",
        "git@github.com:DaveGamble/cJSON.git",
        "https://user:s3cret@github.com:443/davegamble/cjson"
      ]
    ) expect(PackageKey.normalizeRepoUrl(url), url).toBe("github.com/davegamble/cjson")
    expect(PackageKey.normalizeRepoUrl("https://gitlab.com/group/sub/project.git")).toBe("gitlab.com/group/sub/project")
    expect(PackageKey.unsafeMake("GIT", "https://token@github.com/a/b").name).not.toContain("token")
  })

  it("covers: a base key covers its variants, a variant key only itself", () => {
    const debian = PackageKey.unsafeMake("Debian", "openssl")
    const debian12 = PackageKey.unsafeMake("Debian:12", "openssl")
    expect(PackageKey.covers(debian, { ecosystem: "Debian:12", name: "openssl" })).toBe(true)
    expect(PackageKey.covers(debian, { ecosystem: "Debian", name: "openssl" })).toBe(true)
    expect(PackageKey.covers(debian12, { ecosystem: "Debian:12", name: "openssl" })).toBe(true)
    expect(PackageKey.covers(debian12, { ecosystem: "Debian:11", name: "openssl" })).toBe(false)
    expect(PackageKey.covers(debian, { ecosystem: "Ubuntu:22.04", name: "openssl" })).toBe(false)
    expect(PackageKey.covers(debian, { ecosystem: "Debian:12", name: "openssl3" })).toBe(false)
    expect(PackageKey.covers(PackageKey.unsafeMake("pip", "Django"), { ecosystem: "PyPI", name: "django" })).toBe(true)
  })

  it("normalizeTag: osv.dev's tag spellings of one version agree, a digit inside a name is not a version", () => {
    expect(Versions.normalizeTag("libssh2-1.11.1")).toBe(Versions.normalizeTag("1.11.1"))
    expect(Versions.normalizeTag("v1.11.1")).toBe("1-11-1")
    expect(Versions.normalizeTag("curl-7_88_0")).toBe(Versions.normalizeTag("7.88.0"))
    expect(Versions.normalizeTag("OpenSSL_1_1_1k")).toBe(Versions.normalizeTag("1.1.1k"))
    expect(Versions.normalizeTag("refs/tags/v2.0")).toBe("2-0")
    expect(Versions.normalizeTag("libssh2-1.11.1")).not.toBe(Versions.normalizeTag("2.1.11.1"))
    expect(Versions.normalizeTag("master")).toBe("")
  })
})
