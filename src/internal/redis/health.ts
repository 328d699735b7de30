/**
 * The Redis driver's health probe: PING latency and INFO sections (rules in src/HealthStatus.ts).
 */
import { Effect } from "effect"
import { StoreError } from "../../Errors.js"
import type { DriverHealth } from "../store/driver.js"
import type { RedisConnection } from "./client.js"

/** `key:value` lines of an INFO reply. */
export const parseInfo = (text: string): ReadonlyMap<string, string> => {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":")
    if (at > 0 && !line.startsWith("#")) fields.set(line.slice(0, at), line.slice(at + 1).trim())
  }
  return fields
}

/**
 * Why the server may drop stored keys on its own, from its INFO fields: a `maxmemory-policy` other
 * than `noeviction` (DragonflyDB: `cache_mode`), or keys already evicted since it started.
 * `undefined` when it never evicts. Eviction loses advisories without any error to the writer.
 */
export const evictionRisk = (info: ReadonlyMap<string, string>): string | undefined => {
  const found: Array<string> = []
  const policy = info.get("maxmemory_policy")
  if (policy !== undefined && policy !== "" && policy !== "noeviction") {
    const max = Number(info.get("maxmemory"))
    found.push(`maxmemory-policy ${policy} lets the server evict keys${max > 0 ? ` (maxmemory ${max} bytes)` : ""}`)
  }
  const cacheMode = info.get("cache_mode")?.toLowerCase()
  if (cacheMode !== undefined && ["1", "true", "yes", "cache"].includes(cacheMode)) {
    found.push("DragonflyDB cache_mode is on: the server evicts keys")
  }
  const evicted = Number(info.get("evicted_keys"))
  if (evicted > 0) found.push(`${evicted} keys were evicted since the server started`)
  return found.length === 0 ? undefined : `${found.join("; ")}: data can be lost without an error (set maxmemory-policy noeviction)`
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
  const eviction = evictionRisk(info)
  if (eviction !== undefined) reasons.push(eviction)
  return reasons
}

const elapsedSince = (start: number) => Math.round((performance.now() - start) * 100) / 100

/** PING latency and INFO fields turned into the driver's health (the core adds count and sync times). Never fails. */
export const probe = (
  connection: RedisConnection,
  degradedLatencyMillis: number,
  /** Bound on PING and on the INFO round trip (the connect timeout), so a hung server is reported, not waited for. */
  timeoutMillis: number
): Effect.Effect<DriverHealth> =>
  Effect.gen(function*() {
    const operation = "AdvisoryStore.healthCheck"
    const connected = yield* Effect.either(connection.ensureConnected(operation))
    if (connected._tag === "Left") return { reachable: false, latencyMs: 0, detail: connected.left.detail } as const
    const start = performance.now()
    const timedOut = (what: string) => () =>
      new StoreError({ reason: "Unavailable", operation, detail: `no ${what} answer within ${timeoutMillis} ms`, retryable: true })
    const ping = yield* Effect.either(connection.run(operation, (redis) => redis.ping()).pipe(
      Effect.timeoutFail({ duration: timeoutMillis, onTimeout: timedOut("PING") })
    ))
    const latencyMs = elapsedSince(start)
    if (ping._tag === "Left") return { reachable: false, latencyMs, detail: ping.left.detail } as const
    const replies = yield* Effect.either(connection.run(operation, (redis) =>
      redis.pipeline().info("server").info("persistence").info("replication").info("memory").info("cluster").info("stats").dbsize().exec()
    ).pipe(Effect.timeoutFail({ duration: timeoutMillis, onTimeout: timedOut("INFO") })))
    if (replies._tag === "Left") return { reachable: false, latencyMs, detail: replies.left.detail } as const
    const info = new Map<string, string>()
    let keyCount: number | undefined
    for (const [error, reply] of replies.right ?? []) {
      if (!error && typeof reply === "string") for (const [k, v] of parseInfo(reply)) info.set(k, v)
      if (!error && typeof reply === "number") keyCount = reply
    }
    const reasons = degradedReasons(info)
    if (latencyMs > degradedLatencyMillis) reasons.push(`PING took ${latencyMs} ms (> ${degradedLatencyMillis} ms)`)
    const dragonfly = info.get("dragonfly_version")
    const redisVersion = info.get("redis_version")
    return {
      reachable: true,
      latencyMs,
      reasons,
      serverVersion: dragonfly ? `dragonfly ${dragonfly}` : redisVersion,
      evictionRisk: evictionRisk(info),
      keyCount
    } as const
  })
