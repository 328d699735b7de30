/**
 * A small streaming zip writer for tests and benchmarks (OSV-layout `all.zip` archives).
 *
 * Hand-written rather than `yazl` (installed as a dev dependency) because yazl rescans its whole
 * entry list for every entry it writes and keeps every queued buffer until the end: 20k entries took
 * 7 s and 735 MB RSS, 60k entries 46 s and 1 GB, so the 26k-record corpus test and the 200k-record
 * sync benchmark could not build their archives in bounded memory. This writer appends each entry to
 * the file as it is added and keeps only the central-directory headers (46 bytes + the name per
 * entry). It writes ZIP64 end records when there are more than 65,534 entries (real OSV archives such
 * as npm's have far more), which is what `yauzl` needs to read them back.
 *
 * Limits (test-only code): archives stay under 4 GiB, entries are deflated (or stored) whole.
 */
import { closeSync, openSync, writeSync } from "node:fs"
import { crc32, deflateRawSync } from "node:zlib"

/** Options of a zip writer. */
export interface ZipWriterOptions {
  /** `deflate` (default) or `store` (no compression). */
  readonly method?: "deflate" | "store"
  /** zlib level for `deflate` (default 6; 1 is much faster for large benchmark archives). */
  readonly level?: number
}

/** An archive being written; `add` appends one entry, `close` writes the central directory. */
export interface ZipWriter {
  readonly add: (name: string, content: Uint8Array | string) => void
  /** Finishes the archive; returns its size in bytes and the number of entries. */
  readonly close: () => { readonly bytes: number; readonly entries: number }
}

interface CentralRecord {
  readonly name: Buffer
  readonly method: number
  readonly crc: number
  readonly compressedSize: number
  readonly size: number
  readonly offset: number
}

const utf8Flag = 0x0800
const maxOffset = 0xffff_ffff
// A fixed DOS timestamp (2024-01-01 00:00) so archives built from the same input are identical.
const dosTime = 0
const dosDate = ((2024 - 1980) << 9) | (1 << 5) | 1

const localHeader = (r: CentralRecord): Buffer => {
  const b = Buffer.alloc(30)
  b.writeUInt32LE(0x04034b50, 0)
  b.writeUInt16LE(20, 4)
  b.writeUInt16LE(utf8Flag, 6)
  b.writeUInt16LE(r.method, 8)
  b.writeUInt16LE(dosTime, 10)
  b.writeUInt16LE(dosDate, 12)
  b.writeUInt32LE(r.crc, 14)
  b.writeUInt32LE(r.compressedSize, 18)
  b.writeUInt32LE(r.size, 22)
  b.writeUInt16LE(r.name.length, 26)
  b.writeUInt16LE(0, 28)
  return Buffer.concat([b, r.name])
}

const centralHeader = (r: CentralRecord): Buffer => {
  const b = Buffer.alloc(46)
  b.writeUInt32LE(0x02014b50, 0)
  b.writeUInt16LE((3 << 8) | 45, 4) // made by: Unix, spec 4.5
  b.writeUInt16LE(20, 6)
  b.writeUInt16LE(utf8Flag, 8)
  b.writeUInt16LE(r.method, 10)
  b.writeUInt16LE(dosTime, 12)
  b.writeUInt16LE(dosDate, 14)
  b.writeUInt32LE(r.crc, 16)
  b.writeUInt32LE(r.compressedSize, 20)
  b.writeUInt32LE(r.size, 24)
  b.writeUInt16LE(r.name.length, 28)
  // extra length, comment length, disk number, internal attributes: 0
  b.writeUInt32LE((0o100644 << 16) >>> 0, 38) // regular file, rw-r--r--
  b.writeUInt32LE(r.offset, 42)
  return Buffer.concat([b, r.name])
}

const endRecords = (entries: number, cdOffset: number, cdSize: number): Buffer => {
  const zip64 = entries >= 0xffff
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(zip64 ? 0xffff : entries, 8)
  eocd.writeUInt16LE(zip64 ? 0xffff : entries, 10)
  eocd.writeUInt32LE(cdSize, 12)
  eocd.writeUInt32LE(cdOffset, 16)
  if (!zip64) return eocd
  const record = Buffer.alloc(56)
  record.writeUInt32LE(0x06064b50, 0)
  record.writeBigUInt64LE(44n, 4)
  record.writeUInt16LE((3 << 8) | 45, 12)
  record.writeUInt16LE(45, 14)
  record.writeBigUInt64LE(BigInt(entries), 24)
  record.writeBigUInt64LE(BigInt(entries), 32)
  record.writeBigUInt64LE(BigInt(cdSize), 40)
  record.writeBigUInt64LE(BigInt(cdOffset), 48)
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(0x07064b50, 0)
  locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8)
  locator.writeUInt32LE(1, 16)
  return Buffer.concat([record, locator, eocd])
}

/** Opens `path` (truncating it) for writing a zip archive entry by entry. */
export const createZipWriter = (path: string, options: ZipWriterOptions = {}): ZipWriter => {
  const fd = openSync(path, "w")
  // Central-directory headers, packed into large buffers every few thousand entries so a 200k-entry
  // archive costs about its central directory's size in memory, not 200k small objects.
  const central: Array<Buffer> = []
  let pending: Array<Buffer> = []
  let entries = 0
  let position = 0
  const write = (buffer: Buffer) => {
    let written = 0
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written)
    position += buffer.length
  }
  return {
    add: (name, content) => {
      const data = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content)
      const deflate = (options.method ?? "deflate") === "deflate"
      const body = deflate ? deflateRawSync(data, { level: options.level ?? 6 }) : data
      if (position + body.length > maxOffset) throw new Error("test zip writer: archives over 4 GiB are not supported")
      const record: CentralRecord = {
        name: Buffer.from(name, "utf8"),
        method: deflate ? 8 : 0,
        crc: crc32(data),
        compressedSize: body.length,
        size: data.length,
        offset: position
      }
      write(localHeader(record))
      write(body)
      entries++
      pending.push(centralHeader(record))
      if (pending.length >= 4096) {
        central.push(Buffer.concat(pending))
        pending = []
      }
    },
    close: () => {
      const cdOffset = position
      for (const headers of [...central, Buffer.concat(pending)]) write(headers)
      write(endRecords(entries, cdOffset, position - cdOffset))
      closeSync(fd)
      return { bytes: position, entries }
    }
  }
}

/** Writes a whole archive from `[name, content]` pairs; returns its size and entry count. */
export const writeZip = (
  path: string,
  entries: Iterable<readonly [name: string, content: Uint8Array | string]>,
  options: ZipWriterOptions = {}
): { readonly bytes: number; readonly entries: number } => {
  const writer = createZipWriter(path, options)
  for (const [name, content] of entries) writer.add(name, content)
  return writer.close()
}
