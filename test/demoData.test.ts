/**
 * The committed demo snapshot (examples/data/, built by scripts/build-demo-data.ts) is well-formed:
 * OSV bulk layout, KEV and EPSS file shapes, the lockfile and the PURL list. Needs no ../shared.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { readdirSync, readFileSync, statSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync } from "node:zlib"
import semver from "semver"
import yauzl from "yauzl"
import { Advisory, cveIds, packages } from "../src/Advisory.js"
import * as PackageKey from "../src/PackageKey.js"
import * as Purl from "../src/Purl.js"

const dataDir = fileURLToPath(new URL("../examples/data/", import.meta.url))
const dataPath = (...parts: ReadonlyArray<string>) => path.join(dataDir, ...parts)
const decodeAdvisory = Schema.decodeUnknownSync(Advisory)

interface ZipEntry {
  readonly name: string
  readonly text: string
}

/** All entries of a zip, read in order with yauzl (the reader the OSV source uses). */
const readZip = (file: string): Promise<ReadonlyArray<ZipEntry>> =>
  new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (openError, zip) => {
      if (openError) return reject(openError)
      const entries: Array<ZipEntry> = []
      zip.on("error", reject)
      zip.on("end", () => resolve(entries))
      zip.on("entry", (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError)
          const chunks: Array<Buffer> = []
          stream.on("data", (chunk: Buffer) => chunks.push(chunk))
          stream.on("error", reject)
          stream.on("end", () => {
            entries.push({ name: entry.fileName, text: Buffer.concat(chunks).toString("utf8") })
            zip.readEntry()
          })
        }))
      zip.readEntry()
    })
  })

interface EcosystemSnapshot {
  readonly ecosystem: string
  readonly entries: ReadonlyArray<ZipEntry>
  readonly advisories: ReadonlyArray<Advisory>
}

const ecosystems = readFileSync(dataPath("osv/ecosystems.txt"), "utf8").split("\n").filter((line) => line !== "")

let loaded: Promise<ReadonlyArray<EcosystemSnapshot>> | undefined
/** Every ecosystem zip, read once per file. */
const snapshot = Effect.promise(() =>
  (loaded ??= Promise.all(
    ecosystems.map(async (ecosystem) => {
      const entries = await readZip(dataPath("osv", ecosystem, "all.zip"))
      return { ecosystem, entries, advisories: entries.map((e) => decodeAdvisory(JSON.parse(e.text))) }
    })
  )))

/** Seconds then nanoseconds of an RFC 3339 UTC timestamp, as a string that sorts by time. */
const timeKey = (stamp: string): string => {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp)
  expect(m, `timestamp ${stamp}`).not.toBeNull()
  return `${m?.[1]}.${(m?.[2] ?? "").padEnd(9, "0")}`
}

const namesIn = (advisories: ReadonlyArray<Advisory>, ecosystem: string): ReadonlySet<string> =>
  new Set(
    advisories.flatMap((a) => packages(a).filter((p) => p.ecosystem === ecosystem).map((p) => PackageKey.unsafeMake(p.ecosystem, p.name).name))
  )

