/**
 * Compression of stored values.
 *
 * `layerZstd` (the default) compresses with zstd at `StoreConfig.compressionLevel` and decompresses
 * any standard zstd frame, including streaming frames without a content size (as the Rust crate
 * writes them). `layerPassthrough` stores bytes as they are, for tests that inspect raw values.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
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

/** The 4-byte zstd frame magic number (little-endian 0xFD2FB528). */
const isZstdFrame = (data: Uint8Array): boolean =>
  data.length >= 4 && data[0] === 0x28 && data[1] === 0xb5 && data[2] === 0x2f && data[3] === 0xfd

/**
 * zstd at the given level (1..22; validated by `StoreConfig`).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeZstd = (level: number): CompressionShape => ({
  name: `zstd-${level}`,
  compress: (data) =>
    Effect.tryPromise({
      try: () => zstd.compress(toBuffer(data), level),
      catch: (cause) => new CompressionError({ operation: "compress", detail: String(cause), cause })
    }),
  decompress: (data) =>
    isZstdFrame(data)
      ? Effect.tryPromise({
        try: () => zstd.decompress(toBuffer(data)),
        catch: (cause) => new CompressionError({ operation: "decompress", detail: String(cause), cause })
      })
      : Effect.fail(
        new CompressionError({
          operation: "decompress",
          detail: `not a zstd frame (${data.length} bytes, no zstd magic number)`
        })
      )
})

/**
 * Identity: values are stored uncompressed.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const passthrough: CompressionShape = {
  name: "passthrough",
  compress: Effect.succeed,
  decompress: Effect.succeed
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
