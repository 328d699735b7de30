/**
 * A real Redis for tests and benchmarks.
 *
 * - Default: starts `redis-server` (the Debian package, or `REDIS_SERVER_BIN`) on a free loopback
 *   port with `--save '' --appendonly no` in a temporary directory, waits until it answers PING and
 *   stops it (and removes the directory) when the scope closes. `stop` / `start` kill and restart it
 *   on the same port, for "server went away mid-operation" tests.
 * - With `REDIS_URL` set: uses that server, reached through a local TCP proxy so that `stop` /
 *   `start` can still cut and restore connectivity (the external server itself is never touched).
 *
 * A missing `redis-server` fails loudly (never skips). Under `CI=true` the message says the CI
 * image is broken; locally it says how to install one or set `REDIS_URL`.
 *
 * Each test file starts its own server (files run in parallel); tests use unique key prefixes.
 * This module does not import vitest, so benchmarks reuse it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { Effect, Exit, Scope } from "effect"

/** A running Redis reachable at `url`. */
export interface RedisTestServer {
  /** `redis://127.0.0.1:<port>` (or the proxied `REDIS_URL`). */
  readonly url: string
  readonly port: number
  /** `spawned`: our own redis-server; `external`: `REDIS_URL` behind a local proxy. */
  readonly mode: "spawned" | "external"
  /** Stops the server (spawned) or cuts every connection and refuses new ones (external). */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port and waits until it answers PING. */
  readonly start: Effect.Effect<void>
  /** Makes the server hang: connections stay open, nothing is answered (SIGSTOP; external: the proxy stops forwarding). */
  readonly freeze: Effect.Effect<void>
  /** Undoes `freeze`. */
  readonly thaw: Effect.Effect<void>
}

const candidateDirs = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/opt/homebrew/bin"]

/** The redis-server binary: `REDIS_SERVER_BIN`, else the first `redis-server` on PATH or in the usual places. */
export const findRedisServer = (): string | undefined => {
  const explicit = process.env.REDIS_SERVER_BIN
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== ""), ...candidateDirs]
  const candidates = explicit ? [explicit] : dirs.map((dir) => join(dir, "redis-server"))
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

const missingServerMessage = () =>
  process.env.CI === "true"
    ? "redis-server is not installed, but CI=true: the CI image must provide it (.ci/run installs the " +
      "Debian package `redis-server`). Refusing to skip the Redis tests."
    : "redis-server was not found (looked at REDIS_SERVER_BIN, PATH and /usr/bin). Install it " +
      "(`apt-get install redis-server`, `brew install redis`) or point REDIS_URL at a Redis 7 / " +
      "DragonflyDB server."

/** A free TCP port on the loopback interface (released before returning). */
export const freePort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.unref()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as Net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** One PING over a raw socket: `true` when the server answered `+PONG`. */
const pingOnce = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = Net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once("error", () => done(false))
    socket.once("connect", () => socket.write("PING\r\n"))
    let reply = ""
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1")
      // NOAUTH / LOADING also prove the server is up and answering.
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"))
    })
  })

const waitUntilAnswering = (host: string, port: number, isAlive: () => boolean, what: () => string) =>
  Effect.tryPromise({
    try: async () => {
      const deadline = Date.now() + 15_000
      while (Date.now() < deadline) {
        if (!isAlive()) throw new Error(`redis-server exited before answering PING: ${what()}`)
        if (await pingOnce(host, port)) return
        await new Promise((r) => setTimeout(r, 25))
      }
      throw new Error(`redis-server on port ${port} did not answer PING within 15 s: ${what()}`)
    },
    catch: (error) => error as Error
  })

const waitForExit = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
  })

/** Our own redis-server on a free loopback port, restartable on that port. */
const spawnedServer = (binary: string, extraArgs: ReadonlyArray<string>): Effect.Effect<RedisTestServer, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "vulnera-redis-"))),
      (path) => Effect.sync(() => rmSync(path, { recursive: true, force: true }))
    )
    let child: ChildProcess | undefined
    let output = ""
    let port = yield* freePort

    const launch = Effect.suspend(() => {
      output = ""
      const proc = spawn(binary, [
        "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir, "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
        ...extraArgs
      ], { stdio: ["ignore", "pipe", "pipe"] })
      const collect = (chunk: Buffer) => {
        output = (output + chunk.toString("utf8")).slice(-2000)
      }
      proc.stdout?.on("data", collect)
      proc.stderr?.on("data", collect)
      proc.on("error", (error) => collect(Buffer.from(String(error))))
      child = proc
      return waitUntilAnswering(
        "127.0.0.1",
        port,
        () => proc.exitCode === null && proc.signalCode === null,
        () => output.trim() || "(no output)"
      )
    })
    const stop = Effect.promise(async () => {
      const proc = child
      child = undefined
      if (proc === undefined) return
      proc.kill("SIGTERM")
      await waitForExit(proc)
    })

    // Another test file may grab the port between `freePort` and the bind: try a few ports.
    yield* launch.pipe(
      Effect.tapError(() => Effect.zipRight(stop, Effect.map(freePort, (p) => void (port = p)))),
      Effect.retry({ times: 4 })
    )
    yield* Effect.addFinalizer(() => stop)
    // A restart reuses the port; if the OS has not released it yet, try again briefly.
    const start = launch.pipe(
      Effect.tapError(() => stop),
      Effect.retry({ times: 20 }),
      Effect.orDie
    )
    const signal = (name: NodeJS.Signals) => Effect.sync(() => void child?.kill(name))
    yield* Effect.addFinalizer(() => signal("SIGCONT"))
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      mode: "spawned",
      stop,
      start,
      freeze: signal("SIGSTOP"),
      thaw: signal("SIGCONT")
    } satisfies RedisTestServer
  })

