import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock, TestServices } from "effect"
import { makeFetcher } from "../src/internal/sources/fetch.js"
import * as Retry from "../src/Retry.js"
import { makeTestServer } from "./utils/httpServer.js"

const Platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)

describe("fetch (shared source transport)", () => {
  it.scoped("retries 500 then succeeds, honouring the retry policy under TestClock", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /x": [{ status: 500 }, { status: 503 }, { status: 200, body: "ok" }] })
      const fetcher = yield* makeFetcher
      const fiber = yield* Effect.fork(fetcher.text("test", `${server.url}/x`))
      // Real HTTP happens on the live clock; TestClock only drives the backoff sleeps.
      for (let i = 0; i < 20 && fiber.unsafePoll() === null; i++) {
        yield* TestServices.provideLive(Effect.sleep("20 millis"))
        yield* TestClock.adjust("5 seconds")
      }
      expect(yield* Fiber.join(fiber)).toBe("ok")
      expect(server.requests.length).toBe(3)
    }).pipe(Effect.provide(Platform)))

  it.scoped("does not retry 401 and names the status", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /x": { status: 401, body: "auth required" } })
      const fetcher = yield* makeFetcher
      const error = yield* Effect.flip(fetcher.text("test", `${server.url}/x`))
      expect(error._tag).toBe("SourceError")
      expect(error.status).toBe(401)
      expect(error.retryable).toBe(false)
      expect(server.requests.length).toBe(1)
    }).pipe(Effect.provide(Platform)))

  it.live("429 with Retry-After waits at least that long; gives up after maxRetries", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /x": { status: 429, headers: { "retry-after": "1" } } })
      const fetcher = yield* makeFetcher
      const start = Date.now()
      const error = yield* Effect.flip(
        fetcher.text("test", `${server.url}/x`).pipe(
          Effect.provide(Retry.layer({ maxRetries: 1, baseDelay: "10 millis", jitter: false }))
        )
      )
      expect(error.status).toBe(429)
      expect(error.retryAfterMillis).toBe(1000)
      expect(server.requests.length).toBe(2)
      expect(Date.now() - start).toBeGreaterThanOrEqual(950)
    }).pipe(Effect.scoped, Effect.provide(Platform)))

  it.live("a hung connection times out with a retryable Timeout error", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /x": { hang: true } })
      const fetcher = yield* makeFetcher
      const error = yield* Effect.flip(
        fetcher.text("test", `${server.url}/x`, { timeout: "200 millis" }).pipe(
          Effect.provide(Retry.layer({ maxRetries: 0 }))
        )
      )
      expect(error.reason).toBe("Timeout")
      expect(error.retryable).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(Platform)))

  it.live("a truncated body is a retryable transport failure, and credentials never appear in errors", () =>
    Effect.gen(function*() {
      const server = yield* makeTestServer({ "GET /x": { status: 200, body: "0123456789".repeat(100), truncate: 10 } })
      const fetcher = yield* makeFetcher
      const url = server.url.replace("http://", "http://user:hunter2@") + "/x?token=s3cret"
      const error = yield* Effect.flip(
        fetcher.text("test", url).pipe(Effect.provide(Retry.layer({ maxRetries: 0 })))
      )
      expect(error.retryable).toBe(true)
      expect(JSON.stringify(error) + error.message).not.toMatch(/hunter2|s3cret/)
    }).pipe(Effect.scoped, Effect.provide(Platform)))
})
