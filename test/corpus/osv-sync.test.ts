/**
 * The whole shared OSV corpus ($VULNERA_DATA_DIR/osv, 26k records) synced through the OSV source
 * (`file://` mirror, one `all.zip` per corpus file) and the sync driver into both store layers:
 * every record is retrievable by id, equal to the published document, and findable by each of its
 * packages (withdrawn ones by id only). Only registered when VULNERA_DATA_DIR is set.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { isDeepStrictEqual } from "node:util"
import { gunzipSync } from "node:zlib"
import { AdvisoryStore } from "../../src/AdvisoryStore.js"
import * as Compression from "../../src/Compression.js"
import * as DragonflyStore from "../../src/DragonflyStore.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as OsvSource from "../../src/OsvSource.js"
import * as PackageKey from "../../src/PackageKey.js"
import { indexSuffix } from "../../src/internal/store/keys.js"
import * as StoreConfig from "../../src/StoreConfig.js"
import * as Sync from "../../src/Sync.js"
import { useRedisServer } from "../utils/redis.js"
import { createZipWriter } from "../utils/zip.js"

const redisServer = useRedisServer({ beforeAll, afterAll })
const osvDir = join(process.env.VULNERA_DATA_DIR ?? "", "osv")
const files = readdirSync(osvDir).filter((f) => f.endsWith(".jsonl.gz")).sort()

/** Every published document per id (an id may appear in two corpus files). */
const published = new Map<string, Array<unknown>>()
let mirror: string
beforeAll(() => {
  mirror = mkdtempSync(join(tmpdir(), "osv-sync-corpus-"))
  for (const file of files) {
    const unit = file.replace(/\.jsonl\.gz$/, "")
    mkdirSync(join(mirror, unit))
    const writer = createZipWriter(join(mirror, unit, "all.zip"), { level: 1 })
    for (const line of gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n")) {
      if (line.trim() === "") continue
      const doc = JSON.parse(line) as { id: string }
      published.set(doc.id, [...(published.get(doc.id) ?? []), doc])
      writer.add(`${doc.id}.json`, line)
    }
    writer.close()
  }
})
afterAll(() => rmSync(mirror, { recursive: true, force: true }))

const config = (prefix: string) => Layer.provideMerge(Compression.layerZstd, StoreConfig.layer({ keyPrefix: prefix }))
const stores = {
  memory: () => MemoryStore.layer.pipe(Layer.provide(config("corpus"))),
  redis: () =>
    Layer.unwrapEffect(Effect.sync(() =>
      DragonflyStore.layer({ url: redisServer.current().url }).pipe(Layer.provide(config(`corpus-sync-${process.pid}`)))
    ))
}

for (const name of ["memory", "redis"] as const) {
  describe(`OSV corpus sync (${name} store)`, () => {
    it.live("every record is retrievable and findable by each of its packages", () =>
      Effect.gen(function*() {
        const store = yield* AdvisoryStore
        const source = yield* OsvSource.make({
          baseUrl: pathToFileURL(mirror).href,
          ecosystems: files.map((f) => f.replace(/\.jsonl\.gz$/, ""))
        })
        const stats = yield* Sync.syncAll(store, [source], { concurrency: 2 })
        expect(stats.failed + stats.partial).toBe(0)
        expect(stats.fetched).toBe(Array.from(published.values()).reduce((n, docs) => n + docs.length, 0))
        expect(yield* store.advisoryCount).toBe(published.size)

        const ids = Array.from(published.keys())
        let indexed = 0
        for (let i = 0; i < ids.length; i += 500) {
          const batch = yield* store.getBatch(ids.slice(i, i + 500))
          expect(batch.length).toBe(Math.min(500, ids.length - i))
          for (const advisory of batch) {
            const stored = JSON.parse(JSON.stringify(advisory))
            expect(published.get(advisory.id)!.some((doc) => isDeepStrictEqual(doc, stored))).toBe(true)
          }
        }
        // Keyed by index suffix (one entry per normalized package), looked up by the package itself:
        // splitting a suffix at its first `:` would not give back a variant's ecosystem (`AlmaLinux:8`).
        const byPackage = new Map<string, { readonly ecosystem: string; readonly name: string; readonly ids: Set<string> }>()
        for (const [id, docs] of published) {
          const doc = docs[docs.length - 1] as { withdrawn?: string; affected?: Array<{ package?: { ecosystem: string; name: string } }> }
          if (doc.withdrawn !== undefined) continue
          for (const entry of doc.affected ?? []) {
            if (!entry.package || entry.package.name.trim() === "") continue
            const { ecosystem, name } = entry.package
            const key = indexSuffix(PackageKey.unsafeMake(ecosystem, name))
            const known = byPackage.get(key) ?? { ecosystem, name, ids: new Set<string>() }
            known.ids.add(id)
            byPackage.set(key, known)
          }
        }
        for (const [key, { ecosystem, ids: expectedIds, name }] of byPackage) {
          const found = new Set(yield* store.idsByPackage(ecosystem, name))
          for (const id of expectedIds) if (!found.has(id)) expect.fail(`${id} not found under ${key}`)
          indexed++
        }
        expect(indexed).toBeGreaterThan(10_000)
        const one = Option.getOrThrow(yield* store.getAdvisory(ids[0]!))
        expect(one.id).toBe(ids[0])
      }).pipe(Effect.provide(Layer.orDie(Layer.merge(stores[name](), Layer.merge(NodeHttpClient.layerUndici, NodeContext.layer))))),
      240_000)
  })
}