/** `REDIS_URL` behind a local TCP proxy whose listener and connections `stop` closes. */
const proxiedServer = (target: string): Effect.Effect<RedisTestServer, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const parsed = new URL(target)
    const upstreamHost = parsed.hostname
    const upstreamPort = Number(parsed.port || 6379)
    const sockets = new Set<Net.Socket>()
    let server: Net.Server | undefined
    let frozen = false
    const port = yield* freePort

    const listen = Effect.async<void, Error>((resume) => {
      const proxy = Net.createServer((client) => {
        const upstream = Net.connect({ host: upstreamHost, port: upstreamPort })
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on("close", () => sockets.delete(s))
          s.on("error", () => {
            client.destroy()
            upstream.destroy()
          })
        }
        client.pipe(upstream).pipe(client)
        if (frozen) {
          client.pause()
          upstream.pause()
        }
      })
      proxy.once("error", (error) => resume(Effect.fail(error)))
      proxy.listen(port, "127.0.0.1", () => {
        server = proxy
        resume(Effect.void)
      })
    })
    const stop = Effect.async<void>((resume) => {
      for (const s of sockets) s.destroy()
      sockets.clear()
      const current = server
      server = undefined
      if (current === undefined) return resume(Effect.void)
      current.close(() => resume(Effect.void))
    })
    yield* listen
    yield* Effect.addFinalizer(() => stop)
    const start = listen.pipe(
      Effect.zipRight(waitUntilAnswering("127.0.0.1", port, () => true, () => `proxy to ${parsed.host}`)),
      Effect.orDie
    )
    // Paused sockets stop reading, so nothing is forwarded in either direction.
    const setFrozen = (value: boolean) =>
      Effect.sync(() => {
        frozen = value
        for (const s of sockets) {
          if (value) s.pause()
          else s.resume()
        }
      })
    parsed.hostname = "127.0.0.1"
    parsed.port = String(port)
    return {
      url: parsed.toString(),
      port,
      mode: "external",
      stop,
      start,
      freeze: setFrozen(true),
      thaw: setFrozen(false)
    } satisfies RedisTestServer
  })

/**
 * A Redis for the scope's lifetime with extra `redis-server` arguments (e.g. `--maxmemory 40mb
 * --maxmemory-policy allkeys-lru`): always our own server, since an external one cannot be
 * configured per test. Dies with a loud message when `redis-server` is not available.
 */
export const makeRedisServerWith = (extraArgs: ReadonlyArray<string>): Effect.Effect<RedisTestServer, never, Scope.Scope> =>
  Effect.suspend(() => {
    const binary = findRedisServer()
    if (binary === undefined) return Effect.die(new Error(missingServerMessage()))
    return spawnedServer(binary, extraArgs)
  }).pipe(Effect.orDie)

/**
 * A Redis for the scope's lifetime: `REDIS_URL` when set, else our own `redis-server`. Dies with a
 * loud message when neither is available.
 */
export const makeRedisServer: Effect.Effect<RedisTestServer, never, Scope.Scope> = Effect.suspend(() => {
  const external = process.env.REDIS_URL
  if (external !== undefined && external.trim() !== "") return proxiedServer(external.trim())
  return makeRedisServerWith([])
}).pipe(Effect.orDie)

/** The test framework's suite hooks (vitest's `beforeAll` / `afterAll`), passed in to keep this module vitest-free. */
export interface SuiteHooks {
  readonly beforeAll: (fn: () => Promise<void>, timeout?: number) => void
  readonly afterAll: (fn: () => Promise<void>) => void
}

/**
 * Starts one Redis for the current test file (`beforeAll`) and stops it afterwards (`afterAll`).
 * `current()` returns it inside tests.
 */
export const useRedisServer = (
  { afterAll, beforeAll }: SuiteHooks,
  /** Extra `redis-server` arguments; when given, the server is always spawned (REDIS_URL is not used). */
  extraArgs?: ReadonlyArray<string>
): { readonly current: () => RedisTestServer } => {
  let scope: Scope.CloseableScope | undefined
  let server: RedisTestServer | undefined
  beforeAll(async () => {
    scope = Effect.runSync(Scope.make())
    server = await Effect.runPromise(Scope.extend(extraArgs === undefined ? makeRedisServer : makeRedisServerWith(extraArgs), scope))
  }, 30_000)
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  })
  return {
    current: () => {
      if (server === undefined) throw new Error("the Redis test server is not started (use it inside tests)")
      return server
    }
  }
}
