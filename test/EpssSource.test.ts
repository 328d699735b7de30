import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import * as Zlib from "node:zlib"
import * as EpssSource from "../src/EpssSource.js"
import * as Retry from "../src/Retry.js"
import { makeTestServer, type RecordedRequest } from "./utils/httpServer.js"
import { joinWithTestClock } from "./utils/testClock.js"

const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)

const fixturePath = Path.join(import.meta.dirname, "fixtures/epss/epss_scores_subset.csv")
const fixtureText = Fs.readFileSync(fixturePath, "utf8")
const fixtureLines = fixtureText.split("\n").filter((line) => line.length > 0)
/** The fixture read independently of the source: comment, header, then `cve,epss,percentile` rows. */
const fixtureRows = fixtureLines.slice(2).map((line) => line.split(","))
const oracle = new Map(fixtureRows.map(([cve, epss, percentile]) => [cve!, { epss: epss!, percentile: percentile! }]))
const gzip = (text: string) => new Uint8Array(Zlib.gzipSync(Buffer.from(text)))
const fixtureGz = gzip(fixtureText)

const bulkFrom = (bulkUrl: string, options: Omit<EpssSource.Options, "bulkUrl"> = {}) =>
  Effect.flatMap(EpssSource.make({ bulkUrl, ...options }), (source) => Stream.runCollect(source.bulk)).pipe(
    Effect.map(Chunk.toReadonlyArray)
  )

const scoresOf = (items: ReadonlyArray<EpssSource.BulkItem>) => items.filter(EpssSource.BulkItem.$is("Score"))

/** Checks the streamed scores against the fixture: same rows, same order, exact values. */
const expectAllFixtureScores = (items: ReadonlyArray<EpssSource.BulkItem>) => {
  const scores = scoresOf(items)
  expect(scores.map((s) => s.cve)).toEqual(fixtureRows.map(([cve]) => cve))
  for (let i = 0; i < fixtureRows.length; i += 47) {
    const [cve, epss, percentile] = fixtureRows[i]!
    expect(scores[i]).toEqual({ _tag: "Score", cve, epss: Number(epss), percentile: Number(percentile) })
  }
}

