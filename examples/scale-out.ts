/**
 * Scale-out configuration, as code: many worker processes (sync jobs, API nodes, CI runners)
 * sharing one Redis 7 / DragonflyDB server, tenants separated by key prefix, TLS and passwords
 * kept secret — and what is not supported.
 *
 *   npx tsx examples/scale-out.ts                                   # prints the configuration, exits 0
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/scale-out.ts  # runs it against that server
 *
 * Each worker reads its configuration from its environment; here every worker gets its own
 * `ConfigProvider`, so one process shows several. The demo data goes under a dedicated prefix
 * (`vulnera-example-scale-out`) and is removed at the end; nothing else on the server is touched.
 */
import { NodeRuntime } from "@effect/platform-node"
import { ConfigProvider, Console, Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { DragonflyStore, StoreConfig, VulnerabilityManager } from "../src/index.js"
import * as Node from "../src/node.js"

/** A worker's environment: exactly the variables its process would be started with. */
type WorkerEnv = Readonly<Record<string, string>>

/** The manager a worker builds from its environment (`layerFromEnv` reads REDIS_URL, VULNERA__*). */
const workerLayer = (env: WorkerEnv) => {
  const data = new URL("./data/", import.meta.url)
  return Node.layerFromEnv({
    osv: { baseUrl: new URL("osv", data).href, ecosystems: ["npm"] },
    ossIndex: false
  }).pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))))
}

/** For printing only: the URL with user and password masked (the library's errors mask them the same way). */
const masked = (url: string) => {
  const parsed = new URL(url)
  if (parsed.username !== "") parsed.username = "REDACTED"
  if (parsed.password !== "") parsed.password = "REDACTED"
  return parsed.toString().replaceAll("REDACTED", "<redacted>")
}

const supportMatrix = `what is supported:
  yes  one Redis 7 or DragonflyDB endpoint shared by any number of workers: same REDIS_URL + same
       VULNERA__STORE__KEY_PREFIX = same data. Writes are idempotent upserts, each advisory written
       atomically with its index entries (one Lua script), so concurrent syncs converge.
  yes  TLS (rediss://), ACL user and password (a Redacted value; masked in every error and log), db number.
  yes  several tenants or environments on one server: one VULNERA__STORE__KEY_PREFIX each.
  yes  replicas for failover: point REDIS_URL at the primary through an endpoint that follows failover
       (a managed service's primary endpoint, a DNS name or VIP). When the failover drops the
       connection, the next call reconnects and resolves the name again. A connection that stays on
       a demoted primary or a replica gets READONLY on writes (retried as transient, then reported)
       and healthCheck reports Degraded; restart the worker or drop the connection server-side.
  no   Redis Cluster (or a multi-node DragonflyDB cluster): an advisory write is one Lua script over its
       data, index and bookkeeping keys, which hash to different slots (the server answers CROSSSLOT),
       and the client is a single-node connection that does not follow MOVED redirects. The key
       prefix cannot carry a {hash tag}. Scale one node up instead (DragonflyDB uses every core).
  no   Sentinel URLs (redis+sentinel://): not parsed; use the primary's endpoint.`

/** Without REDIS_URL: the configuration each worker would use, validated by the library, no connection made. */
const describe = Effect.gen(function*() {
  const exampleUrl = "rediss://vulnera:correct-horse-battery@dragonfly.internal:6380/0"
  yield* Console.log("scale-out configuration (REDIS_URL is not set: nothing is contacted)\n")
  yield* Console.log("every worker process of tenant A is started with:")
  yield* Console.log(`  REDIS_URL=${masked(exampleUrl)}    (rediss:// = TLS)`)
  yield* Console.log("  VULNERA__STORE__KEY_PREFIX=tenant-a")
  yield* Console.log("  VULNERA__STORE__TTL_SECONDS, VULNERA__STORE__OSSINDEX_TTL_SECONDS, VULNERA__STORE__COMPRESSION_LEVEL: the same on every worker")
  yield* Console.log("tenant B's workers use the same REDIS_URL with VULNERA__STORE__KEY_PREFIX=tenant-b.\n")

  yield* Console.log("the same in code:")
  yield* Console.log("  Node.layerFromEnv()                                   // reads the variables above")
  yield* Console.log("  DragonflyStore.layerConfig(Config.map(Config.redacted(\"REDIS_URL\"), (url) => ({ url })))")
  yield* Console.log("  DragonflyStore.layer({ url: Redacted.make(url), tls: { ca } })          // a private CA for rediss://")
  const secret = Redacted.make(exampleUrl)
  yield* Console.log(`  a Redacted URL prints as ${String(secret)} and as ${JSON.stringify(secret)} in JSON\n`)

  yield* Console.log("validated by the library (the connection is opened on first use, so none is made here):")
  for (const tenant of ["tenant-a", "tenant-b"]) {
    const env = { REDIS_URL: exampleUrl, VULNERA__STORE__KEY_PREFIX: tenant }
    const config = yield* StoreConfig.fromEnv().pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )
    yield* Effect.scoped(Layer.build(workerLayer(env)))
    yield* Console.log(
      `  ${tenant}: ${masked(exampleUrl)}, keys ${config.keyPrefix}:*, advisory TTL ${config.ttlSeconds ?? "none"}, ` +
        `OSS Index TTL ${config.ossIndexTtlSeconds} s, zstd level ${config.compressionLevel}`
    )
  }
  const typo = "rediss://vulnera:correct-horse-battery@dragonfly.internal:6380/zero"
  const error = yield* Effect.flip(Effect.scoped(Layer.build(DragonflyStore.layerStandalone().pipe(
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["REDIS_URL", typo]]))))
  ))))
  yield* Console.log(`  a bad URL fails before any connection, password masked:\n    ${error._tag}: ${error.message}\n`)
  yield* Console.log(supportMatrix)
})

