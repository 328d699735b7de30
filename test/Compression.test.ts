/**
 * The zstd codec: round trips with and without the shipped `osv-v1` dictionary, frames of either
 * kind read by a codec configured either way, the Rust crate's streaming frame, and the failures
 * (not a frame, truncated header, a dictionary this version does not ship, a frame that needs a
 * dictionary it does not name, corrupt bytes) as `CompressionError`, never a crash or wrong bytes.
 * Inputs are real OSV records from test/fixtures.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer } from "effect"
import { createRequire } from "node:module"
import { readFileSync } from "node:fs"
import * as Compression from "../src/Compression.js"
import { CompressionError } from "../src/Errors.js"
import { frameDictionaryId, isWholeFrame } from "../src/internal/compression/dictionaries.js"
import { osvV1Id } from "../src/internal/compression/osvDictionary.js"
import * as StoreConfig from "../src/StoreConfig.js"
import { sampleLines } from "./utils/osvFixtures.js"

const records = sampleLines().map((line) => Buffer.from(JSON.stringify(JSON.parse(line))))
const withDictionary = Compression.makeZstd(3, { dictionary: "osv-v1" })
const plain = Compression.makeZstd(3, { dictionary: "none" })
const bytesOf = (frames: ReadonlyArray<Uint8Array>) => frames.reduce((n, f) => n + f.length, 0)
const rustFrame = readFileSync(new URL("./fixtures/redis/rust-RUSTSEC-2016-0003.json.zst", import.meta.url))
const rustJson = readFileSync(new URL("./fixtures/redis/rust-RUSTSEC-2016-0003.json", import.meta.url))

describe("Compression.makeZstd", () => {
  it.effect("round-trips real records with and without the dictionary; the dictionary frames are smaller", () =>
    Effect.gen(function*() {
      expect(records.length).toBeGreaterThan(20)
      const packed = yield* withDictionary.compressAll(records)
      const packedPlain = yield* plain.compressAll(records)
      expect((yield* withDictionary.decompressAll(packed)).map(Either.getOrThrow)).toEqual(records)
      expect((yield* plain.decompressAll(packedPlain)).map(Either.getOrThrow)).toEqual(records)
      expect(yield* withDictionary.decompress(yield* withDictionary.compress(records[0]!))).toEqual(records[0])
      // The frames name the dictionary they need; plain frames name none.
      expect(packed.every((frame) => frameDictionaryId(frame) === osvV1Id)).toBe(true)
      expect(packedPlain.every((frame) => frameDictionaryId(frame) === 0)).toBe(true)
      expect(bytesOf(packed)).toBeLessThan(bytesOf(packedPlain) * 0.7)
      expect(withDictionary.name).toBe("zstd-3+osv-v1")
      expect(plain.name).toBe("zstd-3")
    }))

  it.effect("each codec reads the other's frames, and both read the Rust crate's streaming frame", () =>
    Effect.gen(function*() {
      const dictionaryFrame = yield* withDictionary.compress(records[1]!)
      const plainFrame = yield* plain.compress(records[1]!)
      expect(yield* plain.decompress(dictionaryFrame)).toEqual(records[1])
      expect(yield* withDictionary.decompress(plainFrame)).toEqual(records[1])
      for (const codec of [plain, withDictionary]) {
        expect(Buffer.from(yield* codec.decompress(rustFrame)).equals(rustJson)).toBe(true)
      }
    }))

  it.effect("a frame of a dictionary this version does not ship fails with CompressionError naming its id", () =>
    Effect.gen(function*() {
      const frame = Buffer.from(yield* withDictionary.compress(records[2]!))
      // The 4-byte dictionary id follows the descriptor (and the window byte of non-single-segment frames).
      const at = 5 + ((frame[4]! & 0x20) !== 0 ? 0 : 1)
      expect(frame.readUInt32LE(at)).toBe(osvV1Id)
      frame.writeUInt32LE(osvV1Id ^ 0x5a5a5a5a, at)
      const error = yield* Effect.flip(withDictionary.decompress(frame))
      expect(error).toBeInstanceOf(CompressionError)
      expect(error.detail).toContain(`dictionary id ${osvV1Id ^ 0x5a5a5a5a}`)
    }))

  it.effect("a frame compressed with a dictionary it does not name (wrong dictionary) fails with CompressionError", () =>
    Effect.gen(function*() {
      // A raw-content dictionary leaves no id in the frame: the decoder only learns it is missing
      // when the frame's matches point into it.
      const { Encoder } = createRequire(import.meta.url)("@toondepauw/node-zstd") as {
        Encoder: new(level: number, dictionary?: Buffer) => { encodeSync(data: Buffer): Buffer }
      }
      const record = Buffer.from(records[3]!)
      const frame = new Encoder(3, Buffer.concat([record, record])).encodeSync(record)
      expect(frameDictionaryId(frame)).toBe(0)
      for (const codec of [plain, withDictionary]) {
        const error = yield* Effect.flip(codec.decompress(frame))
        expect(error).toBeInstanceOf(CompressionError)
        expect(error.operation).toBe("decompress")
      }
    }))

  it.effect("corrupt, truncated and non-zstd bytes fail with CompressionError, each on its own in a batch", () =>
    Effect.gen(function*() {
      const good = yield* withDictionary.compress(records[4]!)
      const corrupt = Buffer.from(good)
      for (let i = 12; i < corrupt.length; i += 7) corrupt[i] = corrupt[i]! ^ 0xff
      const truncatedHeader = good.subarray(0, 6)
      const notZstd = new TextEncoder().encode("{\"id\":\"plain json\"}")
      const results = yield* withDictionary.decompressAll([corrupt, good, truncatedHeader, notZstd, good.subarray(0, good.length - 5)])
      expect(Either.getOrThrow(results[1]!)).toEqual(records[4])
      for (const i of [0, 2, 3, 4]) {
        const error = Either.getLeft(results[i]!)
        expect(error._tag).toBe("Some")
        expect(Either.isLeft(results[i]!) && results[i]!.left).toBeInstanceOf(CompressionError)
      }
      expect((yield* Effect.flip(withDictionary.decompress(truncatedHeader))).detail).toContain("truncated zstd frame header")
      expect((yield* Effect.flip(withDictionary.decompress(notZstd))).detail).toContain("not a zstd frame")
    }))
})

/** The native decoder's `decode`, counted (the binding's class, shared by every codec). */
const countingDecodes = <A, E>(body: (calls: { count: number }) => Effect.Effect<A, E>) => {
  const binding = createRequire(import.meta.url)("@toondepauw/node-zstd") as {
    readonly Decoder: { prototype: { decode: (data: Buffer) => Promise<Buffer> } }
  }
  const prototype = binding.Decoder.prototype
  const original = prototype.decode
  const calls = { count: 0 }
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      prototype.decode = function(this: unknown, data: Buffer) {
        calls.count++
        return original.call(this, data)
      }
    }),
    () => body(calls),
    () => Effect.sync(() => void (prototype.decode = original))
  )
}