describe("EpssSource.bulk", () => {
  it.scoped("streams the gzip file: metadata first, every row with exact values", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /epss.csv.gz": { body: fixtureGz } })
      const items = yield* bulkFrom(`${server.url}/epss.csv.gz`)
      expect(items[0]).toEqual({
        _tag: "Metadata",
        modelVersion: Option.some("v2025.03.14"),
        scoreDate: Option.some("2026-08-16T12:55:00Z")
      })
      expect(items.filter((i) => i._tag === "Metadata").length).toBe(1)
      expect(items.filter((i) => i._tag === "Malformed")).toEqual([])
      expectAllFixtureScores(items)
    }).pipe(Effect.provide(Platform)))

  it.scoped("reports malformed rows with line numbers and keeps the rest; no comment line = no metadata", () =>
    Effect.gen(function*() {
      // The shared CSV has no comment line; the real daily file has one. Bad rows are spliced in.
      const body = [
        "cve,epss,percentile",
        ...fixtureLines.slice(2, 12),
        "CVE-2024-0001,0.5", // line 12
        "not-a-cve,0.1,0.2", // line 13
        "CVE-2024-0002,abc,0.2", // line 14
        "", // blank: not a record
        "CVE-2024-0003,0.1,1.5", // line 16
        ...fixtureLines.slice(12)
      ].join("\n")
      const server = yield* makeTestServer({ "GET /epss.csv.gz": { body: gzip(body) } })
      const items = yield* bulkFrom(`${server.url}/epss.csv.gz`)
      expect(items[0]).toEqual({ _tag: "Metadata", modelVersion: Option.none(), scoreDate: Option.none() })
      const malformed = items.filter(EpssSource.BulkItem.$is("Malformed"))
      expect(malformed.map((m) => m.line)).toEqual([12, 13, 14, 16])
      expect(malformed[0]!.reason).toMatch(/expected 3 fields, got 2/)
      expect(malformed[1]!.reason).toMatch(/not a CVE id/)
      expect(malformed[2]!.reason).toMatch(/epss/)
      expect(malformed[3]!.reason).toMatch(/percentile/)
      expect(malformed[1]!.text).toBe("not-a-cve,0.1,0.2")
      expectAllFixtureScores(items)
    }).pipe(Effect.provide(Platform)))

  it.scoped("not gzip, or not an EPSS file: DecodeError, not retried", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /plain.csv": { body: fixtureText },
        "GET /other.csv.gz": { body: gzip("id,score\nx,1\n") },
        "GET /empty.csv.gz": { body: gzip("") }
      })
      for (const path of ["/plain.csv", "/other.csv.gz", "/empty.csv.gz"]) {
        const error = yield* Effect.flip(bulkFrom(`${server.url}${path}`))
        expect(error._tag).toBe("DecodeError")
      }
      expect(server.requests.length).toBe(3)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a broken download (cut connection, truncated gzip) is retried and resumes without repeating rows", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /epss.csv.gz": [
          // The connection drops part-way through the body.
          { body: fixtureGz, truncate: Math.floor(fixtureGz.length / 3) },
          // A complete response whose gzip is cut (a partially written upstream file).
          { body: fixtureGz.subarray(0, Math.floor((fixtureGz.length * 2) / 3)) },
          { body: fixtureGz }
        ]
      })
      const fiber = yield* Effect.fork(bulkFrom(`${server.url}/epss.csv.gz`))
      const items = yield* joinWithTestClock(fiber)
      expect(server.requests.length).toBe(3)
      expect(items.filter((i) => i._tag === "Metadata").length).toBe(1)
      expectAllFixtureScores(items)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a download that keeps breaking gives up with a retryable SourceError", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /epss.csv.gz": { body: fixtureGz.subarray(0, Math.floor(fixtureGz.length / 2)) }
      })
      const fiber = yield* Effect.fork(
        bulkFrom(`${server.url}/epss.csv.gz`).pipe(Effect.provide(Retry.layer({ maxRetries: 2 })))
      )
      const error = yield* Effect.flip(joinWithTestClock(fiber))
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.retryable).toBe(true)
      expect(error.detail).toMatch(/truncated/)
      expect(server.requests.length).toBe(3)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a retry that finds a different file fails instead of mixing two files", () =>
    Effect.gen(function*() {
      const newer = gzip(fixtureText.replace("score_date:2026-08-16", "score_date:2026-08-17"))
      const server = yield* makeTestServer({
        "GET /epss.csv.gz": [{ body: fixtureGz.subarray(0, Math.floor(fixtureGz.length / 2)) }, { body: newer }]
      })
      const fiber = yield* Effect.fork(bulkFrom(`${server.url}/epss.csv.gz`))
      const error = yield* Effect.flip(joinWithTestClock(fiber))
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.retryable).toBe(false)
      expect(error.detail).toMatch(/changed/)
      expect(server.requests.length).toBe(2)
    }).pipe(Effect.provide(Platform)))

  it.scoped("500 then success; a hung server times out", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /epss.csv.gz": [{ status: 500 }, { body: fixtureGz }],
        "GET /hang.csv.gz": { hang: true }
      })
      const fiber = yield* Effect.fork(bulkFrom(`${server.url}/epss.csv.gz`))
      expectAllFixtureScores(yield* joinWithTestClock(fiber))
      expect(server.requests.length).toBe(2)

      const hung = yield* Effect.fork(
        bulkFrom(`${server.url}/hang.csv.gz`, { timeout: "10 seconds" }).pipe(
          Effect.provide(Retry.layer({ maxRetries: 0 }))
        )
      )
      const error = yield* Effect.flip(joinWithTestClock(hung, "3 seconds"))
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.reason).toBe("Timeout")
      expect(error.retryable).toBe(true)
    }).pipe(Effect.provide(Platform)))

  it.scoped("reads a file:// snapshot; a truncated local file is not retried", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "vulnera-epss-test-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      Fs.writeFileSync(Path.join(dir, "full.csv.gz"), fixtureGz)
      Fs.writeFileSync(Path.join(dir, "cut.csv.gz"), fixtureGz.subarray(0, 5000))
      expectAllFixtureScores(yield* bulkFrom(pathToFileURL(Path.join(dir, "full.csv.gz")).href))
      const error = yield* Effect.flip(bulkFrom(pathToFileURL(Path.join(dir, "cut.csv.gz")).href))
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.reason).toBe("Io")
      expect(error.retryable).toBe(false)
    }).pipe(Effect.provide(Platform)))
})

