/**
 * Compression of stored values.
 *
 * `layerZstd` (the default) compresses with zstd at `StoreConfig.compressionLevel`, with the
 * dictionary `StoreConfig.compressionDictionary` names or, when it names none, the backend's default
 * (`backendDictionaries`: plain frames on Redis/DragonflyDB, which the Rust crate shares; the
 * shipped `osv-v1` dictionary on LMDB and in memory), and decompresses any
 * standard zstd frame (including streaming frames without a content size, as the Rust crate writes
 * them) and frames of any shipped dictionary. Frames written with a dictionary cannot be read
 * without it: the Rust crate reads only `none` frames. `layerPassthrough` stores bytes as they are, for tests that inspect raw values.
 *
 * @since 0.1.0
 */
import { Context, Effect, Either, identity, Layer } from "effect"
import { createRequire } from "node:module"
import { CompressionError, type ConfigurationError } from "./Errors.js"
import {
  type DictionaryName,
  frameDictionaryId,
  isWholeFrame,
  isZstdFrame,
  shippedDictionaries
} from "./internal/compression/dictionaries.js"
import { make as makeStoreConfig, StoreConfig } from "./StoreConfig.js"

export {
  /**
   * A shipped dictionary's name (`osv-v1`) or `none`.
   *
   * @since 0.2.0
   * @category Models
   */
  type DictionaryName,
  /**
   * The dictionary names `VULNERA__STORE__COMPRESSION_DICTIONARY` accepts.
   *
   * @since 0.2.0
   * @category Models
   */
  dictionaryNames
} from "./internal/compression/dictionaries.js"

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
  /**
   * This codec as a backend whose default dictionary is `dictionary` uses it: a zstd codec whose
   * dictionary was not chosen explicitly writes with `dictionary`; otherwise the codec itself.
   * Absent on codecs without dictionaries (passthrough, custom codecs): they are used as they are.
   */
  readonly forBackend?: ((dictionary: DictionaryName) => CompressionShape) | undefined
}

/**
 * The dictionary each backend writes with when `VULNERA__STORE__COMPRESSION_DICTIONARY` is unset.
 * Redis/DragonflyDB: `none`, so data keys stay readable by the Rust crate that may share the
 * server; LMDB and memory: `osv-v1` (about 2× smaller values; no other reader exists for them).
 * Frames of either kind are read by every backend.
 *
 * @since 0.2.0
 * @category Defaults
 */
export const backendDictionaries = {
  redis: "none",
  lmdb: "osv-v1",
  memory: "osv-v1",
  /**
   * Match summaries (`sum:` keys) on every backend: only this library reads them, and the
   * dictionary makes them 3.5× smaller instead of 1.3× (measured on the real corpus).
   */
  summaries: "osv-v1"
} as const satisfies Record<string, DictionaryName>

/**
 * `compression` as the given backend uses it (see `CompressionShape.forBackend`).
 *
 * @since 0.2.0
 * @category Constructors
 */
export const forBackend = (compression: CompressionShape, backend: keyof typeof backendDictionaries): CompressionShape =>
  compression.forBackend?.(backendDictionaries[backend]) ?? compression

/**
 * @since 0.1.0
 * @category Tags
 */
export class Compression extends Context.Tag("vulnera-advisor/Compression")<Compression, CompressionShape>() {}

/** What this module uses of `@toondepauw/node-zstd`. */
interface ZstdBinding {
  readonly Encoder: new(level: number, dictionary?: Buffer) => { encode(data: Buffer): Promise<Buffer> }
  readonly Decoder: new(dictionary?: Buffer) => { decode(data: Buffer): Promise<Buffer> }
}
type ZstdDecoder = InstanceType<ZstdBinding["Decoder"]>

let binding: ZstdBinding | undefined
/**
 * The native binding (napi-rs over zstd-rs; prebuilt per platform as registry packages, no install
 * step), loaded on first use rather than at import, so importing the library does no native work.
 */
const zstdBinding = (): ZstdBinding =>
  (binding ??= createRequire(import.meta.url)("@toondepauw/node-zstd") as ZstdBinding)

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

/**
 * A frame whose content is the one byte 0x1E (a single raw block, no dictionary id): put between
 * the frames of a batch, it marks where each value's content ends. 0x1E cannot occur unescaped in
 * JSON text; a value whose content holds it makes the count come out wrong, and the batch is then
 * decompressed value by value.
 */
const separatorFrame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x01, 0x09, 0x00, 0x00, 0x1e])
const separatorByte = 0x1e

/** Values per batched native call, and compressed bytes (a larger value is a batch of its own). */
const batchValues = 256
const batchBytes = 1 << 20
/** libuv's default thread pool: a group is split into about this many batches so they run side by side. */
const poolThreads = 4

