/**
 * The `vulnera` command line, run as a subprocess: exit codes (0, 1 at --fail-on, 2 for bad
 * arguments, 3 for an unreachable store), JSON output checked against independent oracles, the
 * tables' key rows, over the in-memory default and over a real redis-server (sync, then query /
 * scan / health / reset-sync / ossindex as separate processes), and `npm start` itself.
 *
 * The CLI is bundled once into a temporary directory exactly as `npm run build` bundles the shipped
 * bin (esbuild, `scripts/build-cli.ts`; no prior build needed) and run with node: what users run,
 * and under tsx every run would pay ~2 s of loader time. `npm start` runs
 * through tsx exactly as the README shows it.
 *
 * Oracles: the npm lockfile's findings come from osv.dev's enumerated versions and the records'
 * SEMVER ranges evaluated with the `semver` package (as in VulnerabilityManager.test.ts), KEV and
 * EPSS from the snapshot files parsed directly, severities from `Cvss.advisoryScore`, and other
 * ecosystems' matches from the manager API in process.
 */
import { afterAll, beforeAll, describe, expect, it, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Advisory } from "../src/Advisory.js"
import { cveIds } from "../src/Advisory.js"
import * as Cvss from "../src/Cvss.js"
import * as PackageKey from "../src/PackageKey.js"
import * as Purl from "../src/Purl.js"
import * as Versions from "../src/Versions.js"
import * as VulnerabilityManager from "../src/VulnerabilityManager.js"
import * as Manifest from "../src/Manifest.js"
import { makeTestServer } from "./utils/httpServer.js"
import { useCli } from "./utils/cli.js"
import { useRedisServer } from "./utils/redis.js"
import { writeZip } from "./utils/zip.js"
import { cycloneDxErrors, sarifErrors } from "./utils/reportSchemas.js"
import {
  expectOracleFindings,
  npmOracleAffected,
  snapshotOracleLayer,
  snapshotDir,
  snapshotEcosystems,
  snapshotEpss,
  snapshotIds,
  snapshotKev,
  snapshotLockfile
} from "./utils/snapshot.js"

const server = useRedisServer({ beforeAll, afterAll })
const { baseEnv, cli, json, noStackTrace, repo, spawnRun, start } = useCli({ beforeAll, afterAll })

/** The in-process oracle: the manager over the snapshot in memory (synced once). */
const oracleLayer = snapshotOracleLayer(snapshotEcosystems)

const kevCves = () => new Set(snapshotKev().map((k) => k.cveID))

/** Highest EPSS over the advisory's CVEs, from the snapshot's CSV. */
const epssOf = (advisory: Advisory): number | null => {
  const epss = snapshotEpss()
  const scores = cveIds(advisory).flatMap((c) => (epss.has(c) ? [epss.get(c)!.epss] : []))
  return scores.length === 0 ? null : Math.max(...scores)
}

const lockfilePath = join(snapshotDir, "package-lock.json")
const purlsPath = join(snapshotDir, "purls.txt")

/** Checks one JSON finding against the advisory it reports. */
const checkFinding = (finding: any, advisory: Advisory, key: PackageKey.PackageKey) => {
  const score = Cvss.advisoryScore(advisory)
  expect(finding.severity).toBe(Option.match(score, { onNone: () => null, onSome: (s) => s.severity }))
  expect(finding.epss).toBe(epssOf(advisory))
  expect(finding.kev).toBe(cveIds(advisory).some((c) => kevCves().has(c)))
  const fixed = (advisory.affected ?? [])
    .filter((a) => a.package !== undefined && PackageKey.same(a.package, key))
    .flatMap((a) => Versions.fixedVersions(a))
  expect([...finding.fixed].sort()).toEqual(Array.from(new Set(fixed)).sort())
}