describe("Compression.makeZstd: batched decompressAll", () => {
  const previous = createRequire(import.meta.url)("@mongodb-js/zstd/bindings.js") as {
    readonly compress: (data: Buffer, level?: number) => Promise<Buffer>
  }
  /** Every kind of value a store can hold, good and bad, each kind several times. */
  const mixedValues = Effect.gen(function*() {
    const dictionaryFrames = yield* withDictionary.compressAll(records)
    const plainFrames = yield* plain.compressAll(records)
    // Streaming frames without a content size, as the Rust crate writes them.
    const streaming = yield* Effect.promise(() => Promise.all(records.slice(0, 8).map((r) => previous.compress(r, 3))))
    const withSeparatorByte = yield* withDictionary.compressAll([
      Buffer.from("a\u001eb"), Buffer.from([0x1e]), Buffer.from([0x1e, 0x1e, 0x41]), Buffer.alloc(0)
    ])
    const corrupt = dictionaryFrames.slice(0, 6).map((frame) => {
      const bytes = Buffer.from(frame)
      for (let i = 14; i < bytes.length - 2; i += 9) bytes[i] = bytes[i]! ^ 0x5a
      return bytes
    })
    const truncated = dictionaryFrames.slice(6, 10).map((frame) => frame.subarray(0, frame.length - 3))
    const trailing = plainFrames.slice(0, 4).map((frame) => Buffer.concat([frame, Buffer.from([0])]))
    const unknownDictionary = dictionaryFrames.slice(10, 12).map((frame) => {
      const bytes = Buffer.from(frame)
      const at = 5 + ((bytes[4]! & 0x20) !== 0 ? 0 : 1)
      bytes.writeUInt32LE(osvV1Id ^ 0x1234, at)
      return bytes
    })
    const garbage = [Buffer.from("{\"id\":\"json\"}"), Buffer.alloc(0), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])]
    const kinds: ReadonlyArray<ReadonlyArray<Uint8Array>> = [
      dictionaryFrames, plainFrames, streaming, [rustFrame], withSeparatorByte, corrupt, truncated, trailing, unknownDictionary, garbage
    ]
    // Interleaved, in a fixed pseudo-random order, and repeated past one batch (256 values).
    const all = kinds.flat()
    const values: Array<Uint8Array> = []
    let seed = 7
    while (values.length < 700) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      values.push(all[seed % all.length]!)
    }
    return { values, dictionaryFrames, plainFrames, streaming, corrupt, truncated, trailing }
  })

  it.effect("gives every value exactly what decompressing it alone gives, for any mix of values", () =>
    Effect.gen(function*() {
      const { values } = yield* mixedValues
      for (const codec of [withDictionary, plain]) {
        const batched = yield* codec.decompressAll(values)
        const alone = yield* Effect.forEach(values, (value) => Effect.either(codec.decompress(value)))
        expect(batched.length).toBe(values.length)
        let good = 0
        for (let i = 0; i < values.length; i++) {
          const a = batched[i]!
          const b = alone[i]!
          expect(Either.isRight(a)).toBe(Either.isRight(b))
          if (Either.isRight(a) && Either.isRight(b)) {
            expect(Buffer.from(a.right).equals(Buffer.from(b.right))).toBe(true)
            good++
          } else {
            expect(Either.isLeft(a) && a.left).toBeInstanceOf(CompressionError)
          }
        }
        // Mostly good values, and some bad ones of each kind.
        expect(good).toBeGreaterThan(values.length / 2)
        expect(good).toBeLessThan(values.length)
      }
    }))

  it.effect("whole frames are decompressed a batch per native call; values containing the separator byte are still exact", () =>
    countingDecodes((calls) =>
      Effect.gen(function*() {
        const frames = (yield* withDictionary.compressAll(records)).flatMap((frame) => Array.from({ length: 20 }, () => frame))
        expect(frames.length).toBeGreaterThan(400)
        calls.count = 0
        const results = yield* withDictionary.decompressAll(frames)
        expect(results.every((r, i) => Buffer.from(Either.getOrThrow(r)).equals(records[Math.floor(i / 20)]!))).toBe(true)
        // About one call per pool thread, more when a batch reaches 256 values.
        expect(calls.count).toBeLessThanOrEqual(Math.ceil(frames.length / 256) + 4)
        // A value whose content holds the separator byte sends its batch value by value: still exact.
        const odd = yield* withDictionary.compress(Buffer.from([0x41, 0x1e, 0x42]))
        calls.count = 0
        const mixed = yield* withDictionary.decompressAll([...frames.slice(0, 7), odd])
        expect(Buffer.from(Either.getOrThrow(mixed[7]!))).toEqual(Buffer.from([0x41, 0x1e, 0x42]))
        expect(mixed.slice(0, 7).every((r, i) => Buffer.from(Either.getOrThrow(r)).equals(records[Math.floor(i / 20)]!))).toBe(true)
        expect(calls.count).toBeGreaterThan(2)
      })))

  it.effect("isWholeFrame: exactly one frame, ending at the last byte", () =>
    Effect.gen(function*() {
      const { dictionaryFrames, plainFrames, streaming, truncated, trailing } = yield* mixedValues
      for (const frame of [...dictionaryFrames, ...plainFrames, ...streaming, rustFrame]) expect(isWholeFrame(frame)).toBe(true)
      for (const frame of [...truncated, ...trailing]) expect(isWholeFrame(frame)).toBe(false)
      // Two frames back to back are not one; nor is a frame with a reserved block type or reserved bit.
      expect(isWholeFrame(Buffer.concat([plainFrames[0]!, plainFrames[1]!]))).toBe(false)
      const raw = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x01, 0x09, 0x00, 0x00, 0x1e])
      expect(isWholeFrame(raw)).toBe(true)
      expect(isWholeFrame(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x01, 0x0f, 0x00, 0x00, 0x1e]))).toBe(false)
      expect(isWholeFrame(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x28, 0x01, 0x09, 0x00, 0x00, 0x1e]))).toBe(false)
      expect(yield* plain.decompress(raw)).toEqual(Buffer.from([0x1e]))
    }))
})

