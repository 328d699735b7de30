/**
 * Connection failures described by what failed. The errors are produced for real where the
 * environment allows it (a refused port, an unresolvable `.invalid` host, a TLS handshake with a
 * plain server, a wrong Redis password against a real redis-server); the rest use the shapes
 * Node documents.
 */
import { describe, expect, it } from "@effect/vitest"
import { Redis } from "ioredis"
import * as Net from "node:net"
import * as Tls from "node:tls"
import { describeConnectionError } from "../src/internal/connectionError.js"

/** The error a real connection attempt fails with. */
const connectError = (connect: () => Net.Socket): Promise<unknown> =>
  new Promise((resolve) => {
    const socket = connect()
    socket.setTimeout(3_000, () => {
      socket.destroy()
      resolve(Object.assign(new Error("connect ETIMEDOUT"), { code: "ETIMEDOUT" }))
    })
    socket.once("error", (error) => {
      socket.destroy()
      resolve(error)
    })
    socket.once("connect", () => undefined)
  })

const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

describe("describeConnectionError", () => {
  it("a refused connection (a real closed port)", async () => {
    const port = await closedPort()
    const failure = describeConnectionError(await connectError(() => Net.connect({ host: "127.0.0.1", port })))
    expect(failure.kind).toBe("Refused")
    expect(failure.retryable).toBe(true)
    expect(failure.message).toMatch(/^connection refused \(ECONNREFUSED\): /)
  })

  it("an unknown host (a real lookup of a reserved .invalid name)", async () => {
    const failure = describeConnectionError(await connectError(() => Net.connect({ host: "no-such-host.invalid", port: 6379 })))
    expect(failure.kind).toBe("UnknownHost")
    expect(failure.message).toMatch(/^unknown host \((ENOTFOUND|EAI_AGAIN)\): /)
  })

  it("TLS against a server that does not speak it (a real handshake)", async () => {
    const server = Net.createServer((socket) => socket.end("+OK not tls\r\n"))
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const { port } = server.address() as Net.AddressInfo
    const error = await connectError(() => Tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: true }))
    server.close()
    const failure = describeConnectionError(error)
    expect(failure.kind).toBe("Tls")
    expect(failure.retryable).toBe(false)
  })

  it("timeouts, unreachable hosts, certificates, auth replies and text-only errors", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [Object.assign(new Error("connect ETIMEDOUT 10.255.255.1:6379"), { code: "ETIMEDOUT" }), "Timeout"],
      [Object.assign(new Error("connect EHOSTUNREACH 10.0.0.9:6379"), { code: "EHOSTUNREACH" }), "Unreachable"],
      [Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }), "Tls"],
      [Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" }), "Tls"],
      [new Error("WRONGPASS invalid username-password pair or user is disabled."), "Auth"],
      [new Error("NOAUTH Authentication required."), "Auth"],
      ["redis://h:6379: connect ECONNREFUSED 127.0.0.1:6379", "Refused"],
      ["getaddrinfo ENOTFOUND cache.internal", "UnknownHost"],
      [new Error("Connection is closed."), "Closed"],
      [new RangeError("Maximum call stack size exceeded"), "Other"]
    ]
    for (const [error, kind] of cases) expect(describeConnectionError(error).kind, String(error)).toBe(kind)
    expect(describeConnectionError(new Error("WRONGPASS invalid")).message).toMatch(/^authentication failed \(WRONGPASS\)/)
    expect(describeConnectionError(new Error("odd\u001b[2J failure")).message).toBe("odd\\x1b[2J failure")
  })

  it("a wrong password against a real redis-server is Auth", async () => {
    const { makeRedisServer } = await import("./utils/redis.js")
    const { Effect } = await import("effect")
    const error = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const server = yield* makeRedisServer
      return yield* Effect.promise(async () => {
        const admin = new Redis(server.url)
        await admin.config("SET", "requirepass", "right-password")
        admin.disconnect()
        const client = new Redis({ port: server.port, host: "127.0.0.1", password: "wrong", lazyConnect: true, retryStrategy: () => null })
        // ioredis rejects the connect with "Connection is closed."; the AUTH reply comes as an event
        // (the driver keeps it the same way).
        let emitted: unknown
        client.on("error", (e: unknown) => void (emitted = e))
        await client.connect().catch(() => undefined)
        client.disconnect()
        return emitted
      })
    })))
    expect(describeConnectionError(error).kind).toBe("Auth")
  })
})
