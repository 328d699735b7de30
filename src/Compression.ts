/**
 * Compression of stored values.
 *
 * `layerZstd` (the default) compresses with zstd at `StoreConfig.compressionLevel` and decompresses
 * any standard zstd frame, including streaming frames without a content size (as the Rust crate
 * writes them). `layerPassthrough` stores bytes as they are, for tests that inspect raw values.
 *
 * @since 0.1.0
 */
import { Context, Effect, Either, Layer } from "effect"
import { createRequire } from "node:module"
import { CompressionError } from "./Errors.js"
import { StoreConfig } from "./StoreConfig.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface CompressionShape {
  /** A short name for logs and health output (`zstd-3`, `passthrough`). */
  readonly name: string
  readonly compress: (data: Uint8Array) => Effect.Effect<Uint8Array, CompressionError>
  readonly decompress: (data: Uint8Array) => Effect.Effect<Uint8Array, CompressionError>
  /**
   * Compresses many values in one effect (results in input order; fails with the first error).
   * For batch writes: zstd runs them as a bounded pool of native calls, without an effect per
   * value, which would cost about as much CPU as compressing a small advisory.
   */
  readonly compressAll: (data: ReadonlyArray<Uint8Array>) => Effect.Effect<Array<Uint8Array>, CompressionError>
  /** Decompresses many values in one effect; each result is the value or its own error (never fails as a whole). */
  readonly decompressAll: (
    data: ReadonlyArray<Uint8Array>
  ) => Effect.Effect<Array<Either.Either<Uint8Array, CompressionError>>>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class Compression extends Context.Tag("vulnera/Compression")<Compression, CompressionShape>() {}

/**
 * The native binding of `@mongodb-js/zstd`, used directly: the package's JS wrapper (1.2.2) drops
 * the `level` argument of `compress`, so every level would silently compress at zstd's default 3.
 */
const zstd = createRequire(import.meta.url)("@mongodb-js/zstd/bindings.js") as {
  readonly compress: (data: Buffer, level?: number) => Promise<Buffer>
  readonly decompress: (data: Buffer) => Promise<Buffer>
}

const toBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)

/**
 * Runs `run` over `items` with at most `width` promises in flight, results in input order. Hand
 * written (a dozen lines) rather than a dependency; `width` 8 keeps libuv's 4 pool threads busy.
 */
const inPool = async <A, B>(items: ReadonlyArray<A>, run: (item: A) => Promise<B>, width = 8): Promise<Array<B>> => {
  const results: Array<B> = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await run(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
  return results
}

/** The 4-byte zstd frame magic number (little-endian 0xFD2FB528). */
const isZstdFrame = (data: Uint8Array): boolean =>
  data.length >= 4 && data[0] === 0x28 && data[1] === 0xb5 && data[2] === 0x2f && data[3] === 0xfd

/**
 * zstd at the given level (1..22; validated by `StoreConfig`).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeZstd = (level: number): CompressionShape => {
  const compressFailed = (cause: unknown) => new CompressionError({ operation: "compress", detail: String(cause), cause })
  const decompressFailed = (cause: unknown) =>
    new CompressionError({ operation: "decompress", detail: String(cause), cause })
  const notAFrame = (data: Uint8Array) =>
    new CompressionError({
      operation: "decompress",
      detail: `not a zstd frame (${data.length} bytes, no zstd magic number)`
    })
  return {
    name: `zstd-${level}`,
    compress: (data) => Effect.tryPromise({ try: () => zstd.compress(toBuffer(data), level), catch: compressFailed }),
    decompress: (data) =>
      isZstdFrame(data)
        ? Effect.tryPromise({ try: () => zstd.decompress(toBuffer(data)), catch: decompressFailed })
        : Effect.fail(notAFrame(data)),
    compressAll: (data) =>
      Effect.tryPromise({ try: () => inPool(data, (d) => zstd.compress(toBuffer(d), level)), catch: compressFailed }),
    decompressAll: (data) =>
      Effect.promise(() =>
        inPool(data, (d): Promise<Either.Either<Uint8Array, CompressionError>> =>
          isZstdFrame(d)
            ? zstd.decompress(toBuffer(d)).then(Either.right, (cause) => Either.left(decompressFailed(cause)))
            : Promise.resolve(Either.left(notAFrame(d))))
      )
  }
}

/**
 * Identity: values are stored uncompressed.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const passthrough: CompressionShape = {
  name: "passthrough",
  compress: Effect.succeed,
  decompress: Effect.succeed,
  compressAll: (data) => Effect.succeed(Array.from(data)),
  decompressAll: (data) => Effect.succeed(data.map((d) => Either.right(d)))
}

/**
 * zstd with the level from `StoreConfig`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerZstd: Layer.Layer<Compression, never, StoreConfig> = Layer.effect(
  Compression,
  Effect.map(StoreConfig, (config) => makeZstd(config.compressionLevel))
)

/**
 * No compression.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerPassthrough: Layer.Layer<Compression> = Layer.succeed(Compression, passthrough)
