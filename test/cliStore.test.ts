/**
 * Which store the `vulnera` command line uses, run as subprocesses with no server: `vulnera sync`
 * in one process and `vulnera scan` in the next share the default LMDB store in
 * `$XDG_CACHE_HOME/vulnera`; `--store DIR` and `VULNERA__STORE__PATH` choose another directory
 * (an explicit flag beats `REDIS_URL`); `--demo` and `--snapshot` never write into the cache
 * directory; a run whose store ends with it says so at the start.
 *
 * Sources are the bundled snapshot's files through `VULNERA__SOURCES__*` `file://` URLs (no
 * network); the oracle is `npmOracleAffected` over the same records in an in-process manager.
 */
import { afterAll, beforeAll, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { useCli } from "./utils/cli.js"
import { expectOracleFindings, snapshotDir, snapshotOracleLayer, snapshotUrls } from "./utils/snapshot.js"

const { cacheHome, cli, json, noStackTrace } = useCli({ beforeAll, afterAll })

/** The snapshot's files as the upstream sources (what `vulnera sync` without --snapshot reads). */
const sources = {
  VULNERA__SOURCES__OSV_URL: snapshotUrls.osv,
  VULNERA__SOURCES__KEV_URL: snapshotUrls.kev,
  VULNERA__SOURCES__EPSS_BULK_URL: snapshotUrls.epss
}

const lockfilePath = join(snapshotDir, "package-lock.json")

/** A PURL list with a dependency of an ecosystem that is never synced here (PyPI) next to an npm one. */
const mixedPurls = () => {
  const dir = mkdtempSync(join(tmpdir(), "vulnera-clistore-"))
  writeFileSync(join(dir, "purls.txt"), "pkg:pypi/jinja2@2.4.1\npkg:npm/lodash@4.17.21\n")
  return { path: join(dir, "purls.txt"), dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

layer(snapshotOracleLayer(["npm"]), { timeout: 300_000 })("vulnera: the store between processes", (it) => {
  it.effect("default store: sync in one process, scan in the next finds the oracle's advisories; an unsynced ecosystem is not covered", () =>
    Effect.gen(function*() {
      const storeDir = join(cacheHome(), "vulnera")
      const sync = yield* cli(["sync", "--ecosystem", "npm", "--enrichment"], sources)
      noStackTrace(sync)
      expect(sync.code, sync.stderr).toBe(0)
      expect(sync.stderr).toContain(`syncing upstream sources into the LMDB store at ${storeDir}`)
      expect(sync.stdout + sync.stderr).not.toContain("in-memory")
      expect(sync.stdout).toMatch(/^osv\.npm\s+full\s+succeeded\s/m)
      expect(existsSync(join(storeDir, "data.mdb"))).toBe(true)

      // A new process, no sources configured: it answers from the store alone.
      const scan = yield* cli(["scan", lockfilePath, "--json"])
      noStackTrace(scan)
      expect(scan.code, scan.stderr).toBe(1)
      expect(scan.stderr).not.toContain("loaded snapshot")
      const report = json(scan)
      expect(report.notice).toBeUndefined()
      yield* expectOracleFindings(report)
      const jquery = report.results.find((r: any) => r.name === "jquery")
      expect(jquery.findings.some((f: any) => f.kev && f.aliases.includes("CVE-2020-11023"))).toBe(true)

      // PyPI was never synced: "not covered", never "ok"; exit 1 unless --allow-uncovered.
      const purls = mixedPurls()
      const [uncovered, allowed] = yield* Effect.all([
        cli(["scan", purls.path, "--json"]),
        cli(["scan", purls.path, "--allow-uncovered"])
      ], { concurrency: 2 })
      purls.dispose()
      expect(uncovered.code, uncovered.stderr).toBe(1)
      expect(json(uncovered).results.map((r: any) => [r.name, r.status])).toEqual([["jinja2", "not-covered"], ["lodash", "ok"]])
      expect(allowed.code, allowed.stdout).toBe(0)
      expect(allowed.stdout).toMatch(/^jinja2@2\.4\.1\s+PyPI\s+not-covered/m)

      // health names the directory and the map usage.
      const [health, healthJson] = yield* Effect.all([cli(["health"]), cli(["health", "--json"])], { concurrency: 2 })
      expect(health.code, health.stderr).toBe(0)
      expect(health.stdout).toMatch(new RegExp(`^store: Healthy, \\d+ advisories, LMDB at ${storeDir} \\(map \\d+(\\.\\d)?% used\\)`, "m"))
      const status = json(healthJson).store
      expect(status.path).toBe(storeDir)
      expect(status.usage).toBeGreaterThan(0)
      expect(status.usage).toBeLessThan(0.9)
    }))

  it.effect("--store DIR and VULNERA__STORE__PATH choose the directory; --store beats REDIS_URL; --store with --redis is a usage error", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "vulnera-clistore-dir-"))
      const own = join(dir, "store")
      const elsewhere = mkdtempSync(join(tmpdir(), "vulnera-clistore-xdg-"))
      const sync = yield* cli(["sync", "--ecosystem", "npm", "--store", own], { ...sources, XDG_CACHE_HOME: elsewhere })
      expect(sync.code, sync.stderr).toBe(0)
      expect(sync.stderr).toContain(`into the LMDB store at ${own}`)
      const [byEnv, byFlagOverRedis, defaultStore, both] = yield* Effect.all([
        cli(["scan", lockfilePath, "--json"], { VULNERA__STORE__PATH: own, XDG_CACHE_HOME: elsewhere }),
        cli(["scan", lockfilePath, "--json", "--store", own], { REDIS_URL: "redis://127.0.0.1:1", XDG_CACHE_HOME: elsewhere }),
        cli(["scan", lockfilePath], { XDG_CACHE_HOME: elsewhere }),
        cli(["scan", lockfilePath, "--store", own, "--redis", "redis://127.0.0.1:1"])
      ], { concurrency: 2 })
      for (const run of [byEnv, byFlagOverRedis]) {
        expect(run.code, run.stderr).toBe(1)
        yield* expectOracleFindings(json(run))
      }
      // Nothing went into the default store: it is empty, and says what to do.
      expect(defaultStore.code).toBe(2)
      expect(defaultStore.stderr).toContain(`the LMDB store at ${join(elsewhere, "vulnera")} holds no advisories`)
      expect(both.code).toBe(2)
      expect(both.stderr).toContain("use either --redis URL or --store DIR, not both")
      for (const run of [byEnv, byFlagOverRedis, defaultStore, both]) noStackTrace(run)
      rmSync(dir, { recursive: true, force: true })
      rmSync(elsewhere, { recursive: true, force: true })
    }))

  it.effect("--demo and --snapshot never touch the cache directory; a run into the in-memory store says so at the start", () =>
    Effect.gen(function*() {
      const xdg = mkdtempSync(join(tmpdir(), "vulnera-clistore-demo-"))
      const env = { XDG_CACHE_HOME: xdg }
      const [scan, query, sync, snapshot, demo] = yield* Effect.all([
        cli(["scan", lockfilePath, "--demo", "--json"], env),
        cli(["query", "npm", "jquery", "--version", "3.4.1", "--demo"], env),
        cli(["sync", "--demo", "--ecosystem", "npm"], env),
        cli(["sync", "--snapshot", snapshotDir, "--ecosystem", "npm"], env),
        cli(["demo"], env)
      ], { concurrency: 2 })
      expect(scan.code).toBe(1)
      expect(json(scan).notice).toContain("DEMO DATA")
      expect(query.code, query.stderr).toBe(0)
      expect(query.stdout).toContain("the in-memory store")
      for (const run of [sync, snapshot]) {
        expect(run.code, run.stderr).toBe(0)
        const lines = run.stderr.split("\n")
        expect(lines[0]).toMatch(/^syncing snapshot .* into the in-memory store$/)
        expect(lines[1]).toMatch(/^note: this run uses the in-memory store: whatever it syncs is gone when it ends/)
        expect(run.stdout).not.toContain("note:")
      }
      expect(demo.code, demo.stderr).toBe(0)
      expect(demo.stdout).toContain("into the in-memory store")
      expect(existsSync(join(xdg, "vulnera"))).toBe(false)
      rmSync(xdg, { recursive: true, force: true })
    }))
})