layer(oracleLayer, { timeout: 60_000 })("vulnera CLI", (it) => {
  it.effect("--help and a command's --help print exactly what the CLI's help code renders at 80 columns (served without loading @effect/cli)", () =>
    Effect.gen(function*() {
      const { helpFor } = yield* Effect.promise(() => import("../src/cli/commandList.js"))
      const runs = yield* Effect.all([cli(["--help"]), cli(["scan", "--help"]), cli(["query", "-h", "npm"]), cli(["nope", "--help"])], { concurrency: 2 })
      const topics = ["", "scan", "query", ""]
      runs.forEach((run, i) => expect(run).toMatchObject({ code: 0, stdout: `${helpFor(topics[i]!, 80).trimEnd()}\n`, stderr: "" }))
    }))

  it.effect("--version prints package.json's version without loading the CLI; a command's --version still goes through it", () =>
    Effect.gen(function*() {
      const packageVersion = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version
      const [version, help, commandVersion] = yield* Effect.all([
        cli(["--version"]),
        cli(["--help"]),
        cli(["health", "--version"])
      ], { concurrency: "unbounded" })
      expect(version).toMatchObject({ code: 0, stdout: `${packageVersion}\n`, stderr: "" })
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(/^usage: vulnera <command>/)
      expect(help.stdout).toMatch(/COMMANDS[\s\S]*\n {2}scan {2,}\S/)
      // Not the fast path: @effect/cli answers, with the same version.
      expect(commandVersion.code).toBe(0)
      expect(commandVersion.stdout.trim()).toBe(packageVersion)
    }))

  it.effect("bad arguments exit 2 with usage, an unreachable store exits 3 with one line, never a stack trace", () =>
    Effect.gen(function*() {
      const [missingArg, badChoice, unknownSource, badPurl, emptyMemory, refused, secretEnv] = yield* Effect.all([
        cli(["query", "npm"]),
        cli(["scan", lockfilePath, "--fail-on", "severe"]),
        cli(["reset-sync", "nvd"]),
        cli(["ossindex", "not-a-purl"]),
        cli(["query", "npm", "jquery", "--version", "3.4.1"]),
        cli(["query", "npm", "jquery", "--redis", "redis://127.0.0.1:1"]),
        cli(["health"], { REDIS_URL: "redis://scanner:hunter2@127.0.0.1:1" })
      ], { concurrency: 4 })
      for (const run of [missingArg, badChoice, unknownSource, badPurl]) {
        expect(run.code).toBe(2)
        expect(run.stderr).toMatch(/^usage: vulnera/m)
        noStackTrace(run)
      }
      expect(missingArg.stderr).toContain("usage: vulnera query")
      expect(badChoice.stderr).toContain("usage: vulnera scan")
      expect(unknownSource.stderr).toContain(`unknown sync source "nvd"`)
      expect(badPurl.stdout).toContain("not-a-purl")
      expect(emptyMemory.code).toBe(2)
      expect(emptyMemory.stderr).toMatch(/the LMDB store at .*vulnera holds no advisories: run `vulnera sync` first/)
      expect(refused.code).toBe(3)
      expect(refused.stderr.trim().split("\n")).toHaveLength(1)
      expect(refused.stderr).toContain("cannot reach the store at redis://127.0.0.1:1")
      expect(secretEnv.code).toBe(3)
      expect(secretEnv.stdout + secretEnv.stderr).not.toContain("hunter2")
      expect(secretEnv.stdout).toMatch(/^store: Unavailable/)
      for (const run of [emptyMemory, refused, secretEnv]) noStackTrace(run)
    }))

  it.effect("in memory: scan --demo --json of the bundled lockfile reports exactly the oracle's findings; exit 1 at --fail-on any", () =>
    Effect.gen(function*() {
      const run = yield* cli(["scan", lockfilePath, "--demo", "--json"])
      expect(run.code).toBe(1)
      const report = json(run)
      const findings = yield* expectOracleFindings(report, (finding, all, name) =>
        checkFinding(finding, all.find((a) => a.id === finding.id)!, PackageKey.unsafeMake("npm", name))
      )
      expect(report.summary.findings).toBe(findings)
      // The KEV-listed jquery advisory (CVE-2020-11023) is flagged.
      const jquery = report.results.find((r: any) => r.name === "jquery")
      expect(jquery.findings.some((f: any) => f.kev && f.aliases.includes("CVE-2020-11023"))).toBe(true)
      expect(run.stderr).toContain("loaded snapshot")
    }))

  it.effect("in memory: scan of the PURL list agrees with the manager in every ecosystem; --fail-on gates by severity", () =>
    Effect.gen(function*() {
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const gateDir = mkdtempSync(join(tmpdir(), "vulnera-cli-gate-"))
      const gateFile = join(gateDir, "purls.txt")
      writeFileSync(gateFile, "# one MEDIUM finding, one clean version\npkg:npm/lodash@4.17.20\npkg:npm/lodash@4.17.21  # fixed\n")
      const requirements = join(gateDir, "requirements.txt")
      writeFileSync(requirements, "Django==4.2.1\njinja2[i18n]==2.11.2 ; python_version >= '3.8'\nrequests>=2.0\n")
      const [purls, atHigh, atMedium, pip, directory] = yield* Effect.all([
        cli(["scan", purlsPath, "--demo", "--json", "--fail-on", "critical", "--ignore-unrated"]),
        cli(["scan", gateFile, "--demo", "--fail-on", "high"]),
        cli(["scan", gateFile, "--demo", "--json", "--fail-on", "medium"]),
        cli(["scan", requirements, "--demo", "--json"]),
        cli(["scan", gateDir, "--demo", "--json", "--fail-on", "critical"])
      ], { concurrency: 4 })
      rmSync(gateDir, { recursive: true, force: true })

      const report = json(purls)
      let critical = 0
      for (const result of report.results) {
        const expected = yield* manager.matches(result.ecosystem, result.name, result.version)
        expect(result.findings.map((f: any) => f.id).sort(), `${result.name}@${result.version}`).toEqual(
          expected.map((a) => a.id).sort()
        )
        critical += expected.filter((a) => Option.exists(Cvss.advisoryScore(a), (s) => s.severity === "CRITICAL")).length
      }
      expect(report.results.length).toBe(
        purlsFileLines().filter((l) => Option.isSome(Purl.parse(l).pipe(Effect.option, Effect.runSync))).length
      )
      expect(report.gate.atOrAboveFailOn).toBe(critical)
      expect(purls.code).toBe(critical > 0 ? 1 : 0)

      // lodash@4.17.20's one advisory, rated by Cvss.advisoryScore: the gate trips at or below its level.
      const lodash = (yield* manager.matches("npm", "lodash", "4.17.20"))
      expect(lodash).toHaveLength(1)
      const level = Option.getOrThrow(Cvss.advisoryScore(lodash[0]!)).severity
      const rank = ["LOW", "MEDIUM", "HIGH", "CRITICAL"].indexOf(level)
      expect(atHigh.code).toBe(rank >= 2 ? 1 : 0)
      expect(atMedium.code).toBe(rank >= 1 ? 1 : 0)
      expect(atHigh.stdout).toMatch(rank >= 2 ? /^fail: 1 finding at or above --fail-on high/m : /^pass: nothing at or above --fail-on high/m)
      expect(json(atMedium).results.find((r: any) => r.version === "4.17.21").findings).toEqual([])

      const pinned = json(pip)
      expect(pinned.inputs[0].format).toBe("requirements")
      expect(pinned.inputs[0].skipped.map((s: any) => s.reason)).toEqual(["not an exact pin (a range)"])
      expect(pinned.results.map((r: any) => [r.file, r.line])).toEqual([[requirements, 1], [requirements, 2]])
      for (const result of pinned.results) {
        const expected = yield* manager.matches("PyPI", result.name, result.version)
        expect(result.findings.map((f: any) => f.id).sort()).toEqual(expected.map((a) => a.id).sort())
      }
      expect(pinned.results.map((r: any) => `${r.name}@${r.version}`)).toEqual(["Django@4.2.1", "jinja2@2.11.2"])

      // `scan DIR`: the PURL list is not recognized by name, the requirements file is; both files' results carry their file.
      const scanned = json(directory)
      expect(scanned.inputs.map((i: any) => [i.file, i.format])).toEqual([[requirements, "requirements"]])
      expect(scanned.results.map((r: any) => `${r.file}:${r.line} ${r.name}@${r.version}`)).toEqual([
        `${requirements}:1 Django@4.2.1`,
        `${requirements}:2 jinja2@2.11.2`
      ])
    }))

  it.effect("--demo says so first and last in every format; each format is valid; not covered and undetermined fail the gate unless allowed", () =>
    Effect.gen(function*() {
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const dir = mkdtempSync(join(tmpdir(), "vulnera-cli-honest-"))
      const uncovered = join(dir, "uncovered.txt")
      writeFileSync(uncovered, "pkg:hex/plug@1.0.0\npkg:npm/lodash@4.17.21\n")
      const undetermined = join(dir, "undetermined.txt")
      writeFileSync(undetermined, "pkg:npm/lodash@latest\n")
      const [notCovered, allowed, notCoveredJson, undeterminedJson, ignored, table, asJson, sarif, cyclonedx, markdown] = yield* Effect.all([
        cli(["scan", uncovered, "--demo"]),
        cli(["scan", uncovered, "--demo", "--allow-uncovered"]),
        cli(["scan", uncovered, "--demo", "--json"]),
        cli(["scan", undetermined, "--demo", "--format", "json"]),
        cli(["scan", undetermined, "--demo", "--ignore-undetermined"]),
        cli(["scan", lockfilePath, "--demo", "--format", "table"]),
        cli(["scan", lockfilePath, "--demo", "--format", "json"]),
        cli(["scan", lockfilePath, "--demo", "--format", "sarif"]),
        cli(["scan", lockfilePath, "--demo", "--format", "cyclonedx"]),
        cli(["scan", lockfilePath, "--demo", "--format", "markdown"])
      ], { concurrency: 3 })
      rmSync(dir, { recursive: true, force: true })
      const advisories = new Set(Array.from(snapshotIds().values()).flat()).size
      const notice = `DEMO DATA: this report uses the bundled demo snapshot (${advisories} advisories in ${snapshotEcosystems.length} ecosystems)`

      // Not covered: Hex was never synced, so plug is "not covered", never "ok"; exit 1 unless allowed.
      expect(notCovered.code).toBe(1)
      expect(notCovered.stdout).toMatch(/^plug@1\.0\.0\s+Hex\s+not-covered/m)
      expect(notCovered.stdout).toMatch(/^fail: 1 dependency not covered/m)
      expect(allowed.code, allowed.stdout).toBe(0)
      const uncoveredReport = json(notCoveredJson)
      expect(uncoveredReport.results.map((r: any) => [r.name, r.status])).toEqual([["plug", "not-covered"], ["lodash", "ok"]])
      expect(uncoveredReport.coverage.map((c: any) => c.ecosystem).sort()).toEqual(snapshotEcosystems.map((e) => e.toLowerCase()).sort())

      // Undetermined: "latest" is no version, so no lodash advisory can be evaluated: counted, with why.
      const expected = yield* manager.matchesWithOptions("npm", "lodash", "latest", {})
      expect(expected.undetermined.length).toBeGreaterThan(0)
      expect(undeterminedJson.code).toBe(1)
      const lodash = json(undeterminedJson).results[0]
      expect(lodash.status).toBe("undetermined")
      expect(lodash.undetermined.count).toBe(expected.undetermined.length)
      expect(lodash.undetermined.advisories.map((u: any) => u.id).sort()).toEqual(expected.undetermined.map((u) => u.id).sort())
      expect(lodash.undetermined.advisories[0].reasons[0]).toContain("latest")
      expect(ignored.code, ignored.stdout).toBe(0)
      expect(ignored.stdout).toMatch(/^lodash@latest\s+npm\s+undetermined\s+\d+/m)

      // The notice: first and last line of the text formats, first and last key of JSON.
      for (const run of [notCovered, table, markdown]) {
        const lines = run.stdout.trimEnd().split("\n")
        expect(lines[0]).toContain(notice)
        expect(lines[lines.length - 1]).toContain(notice)
      }
      const document = json(asJson)
      const keys = Object.keys(document)
      expect(document[keys[0]!]).toContain(notice)
      expect(document[keys[keys.length - 1]!]).toContain(notice)
      expect(document.results.length).toBe(snapshotLockfile().length)

      const log = json(sarif)
      expect(sarifErrors(log)).toEqual([])
      expect(log.runs[0].properties.notice).toContain(notice)
      const findingIds = new Set(document.results.flatMap((r: any) => r.findings.map((f: any) => f.id)))
      expect(new Set(log.runs[0].tool.driver.rules.map((r: any) => r.id))).toEqual(findingIds)
      expect(log.runs[0].results.length).toBe(document.summary.findings)
      for (const result of log.runs[0].results) {
        expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe(document.inputs[0].file)
      }

      const bom = json(cyclonedx)
      expect(yield* Effect.promise(() => cycloneDxErrors(bom))).toBeNull()
      expect(bom.metadata.properties[0].value).toContain(notice)
      expect(bom.components).toHaveLength(snapshotLockfile().length)
      expect(bom.vulnerabilities).toHaveLength(document.summary.findings)

      expect(markdown.stdout).toContain("| dependency | advisory | severity | EPSS | KEV | fixed in | summary |")
      for (const run of [table, asJson, sarif, cyclonedx, markdown]) {
        expect(run.code).toBe(1)
        noStackTrace(run)
      }
    }), 300_000)

  it.effect("in memory: query prints the table's key rows; --kev-only --json keeps only KEV-listed advisories", () =>
    Effect.gen(function*() {
      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const [table, kevOnly] = yield* Effect.all([
        cli(["query", "npm", "jquery", "--version", "3.4.1", "--enriched", "--demo"]),
        cli(["query", "NPM", "jQuery", "--version=3.4.1", "--kev-only", "--json", "--demo"])
      ], { concurrency: 2 })
      expect(table.code).toBe(0)
      const expected = yield* manager.matches("npm", "jquery", "3.4.1")
      expect(expected.length).toBeGreaterThan(0)
      const lines = table.stdout.split("\n")
      expect(lines.find((l) => l.startsWith("id "))).toMatch(/^id\s+aliases\s+severity\s+EPSS\s+KEV\s+affected\s+fixed/)
      expect(table.stdout).toContain(`npm jquery@3.4.1: ${expected.length} advisories affecting this version`)
      for (const advisory of expected) {
        const row = lines.find((l) => l.startsWith(`${advisory.id} `))
        expect(row, advisory.id).toBeDefined()
        const listed = cveIds(advisory).some((c) => kevCves().has(c))
        expect(/\sKEV\s/.test(row!)).toBe(listed)
        expect(row).toContain(Option.getOrThrow(Cvss.advisoryScore(advisory)).severity)
      }
      expect(kevOnly.code).toBe(0)
      const answer = json(kevOnly)
      const listed = expected.filter((a) => cveIds(a).some((c) => kevCves().has(c))).map((a) => a.id)
      expect(answer.findings.map((f: any) => f.id)).toEqual(listed)
      expect(answer.findings.every((f: any) => f.kev === true && f.advisory.id === f.id)).toBe(true)
    }))

  it.effect("sync runs in a child process with V8's old space capped, unless the user chose a limit", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "vulnera-heap-"))
      const log = join(dir, "heap.log")
      // Preloaded into every Node process of the run (NODE_OPTIONS is inherited): records its heap limit.
      const preload = join(dir, "heap.cjs")
      writeFileSync(
        preload,
        `require("node:fs").appendFileSync(${JSON.stringify(log)}, require("node:v8").getHeapStatistics().heap_size_limit + "\\n")`
      )
      const limits = () => readFileSync(log, "utf8").trim().split("\n").map(Number)
      const mb = 1048576
      const capped = yield* cli(["sync", "--demo"], { NODE_OPTIONS: `--require ${preload}` })
      expect(capped.code, capped.stderr).toBe(0)
      expect(capped.stdout).toMatch(/^osv\.npm\s+full\s+succeeded/m)
      const [parent, child] = limits()
      expect(limits()).toHaveLength(2)
      expect(child!).toBeLessThan(300 * mb)
      expect(parent!).toBeGreaterThan(child!)
      rmSync(log)
      const chosen = yield* cli(["sync", "--demo"], { NODE_OPTIONS: `--require ${preload} --max-old-space-size=512` })
      expect(chosen.code, chosen.stderr).toBe(0)
      expect(limits()).toHaveLength(1)
      expect(limits()[0]!).toBeGreaterThan(512 * mb)
      rmSync(log)
      const query = yield* cli(["query", "npm", "jquery", "--demo"], { NODE_OPTIONS: `--require ${preload}` })
      expect(limits()).toHaveLength(1)
      noStackTrace(query)
      rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("Redis: sync --demo --enrichment, then health, query, scan and reset-sync as separate processes", () =>
    Effect.gen(function*() {
      const redis = ["--redis", server.current().url]
      const sync = yield* cli(["sync", "--demo", "--enrichment", ...redis])
      expect(sync.code, sync.stderr).toBe(0)
      const ids = snapshotIds()
      for (const ecosystem of snapshotEcosystems) {
        const row = sync.stdout.split("\n").find((l) => l.startsWith(`osv.${ecosystem.toLowerCase()} `))
        expect(row, ecosystem).toMatch(new RegExp(`^osv\\.\\S+\\s+full\\s+succeeded\\s+${ids.get(ecosystem)!.length}\\s`))
      }
      expect(sync.stdout).toMatch(new RegExp(`^kev\\s+full\\s+succeeded\\s+${snapshotKev().length}\\s`, "m"))
      expect(sync.stdout).toMatch(new RegExp(`^epss\\s+full\\s+succeeded\\s+${snapshotEpss().size}\\s`, "m"))
      expect(sync.stderr).toContain("[sync] osv.npm: started (full")

      const [health, query, scan] = yield* Effect.all([
        cli(["health", "--json", ...redis]),
        cli(["query", "npm", "jquery", "--version", "3.4.1", "--enriched", "--json", ...redis]),
        cli(["scan", lockfilePath, "--json", "--fail-on", "critical", "--ignore-unrated"], { REDIS_URL: server.current().url })
      ], { concurrency: 3 })
      expect(health.code).toBe(0)
      const status = json(health)
      expect(status.store.status).toBe("Healthy")
      expect(status.store.advisoryCount).toBe(new Set(Array.from(ids.values()).flat()).size)
      expect(status.sync.filter((s: any) => s.lastSync !== null).length).toBe(snapshotEcosystems.length + 2)

      const manager = yield* VulnerabilityManager.VulnerabilityManager
      const jquery = yield* manager.query("npm", "jquery")
      expect(json(query).findings.map((f: any) => f.id).sort()).toEqual(npmOracleAffected(jquery, "jquery", "3.4.1"))

      const report = json(scan)
      for (const result of report.results) {
        const all = yield* manager.query("npm", result.name)
        expect(result.findings.map((f: any) => f.id).sort()).toEqual(npmOracleAffected(all, result.name, result.version))
      }
      expect(scan.code).toBe(report.gate.atOrAboveFailOn > 0 ? 1 : 0)

      const reset = yield* cli(["reset-sync", "osv.NPM", ...redis])
      expect(reset.code).toBe(0)
      expect(reset.stdout).toContain("reset 1 sync timestamp for osv.NPM")
      const after = json(yield* cli(["health", "--json", ...redis]))
      const npm = after.sync.find((s: any) => s.unit === "osv.npm")
      expect(npm.lastSync).toBeNull()
      expect(after.sync.find((s: any) => s.unit === "osv.pypi").lastSync).not.toBeNull()
    }))

  it.effect("Redis: ossindex asks a local OSS Index once, then answers from the cache; invalidate-ossindex drops it", () =>
    Effect.gen(function*() {
      const fixture = readFixture("ossindex/ossindex-python_oss-index-response-1-vulnerability.json")
      const ossIndex = yield* makeTestServer({ "POST /api/v3/component-report": { body: fixture } })
      const env = { VULNERA__SOURCES__OSSINDEX_URL: ossIndex.url, REDIS_URL: server.current().url }
      const purl = "pkg:pypi/pip@19.2.0"
      const first = json(yield* cli(["ossindex", purl, "--json"], env))
      const expected = JSON.parse(fixture)[0].vulnerabilities.map((v: any) => v.displayName ?? v.id)
      expect(first).toHaveLength(1)
      expect(first[0].fromCache).toBe(false)
      expect(first[0].findings).toHaveLength(expected.length)
      const second = yield* cli(["ossindex", "pkg:PYPI/pip@19.2.0", "--json"], env)
      expect(second.code).toBe(0)
      expect(json(second)[0].fromCache).toBe(true)
      expect(json(second)[0].findings.map((f: any) => f.id)).toEqual(first[0].findings.map((f: any) => f.id))
      expect(ossIndex.requests).toHaveLength(1)
      const invalidate = yield* cli(["invalidate-ossindex", purl], env)
      expect(invalidate.code).toBe(0)
      expect(invalidate.stdout).toContain("removed 1 cached OSS Index answer")
    }).pipe(Effect.scoped))

  it.effect("npm start runs the demo offline: health, the lockfile report with the KEV-listed jquery finding", () =>
    Effect.gen(function*() {
      const run = yield* spawnRun(process.platform === "win32" ? "npm.cmd" : "npm", ["start"], baseEnv())
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^store: Healthy, \d+ advisories, in memory/m)
      const count = Number(/^store: Healthy, (\d+) advisories/m.exec(run.stdout)![1])
      expect(count).toBe(new Set(Array.from(snapshotIds().values()).flat()).size)
      const jqueryRow = run.stdout.split("\n").find((l) => /^jquery@3\.4\.1\s+GHSA-jpcq-cgw6-v4j6\s/.test(l))
      expect(jqueryRow).toMatch(/\sKEV\s/)
      expect(run.stdout).toContain("known exploited (CISA KEV): GHSA-jpcq-cgw6-v4j6 in jquery@3.4.1")
      const summary = /^(\d+) dependencies checked .*: (\d+) vulnerable, .*; (\d+) findings/m.exec(run.stdout)
      expect(Number(summary![1])).toBe(snapshotLockfile().length)
      expect(Number(summary![3])).toBeGreaterThan(0)
    }))
})