/** The demo data's ids (the snapshot's own index), for the clean-up. */
const snapshotNpmIds = () =>
  readFileSync(new URL("./data/osv/npm/modified_id.csv", import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.slice(line.indexOf(",") + 1).trim())

/** With REDIS_URL: several workers against that server. */
const run = (url: string) =>
  Effect.gen(function*() {
    const prefix = "vulnera-example-scale-out"
    const worker = (prefixOf: string) => workerLayer({ REDIS_URL: url, VULNERA__STORE__KEY_PREFIX: prefixOf })
    const onWorker = <A, E>(prefixOf: string, effect: Effect.Effect<A, E, VulnerabilityManager.VulnerabilityManager>) =>
      Effect.provide(effect, worker(prefixOf))
    const manager = VulnerabilityManager.VulnerabilityManager

    yield* Console.log(`scale-out against ${masked(url)} (demo keys under ${prefix}:* and ${prefix}.tenant-b:*)`)
    const health = yield* onWorker(prefix, Effect.flatMap(manager, (m) => m.healthCheck))
    yield* Console.log(
      `health: ${health.store.status}, server ${health.store.serverVersion ?? "?"}, latency ${health.store.latencyMs} ms` +
        (health.store.detail ? ` (${health.store.detail})` : "")
    )
    if (health.store.status === "Unavailable") return yield* Effect.fail(new Error(`cannot reach ${masked(url)}`))

    // Two sync workers (separate connections, as separate processes would have) sync at the same time.
    const [first, second] = yield* Effect.all([
      onWorker(prefix, Effect.flatMap(manager, (m) => m.syncAll())),
      onWorker(prefix, Effect.flatMap(manager, (m) => m.syncAll()))
    ], { concurrency: 2 })
    yield* Console.log(`sync worker 1: ${first.written} written, ${first.failed} failed units`)
    yield* Console.log(`sync worker 2: ${second.written} written, ${second.failed} failed units`)

    // An API worker with the same prefix sees one copy of everything; another tenant sees nothing.
    yield* onWorker(prefix, Effect.gen(function*() {
      const m = yield* manager
      const ids = (yield* m.matches("npm", "jquery", "3.4.1")).map((a) => a.id)
      yield* Console.log(`api worker (${prefix}): ${yield* m.store.advisoryCount} advisories; jquery@3.4.1: ${ids.join(", ")}`)
    }))
    yield* onWorker(`${prefix}.tenant-b`, Effect.gen(function*() {
      const m = yield* manager
      const ids = (yield* m.matches("npm", "jquery", "3.4.1")).map((a) => a.id)
      yield* Console.log(`api worker (${prefix}.tenant-b): ${yield* m.store.advisoryCount} advisories; jquery@3.4.1: ${ids.length} matches`)
    }))

    const removed = yield* onWorker(prefix, Effect.gen(function*() {
      const m = yield* manager
      const gone = yield* Effect.forEach(snapshotNpmIds(), (id) => m.store.removeAdvisory(id), { concurrency: 8 })
      yield* m.resetAllSyncs
      return { advisories: gone.filter(Boolean).length, left: yield* m.store.advisoryCount }
    }))
    yield* Console.log(`cleaned up: ${removed.advisories} demo advisories and the sync timestamps removed, ${removed.left} left under ${prefix}`)
  })

const url = process.env.REDIS_URL?.trim()
const program = url ? run(url) : describe
program.pipe(NodeRuntime.runMain)