/** `content` cut at each separator byte into exactly `count` parts, or `undefined` when there are more or fewer. */
const splitContents = (content: Buffer, count: number): Array<Uint8Array> | undefined => {
  const parts: Array<Uint8Array> = []
  let from = 0
  for (;;) {
    const at = content.indexOf(separatorByte, from)
    if (at < 0) break
    if (parts.length === count - 1) return undefined
    parts.push(content.subarray(from, at))
    from = at + 1
  }
  parts.push(content.subarray(from))
  return parts.length === count ? parts : undefined
}

/**
 * Options of the zstd codec.
 *
 * @since 0.2.0
 * @category Models
 */
export interface ZstdOptions {
  /** zstd level, 1..22. */
  readonly level: number
  /**
   * The dictionary new frames are written with (`osv-v1` or `none`); unset: the store backend's
   * default (`backendDictionaries`), `osv-v1` outside a store. Reading never depends on it: a frame
   * names its dictionary, and plain frames are always readable. Frames written with a dictionary
   * need that dictionary to be read: the Rust crate cannot read them.
   */
  readonly dictionary?: DictionaryName | undefined
}

/**
 * The dictionary a codec made outside a store writes with when none is chosen: `osv-v1` halves the
 * stored size of an advisory (about 5× instead of 2.5× at level 3 on the real corpus). Stores use
 * their backend's default instead (`backendDictionaries`: `none` on Redis, for the Rust crate).
 *
 * @since 0.2.0
 * @category Defaults
 */
export const defaultDictionary: DictionaryName = "osv-v1"