describe("vulnera CLI output", () => {
  // it.live: the waits are real time (it.effect's TestClock would never advance them).
  it.live("a report larger than a pipe's buffer arrives whole when the reader is slow (the exit waits for stdout)", () =>
    Effect.gen(function*() {
      const running = start(["scan", purlsPath, "--demo", "--format", "json"])
      running.child.stdout.pause()
      // Once the report starts to arrive, read nothing for 2 s: a CLI that exits without waiting
      // for stdout loses whatever the pipe has not taken by then (it was cut at 64 KB).
      while (running.child.stdout.readableLength === 0 && running.child.exitCode === null) yield* Effect.sleep("25 millis")
      yield* Effect.sleep("2 seconds")
      running.child.stdout.resume()
      const run = yield* running.done
      expect(run.code, run.stderr).toBe(1)
      expect(run.stdout.length).toBeGreaterThan(65_536)
      expect(json(run).results.length).toBeGreaterThan(0)
    }))
})

const purlsFileLines = () =>
  readText(purlsPath).split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "" && !l.startsWith("#"))

const readText = (path: string) => readFileSync(path, "utf8")

const readFixture = (name: string) => readText(join(repo, "test", "fixtures", name))

const parseAs = (format: Manifest.Format, text: string, file: string) => Manifest.parse(text, file, { format })

