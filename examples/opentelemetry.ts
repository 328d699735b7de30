/**
 * OpenTelemetry: the library's spans and metrics (README, "Metrics and spans") exported through
 * `@effect/opentelemetry` to in-memory exporters, around a real small workload:
 *
 * - a sync of the bundled snapshot's npm and PyPI advisories (examples/data) into the in-memory
 *   store, plus one OSV unit for an ecosystem the snapshot does not have (`Hackage`), which fails
 *   and is counted;
 * - KEV/EPSS enrichment, a version match, an enriched query and a batch query;
 * - an OSS Index lookup of one PURL twice (a cache miss, then a hit) against a local stand-in
 *   server that reports no vulnerabilities;
 * - one store call with an invalid argument, rejected by the store and counted by kind.
 *
 *   npx tsx examples/opentelemetry.ts
 *
 * It prints the exported span names (with their counts) and the library's exported metrics with
 * their data points. In a service, swap the in-memory exporters for OTLP ones (`@opentelemetry/exporter-*`);
 * nothing else changes: the library records through Effect's tracer and metric APIs only.
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import * as Tracer from "@effect/opentelemetry/Tracer"
import { NodeRuntime } from "@effect/platform-node"
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Console, Effect, Layer } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { AdvisoryStore, VulnerabilityManager } from "../src/index.js"
import * as Node from "../src/node.js"

const data = new URL("./data/", import.meta.url)

// The exporters a test (or this program) reads back. A long export interval: the metrics are
// exported once, by `forceFlush` at the end of the workload.
const spanExporter = new InMemorySpanExporter()
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })

/** Effect's tracer and metrics, bridged to the OpenTelemetry SDK (trace-base and metrics only, no Node SDK). */
const TelemetryLive = Layer.mergeAll(
  Tracer.layer.pipe(
    Layer.provide(Layer.effect(
      Tracer.OtelTracerProvider,
      Effect.map(Resource.Resource, (resource) =>
        new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spanExporter)] }))
    ))
  ),
  OtelMetrics.layer(() => metricReader)
).pipe(Layer.provideMerge(Resource.layer({ serviceName: "vulnera-example" })))

/** A stand-in for OSS Index on 127.0.0.1 (closed with the scope): every component has no vulnerabilities. */
const ossIndexStandIn = Effect.acquireRelease(
  Effect.async<Http.Server>((resume) => {
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/api/v3/component-report") return void res.writeHead(404).end()
        const { coordinates } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { coordinates: Array<string> }
        res.writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(coordinates.map((c) => ({ coordinates: c, vulnerabilities: [] }))))
      })
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

/** The workload: everything the metrics count happens at least once. */
const workload = (ossIndexUrl: string) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const sync = yield* manager.syncAll()
    yield* Console.log(
      `sync: ${sync.written} written, ${sync.failed} failed units (${sync.units.filter((u) => u.status === "failed").map((u) => u.unit).join(", ")})`
    )
    const enrichment = yield* manager.syncEnrichment
    yield* Console.log(`enrichment: ${enrichment.written} CVEs written`)
    const matched = yield* manager.matches("npm", "jquery", "3.4.1")
    yield* Console.log(`matches npm/jquery@3.4.1: ${matched.length} advisories`)
    yield* manager.queryEnriched("npm", "jquery")
    yield* manager.queryBatch([{ ecosystem: "npm", name: "lodash" }, { ecosystem: "PyPI", name: "django" }])
    for (const round of [1, 2]) {
      const [answer] = yield* manager.queryOssIndex(["pkg:npm/left-pad@1.3.0"])
      yield* Console.log(`ossindex round ${round}: ${answer?._tag === "Found" ? `fromCache ${answer.fromCache}` : answer?._tag}`)
    }
    const store = yield* AdvisoryStore.AdvisoryStore
    const rejected = yield* Effect.flip(store.getByPackage("", "jquery"))
    yield* Console.log(`store rejected an empty ecosystem: ${rejected._tag}`)
  }).pipe(
    Effect.provide(Node.layerFromEnv({
      redisUrl: "memory",
      osv: { baseUrl: new URL("osv", data).href, ecosystems: ["npm", "PyPI", "Hackage"] },
      kev: { url: new URL("kev/known_exploited_vulnerabilities.json", data).href },
      epss: { bulkUrl: new URL("epss/epss_scores-current.csv.gz", data).href },
      ossIndex: { url: ossIndexUrl }
    }))
  )

const program = Effect.gen(function*() {
  const server = yield* ossIndexStandIn
  const { port } = server.address() as AddressInfo
  yield* workload(`http://127.0.0.1:${port}`)
  yield* Effect.promise(() => metricReader.forceFlush())

  const spans = new Map<string, number>()
  for (const span of spanExporter.getFinishedSpans()) spans.set(span.name, (spans.get(span.name) ?? 0) + 1)
  for (const [name, count] of [...spans].sort(([a], [b]) => a.localeCompare(b))) yield* Console.log(`span ${name} ×${count}`)

  // Effect's own runtime metrics (`effect_fiber_*`) are exported too; the library's start with `vulnera_`.
  const metrics = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .filter((metric) => metric.descriptor.name.startsWith("vulnera_"))
  for (const metric of metrics) {
    for (const point of metric.dataPoints) {
      const value = metric.dataPointType === DataPointType.HISTOGRAM
        ? `count=${(point.value as { count: number }).count}`
        : `value=${point.value as number}`
      yield* Console.log(`metric ${metric.descriptor.name} ${JSON.stringify(point.attributes)} ${value}`)
    }
  }
}).pipe(Effect.scoped, Effect.provide(TelemetryLive))

program.pipe(NodeRuntime.runMain)
