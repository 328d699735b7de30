/**
 * The zstd dictionaries this library ships, by name, and the frame-header parsing that tells which
 * dictionary a frame needs. Shared by `Compression` (which uses them) and `StoreConfig` (which
 * validates the configured name), so neither imports the other.
 */
import { osvV1Base64, osvV1Id } from "./osvDictionary.js"

/** The names `VULNERA__STORE__COMPRESSION_DICTIONARY` accepts: a shipped dictionary, or `none`. */
export const dictionaryNames = ["osv-v1", "none"] as const

/** A shipped dictionary's name, or `none` (plain frames, readable by any zstd decoder). */
export type DictionaryName = (typeof dictionaryNames)[number]

/** Whether `name` is one of `dictionaryNames`. */
export const isDictionaryName = (name: string): name is DictionaryName =>
  (dictionaryNames as ReadonlyArray<string>).includes(name)

/** A shipped dictionary: the id zstd writes in its frames and its bytes (decoded on first use). */
export interface ShippedDictionary {
  readonly name: Exclude<DictionaryName, "none">
  readonly id: number
  readonly bytes: () => Buffer
}

let osvV1Bytes: Buffer | undefined

/** Every shipped dictionary; a frame naming another id cannot be read by this version. */
export const shippedDictionaries: ReadonlyArray<ShippedDictionary> = [
  { name: "osv-v1", id: osvV1Id, bytes: () => (osvV1Bytes ??= Buffer.from(osvV1Base64, "base64")) }
]

/** The 4-byte zstd frame magic number (little-endian 0xFD2FB528). */
export const isZstdFrame = (data: Uint8Array): boolean =>
  data.length >= 4 && data[0] === 0x28 && data[1] === 0xb5 && data[2] === 0x2f && data[3] === 0xfd

/**
 * The dictionary id in a zstd frame header (RFC 8878 §3.1.1.1): 0 when the frame names none,
 * `undefined` when the header is truncated. Callers check `isZstdFrame` first.
 */
export const frameDictionaryId = (frame: Uint8Array): number | undefined => {
  const descriptor = frame[4]
  if (descriptor === undefined) return undefined
  const idBytes = [0, 1, 2, 4][descriptor & 0b11]!
  const singleSegment = (descriptor & 0b0010_0000) !== 0
  const start = 5 + (singleSegment ? 0 : 1)
  if (frame.length < start + idBytes) return undefined
  let id = 0
  for (let i = idBytes - 1; i >= 0; i--) id = id * 256 + frame[start + i]!
  return id
}

/**
 * Whether `frame` is exactly one whole zstd frame (RFC 8878 §3.1.1): its header, then blocks up to
 * the one marked last (a reserved block type fails), then the checksum if the header announces
 * one, ending at the last byte. Only such frames are decompressed in a batch (`Compression.makeZstd`): a
 * decoder given several of them back to back cannot read one value's bytes as part of another's.
 */
export const isWholeFrame = (frame: Uint8Array): boolean => {
  if (!isZstdFrame(frame) || frame.length < 6) return false
  const descriptor = frame[4]!
  if ((descriptor & 0b1000) !== 0) return false // reserved bit
  const singleSegment = (descriptor & 0b10_0000) !== 0
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 0b11]! +
    [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!
  for (;;) {
    if (at + 3 > frame.length) return false
    const header = frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16)
    const type = (header >> 1) & 0b11
    if (type === 3) return false
    at += 3 + (type === 1 ? 1 : header >>> 3) // an RLE block holds one byte; raw and compressed ones their size
    if ((header & 1) === 1) break
  }
  return at + ((descriptor & 0b100) !== 0 ? 4 : 0) === frame.length
}