/**
 * zstd at the given level (1..22; validated by `StoreConfig`), writing frames with `dictionary`
 * (unset: `osv-v1`, or the backend's default once a store applies `forBackend`). Decompression reads plain frames (including streaming frames without a content
 * size, as the Rust crate writes them) and frames of any shipped dictionary, chosen by the frame's
 * dictionary id; a frame naming an unknown dictionary fails with `CompressionError`.
 *
 * The encoders and decoders are made once per codec and reused: with a dictionary, its prepared
 * tables (about 1 ms to build) are shared by every call.
 *
 * `decompressAll` decompresses whole frames in batches: up to 256 frames that need the same
 * decoder, joined with a separator frame, in one native call, the content then cut at the
 * separators. The binding builds a zstd context per call (30–45 µs of CPU for any size, more than
 * decompressing a 2 KB record), so a batch of 500 records costs a few calls instead of 500. Hand
 * written because no binding that installs from the registry without a download step reuses a
 * decompression context. A value that is not one whole frame (`isWholeFrame`), a batch the decoder
 * rejects, or contents that do not cut into exactly one part per value are decompressed value by
 * value, so each value's outcome is the one `decompress` gives it.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeZstd = (level: number, options: { readonly dictionary?: DictionaryName | undefined } = {}): CompressionShape => {
  const chosen = options.dictionary
  const dictionaryName = chosen ?? defaultDictionary
  const writeWith = shippedDictionaries.find((d) => d.name === dictionaryName)
  const zstd = zstdBinding()
  const encoder = new zstd.Encoder(level, writeWith?.bytes())
  const plainDecoder = new zstd.Decoder()
  const dictionaryDecoders = new Map<number, ZstdDecoder>()
  const compressFailed = (cause: unknown) => new CompressionError({ operation: "compress", detail: String(cause), cause })
  const decompressFailed = (cause: unknown) =>
    new CompressionError({ operation: "decompress", detail: String(cause), cause })
  const unreadable = (detail: string) => new CompressionError({ operation: "decompress", detail })

  /** The decoder a frame needs, or why it cannot be read. */
  const decoderFor = (data: Uint8Array): ZstdDecoder | CompressionError => {
    if (!isZstdFrame(data)) return unreadable(`not a zstd frame (${data.length} bytes, no zstd magic number)`)
    const id = frameDictionaryId(data)
    if (id === undefined) return unreadable(`truncated zstd frame header (${data.length} bytes)`)
    if (id === 0) return plainDecoder
    const cached = dictionaryDecoders.get(id)
    if (cached !== undefined) return cached
    const shipped = shippedDictionaries.find((d) => d.id === id)
    if (shipped === undefined) {
      return unreadable(
        `the frame was written with zstd dictionary id ${id}, which this version does not ship ` +
          `(known: ${shippedDictionaries.map((d) => `${d.name} = ${d.id}`).join(", ")})`
      )
    }
    const decoder = new zstd.Decoder(shipped.bytes())
    dictionaryDecoders.set(id, decoder)
    return decoder
  }
  const decodeWith = (decoder: ZstdDecoder, data: Uint8Array): Promise<Either.Either<Uint8Array, CompressionError>> =>
    decoder.decode(toBuffer(data)).then(Either.right, (cause) => Either.left(decompressFailed(cause)))
  const decompressOne = (data: Uint8Array): Promise<Either.Either<Uint8Array, CompressionError>> => {
    const decoder = decoderFor(data)
    return decoder instanceof CompressionError ? Promise.resolve(Either.left(decoder)) : decodeWith(decoder, data)
  }
  /** One native call for the whole frames `data[i]` of `batch`, all read by `decoder`; value by value when that fails. */
  const decompressBatch = async (
    data: ReadonlyArray<Uint8Array>,
    batch: ReadonlyArray<number>,
    decoder: ZstdDecoder,
    results: Array<Either.Either<Uint8Array, CompressionError>>
  ): Promise<void> => {
    if (batch.length > 1) {
      const joined: Array<Buffer> = []
      for (const i of batch) {
        if (joined.length > 0) joined.push(separatorFrame)
        joined.push(toBuffer(data[i]!))
      }
      const parts = await decoder.decode(Buffer.concat(joined)).then(
        (content) => splitContents(content, batch.length),
        () => undefined
      )
      if (parts !== undefined) {
        for (let k = 0; k < batch.length; k++) results[batch[k]!] = Either.right(parts[k]!)
        return
      }
    }
    for (const i of batch) results[i] = await decodeWith(decoder, data[i]!)
  }
  const decompressMany = async (data: ReadonlyArray<Uint8Array>) => {
    const results: Array<Either.Either<Uint8Array, CompressionError>> = new Array(data.length)
    const groups = new Map<ZstdDecoder, Array<number>>()
    const tasks: Array<() => Promise<void>> = []
    for (let i = 0; i < data.length; i++) {
      const decoder = decoderFor(data[i]!)
      if (decoder instanceof CompressionError) results[i] = Either.left(decoder)
      else if (!isWholeFrame(data[i]!)) tasks.push(() => decompressBatch(data, [i], decoder, results)) // a batch of its own
      else {
        const group = groups.get(decoder)
        if (group === undefined) groups.set(decoder, [i])
        else group.push(i)
      }
    }
    // Each group in about as many batches as the pool has threads, capped in values and bytes.
    for (const [decoder, members] of groups) {
      const size = Math.min(batchValues, Math.ceil(members.length / poolThreads))
      let batch: Array<number> = []
      let bytes = 0
      for (const i of members) {
        if (batch.length > 0 && (batch.length >= size || bytes + data[i]!.length > batchBytes)) {
          const full = batch
          tasks.push(() => decompressBatch(data, full, decoder, results))
          batch = []
          bytes = 0
        }
        batch.push(i)
        bytes += data[i]!.length
      }
      tasks.push(() => decompressBatch(data, batch, decoder, results))
    }
    await inPool(tasks, (task) => task())
    return results
  }
  const codec: CompressionShape = {
    name: writeWith === undefined ? `zstd-${level}` : `zstd-${level}+${writeWith.name}`,
    compress: (data) => Effect.tryPromise({ try: () => encoder.encode(toBuffer(data)), catch: compressFailed }),
    decompress: (data) => Effect.flatMap(Effect.promise(() => decompressOne(data)), identity),
    compressAll: (data) =>
      Effect.tryPromise({ try: () => inPool(data, (d) => encoder.encode(toBuffer(d))), catch: compressFailed }),
    decompressAll: (data) => Effect.promise(() => decompressMany(data)),
    forBackend: (dictionary) =>
      chosen !== undefined || dictionary === dictionaryName ? codec : makeZstd(level, { dictionary })
  }
  return codec
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
 * zstd with the level and dictionary from `StoreConfig`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerZstd: Layer.Layer<Compression, never, StoreConfig> = Layer.effect(
  Compression,
  Effect.map(StoreConfig, (config) => makeZstd(config.compressionLevel, { dictionary: config.compressionDictionary }))
)

/**
 * zstd with options given in code: `Compression.layer({ level: 3, dictionary: "none" })`. The
 * level and dictionary pass `StoreConfig`'s rules (a bad one is a `ConfigurationError` naming
 * `VULNERA__STORE__COMPRESSION_LEVEL` / `_DICTIONARY`).
 *
 * @since 0.2.0
 * @category Layers
 */
export const layer = (options: ZstdOptions): Layer.Layer<Compression, ConfigurationError> =>
  Layer.effect(
    Compression,
    Effect.map(
      makeStoreConfig({ compressionLevel: options.level, compressionDictionary: options.dictionary }),
      (config) => makeZstd(config.compressionLevel, { dictionary: config.compressionDictionary })
    )
  )

/**
 * No compression.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerPassthrough: Layer.Layer<Compression> = Layer.succeed(Compression, passthrough)
