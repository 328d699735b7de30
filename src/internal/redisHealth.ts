/**
 * `healthCheck` for `DragonflyStore`: PING latency, INFO sections and the constant-time counters,
 * turned into a `HealthStatus` (rules in src/HealthStatus.ts). Never fails.
 */
import { Clock, Effect } from "effect"
import { StoreError } from "../Errors.js"
import { HealthStatus } from "../HealthStatus.js"
import type { RedisConnection } from "./redisClient.js"

/** What the health check reads besides INFO. */
export interface HealthKeys {
  readonly ids: string
  readonly sources: string
  readonly meta: (source: string) => string
}

/** `key:value` lines of an INFO reply. */
export const parseInfo = (text: string): ReadonlyMap<string, string> => {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":")
    if (at > 0 && !line.startsWith("#")) fields.set(line.slice(0, at), line.slice(at + 1).trim())
  }
  return fields
}

/** Why a reachable server is not healthy, from its INFO fields (empty: healthy). */
export const degradedReasons = (info: ReadonlyMap<string, string>): Array<string> => {
  const reasons: Array<string> = []
  if (info.get("loading") === "1") reasons.push("dataset still loading")
  const role = info.get("role")
  if ((role === "slave" || role === "replica") && info.get("slave_read_only") !== "0") {
    reasons.push("read-only replica")
  }
  const used = Number(info.get("used_memory"))
  const max = Number(info.get("maxmemory"))
  if (Number.isFinite(used) && Number.isFinite(max) && max > 0 && used > 0.9 * max) {
    reasons.push(`memory ${Math.round((used / max) * 100)}% of maxmemory`)
  }
  // Multi-key Lua writes fail with CROSSSLOT on a cluster: reachable, but writes cannot work.
  if (info.get("cluster_enabled") === "1") reasons.push("cluster mode is enabled (unsupported: writes fail with CROSSSLOT)")
  return reasons
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

/** Parses a stored sync timestamp (RFC 3339, as written by this library or the Rust crate). */
export const parseTimestamp = (text: string): Date | undefined => {
  const trimmed = text.trim()
  if (!rfc3339.test(trimmed)) return undefined
  const date = new Date(trimmed)
  return Number.isNaN(date.getTime()) ? undefined : date
}

const elapsedSince = (start: number) => Math.round((performance.now() - start) * 100) / 100

/** Runs the health check; every failure becomes a status, never an error. */
export const healthCheck = (
  connection: RedisConnection,
  keys: HealthKeys,
  degradedLatencyMillis: number,
  /** Bound on PING and on the INFO round trip (the connect timeout), so a hung server is reported, not waited for. */
  timeoutMillis: number
): Effect.Effect<HealthStatus> =>
  Effect.gen(function*() {
    const operation = "AdvisoryStore.healthCheck"
    const connected = yield* Effect.either(connection.ensureConnected(operation))
    if (connected._tag === "Left") {
      return new HealthStatus({ status: "Unavailable", advisoryCount: 0, latencyMs: 0, detail: connected.left.detail })
    }
    const start = performance.now()
    const timedOut = (what: string) => () =>
      new StoreError({ reason: "Unavailable", operation, detail: `no ${what} answer within ${timeoutMillis} ms`, retryable: true })
    const ping = yield* Effect.either(connection.run(operation, (redis) => redis.ping()).pipe(
      Effect.timeoutFail({ duration: timeoutMillis, onTimeout: timedOut("PING") })
    ))
    const latencyMs = elapsedSince(start)
    if (ping._tag === "Left") {
      return new HealthStatus({ status: "Unavailable", advisoryCount: 0, latencyMs, detail: ping.left.detail })
    }
    const now = yield* Clock.currentTimeMillis
    // Each reply is checked on its own: a failing counter must not hide the INFO fields.
    const replies = yield* Effect.either(connection.run(operation, (redis) =>
      redis.pipeline()
        .info("server").info("persistence").info("replication").info("memory").info("cluster")
        .zcount(keys.ids, `(${now}`, "+inf")
        .smembers(keys.sources)
        .exec()
    ).pipe(Effect.timeoutFail({ duration: timeoutMillis, onTimeout: timedOut("INFO") })))
    if (replies._tag === "Left") {
      return new HealthStatus({ status: "Unavailable", advisoryCount: 0, latencyMs, detail: replies.left.detail })
    }
    const results = replies.right ?? []
    const info = new Map<string, string>()
    for (const [error, text] of results.slice(0, 5)) {
      if (!error && typeof text === "string") for (const [k, v] of parseInfo(text)) info.set(k, v)
    }
    const reasons = degradedReasons(info)
    if (latencyMs > degradedLatencyMillis) reasons.push(`PING took ${latencyMs} ms (> ${degradedLatencyMillis} ms)`)
    const [countError, count] = results[5] ?? [new Error("no reply"), 0]
    if (countError) reasons.push(`advisory count unavailable: ${countError.message}`)
    const [, sources] = results[6] ?? [null, []]
    const { corrupt, lastSync } = yield* latestSync(connection, keys, (sources as Array<string> | undefined) ?? [], timeoutMillis)
    if (corrupt.length > 0) reasons.push(`corrupt sync timestamp at ${corrupt.join(", ")}`)
    const dragonfly = info.get("dragonfly_version")
    const redisVersion = info.get("redis_version")
    return new HealthStatus({
      status: reasons.length === 0 ? "Healthy" : "Degraded",
      advisoryCount: countError ? 0 : Number(count),
      latencyMs,
      ...(lastSync === undefined ? {} : { lastSync: lastSync.toISOString() }),
      ...(dragonfly ? { serverVersion: `dragonfly ${dragonfly}` } : redisVersion ? { serverVersion: redisVersion } : {}),
      ...(reasons.length === 0 ? {} : { detail: reasons.join("; ") })
    })
  }).pipe(Effect.withSpan("AdvisoryStore.healthCheck", { attributes: { store: "dragonfly" } }))

/** The most recent sync timestamp of the listed sources, and the keys whose value is unreadable. */
const latestSync = (
  connection: RedisConnection,
  keys: HealthKeys,
  sources: ReadonlyArray<string>,
  timeoutMillis: number
) => {
  const metaKeys = sources.map(keys.meta)
  return connection.run("AdvisoryStore.healthCheck", (redis) => metaKeys.length === 0 ? Promise.resolve([]) : redis.mget(metaKeys)).pipe(
    Effect.map((values) => {
      let lastSync: Date | undefined
      const corrupt: Array<string> = []
      values.forEach((value, i) => {
        if (value === null) return
        const date = parseTimestamp(value)
        if (date === undefined) corrupt.push(metaKeys[i]!)
        else if (lastSync === undefined || date > lastSync) lastSync = date
      })
      return { lastSync, corrupt }
    }),
    Effect.timeout(timeoutMillis),
    Effect.orElseSucceed(() => ({ lastSync: undefined, corrupt: [] }))
  )
}