describe("demo snapshot (examples/data)", () => {
  it.effect("holds a few hundred advisories in the eight default ecosystems, within 2 MB", () =>
    Effect.gen(function*() {
      expect([...ecosystems].sort()).toEqual(["Go", "Maven", "NuGet", "Packagist", "PyPI", "RubyGems", "crates.io", "npm"])
      const zips = yield* snapshot
      const unique = new Set(zips.flatMap((z) => z.advisories.map((a) => a.id)))
      expect(unique.size).toBeGreaterThanOrEqual(300)
      expect(unique.size).toBeLessThanOrEqual(600)
      for (const zip of zips) expect(zip.advisories.length, zip.ecosystem).toBeGreaterThan(0)
      expect(zips.some((z) => z.advisories.some((a) => a.withdrawn !== undefined))).toBe(true)
      const size = (dir: string): number =>
        readdirSync(dir, { withFileTypes: true }).reduce(
          (sum, d) => sum + (d.isDirectory() ? size(path.join(dir, d.name)) : statSync(path.join(dir, d.name)).size),
          0
        )
      expect(size(dataDir)).toBeLessThan(2 * 1024 * 1024)
    }))

  it.effect("every zip entry is <id>.json holding one compact Advisory that affects the zip's ecosystem", () =>
    Effect.gen(function*() {
      for (const { advisories, ecosystem, entries } of yield* snapshot) {
        const names = entries.map((e) => e.name)
        expect(names, ecosystem).toEqual([...names].sort())
        entries.forEach((entry, i) => {
          const advisory = advisories[i]
          expect(entry.name).toBe(`${advisory?.id}.json`)
          expect(entry.text).toBe(JSON.stringify(JSON.parse(entry.text)))
          expect(packages(advisory!).some((p) => p.ecosystem === ecosystem), entry.name).toBe(true)
        })
      }
    }))

  it.effect("modified_id.csv lists exactly the zip's ids with their modified times, newest first", () =>
    Effect.gen(function*() {
      for (const { advisories, ecosystem } of yield* snapshot) {
        const text = readFileSync(dataPath("osv", ecosystem, "modified_id.csv"), "utf8")
        expect(text.endsWith("\n")).toBe(true)
        const rows = text.slice(0, -1).split("\n").map((line) => line.split(","))
        expect(rows.every((r) => r.length === 2)).toBe(true)
        expect(rows.map((r) => r[1]).sort()).toEqual(advisories.map((a) => a.id).sort())
        const keys = rows.map((r) => timeKey(r[0] ?? ""))
        expect(keys, ecosystem).toEqual([...keys].sort().reverse())
        const modifiedById = new Map(advisories.map((a) => [a.id, a.modified]))
        for (const [stamp, id] of rows) expect(Date.parse(stamp ?? ""), id).toBe(Date.parse(modifiedById.get(id ?? "") ?? ""))
      }
    }))

  it.effect("the KEV subset has CISA's shape and names snapshot CVEs, one of them from an npm advisory", () =>
    Effect.gen(function*() {
      const kev = JSON.parse(readFileSync(dataPath("kev/known_exploited_vulnerabilities.json"), "utf8"))
      expect(Object.keys(kev)).toEqual(["title", "catalogVersion", "dateReleased", "count", "vulnerabilities"])
      expect(kev.title).toBe("CISA Catalog of Known Exploited Vulnerabilities")
      expect(kev.catalogVersion).toMatch(/^\d{4}\.\d\d\.\d\d$/)
      expect(Number.isNaN(Date.parse(kev.dateReleased))).toBe(false)
      expect(kev.count).toBe(kev.vulnerabilities.length)
      const fields = ["cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "shortDescription", "requiredAction", "dueDate", "knownRansomwareCampaignUse", "notes", "cwes"]
      for (const v of kev.vulnerabilities) {
        expect(Object.keys(v)).toEqual(fields)
        expect(v.cveID).toMatch(/^CVE-\d{4}-\d{4,}$/)
        expect(v.dateAdded).toMatch(/^\d{4}-\d\d-\d\d$/)
      }
      const listed = new Set<string>(kev.vulnerabilities.map((v: { cveID: string }) => v.cveID))
      expect(listed.size).toBe(kev.count)
      const zips = yield* snapshot
      const npm = zips.find((z) => z.ecosystem === "npm")?.advisories ?? []
      expect(npm.some((a) => cveIds(a).some((c) => listed.has(c)))).toBe(true)
    }))

  it.effect("the EPSS file is a gzip daily file: comment line, header, scores of snapshot and KEV CVEs", () =>
    Effect.gen(function*() {
      const lines = gunzipSync(readFileSync(dataPath("epss/epss_scores-current.csv.gz"))).toString("utf8").split("\n")
      expect(lines[0]).toMatch(/^#model_version:v\d{4}\.\d\d\.\d\d,score_date:\d{4}-\d\d-\d\dT00:00:00\+0000$/)
      expect(lines[1]).toBe("cve,epss,percentile")
      expect(lines.at(-1)).toBe("")
      const rows = lines.slice(2, -1).map((line) => line.split(","))
      expect(rows.length).toBeGreaterThan(100)
      const kev = JSON.parse(readFileSync(dataPath("kev/known_exploited_vulnerabilities.json"), "utf8"))
      const zips = yield* snapshot
      const named = new Set([
        ...zips.flatMap((z) => z.advisories.flatMap(cveIds)),
        ...kev.vulnerabilities.map((v: { cveID: string }) => v.cveID)
      ])
      for (const [cve, epss, percentile, ...rest] of rows) {
        expect(rest).toEqual([])
        expect(named.has(cve ?? ""), cve).toBe(true)
        for (const score of [Number(epss), Number(percentile)]) {
          expect(score).toBeGreaterThanOrEqual(0)
          expect(score).toBeLessThanOrEqual(1)
        }
      }
      expect(new Set(rows.map((r) => r[0])).size).toBe(rows.length)
    }))

  it.effect("the lockfile is npm v3 and depends on packages the npm snapshot names", () =>
    Effect.gen(function*() {
      const lock = JSON.parse(readFileSync(dataPath("package-lock.json"), "utf8"))
      expect(lock.lockfileVersion).toBe(3)
      expect(lock.packages[""].name).toBe(lock.name)
      const deps = Object.entries(lock.packages as Record<string, { version: string }>).filter(([key]) => key !== "")
      expect(deps.length).toBeGreaterThanOrEqual(10)
      expect(deps.length).toBeLessThanOrEqual(25)
      for (const [key, entry] of deps) {
        expect(key).toMatch(/^node_modules\/(@[^/]+\/)?[^/]+$/)
        expect(semver.valid(entry.version), key).toBe(entry.version)
      }
      const npm = (yield* snapshot).find((z) => z.ecosystem === "npm")?.advisories ?? []
      const names = namesIn(npm, "npm")
      const named = deps.filter(([key]) => names.has(PackageKey.unsafeMake("npm", key.slice("node_modules/".length)).name))
      expect(named.length).toBeGreaterThan(1)
      expect(named.length).toBeLessThan(deps.length)
    }))

  it.effect("purls.txt parses and every PURL names a package of its ecosystem's zip", () =>
    Effect.gen(function*() {
      const lines = readFileSync(dataPath("purls.txt"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
      const zips = yield* snapshot
      const types = new Set<string>()
      for (const line of lines) {
        const purl = yield* Purl.parse(line)
        types.add(purl.type)
        expect(purl.version, line).toBeDefined()
        const ecosystem = Purl.osvEcosystem(purl)
        const zip = zips.find((z) => z.ecosystem === ecosystem)
        expect(namesIn(zip?.advisories ?? [], ecosystem).has(Purl.toPackageKey(purl).name), line).toBe(true)
      }
      expect([...types].sort()).toEqual(["cargo", "golang", "maven", "npm", "pypi"])
    }))
})
