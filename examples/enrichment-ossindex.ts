/**
 * Enrichment (CISA KEV + FIRST EPSS) and the OSS Index cache, end to end over HTTP — against a
 * local server this program starts (127.0.0.1, a free port), so it runs without network access:
 *
 * - `GET /kev/known_exploited_vulnerabilities.json` and `GET /epss/epss_scores-current.csv.gz`
 *   serve the bundled snapshot's KEV subset and EPSS subset (examples/data);
 * - `POST /api/v3/component-report` answers like OSS Index, from real recorded OSS Index responses
 *   (test/fixtures/ossindex, attributed in test/fixtures/README.md); it counts the requests.
 *
 *   npx tsx examples/enrichment-ossindex.ts
 *
 * The store is in memory here so every run starts from an empty OSS Index cache; with
 * `redisUrl` left out, `layerFromEnv` would use `REDIS_URL` like everything else.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Purl, VulnerabilityManager } from "../src/index.js"
import * as Node from "../src/node.js"

const data = new URL("./data/", import.meta.url)
const recordings = new URL("../test/fixtures/ossindex/", import.meta.url)

/** Recorded OSS Index answers, by canonical PURL. */
const recorded = new Map<string, unknown>()
for (
  const file of [
    "dependency-track_vulns-response.json", // jackson-databind 2.13.1: one vulnerability
    "ossindex-python_component_pip_18_with_multiple_vulnerabilities.json", // pip 18.1: several
    "ossindex-python_oss-index-response-no-vulnerabilities.json" // pip 21.2.4: none
  ]
) {
  for (const report of JSON.parse(readFileSync(new URL(file, recordings), "utf8")) as Array<{ coordinates: string }>) {
    recorded.set(Effect.runSync(Purl.normalize(report.coordinates)), report)
  }
}

/** What the local "upstream" saw. */
interface Upstream {
  readonly url: string
  readonly requests: Array<{ readonly method: string; readonly path: string; readonly coordinates?: ReadonlyArray<string> }>
}

const ossIndexRequests = (upstream: Upstream) => upstream.requests.filter((r) => r.path === "/api/v3/component-report")

/** The local server for the program's lifetime (closed when the scope closes). */
const startUpstream = Effect.acquireRelease(
  Effect.async<{ readonly server: Http.Server; readonly upstream: Upstream }>((resume) => {
    const requests: Upstream["requests"] = []
    const files: Record<string, { readonly path: string; readonly type: string }> = {
      "/kev/known_exploited_vulnerabilities.json": { path: "kev/known_exploited_vulnerabilities.json", type: "application/json" },
      "/epss/epss_scores-current.csv.gz": { path: "epss/epss_scores-current.csv.gz", type: "application/gzip" }
    }
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const path = (req.url ?? "/").split("?")[0]!
        const file = files[path]
        if (req.method === "GET" && file !== undefined) {
          requests.push({ method: "GET", path })
          res.writeHead(200, { "content-type": file.type }).end(readFileSync(new URL(file.path, data)))
        } else if (req.method === "POST" && path === "/api/v3/component-report") {
          const { coordinates } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { coordinates: Array<string> }
          requests.push({ method: "POST", path, coordinates })
          // Like OSS Index: one report per coordinate, an empty list for a component it knows nothing bad about.
          const reports = coordinates.map((c) =>
            recorded.get(Effect.runSync(Purl.normalize(c))) ?? { coordinates: c, vulnerabilities: [] }
          )
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reports))
        } else {
          res.writeHead(404).end()
        }
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ server, upstream: { url: `http://127.0.0.1:${port}`, requests } }))
    })
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map(({ upstream }) => upstream))

const purls = [
  "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.1",
  "pkg:pypi/pip@18.1",
  "pkg:pypi/pip@21.2.4"
]

const queryOssIndex = (upstream: Upstream, label: string) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const results = yield* manager.queryOssIndex(purls)
    for (const result of results) {
      if (result._tag === "Found") {
        const ids = result.advisories.map((a) => a.id).join(", ") || "no vulnerabilities"
        yield* Console.log(`${label}: ${result.purl} fromCache: ${result.fromCache} -> ${ids}`)
      } else {
        yield* Console.log(`${label}: ${result.purl} ${result._tag}: ${result.error.message}`)
      }
    }
    yield* Console.log(`${label}: OSS Index requests seen by the server so far: ${ossIndexRequests(upstream).length}`)
  })

const program = Effect.gen(function*() {
  const upstream = yield* startUpstream
  yield* Console.log(`local upstream: ${upstream.url}`)

  const ManagerLive = Node.layerFromEnv({
    redisUrl: "memory",
    osv: { baseUrl: new URL("osv", data).href, ecosystems: ["npm"] },
    kev: { url: `${upstream.url}/kev/known_exploited_vulnerabilities.json` },
    epss: { bulkUrl: `${upstream.url}/epss/epss_scores-current.csv.gz` },
    ossIndex: { url: upstream.url }
  })

  yield* Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const sync = yield* manager.syncAll()
    yield* Console.log(`OSV npm (file:// snapshot): ${sync.written} advisories`)

    // Enrichment: KEV catalog + EPSS bulk file over HTTP, merged per CVE into the store.
    const enrichment = yield* manager.syncEnrichment
    yield* Console.log(
      `syncEnrichment: KEV ${enrichment.kev.status} (${enrichment.kev.entries} entries, catalog ${enrichment.kev.catalogVersion}), ` +
        `EPSS ${enrichment.epss.status} (${enrichment.epss.scores} scores of ${enrichment.epss.scoreDate}), ` +
        `${enrichment.written} CVEs written; requests: ${upstream.requests.map((r) => `${r.method} ${r.path}`).join(", ")}`
    )

    // A KEV-listed CVE's advisory, enriched at query time from the store (no network call).
    const advisory = (yield* manager.queryEnriched("npm", "jquery")).find((a) => a.id === "GHSA-jpcq-cgw6-v4j6")
    yield* Console.log(`isKev(CVE-2020-11023): ${yield* manager.isKev("CVE-2020-11023")}`)
    yield* Console.log(`${advisory?.id} (${advisory?.aliases?.join(", ")}) enrichment: ${JSON.stringify(advisory?.enrichment)}`)

    // OSS Index: the first query goes upstream (one request for all three), the second is served from the cache.
    yield* queryOssIndex(upstream, "query 1")
    yield* queryOssIndex(upstream, "query 2")

    // Invalidation: the next query refetches exactly what was invalidated.
    const removed = yield* manager.invalidateOssIndexCache([purls[0]!])
    yield* Console.log(`invalidateOssIndexCache(${purls[0]}): ${removed} entry removed`)
    yield* queryOssIndex(upstream, "query 3")
    const last = ossIndexRequests(upstream).at(-1)
    yield* Console.log(`query 3: the new request carried ${JSON.stringify(last?.coordinates)}`)
  }).pipe(Effect.provide(ManagerLive))
})

program.pipe(Effect.scoped, NodeRuntime.runMain)