describe("scan input formats", () => {
  it.effect("npm lockfile v3: nested and aliased packages; workspace packages and links skipped with a reason", () =>
    Effect.gen(function*() {
      const manifest = yield* parseAs("npm", JSON.stringify({
        name: "app",
        lockfileVersion: 3,
        packages: {
          "": { name: "app", version: "1.0.0" },
          "packages/ui": { name: "ui", version: "0.1.0" },
          "node_modules/ui": { resolved: "packages/ui", link: true },
          "node_modules/lodash": { version: "4.17.20" },
          "node_modules/a/node_modules/lodash": { version: "4.17.11" },
          "node_modules/@babel/runtime": { version: "7.26.0" },
          "node_modules/old-qs": { name: "qs", version: "6.7.0" },
          "node_modules/b/node_modules/lodash": { version: "4.17.20" }
        }
      }), "package-lock.json")
      expect(manifest.dependencies.map((d) => `${d.name}@${d.version}`)).toEqual([
        "lodash@4.17.20",
        "lodash@4.17.11",
        "@babel/runtime@7.26.0",
        "qs@6.7.0"
      ])
      expect(manifest.skipped.map((s) => s.text)).toEqual(["packages/ui", "node_modules/ui"])
    }))

  it.effect("npm lockfile v1: the nested dependencies tree, npm: aliases, git versions skipped", () =>
    Effect.gen(function*() {
      const manifest = yield* parseAs("npm", JSON.stringify({
        lockfileVersion: 1,
        dependencies: {
          a: { version: "1.0.0", dependencies: { minimist: { version: "1.2.5" } } },
          "old-qs": { version: "npm:qs@6.7.0" },
          fork: { version: "git+https://github.com/example/fork.git#0123456789abcdef0123456789abcdef01234567" }
        }
      }), "npm-shrinkwrap.json")
      expect(manifest.dependencies.map((d) => `${d.name}@${d.version}`)).toEqual(["a@1.0.0", "minimist@1.2.5", "qs@6.7.0"])
      expect(manifest.skipped).toHaveLength(1)
      expect(manifest.skipped[0]!.text).toMatch(/^node_modules\/fork: git\+https/)
      const broken = yield* Effect.flip(parseAs("npm", "{ not json", "package-lock.json"))
      expect(broken._tag).toBe("ManifestError")
      expect(broken.line).toBe(1)
    }))

  it.effect("PURL list: comments, subpaths, Go and scoped names; a bad line fails the file naming its line", () =>
    Effect.gen(function*() {
      const manifest = yield* parseAs(
        "purl",
        "# header\n\npkg:npm/%40babel/runtime@7.26.0\npkg:golang/golang.org/x/net@v0.17.0  # trailing\n" +
          "pkg:maven/org.yaml/snakeyaml@1.33\npkg:pypi/requests\npkg:github/o/r@v1#sub/path\n" +
          "git+https://user:s3cret@github.com/madler/zlib.git@v1.3.1\ngit+ssh://git@gitlab.com/g/p@0123abc # pinned commit\n",
        "purls.txt"
      )
      expect(manifest.dependencies.map((d) => `${d.ecosystem} ${d.name}@${d.version}`)).toEqual([
        "npm @babel/runtime@7.26.0",
        "Go golang.org/x/net@v0.17.0",
        "Maven org.yaml:snakeyaml@1.33",
        "GIT https://github.com/o/r@v1",
        "GitHub Actions o/r@v1",
        "GIT https://github.com/madler/zlib.git@v1.3.1",
        "GIT ssh://gitlab.com/g/p@0123abc"
      ])
      expect(manifest.skipped).toEqual([{ line: 6, text: "pkg:pypi/requests", reason: "no version" }])
      const bad = yield* Effect.flip(parseAs("purl", "pkg:npm/a@1\nnot a purl\n", "list.txt"))
      expect(bad.line).toBe(2)
    }))

  it.effect("requirements.txt: == and === pins with extras, markers and hashes; ranges and options skipped", () =>
    Effect.gen(function*() {
      const manifest = yield* parseAs(
        "requirements",
        "# pinned\nDjango==4.2.1\nJinja2[i18n] == 2.11.2 ; python_version >= '3.8'\n" +
          "urllib3===1.26.4 \\\n    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n" +
          "requests>=2.0\n-e git+https://github.com/example/pkg.git#egg=pkg\n",
        "requirements.txt"
      )
      expect(manifest.dependencies.map((d) => `${d.name}@${d.version}`)).toEqual(["Django@4.2.1", "Jinja2@2.11.2", "urllib3@1.26.4"])
      // A -r include is now followed (test/Manifest.test.ts); the others are skipped with their reason.
      expect(manifest.skipped.map((s) => s.reason)).toEqual([
        "an editable install (a local or VCS checkout)",
        "not an exact pin (a range)"
      ])
    }))

  it.effect("Cargo.lock: registry crates only; the workspace's own crates are skipped", () =>
    Effect.gen(function*() {
      const manifest = yield* parseAs(
        "cargo",
        "# This file is automatically @generated by Cargo.\nversion = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n" +
          "dependencies = [\n \"smallvec\",\n]\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n" +
          "source = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"fe0f\"\n\n" +
          "[[package]]\nname = \"ring\"\nversion = \"0.16.20\"\nsource = \"git+https://github.com/briansmith/ring#abc\"\n",
        "Cargo.lock"
      )
      expect(manifest.dependencies).toEqual([{ ecosystem: "crates.io", name: "smallvec", version: "1.6.0", line: 11 }])
      expect(manifest.skipped.map((s) => s.reason)).toEqual(["a local crate (workspace member or path dependency)", "a git dependency"])
    }))

  it.effect("go.sum: modules with their content hash; go.mod-only entries skipped", () =>
    Effect.gen(function*() {
      const manifest = yield* parseAs(
        "gosum",
        "github.com/gin-gonic/gin v1.9.0 h1:OjyFBKICoexlu99ctXNR2gg+c5pKrKMuyjgARg9qeY8=\n" +
          "github.com/gin-gonic/gin v1.9.0/go.mod h1:W1Me9+hsUSyj3CePGrd1/QrKJMSJ1Tu/0hFEH89961k=\n" +
          "golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=\n",
        "go.sum"
      )
      expect(manifest.dependencies.map((d) => `${d.name}@${d.version}`)).toEqual(["github.com/gin-gonic/gin@v1.9.0"])
      expect(manifest.skipped.map((s) => s.text)).toEqual(["golang.org/x/text@v0.3.0"])
      expect(Manifest.formatOfName("/x/go.sum")).toBe("gosum")
      expect(Manifest.formatOfName("requirements-dev.txt")).toBe("requirements")
      expect(Manifest.formatOfContent("{\n  \"lockfileVersion\": 2\n}")).toBe("npm")
    }))
})

