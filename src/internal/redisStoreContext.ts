/**
 * What the parts of `DragonflyStore` share: the key layout, the connection, compression and
 * chunk sizes, plus small helpers (spans, chunked MGET, decompression errors as `CorruptEntry`).
 */
import { createHash } from "node:crypto"
import { Array as Arr, Effect } from "effect"
import type { CompressionShape } from "../Compression.js"
import { CorruptEntry, type StoreError } from "../Errors.js"
import type { StoreConfigShape } from "../StoreConfig.js"
import type { RedisConnection } from "./redisClient.js"

/** Escapes Redis glob characters (`*?[]\`) so a prefix matches only itself in SCAN MATCH. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&")

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** The key layout of docs/store-design.md under `prefix`. */
export const makeKeys = (prefix: string) => ({
  data: (id: string) => `${prefix}:data:${id}`,
  pkgs: (id: string) => `${prefix}:pkgs:${id}`,
  indexPrefix: `${prefix}:idx:`,
  index: (suffix: string) => `${prefix}:idx:${suffix}`,
  ids: `${prefix}:ids`,
  meta: (source: string) => `${prefix}:meta:${source}`,
  sources: `${prefix}:sources`,
  enrichment: (cve: string) => `${prefix}:enrich:${cve}`,
  ossIndex: (canonicalPurl: string) => `${prefix}:ossidx:${sha256(canonicalPurl)}`,
  ossIndexPattern: `${escapeGlob(prefix)}:ossidx:*`
})

/** The store's keys. */
export type RedisKeys = ReturnType<typeof makeKeys>

/** Shared state of one `DragonflyStore`. */
export interface RedisStoreContext {
  readonly connection: RedisConnection
  readonly compression: CompressionShape
  readonly config: StoreConfigShape
  readonly keys: RedisKeys
  /** `StoreConfig.ttlSeconds` in milliseconds. */
  readonly ttlMillis: number | undefined
  readonly writeChunkSize: number
  readonly readChunkSize: number
}

/** The operation name used in spans and errors. */
export const operationName = (name: string): string => `AdvisoryStore.${name}`

/** The span of a public operation. */
export const span = (name: string, attributes: Record<string, unknown> = {}) =>
  Effect.withSpan(operationName(name), { attributes: { "vulnera.store": "dragonfly", ...attributes } })

/** A Buffer view of bytes (no copy). */
export const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** Values of `keys` (null when absent), in MGET chunks of `readChunkSize`. */
export const mgetChunked = (
  context: RedisStoreContext,
  operation: string,
  keys: ReadonlyArray<string>
): Effect.Effect<Array<Buffer | null>, StoreError> =>
  Effect.map(
    Effect.forEach(
      Arr.chunksOf(keys, context.readChunkSize),
      (chunk) => context.connection.run(operation, (redis) => redis.mgetBuffer(chunk))
    ),
    (chunks) => chunks.flat()
  )

/** Decompresses a value read from `key`; failure means the value is corrupt. */
export const decompressed = (context: RedisStoreContext, key: string, bytes: Buffer) =>
  Effect.mapError(
    context.compression.decompress(bytes),
    (error) => new CorruptEntry({ key, detail: `cannot decompress: ${error.detail}`, cause: error })
  )