/** A FIRST API stand-in over the fixture: answers `cve=...` with at most `pageCap` rows per page. */
const apiHandler = (pageCap: number, fail?: (cves: ReadonlyArray<string>) => boolean) => (request: RecordedRequest) => {
  const params = new URL(request.url, "http://localhost").searchParams
  const cves = (params.get("cve") ?? "").split(",")
  if (fail?.(cves)) return { status: 500, body: "boom" }
  const limit = Number(params.get("limit") ?? "100")
  const offset = Number(params.get("offset") ?? "0")
  const rows = cves.flatMap((cve) => {
    const score = oracle.get(cve)
    return score ? [{ cve, epss: score.epss, percentile: score.percentile, date: "2026-08-16" }] : []
  })
  const page = rows.slice(offset, offset + Math.min(limit, pageCap))
  return {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      status: "OK",
      "status-code": 200,
      version: "1.0",
      access: "public",
      total: rows.length,
      offset,
      limit,
      data: page
    })
  }
}

describe("EpssSource.scores (API)", () => {
  const known = fixtureRows.slice(0, 260).map(([cve]) => cve!)
  const unknown = Array.from({ length: 40 }, (_, i) => `CVE-2099-${String(100000 + i)}`)

  it.scoped("chunks requests within 2,000 characters, follows pagination, returns exact scores", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /data/v1/epss": apiHandler(30) })
      const requested = [...known, ...unknown, known[0]!.toLowerCase()]
      for (const maxCvesPerRequest of [100, 1000]) {
        server.reset()
        const source = yield* EpssSource.make({ apiUrl: server.url, maxCvesPerRequest })
        const result = yield* source.scores(requested)
        expect(result.failures).toEqual([])
        expect(result.malformed).toEqual([])
        expect([...result.missing].sort()).toEqual([...unknown].sort())
        expect(result.scores.length).toBe(known.length)
        for (const score of result.scores) {
          const expected = oracle.get(score.cve)!
          expect(score).toEqual({
            cve: score.cve,
            epss: Number(expected.epss),
            percentile: Number(expected.percentile),
            date: "2026-08-16"
          })
        }
        // What went over the wire: each `cve=` within the limit, `limit` >= group size, pages followed.
        const sent = server.requests.map((r) => new URL(r.url, "http://localhost").searchParams)
        const rawValues = server.requests.map((r) => /[?&]cve=([^&]*)/.exec(r.url)![1]!)
        for (const raw of rawValues) expect(raw.length).toBeLessThanOrEqual(EpssSource.maxCveParamLength)
        const groups = new Map<string, Array<number>>()
        for (const params of sent) {
          const cves = params.get("cve")!.split(",")
          expect(cves.length).toBeLessThanOrEqual(maxCvesPerRequest)
          expect(Number(params.get("limit"))).toBeGreaterThanOrEqual(cves.length)
          groups.set(params.get("cve")!, [...(groups.get(params.get("cve")!) ?? []), Number(params.get("offset"))])
        }
        // Every id was asked for exactly once (duplicates and case folded), in groups of consecutive pages.
        const asked = [...groups.keys()].flatMap((g) => g.split(","))
        expect(asked.length).toBe(known.length + unknown.length)
        expect(new Set(asked)).toEqual(new Set([...known, ...unknown]))
        for (const [group, offsets] of groups) {
          const found = group.split(",").filter((cve) => oracle.has(cve)).length
          const expectedOffsets = Array.from({ length: Math.max(1, Math.ceil(found / 30)) }, (_, i) => i * 30)
          expect(offsets).toEqual(expectedOffsets)
        }
        if (maxCvesPerRequest === 1000) {
          // Only the character limit bounds the groups now: more than 100 ids per request.
          expect(Math.max(...[...groups.keys()].map((g) => g.split(",").length))).toBeGreaterThan(100)
        }
      }
    }).pipe(Effect.provide(Platform)))

  it.scoped("an invalid CVE id fails with InvalidInput before any request", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /data/v1/epss": apiHandler(100) })
      const source = yield* EpssSource.make({ apiUrl: server.url })
      const error = yield* Effect.flip(source.scores(["CVE-2021-44228", "GHSA-xxxx-yyyy-zzzz"]))
      expect(error._tag).toBe("InvalidInput")
      expect(error.value).toBe("GHSA-xxxx-yyyy-zzzz")
      expect(server.requests.length).toBe(0)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a request that keeps failing is reported with its CVEs; the other requests' scores are kept", () =>
    Effect.gen(function*() {
      const poisoned = known[150]!
      const server = yield* makeTestServer({
        "GET /data/v1/epss": apiHandler(100, (cves) => cves.includes(poisoned))
      })
      const source = yield* EpssSource.make({ apiUrl: server.url })
      const fiber = yield* Effect.fork(source.scores(known).pipe(Effect.provide(Retry.layer({ maxRetries: 1 }))))
      const result = yield* joinWithTestClock(fiber)
      expect(result.failures.length).toBe(1)
      const failure = result.failures[0]!
      expect(failure.cves).toContain(poisoned)
      expect(failure.error._tag).toBe("SourceError")
      if (failure.error._tag === "SourceError") {
        expect(failure.error.status).toBe(500)
        expect(failure.error.retryable).toBe(true)
      }
      const failed = new Set(failure.cves)
      expect(new Set(result.scores.map((s) => s.cve))).toEqual(new Set(known.filter((cve) => !failed.has(cve))))
      // 3 groups; the failing one was sent twice (one retry).
      expect(server.requests.length).toBe(4)
    }).pipe(Effect.provide(Platform)))

  it.scoped("malformed rows are reported; numeric values are accepted; a non-API body is a DecodeError", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /data/v1/epss": {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            status: "OK",
            total: 3,
            offset: 0,
            limit: 100,
            data: [
              { cve: "CVE-2021-44228", epss: 0.94358, percentile: "0.99982", date: "2026-08-16" },
              { cve: "CVE-2014-0160", epss: "n/a", percentile: "0.5", date: "2026-08-16" },
              { cve: "CVE-2017-5638", epss: "0.9", percentile: "0.99", date: "16/08/2026" }
            ]
          })
        },
        "GET /broken/data/v1/epss": { body: "<html>maintenance</html>" }
      })
      const source = yield* EpssSource.make({ apiUrl: server.url })
      const result = yield* source.scores(["CVE-2021-44228", "CVE-2014-0160", "CVE-2017-5638"])
      expect(result.scores).toEqual([{ cve: "CVE-2021-44228", epss: 0.94358, percentile: 0.99982, date: "2026-08-16" }])
      expect(result.malformed.map((m) => m.cve)).toEqual(["CVE-2014-0160", "CVE-2017-5638"])
      expect(result.missing).toEqual([])
      const broken = yield* EpssSource.make({ apiUrl: `${server.url}/broken` })
      const outcome = yield* broken.scores(["CVE-2021-44228"])
      expect(outcome.failures[0]!.error._tag).toBe("DecodeError")
    }).pipe(Effect.provide(Platform)))

  it("chunkCves keeps every group within both limits and loses nothing", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `CVE-2024-${String(1000 + i * 7919).padStart(4, "0")}`)
    const groups = EpssSource.chunkCves(ids, 1000)
    expect(groups.flat()).toEqual(ids)
    for (const group of groups) expect(encodeURIComponent(group.join(",")).length).toBeLessThanOrEqual(2000)
    expect(EpssSource.chunkCves(ids, 50).every((g) => g.length <= 50)).toBe(true)
  })
})