describe("vulnera: repository and base-ecosystem queries (a --snapshot of real OSS-Fuzz and AlmaLinux records)", () => {
  /** An OSV-layout snapshot holding the query-kind fixture records, with the bundled KEV/EPSS files. */
  const makeSnapshot = () => {
    const dir = mkdtempSync(join(tmpdir(), "vulnera-cli-kinds-"))
    const byEcosystem = new Map<string, Array<string>>()
    const lines = readFileSync(join(repo, "test", "fixtures", "osv", "repository-and-base.jsonl"), "utf8").split("\n")
    for (const line of lines.filter((l) => l.trim() !== "")) {
      const record = JSON.parse(line) as { affected: Array<{ package: { ecosystem: string } }> }
      const ecosystem = record.affected[0].package.ecosystem.split(":")[0]
      byEcosystem.set(ecosystem, [...(byEcosystem.get(ecosystem) ?? []), line])
    }
    for (const [ecosystem, records] of byEcosystem) {
      mkdirSync(join(dir, "osv", ecosystem), { recursive: true })
      writeZip(join(dir, "osv", ecosystem, "all.zip"), records.map((r, i) => [`${i}.json`, r] as const))
    }
    writeFileSync(join(dir, "osv", "ecosystems.txt"), [...byEcosystem.keys()].join("\n") + "\n")
    symlinkSync(join(repo, "examples", "data", "kev"), join(dir, "kev"), "dir")
    symlinkSync(join(repo, "examples", "data", "epss"), join(dir, "epss"), "dir")
    return dir
  }

  it.live("query GIT <url> --version <tag>, a base ecosystem, and a PURL list with pkg:github and git+ entries", () =>
    Effect.gen(function*() {
      const dir = makeSnapshot()
      const purls = join(dir, "purls.txt")
      writeFileSync(
        purls,
        "pkg:github/hercules-team/augeas@release-1.14.0\ngit+https://user:s3cret@github.com/libarchive/libarchive.git@v3.4.0\n"
      )
      const [git, base, scan] = yield* Effect.all([
        cli(["query", "GIT", "https://github.com/hercules-team/augeas", "--version", "v1.14.0", "--snapshot", dir, "--json"]),
        cli(["query", "AlmaLinux", "wget", "--version", "1.19.5-11.el8", "--snapshot", dir, "--json"]),
        cli(["scan", purls, "--snapshot", dir, "--json"])
      ])
      rmSync(dir, { recursive: true, force: true })
      expect(json(git).findings.map((f: any) => f.id)).toEqual(["OSV-2020-1540"])
      expect(json(base).findings.map((f: any) => f.id).sort()).toEqual(["ALSA-2024:5299", "ALSA-2024:6192"])
      const report = json(scan)
      expect(report.results.flatMap((r: any) => r.findings.map((f: any) => f.id)).sort()).toEqual(["OSV-2020-1540", "OSV-2020-487"])
      expect(scan.stdout + scan.stderr).not.toContain("s3cret")
      for (const run of [git, base, scan]) noStackTrace(run)
    }), 120_000)
})
