/**
 * Servers for benchmarks: a Redis (`REDIS_URL` used directly, else our own `redis-server` from
 * test/utils/redis.ts), a raw ioredis client for baselines, prefix cleanup, and a static HTTP file
 * server (what a mirror of OSV / FIRST / CISA looks like to the sources).
 */
import { Effect, type Scope } from "effect"
import { Redis } from "ioredis"
import { createReadStream, statSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { join, normalize, sep } from "node:path"
import { makeRedisServer } from "../../test/utils/redis.js"

/** A Redis for a benchmark. */
export interface BenchRedis {
  readonly url: string
  /** `spawned`: our own server (dropped at the end); `external`: `REDIS_URL`. */
  readonly mode: "spawned" | "external"
  /** A raw client for baselines and bookkeeping (closed with the scope). */
  readonly client: Redis
  /** `redis_version` of the server. */
  readonly version: string
}

/**
 * `REDIS_URL` when set (connected directly: the test helper's restartable proxy would add a hop to
 * every command), else our own `redis-server` on a free loopback port.
 */
export const benchRedis: Effect.Effect<BenchRedis, never, Scope.Scope> = Effect.gen(function*() {
  const external = process.env.REDIS_URL?.trim()
  const url = external !== undefined && external !== "" ? external : (yield* makeRedisServer).url
  const client = yield* Effect.acquireRelease(
    Effect.sync(() => new Redis(url, { maxRetriesPerRequest: 1 })),
    (c) => Effect.promise(() => c.quit().catch(() => c.disconnect()))
  )
  const info = yield* Effect.promise(() => client.info("server"))
  return {
    url,
    mode: external !== undefined && external !== "" ? "external" : "spawned",
    client,
    version: /redis_version:(\S+)/.exec(info)?.[1] ?? "?"
  } satisfies BenchRedis
})

/** Escapes Redis glob characters so a prefix matches only itself in SCAN MATCH. */
const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&")

/**
 * Removes every key under `prefix` (SCAN + UNLINK, never KEYS), so benchmarks leave nothing behind
 * on a shared server and later phases do not run against a fuller keyspace.
 */
export const dropPrefix = async (client: Redis, prefix: string): Promise<number> => {
  let cursor = "0"
  let removed = 0
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${escapeGlob(prefix)}*`, "COUNT", 2000)
    cursor = next
    if (keys.length > 0) removed += await client.unlink(...keys)
  } while (cursor !== "0")
  return removed
}

/** Serves the files under `root` over HTTP on a free loopback port (closed with the scope). */
export const serveDirectory = (root: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((req, res) => {
        const relative = decodeURIComponent((req.url ?? "/").split("?")[0]!)
        const path = normalize(join(root, relative))
        let size: number
        try {
          if (!path.startsWith(root + sep)) throw new Error("outside the root")
          const stats = statSync(path)
          if (!stats.isFile()) throw new Error("not a file")
          size = stats.size
        } catch {
          res.writeHead(404).end()
          return
        }
        res.writeHead(200, { "content-length": String(size) })
        createReadStream(path).pipe(res)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))
