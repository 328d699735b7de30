/**
 * The real OSV corpus (`<dataDir>/osv/*.jsonl.gz`) as the store writes its records: one
 * `JSON.stringify` per record, files in name order. Shared by the compression benchmark and the
 * dictionary training script, so both see the same records in the same order (the training set
 * is the even positions, the held-out set the odd ones).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"

/** Every record of the corpus, serialised as stored. */
export const osvRecords = (dataDir: string): Array<Buffer> =>
  readdirSync(join(dataDir, "osv"))
    .filter((file) => file.endsWith(".jsonl.gz"))
    .sort()
    .flatMap((file) => gunzipSync(readFileSync(join(dataDir, "osv", file))).toString("utf8").split("\n"))
    .filter((line) => line.trim() !== "")
    .map((line) => Buffer.from(JSON.stringify(JSON.parse(line))))
