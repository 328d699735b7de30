/**
 * Building OSV-layout `all.zip` archives of any size from the real corpus, for benchmarks.
 *
 * The shared corpus ($VULNERA_DATA_DIR/osv/*.jsonl.gz, 26k records) is replicated until the
 * requested count is reached: pass 0 keeps the records as published, pass k >= 1 renames each one to
 * `<id>-r<k>` (aliases, packages and everything else unchanged, so index sizes grow the way a bigger
 * database's do). Records are streamed from the corpus and written entry by entry, so building a
 * 200k-record archive takes little memory.
 */
import { createReadStream, mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import { createGunzip } from "node:zlib"
import { createZipWriter } from "../../test/utils/zip.js"

/** The corpus directory: `$VULNERA_DATA_DIR` (default `../shared/data`, relative to the working directory). */
export const dataDir = (): string => process.env.VULNERA_DATA_DIR ?? join(process.cwd(), "..", "shared", "data")

/** The corpus files (`osv/*.jsonl.gz`), sorted. */
export const corpusFiles = (dir: string = dataDir()): ReadonlyArray<string> =>
  readdirSync(join(dir, "osv"))
    .filter((file) => file.endsWith(".jsonl.gz"))
    .sort()
    .map((file) => join(dir, "osv", file))

/** Every corpus record as its published JSON line, streamed file by file. */
export async function* corpusLines(dir: string = dataDir()): AsyncGenerator<string> {
  for (const file of corpusFiles(dir)) {
    const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })
    for await (const line of lines) if (line.trim() !== "") yield line
  }
}

/** The id of replica `pass` of a record (`pass` 0 is the record itself). */
export const replicaId = (id: string, pass: number): string => (pass === 0 ? id : `${id}-r${pass}`)

/** Options of `writeReplicatedAllZip`. */
export interface ReplicatedZipOptions {
  /** Where to write the archive. */
  readonly path: string
  /** Number of records (entries) to write. */
  readonly count: number
  /** Corpus directory (default `dataDir()`). */
  readonly dataDir?: string
  /** Deflate level (default 6, like real exports; 1 builds faster). */
  readonly level?: number
}

/** What was written. */
export interface ReplicatedZip {
  readonly path: string
  readonly entries: number
  readonly bytes: number
  /** Uncompressed JSON bytes. */
  readonly jsonBytes: number
  /** How many times the corpus was read (passes, the last one partial). */
  readonly passes: number
}

/** Writes an `all.zip` of `count` distinct-id records replicated from the corpus. */
export const writeReplicatedAllZip = async (options: ReplicatedZipOptions): Promise<ReplicatedZip> => {
  const writer = createZipWriter(options.path, { level: options.level ?? 6 })
  let written = 0
  let jsonBytes = 0
  let pass = 0
  while (written < options.count) {
    let seen = 0
    for await (const line of corpusLines(options.dataDir)) {
      if (written >= options.count) break
      seen++
      const record = JSON.parse(line) as { id: string }
      const id = replicaId(record.id, pass)
      const json = pass === 0 ? line : JSON.stringify({ ...record, id })
      writer.add(`${id}.json`, json)
      jsonBytes += Buffer.byteLength(json)
      written++
    }
    if (seen === 0) throw new Error(`no OSV records under ${options.dataDir ?? dataDir()}/osv`)
    pass++
  }
  const { bytes, entries } = writer.close()
  return { path: options.path, entries, bytes, jsonBytes, passes: pass }
}

/** A `file://` OSV mirror with one ecosystem directory holding a replicated `all.zip`. */
export interface ReplicatedMirror extends ReplicatedZip {
  /** `baseUrl` for `OsvSource` (`file://<root>`). */
  readonly baseUrl: string
  /** The ecosystem directory name (pass it as the source's only ecosystem). */
  readonly ecosystem: string
}

/**
 * Writes `<root>/<ecosystem>/all.zip` (default ecosystem directory `Replicated`; the records keep
 * their own `affected[].package.ecosystem`).
 */
export const writeReplicatedMirror = async (
  root: string,
  options: Omit<ReplicatedZipOptions, "path"> & { readonly ecosystem?: string }
): Promise<ReplicatedMirror> => {
  const ecosystem = options.ecosystem ?? "Replicated"
  mkdirSync(join(root, ecosystem), { recursive: true })
  const zip = await writeReplicatedAllZip({ ...options, path: join(root, ecosystem, "all.zip") })
  return { ...zip, baseUrl: pathToFileURL(root).href, ecosystem }
}
