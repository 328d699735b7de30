/**
 * The Node wiring (`vulnera-advisor/node`): the library core takes `HttpClient` and `FileSystem`
 * from its caller; this module provides Node's (`@effect/platform-node`: undici and `node:fs`), so
 * a Node program gets the whole stack from the environment in one call. Importing the core
 * (`vulnera-advisor`) never loads `@effect/platform-node`; only this module does, and it is an
 * optional peer dependency a Node application installs (most already have it).
 *
 * @since 0.1.0
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { Layer } from "effect"
import type { AdvisoryStore } from "./AdvisoryStore.js"
import type { EpssSource } from "./EpssSource.js"
import type { ConfigurationError } from "./Errors.js"
import type { KevSource } from "./KevSource.js"
import type { OssIndexSource } from "./OssIndexSource.js"
import type { OsvSource } from "./OsvSource.js"
import * as VulnerabilityManager from "./VulnerabilityManager.js"

/**
 * Node's HTTP client (undici) and file system: what `VulnerabilityManager.Platform` asks for.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<VulnerabilityManager.Platform> = Layer.merge(
  NodeHttpClient.layerUndici,
  NodeFileSystem.layer
)

/**
 * `VulnerabilityManager.sourcesLayerFromEnv` over Node's HTTP client and file system.
 *
 * @since 0.1.0
 * @category Layers
 */
export const sourcesLayerFromEnv = (
  options: Parameters<typeof VulnerabilityManager.sourcesLayerFromEnv>[0] = {}
): Layer.Layer<OsvSource | KevSource | EpssSource, ConfigurationError> =>
  VulnerabilityManager.sourcesLayerFromEnv(options).pipe(Layer.provide(layer))

/**
 * `VulnerabilityManager.ossIndexLayerFromEnv` over Node's HTTP client and file system.
 *
 * @since 0.1.0
 * @category Layers
 */
export const ossIndexLayerFromEnv = (
  options: Parameters<typeof VulnerabilityManager.ossIndexLayerFromEnv>[0] = {}
): Layer.Layer<OssIndexSource, ConfigurationError> =>
  VulnerabilityManager.ossIndexLayerFromEnv(options).pipe(Layer.provide(layer))

/**
 * `VulnerabilityManager.layerFromEnv` over Node's HTTP client and file system: the store, the
 * sources and the manager from the environment, nothing else to provide.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  options: VulnerabilityManager.EnvOptions = {}
): Layer.Layer<VulnerabilityManager.VulnerabilityManager | AdvisoryStore, ConfigurationError> =>
  VulnerabilityManager.layerFromEnv(options).pipe(Layer.provide(layer))
