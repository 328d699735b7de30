/**
 * How the `vulnera` command fails, run as a real subprocess against real files, a real local HTTP
 * server and a real redis-server (issue 13): a record the store would reject makes its unit
 * partial (listed, escaped, exit 1) without blocking it; a store that goes away during a sync and
 * stays away exits 3; SIGTERM exits 143 and SIGINT 130; a misspelled ecosystem is a usage error
 * with a "did you mean"; an unreachable store says what failed; credentials and terminal escapes
 * never reach the output.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Advisory } from "../src/Advisory.js"
import { useCli } from "./utils/cli.js"
import { makeTestServer } from "./utils/httpServer.js"
import { loadSampleAdvisories, variant } from "./utils/osvFixtures.js"
import { useRedisServer } from "./utils/redis.js"
import { writeZip } from "./utils/zip.js"

const redis = useRedisServer({ beforeAll, afterAll })
const { cli, noStackTrace, start } = useCli({ beforeAll, afterAll })

const base = loadSampleAdvisories()[0]!
const good: ReadonlyArray<Advisory> = Array.from({ length: 6 }, (_, i) => variant(base, `CLI-GOOD-${i}`, [["npm", `cli-pkg-${i}`]]))
const badId = "GHSA-bad id\u001b[31mRED"

/** An OSV-layout archive of `records` (one JSON file per record, as OSV publishes them). */
const archive = (dir: string, records: ReadonlyArray<Advisory>): string => {
  const path = join(dir, "all.zip")
  writeZip(path, records.map((r, i) => [`record-${i}.json`, JSON.stringify(r)] as const))
  return path
}

/** A snapshot directory (`--snapshot DIR`) holding one npm archive. */
const snapshotWith = (records: ReadonlyArray<Advisory>): string => {
  const dir = mkdtempSync(join(tmpdir(), "vulnera-cli-failures-"))
  mkdirSync(join(dir, "osv", "npm"), { recursive: true })
  writeFileSync(join(dir, "osv", "ecosystems.txt"), "npm\n")
  archive(join(dir, "osv", "npm"), records)
  writeFileSync(join(dir, "osv", "npm", "modified_id.csv"), "")
  return dir
}

let prefixes = 0
const redisEnv = () => ({ REDIS_URL: redis.current().url, VULNERA__STORE__KEY_PREFIX: `clif-${process.pid}-${prefixes++}` })

describe("vulnera: failures", () => {
  it.live("a record the store would reject: the unit is partial, the record listed (escaped), exit 1; the rest is queryable", () =>
    Effect.gen(function*() {
      const dir = snapshotWith([...good.slice(0, 3), { ...good[3]!, id: badId }, ...good.slice(4)])
      const env = redisEnv()
      const sync = yield* cli(["sync", "--snapshot", dir], env)
      noStackTrace(sync)
      expect(sync.code, sync.stderr).toBe(1)
      expect(sync.stdout).toMatch(/osv\.npm\s+full\s+partial\s+6\s+5\s/)
      expect(sync.stdout).toContain("5 written, 1 rejected")
      expect(sync.stdout).toContain("rejected GHSA-bad id\\x1b[31mRED: advisory.id: contains control characters")
      expect(sync.stdout + sync.stderr).not.toContain("\u001b")
      // Not blocked: the good records are there, and the next run is partial again, not failed.
      const query = yield* cli(["query", "npm", "cli-pkg-5", "--json"], env)
      expect(query.code, query.stderr).toBe(0)
      expect(JSON.parse(query.stdout).count).toBe(1)
      rmSync(dir, { recursive: true, force: true })
    }), 120_000)

  it.live("the store goes away in the middle of a sync and stays away: retried, then exit 3 naming the store", () =>
    Effect.gen(function*() {
      const server = redis.current()
      const zipDir = mkdtempSync(join(tmpdir(), "vulnera-cli-zip-"))
      const zip = readFileSync(archive(zipDir, good))
      // The archive is served only once the store is down: every write of the sync meets a dead store.
      const osv = yield* makeTestServer({
        "GET /npm/all.zip": () => Effect.runPromise(Effect.as(server.stop, { body: zip }))
      })
      const run = yield* Effect.ensuring(
        cli(["sync", "--ecosystem", "npm"], { ...redisEnv(), VULNERA__SOURCES__OSV_URL: osv.url }),
        server.start
      )
      rmSync(zipDir, { recursive: true, force: true })
      noStackTrace(run)
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3)
      expect(run.stderr).toContain(`the store at ${server.url} stayed unreachable during the sync (osv.npm)`)
      expect(run.stdout).toMatch(/osv\.npm\s+full\s+failed/)
    }).pipe(Effect.scoped), 120_000)

  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    it.live(`${signal} during a sync exits ${code}`, () =>
      Effect.gen(function*() {
        const osv = yield* makeTestServer({ "GET /npm/all.zip": { hang: true } })
        const running = start(["sync", "--ecosystem", "npm"], { VULNERA__SOURCES__OSV_URL: osv.url })
        yield* running.waitForStderr("syncing upstream sources")
        // The download is in flight (the server saw the request).
        for (let i = 0; i < 400 && osv.requests.length === 0; i++) yield* Effect.sleep("25 millis")
        expect(osv.requests.length).toBe(1)
        running.child.kill(signal)
        const run = yield* running.done
        noStackTrace(run)
        expect(run.code).toBe(code)
      }).pipe(Effect.scoped), 120_000)
  }

  it.live("a misspelled ecosystem is a usage error with a did-you-mean (query), never 0 advisories", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "vulnera-cli-purls-"))
      const purls = join(dir, "purls.txt")
      writeFileSync(purls, "pkg:nmp/lodash@4.17.20\npkg:npm/lodash@4.17.21\n")
      const [run, variantOk, scan] = yield* Effect.all([
        cli(["query", "nmp", "lodash", "--demo"]),
        cli(["query", "Debian:12", "openssl", "--demo", "--json"]),
        cli(["scan", purls, "--demo", "--json"])
      ], { concurrency: 3 })
      rmSync(dir, { recursive: true, force: true })
      noStackTrace(run)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(`unknown ecosystem; did you mean "npm"?`)
      expect(variantOk.code, variantOk.stderr).toBe(0)
      // scan: that dependency is not checked (never "ok"), with the same hint; the command fails.
      expect(scan.code, scan.stderr).toBe(1)
      expect(scan.stdout).toContain(`did you mean \\"npm\\"?`)
    }), 120_000)

  it.live("an unreachable store says what failed: refused, unknown host; credentials in the URL are masked", () =>
    Effect.gen(function*() {
      const port = yield* Effect.async<number>((resume) => {
        const probe = Net.createServer()
        probe.listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as Net.AddressInfo
          probe.close(() => resume(Effect.succeed(port)))
        })
      })
      const [refused, unknown] = yield* Effect.all([
        cli(["health"], { REDIS_URL: `redis://admin:hunter22@127.0.0.1:${port}` }),
        cli(["query", "npm", "lodash"], { REDIS_URL: "redis://no-such-host.invalid:6379" })
      ], { concurrency: 2 })
      expect(refused.code).toBe(3)
      expect(refused.stderr).toContain("connection refused (ECONNREFUSED)")
      expect(refused.stdout + refused.stderr).not.toContain("hunter22")
      expect(refused.stdout + refused.stderr).not.toContain("admin")
      expect(unknown.code).toBe(3)
      expect(unknown.stderr).toMatch(/unknown host \((ENOTFOUND|EAI_AGAIN)\)/)
    }), 120_000)
})
