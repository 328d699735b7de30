/**
 * The layers the benchmarks measure: `DragonflyStore`, `LmdbStore` and `MemoryStore` under a key
 * prefix with zstd, and the manager
 * over it with its sources pointed at local servers (sources a benchmark does not exercise point at
 * an address nothing listens on, so an unexpected call fails loudly instead of reaching the net).
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Layer } from "effect"
import * as Compression from "../../src/Compression.js"
import * as DragonflyStore from "../../src/DragonflyStore.js"
import * as EpssSource from "../../src/EpssSource.js"
import * as KevSource from "../../src/KevSource.js"
import * as LmdbStore from "../../src/LmdbStore.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as OssIndexSource from "../../src/OssIndexSource.js"
import * as StoreConfig from "../../src/StoreConfig.js"
import * as Manager from "../../src/VulnerabilityManager.js"

/** Node's HTTP client and file system, as the sources use them in a program. */
export const platformLayer = Layer.mergeAll(NodeHttpClient.layerUndici, NodeContext.layer)

const unused = "http://127.0.0.1:9/unused"

/** `DragonflyStore` at `url` under `keyPrefix` (zstd at `compressionLevel`, default 3). */
export const storeLayer = (
  url: string,
  keyPrefix: string,
  options: Omit<DragonflyStore.DragonflyStoreOptions, "url"> & { readonly compressionLevel?: number } = {}
) => {
  const { compressionLevel, ...storeOptions } = options
  return DragonflyStore.layer({ url, ...storeOptions }).pipe(
    Layer.provide(Layer.provideMerge(
      Compression.layerZstd,
      StoreConfig.layer({ keyPrefix, ...(compressionLevel === undefined ? {} : { compressionLevel }) })
    ))
  )
}

/** `MemoryStore` under `keyPrefix` (zstd level 3), for side-by-side runs. */
export const memoryStoreLayer = (keyPrefix: string) => MemoryStore.layerWith({ keyPrefix })

/** `LmdbStore` in directory `path` under `keyPrefix` (zstd level 3). */
export const lmdbStoreLayer = (path: string, keyPrefix: string) => LmdbStore.layerWith({ path }, { keyPrefix })

/** Where the manager's sources are (each optional; OSS Index is configured only when given). */
export interface SourceUrls {
  readonly kev?: string
  readonly epssBulk?: string
  readonly ossIndex?: string
}

/** The manager over `store` (which it also exposes), with its sources at `urls`. */
export const managerLayer = <E>(store: Layer.Layer<import("../../src/AdvisoryStore.js").AdvisoryStore, E>, urls: SourceUrls = {}) => {
  const sources = Layer.mergeAll(
    KevSource.layer({ url: urls.kev ?? unused }),
    EpssSource.layer({ bulkUrl: urls.epssBulk ?? unused })
  )
  const base = Manager.layer().pipe(Layer.provideMerge(store), Layer.provide(sources))
  return (urls.ossIndex === undefined ? base : base.pipe(Layer.provide(OssIndexSource.layer({ url: urls.ossIndex })))).pipe(
    Layer.provide(platformLayer)
  )
}
