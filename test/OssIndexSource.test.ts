import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, Schema, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Advisory } from "../src/Advisory.js"
import * as OssIndexSource from "../src/OssIndexSource.js"
import * as Retry from "../src/Retry.js"
import { makeTestServer, type RecordedRequest, type Reply } from "./utils/httpServer.js"
import { joinWithTestClock, realPause } from "./utils/testClock.js"

const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)

/** The recorded OSS Index responses, parsed independently of the source. */
interface RawVulnerability {
  id: string
  displayName?: string
  title?: string
  description?: string
  cvssScore?: number
  cvssVector?: string
  cwe?: string
  cve?: string
  reference?: string
  externalReferences?: Array<string>
}
interface RawReport {
  coordinates: string
  description?: string
  reference?: string
  vulnerabilities?: Array<RawVulnerability>
}
const fixtureDir = Path.join(import.meta.dirname, "fixtures/ossindex")
const fixture = (name: string) => JSON.parse(Fs.readFileSync(Path.join(fixtureDir, name), "utf8")) as Array<RawReport>
const recorded = new Map<string, RawReport>(
  [
    "dependency-track_vulns-response.json",
    "jake_ossindexresponse.json",
    "jake_ossindexvulnerablesnipresponse.json",
    "ossindex-python_component_pip_18_with_multiple_vulnerabilities.json",
    "ossindex-python_oss-index-response-1-vulnerability.json",
    "ossindex-python_oss-index-response-no-vulnerabilities.json"
  ].flatMap((name) => fixture(name)).map((report) => [report.coordinates, report])
)

