/**
 * The manager over both store layers (in-memory, and DragonflyStore on the suite's real
 * redis-server), with the OSV/KEV/EPSS sources pointed at the bundled offline snapshot. Shared by
 * the manager test files so each runs the same pair of backends.
 */
import { Effect, Layer } from "effect"
import type { AdvisoryStore } from "../../src/AdvisoryStore.js"
import * as Compression from "../../src/Compression.js"
import * as DragonflyStore from "../../src/DragonflyStore.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as StoreConfig from "../../src/StoreConfig.js"
import * as VulnerabilityManager from "../../src/VulnerabilityManager.js"
import { snapshotEcosystems, snapshotUrls } from "./snapshot.js"
import * as Node from "../../src/node.js"

const sources = Node.sourcesLayerFromEnv({
  osv: { baseUrl: snapshotUrls.osv, ecosystems: snapshotEcosystems },
  kev: { url: snapshotUrls.kev },
  epss: { bulkUrl: snapshotUrls.epss }
})

/** The manager (and its store) over `store`, sources from the snapshot. */
export const withStore = (store: Layer.Layer<AdvisoryStore, unknown>) =>
  VulnerabilityManager.layer().pipe(Layer.provideMerge(store), Layer.provide(sources), Layer.orDie)

/** `[name, store layer]` for the memory store and a DragonflyStore on `url()` under `keyPrefix`. */
export const storeLayers = (url: () => string, keyPrefix: string) =>
  [
    ["memory", MemoryStore.layer.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer())))],
    [
      "redis",
      Layer.unwrapEffect(Effect.sync(() =>
        DragonflyStore.layer({ url: url() }).pipe(
          Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix })))
        )
      ))
    ]
  ] as const