describe("Compression layers", () => {
  it.effect("layerZstd writes with the dictionary from StoreConfig (unset: the backend's default, osv-v1 outside a store)", () =>
    Effect.gen(function*() {
      const nameWith = (config: Partial<StoreConfig.StoreConfigShape>) =>
        Effect.map(Compression.Compression, (c) => c.name).pipe(
          Effect.provide(Compression.layerZstd.pipe(Layer.provide(StoreConfig.layer(config))))
        )
      expect(yield* nameWith({})).toBe("zstd-3+osv-v1")
      expect(yield* nameWith({ compressionDictionary: "none", compressionLevel: 9 })).toBe("zstd-9")
      const inCode = yield* Effect.provide(Compression.Compression, Compression.layer({ level: 1, dictionary: "none" }))
      expect(inCode.name).toBe("zstd-1")
      // Unset: each backend's default; an explicit choice wins over it.
      const unset = yield* Effect.provide(Compression.Compression, Compression.layer({ level: 3 }))
      expect(Compression.forBackend(unset, "redis").name).toBe("zstd-3")
      expect(Compression.forBackend(unset, "lmdb").name).toBe("zstd-3+osv-v1")
      expect(Compression.forBackend(unset, "memory").name).toBe("zstd-3+osv-v1")
      expect(Compression.forBackend(withDictionary, "redis").name).toBe("zstd-3+osv-v1")
      expect(Compression.forBackend(plain, "lmdb").name).toBe("zstd-3")
      expect(Compression.forBackend(Compression.passthrough, "redis")).toBe(Compression.passthrough)
    }))

  it.effect("VULNERA__STORE__COMPRESSION_DICTIONARY is read, and an unknown name is a ConfigurationError naming it", () =>
    Effect.gen(function*() {
      const fromEnv = (value: string) =>
        StoreConfig.fromEnv().pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["VULNERA__STORE__COMPRESSION_DICTIONARY", value]])))
        )
      expect((yield* fromEnv("none")).compressionDictionary).toBe("none")
      expect((yield* fromEnv(" osv-v1 ")).compressionDictionary).toBe("osv-v1")
      const error = yield* Effect.flip(fromEnv("osv-v9"))
      expect(error.variable).toBe("VULNERA__STORE__COMPRESSION_DICTIONARY")
      expect(error.message).toContain("osv-v1, none")
    }))
})
