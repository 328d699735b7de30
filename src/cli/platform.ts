/**
 * The platform the CLI's manager runs on: Node's file system, and Node's HTTP client (undici)
 * loaded on the first request. `scan`, `query`, `health` and the other store-only commands build
 * the full manager (its sources need an `HttpClient` to exist) but never send a request, so they
 * no longer load undici (about 1 MB of the bundle, a sixth of a cold scan's module loading);
 * `sync` loads it with its first download. `vulnera-advisor/node`'s `Node.layer` is the same
 * platform, loaded eagerly, for programs that do sync.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Context, Effect, Layer } from "effect"
import type { Platform } from "../VulnerabilityManager.js"

/**
 * An `HttpClient` that hands every request to undici's client (its own spans, errors and
 * interruption), importing it on first use. undici's dispatcher lives in this layer's scope
 * (built there on first use, closed with it), as with `NodeHttpClient.layerUndici` itself.
 */
const lazyHttpClient = Layer.scoped(
  HttpClient.HttpClient,
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const undici = yield* Effect.cached(
      Effect.promise(() => import("@effect/platform-node/NodeHttpClient")).pipe(
        Effect.flatMap((module) => Layer.buildWithScope(module.layerUndici, scope)),
        Effect.map((context) => Context.get(context, HttpClient.HttpClient))
      )
    )
    return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (request) => Effect.flatMap(undici, (client) => Effect.flatMap(request, client.execute)),
      Effect.succeed
    )
  })
)

/** Node's file system and a lazily loaded undici `HttpClient`: `VulnerabilityManager.Platform`. */
export const layer: Layer.Layer<Platform> = Layer.merge(lazyHttpClient, NodeFileSystem.layer)
