import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import * as KevSource from "../src/KevSource.js"
import * as Retry from "../src/Retry.js"
import { makeTestServer } from "./utils/httpServer.js"
import { joinWithTestClock, realPause } from "./utils/testClock.js"

const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)

const fixturePath = Path.join(import.meta.dirname, "fixtures/kev/known_exploited_vulnerabilities.json")
const fixtureText = Fs.readFileSync(fixturePath, "utf8")
/** The fixture parsed independently of the source, as the oracle for exact values. */
const fixture = JSON.parse(fixtureText) as {
  catalogVersion: string
  dateReleased: string
  count: number
  vulnerabilities: Array<Record<string, unknown>>
}

/** Runs `fetchCatalog` against `url` with a source built from options. */
const fetchFrom = (url: string, options: Omit<KevSource.Options, "url"> = {}) =>
  Effect.flatMap(KevSource.make({ url, ...options }), (source) => source.fetchCatalog)

const json = { "content-type": "application/json" }

describe("KevSource", () => {
  it.scoped("decodes the real catalog: every entry, exact values for sampled CVEs", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /kev.json": { body: fixtureText, headers: json } })
      const catalog = yield* fetchFrom(`${server.url}/kev.json`)
      expect(catalog.catalogVersion).toBe(fixture.catalogVersion)
      expect(catalog.dateReleased).toBe(fixture.dateReleased)
      expect(catalog.count).toBe(fixture.count)
      expect(catalog.malformed).toEqual([])
      expect(catalog.entries.length).toBe(fixture.vulnerabilities.length)
      // Every 97th entry, plus the last one: field-for-field equal to the raw JSON.
      const sample = fixture.vulnerabilities.flatMap((_, i) =>
        i % 97 === 0 || i === fixture.vulnerabilities.length - 1 ? [i] : []
      )
      for (const i of sample) expect(catalog.entries[i]).toEqual(fixture.vulnerabilities[i])
      // The ransomware flag arrives as the two literals, counted exactly as in the fixture.
      const known = fixture.vulnerabilities.filter((v) => v.knownRansomwareCampaignUse === "Known").length
      expect(catalog.entries.filter((e) => e.knownRansomwareCampaignUse === "Known").length).toBe(known)
      expect(server.requests.length).toBe(1)
    }).pipe(Effect.provide(Platform)))

  it.scoped("reports malformed entries (index, reason, id when readable) and keeps the rest", () =>
    Effect.gen(function*() {
      const vulnerabilities = fixture.vulnerabilities.map((v) => ({ ...v }))
      const { cveID: _dropped, ...withoutId } = vulnerabilities[3]!
      vulnerabilities[3] = withoutId
      vulnerabilities[10] = { ...vulnerabilities[10], dateAdded: "2025-02-30" }
      vulnerabilities[20] = { ...vulnerabilities[20], knownRansomwareCampaignUse: "Maybe" }
      const broken = [...vulnerabilities, "not an object"]
      const server = yield* makeTestServer({
        "GET /kev.json": { body: JSON.stringify({ ...fixture, vulnerabilities: broken }), headers: json }
      })
      const catalog = yield* fetchFrom(`${server.url}/kev.json`)
      expect(catalog.malformed.map((m) => [m.index, m.cveID])).toEqual([
        [3, undefined],
        [10, fixture.vulnerabilities[10]!.cveID],
        [20, fixture.vulnerabilities[20]!.cveID],
        [fixture.vulnerabilities.length, undefined]
      ])
      expect(catalog.malformed[0]!.reason).toMatch(/cveID/)
      expect(catalog.malformed[1]!.reason).toMatch(/dateAdded.*YYYY-MM-DD/)
      expect(catalog.malformed[2]!.reason).toMatch(/knownRansomwareCampaignUse/)
      expect(catalog.entries.length).toBe(fixture.vulnerabilities.length - 3)
      expect(catalog.entries.map((e) => e.cveID)).not.toContain(fixture.vulnerabilities[10]!.cveID)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a payload that is not JSON, or not a catalog, is a DecodeError and is not retried", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /truncated.json": { body: fixtureText.slice(0, 5000), headers: json },
        "GET /array.json": { body: "[]", headers: json }
      })
      const notJson = yield* Effect.flip(fetchFrom(`${server.url}/truncated.json`))
      expect(notJson._tag).toBe("DecodeError")
      expect(notJson.message).toMatch(/malformed JSON/)
      const notCatalog = yield* Effect.flip(fetchFrom(`${server.url}/array.json`))
      expect(notCatalog._tag).toBe("DecodeError")
      expect(notCatalog.message).toMatch(/not a KEV catalog/)
      expect(server.requests.length).toBe(2)
    }).pipe(Effect.provide(Platform)))

  it.scoped("500 then success: retried (TestClock drives the backoff)", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /kev.json": [{ status: 500 }, { status: 502 }, { body: fixtureText, headers: json }]
      })
      const fiber = yield* Effect.fork(fetchFrom(`${server.url}/kev.json`))
      const catalog = yield* joinWithTestClock(fiber)
      expect(catalog.entries.length).toBe(fixture.vulnerabilities.length)
      expect(server.requests.length).toBe(3)
    }).pipe(Effect.provide(Platform)))

  it.scoped("persistent 500: gives up after maxRetries with a retryable SourceError", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /kev.json": { status: 500, body: "upstream down" } })
      const fiber = yield* Effect.fork(
        fetchFrom(`${server.url}/kev.json`).pipe(Effect.provide(Retry.layer({ maxRetries: 2 })))
      )
      const error = yield* Effect.flip(joinWithTestClock(fiber))
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.status).toBe(500)
      expect(error.retryable).toBe(true)
      expect(error.source).toBe("KEV")
      expect(server.requests.length).toBe(3)
    }).pipe(Effect.provide(Platform)))

  it.scoped("429 with Retry-After: the retry waits for it", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "GET /kev.json": [{ status: 429, headers: { "retry-after": "20" } }, { body: fixtureText, headers: json }]
      })
      const fiber = yield* Effect.fork(fetchFrom(`${server.url}/kev.json`))
      yield* realPause()
      yield* TestClock.adjust("19 seconds")
      yield* realPause()
      // The plain backoff (500 ms) has long passed: only Retry-After holds the retry back.
      expect(server.requests.length).toBe(1)
      const catalog = yield* joinWithTestClock(fiber, "2 seconds")
      expect(catalog.entries.length).toBe(fixture.vulnerabilities.length)
      expect(server.requests.length).toBe(2)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a hung connection times out (Timeout, retryable) and is retried", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /kev.json": { hang: true } })
      const fiber = yield* Effect.fork(
        fetchFrom(`${server.url}/kev.json`, { timeout: "10 seconds" }).pipe(
          Effect.provide(Retry.layer({ maxRetries: 1 }))
        )
      )
      const error = yield* Effect.flip(joinWithTestClock(fiber, "4 seconds"))
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.reason).toBe("Timeout")
      expect(error.retryable).toBe(true)
      expect(server.requests.length).toBe(2)
    }).pipe(Effect.provide(Platform)))

  it.effect("reads an offline file:// snapshot", () =>
    Effect.gen(function*() {
      const catalog = yield* fetchFrom(pathToFileURL(fixturePath).href)
      expect(catalog.entries.length).toBe(fixture.vulnerabilities.length)
      const missing = yield* Effect.flip(fetchFrom(pathToFileURL(`${fixturePath}.missing`).href))
      expect(missing._tag).toBe("SourceError")
    }).pipe(Effect.provide(Platform)))

  it.scoped("layerConfig reads VULNERA__SOURCES__KEV_URL; a bad URL is a ConfigurationError", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /mirror/kev.json": { body: fixtureText, headers: json } })
      const withEnv = (value: string) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([[KevSource.urlVariable, value]])))
      const catalog = yield* Effect.flatMap(KevSource.KevSource, (s) => s.fetchCatalog).pipe(
        Effect.provide(KevSource.layerConfig()),
        withEnv(`${server.url}/mirror/kev.json`)
      )
      expect(catalog.catalogVersion).toBe(fixture.catalogVersion)
      const error = yield* Effect.flip(
        Effect.flatMap(KevSource.KevSource, (s) => s.fetchCatalog).pipe(
          Effect.provide(KevSource.layerConfig()),
          withEnv("ftp://mirror.example/kev.json")
        )
      )
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain(KevSource.urlVariable)
    }).pipe(Effect.provide(Platform)))
})