/** An OSS Index stand-in: the recorded report per asked coordinate, an empty one for unknown components. */
const reportsFor = (request: RecordedRequest): Reply => {
  const { coordinates } = JSON.parse(request.body) as { coordinates: Array<string> }
  const body = coordinates.map((c) =>
    recorded.get(c) ?? { coordinates: c, reference: `https://ossindex.sonatype.org/component/${c}`, vulnerabilities: [] }
  )
  return { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
}

const reportsFrom = (url: string, coordinates: ReadonlyArray<string>, options: Omit<OssIndexSource.Options, "url"> = {}) =>
  Effect.flatMap(OssIndexSource.make({ url, ...options }), (source) => source.componentReports(coordinates))

const route = "POST /api/v3/component-report"
const generated = (n: number) => Array.from({ length: n }, (_, i) => `pkg:npm/generated-package-${i}@1.0.${i}`)

describe("OssIndexSource.componentReports", () => {
  it.scoped("returns the recorded reports exactly; at most 128 coordinates per request, 2 requests at a time", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let maxInFlight = 0
      const server = yield* makeTestServer({
        [route]: async (request) => {
          inFlight++
          maxInFlight = Math.max(maxInFlight, inFlight)
          await new Promise((resolve) => setTimeout(resolve, 40))
          inFlight--
          return reportsFor(request)
        }
      })
      const asked = [...recorded.keys(), ...generated(300)]
      const result = yield* reportsFrom(server.url, [...asked, asked[0]!])
      expect(result.failures).toEqual([])
      expect(result.malformed).toEqual([])
      expect(result.reports.map((r) => r.coordinates)).toEqual(asked)
      for (const report of result.reports.filter((r) => recorded.has(r.coordinates))) {
        const raw = recorded.get(report.coordinates)!
        expect(report.reference).toBe(raw.reference)
        expect(report.description).toBe(raw.description)
        expect(report.vulnerabilities).toEqual(raw.vulnerabilities ?? [])
      }
      const sent = server.requests.map((r) => (JSON.parse(r.body) as { coordinates: Array<string> }).coordinates)
      expect(sent.map((c) => c.length)).toEqual([128, 128, asked.length - 256])
      expect(sent.flat()).toEqual(asked)
      expect(maxInFlight).toBe(2)
      expect(server.requests[0]!.headers["content-type"]).toMatch(/application\/json/)
      expect(server.requests[0]!.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(Platform)))

  it.scoped("Basic auth when user and token are set; 401 is not retried and never shows the token", () =>
    Effect.gen(function*() {
      const token = "s3cr3t-ossindex-token"
      const server = yield* makeTestServer({
        [route]: (request) =>
          request.headers.authorization === `Basic ${Buffer.from(`me@example.com:${token}`).toString("base64")}`
            ? reportsFor(request)
            : { status: 401, body: "Unauthorized" }
      })
      const ok = yield* reportsFrom(server.url, ["pkg:pypi/pip@18.1"], {
        user: "me@example.com",
        token: Redacted.make(token)
      })
      expect(ok.reports.map((r) => r.vulnerabilities.length)).toEqual([
        recorded.get("pkg:pypi/pip@18.1")!.vulnerabilities!.length
      ])
      server.reset()
      const denied = yield* reportsFrom(server.url, ["pkg:pypi/pip@18.1"], {
        user: "me@example.com",
        token: Redacted.make("wrong-token-value")
      })
      expect(denied.reports).toEqual([])
      expect(denied.failures.length).toBe(1)
      const error = denied.failures[0]!.error
      expect(error._tag).toBe("SourceError")
      if (error._tag !== "SourceError") return
      expect(error.status).toBe(401)
      expect(error.retryable).toBe(false)
      expect(server.requests.length).toBe(1)
      const shown = `${JSON.stringify(error)} ${error.message} ${String(error.cause)}`
      expect(shown).not.toContain("wrong-token-value")
      expect(shown).not.toContain(Buffer.from("me@example.com:wrong-token-value").toString("base64"))
    }).pipe(Effect.provide(Platform)))

  it.scoped("a server echoing the Authorization header in an error body never gets the token or its base64 shown", () =>
    Effect.gen(function*() {
      const user = "me@example.com"
      const token = "echoed-0ssindex-token"
      const basic = Buffer.from(`${user}:${token}`).toString("base64")
      // An error body (401) and a 200 body that is not JSON (V8 quotes it in its parse error).
      const echo = (status: number) => (request: RecordedRequest): Reply => ({
        status,
        body: `denied\u001b[31m for ${request.headers.authorization} (token ${token}, ${basic})`
      })
      for (const status of [401, 200]) {
        const server = yield* makeTestServer({ [route]: echo(status) })
        const result = yield* reportsFrom(server.url, ["pkg:pypi/pip@18.1"], { user, token: Redacted.make(token) })
        expect(server.requests[0]!.headers.authorization).toBe(`Basic ${basic}`)
        expect(result.failures.length).toBe(1)
        const error = result.failures[0]!.error
        const shown = `${JSON.stringify(error)} ${error.message}`
        expect(shown).not.toContain(token)
        expect(shown).not.toContain(basic)
        expect(shown).not.toContain(basic.replace(/=+$/, ""))
        expect(shown).not.toContain("\u001b")
        if (status === 401) expect(error.message).toContain("denied\\x1b[31m for <redacted> (token <redacted>, <redacted>)")
        else expect(error.message).toContain("malformed JSON")
      }
    }).pipe(Effect.provide(Platform)))

  it.scoped("429 with Retry-After is retried after the wait (TestClock)", () =>
    Effect.gen(function*() {
      let calls = 0
      const server = yield* makeTestServer({
        [route]: (request) =>
          ++calls === 1 ? { status: 429, headers: { "retry-after": "15" } } : reportsFor(request)
      })
      const fiber = yield* Effect.fork(reportsFrom(server.url, ["pkg:pypi/pip@19.2.0"]))
      yield* realPause()
      yield* TestClock.adjust("14 seconds")
      yield* realPause()
      expect(server.requests.length).toBe(1)
      const result = yield* joinWithTestClock(fiber, "2 seconds")
      expect(result.reports.map((r) => r.coordinates)).toEqual(["pkg:pypi/pip@19.2.0"])
      expect(server.requests.length).toBe(2)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a request failing with 500 is retried, then given up and reported; the other requests' reports are kept", () =>
    Effect.gen(function*() {
      const poisoned = "pkg:npm/generated-package-200@1.0.200"
      const server = yield* makeTestServer({
        [route]: (request) => request.body.includes(poisoned) ? { status: 500, body: "boom" } : reportsFor(request)
      })
      const asked = generated(300)
      const fiber = yield* Effect.fork(
        reportsFrom(server.url, asked).pipe(Effect.provide(Retry.layer({ maxRetries: 2 })))
      )
      const result = yield* joinWithTestClock(fiber)
      expect(result.failures.length).toBe(1)
      expect(result.failures[0]!.coordinates).toEqual(asked.slice(128, 256))
      const error = result.failures[0]!.error
      expect(error._tag === "SourceError" && error.status === 500 && error.retryable).toBe(true)
      expect(result.reports.map((r) => r.coordinates)).toEqual([...asked.slice(0, 128), ...asked.slice(256)])
      expect(server.requests.length).toBe(2 + 3)
    }).pipe(Effect.provide(Platform)))

  it.scoped("500 then success within one call", () =>
    Effect.gen(function*() {
      let calls = 0
      const server = yield* makeTestServer({
        [route]: (request) => ++calls === 1 ? { status: 503 } : reportsFor(request)
      })
      const fiber = yield* Effect.fork(reportsFrom(server.url, ["pkg:pypi/pip@18.1"]))
      const result = yield* joinWithTestClock(fiber)
      expect(result.failures).toEqual([])
      expect(result.reports.length).toBe(1)
      expect(server.requests.length).toBe(2)
    }).pipe(Effect.provide(Platform)))

  it.scoped("malformed JSON is a DecodeError (not retried); a malformed report is reported, the rest kept", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({
        "POST /broken/api/v3/component-report": { body: "[{\"coordinates\": \"pkg:pypi/pip@18.1\"" },
        [route]: (request) => {
          const reply = reportsFor(request)
          const reports = JSON.parse(reply.body as string) as Array<Record<string, unknown>>
          reports[1] = { ...reports[1], vulnerabilities: "none" }
          return { ...reply, body: JSON.stringify(reports) }
        }
      })
      const broken = yield* reportsFrom(`${server.url}/broken`, ["pkg:pypi/pip@18.1"])
      expect(broken.failures.map((f) => f.error._tag)).toEqual(["DecodeError"])
      expect(server.requests.length).toBe(1)
      const partial = yield* reportsFrom(server.url, ["pkg:pypi/pip@18.1", "pkg:pypi/pip@19.2.0", "pkg:pypi/pip@21.2.4"])
      expect(partial.reports.map((r) => r.coordinates)).toEqual(["pkg:pypi/pip@18.1", "pkg:pypi/pip@21.2.4"])
      expect(partial.malformed.map((m) => m.coordinates)).toEqual(["pkg:pypi/pip@19.2.0"])
      expect(partial.malformed[0]!.reason).toMatch(/vulnerabilities/)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a hung connection times out (Timeout, retryable)", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ [route]: { hang: true } })
      const fiber = yield* Effect.fork(
        reportsFrom(server.url, ["pkg:pypi/pip@18.1"], { timeout: "10 seconds" }).pipe(
          Effect.provide(Retry.layer({ maxRetries: 0 }))
        )
      )
      const result = yield* joinWithTestClock(fiber, "4 seconds")
      const error = result.failures[0]!.error
      expect(error._tag === "SourceError" && error.reason === "Timeout" && error.retryable).toBe(true)
    }).pipe(Effect.provide(Platform)))

  it.scoped("a malformed PURL fails with InvalidInput naming it, before any request", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ [route]: reportsFor })
      const error = yield* Effect.flip(reportsFrom(server.url, ["pkg:pypi/pip@18.1", "not-a-purl"]))
      expect(error._tag).toBe("InvalidInput")
      expect(error.value).toBe("not-a-purl")
      expect(server.requests.length).toBe(0)
    }).pipe(Effect.provide(Platform)))

  it.scoped("layerConfig: URL and credentials from the environment; a user without a token is a ConfigurationError", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ [route]: reportsFor })
      const withEnv = (entries: Record<string, string>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))
      const source = yield* OssIndexSource.OssIndexSource.pipe(
        Effect.provide(OssIndexSource.layerConfig()),
        withEnv({ [OssIndexSource.urlVariable]: server.url, OSSINDEX_USER: "me", OSSINDEX_TOKEN: "tok" })
      )
      expect(source.authenticated).toBe(true)
      const result = yield* source.componentReports(["pkg:pypi/pip@21.2.4"])
      expect(result.reports.length).toBe(1)
      expect(server.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("me:tok").toString("base64")}`)
      const error = yield* Effect.flip(
        OssIndexSource.OssIndexSource.pipe(
          Effect.provide(OssIndexSource.layerConfig()),
          withEnv({ OSSINDEX_USER: "me" })
        )
      )
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain("OSSINDEX_TOKEN")
    }).pipe(Effect.provide(Platform)))
})

describe("OssIndexSource.toAdvisories", () => {
  const decode = Schema.decodeUnknownSync(OssIndexSource.ComponentReport)
  const encodeAdvisory = Schema.encodeSync(Advisory)

  it("maps every recorded vulnerability: CVE id, OSS Index id alias, CVSS, CWE, references, the queried version", () => {
    let checked = 0
    for (const raw of recorded.values()) {
      const advisories = OssIndexSource.toAdvisories(decode(raw))
      const vulnerabilities = raw.vulnerabilities ?? []
      expect(advisories.length).toBe(vulnerabilities.length)
      const version = raw.coordinates.split("@").pop()!
      vulnerabilities.forEach((v, i) => {
        const advisory = advisories[i]!
        const cve = v.cve ?? (v.displayName?.startsWith("CVE-") ? v.displayName : undefined)
        expect(advisory.id).toBe(cve ?? v.id)
        // Every other name OSS Index gives (its id, its displayName) is an alias.
        const others = Array.from(new Set([v.id, v.displayName ?? advisory.id])).filter((n) => n !== advisory.id)
        expect(advisory.aliases).toEqual(others.length > 0 ? others : undefined)
        expect(advisory.summary).toBe(v.title)
        expect(advisory.details).toBe(v.description)
        expect(advisory.severity).toEqual(
          v.cvssVector ? [{ type: v.cvssVector.startsWith("CVSS:3") ? "CVSS_V3" : "CVSS_V2", score: v.cvssVector }] : undefined
        )
        expect(advisory.database_specific).toEqual({
          source: "ossindex",
          ...(v.cvssScore !== undefined ? { cvss_score: v.cvssScore } : {}),
          ...(v.cwe !== undefined ? { cwe_ids: [v.cwe] } : {})
        })
        expect(advisory.references).toEqual([
          ...(v.reference ? [{ type: "ADVISORY", url: v.reference }] : []),
          ...(v.externalReferences ?? []).map((url) => ({ type: "WEB", url }))
        ])
        expect(advisory.affected?.[0]?.versions).toEqual([version])
        // Valid OSV for this library's model, unchanged by a round trip.
        expect(Schema.decodeUnknownSync(Advisory)(encodeAdvisory(advisory))).toEqual(advisory)
        checked++
      })
    }
    expect(checked).toBe([...recorded.values()].reduce((n, r) => n + (r.vulnerabilities?.length ?? 0), 0))
    expect(checked).toBeGreaterThan(10)
  })

  it("names packages as OSV does (Maven group:artifact, conda, PyPI) with a version-less PURL", () => {
    const [jackson] = OssIndexSource.toAdvisories(decode(recorded.get("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.1")!))
    expect(jackson!.affected).toEqual([{
      package: {
        ecosystem: "Maven",
        name: "com.fasterxml.jackson.core:jackson-databind",
        purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind"
      },
      versions: ["2.13.1"]
    }])
    const [pip] = OssIndexSource.toAdvisories(decode(recorded.get("pkg:pypi/pip@18.1")!))
    expect(pip!.affected![0]!.package).toEqual({ ecosystem: "PyPI", name: "pip", purl: "pkg:pypi/pip" })
    const [ncurses] = OssIndexSource.toAdvisories(decode(recorded.get("pkg:conda/ncurses@6.1")!))
    expect(ncurses!.affected![0]!.package).toEqual({ ecosystem: "conda", name: "ncurses", purl: "pkg:conda/ncurses" })
  })

  it("scoped npm names, bare CVE numbers, CVSS v2/v4 vectors, CWE numbers; version ranges kept, never used to filter", () => {
    const report = decode({
      coordinates: "pkg:npm/%40angular/core@1.0.0",
      vulnerabilities: [
        {
          id: "sonatype-2021-0001",
          cve: "2021-1234",
          cvssScore: 7.5,
          cvssVector: "AV:N/AC:L/Au:N/C:P/I:P/A:P",
          cwe: "79",
          versionRanges: ["[2.0.0,3.0.0)"]
        },
        { id: "sonatype-2024-0002", cvssVector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" }
      ]
    })
    const [first, second] = OssIndexSource.toAdvisories(report)
    expect(first!.id).toBe("CVE-2021-1234")
    expect(first!.aliases).toEqual(["sonatype-2021-0001"])
    expect(first!.severity).toEqual([{ type: "CVSS_V2", score: "AV:N/AC:L/Au:N/C:P/I:P/A:P" }])
    expect(first!.database_specific).toEqual({ source: "ossindex", cvss_score: 7.5, cwe_ids: ["CWE-79"] })
    // The range excludes 1.0.0, yet OSS Index answered for 1.0.0: the finding stays, the range is kept as sent.
    expect(first!.affected).toEqual([{
      package: { ecosystem: "npm", name: "@angular/core", purl: "pkg:npm/%40angular/core" },
      versions: ["1.0.0"],
      database_specific: { version_ranges: ["[2.0.0,3.0.0)"] }
    }])
    expect(second!.id).toBe("sonatype-2024-0002")
    expect(second!.aliases).toBeUndefined()
    expect(second!.severity![0]!.type).toBe("CVSS_V4")
  })
})
