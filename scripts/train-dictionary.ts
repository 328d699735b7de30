/**
 * Trains the zstd dictionary shipped as `osv-v1` (`src/internal/compression/osvDictionary.ts`) on
 * the real OSV corpus (`VULNERA_DATA_DIR`, default `../shared/data`).
 *
 * No JavaScript zstd binding can train a dictionary (`@toondepauw/node-zstd`, `@bokuweb/zstd-wasm`
 * and `@mongodb-js/zstd` only use one), so this build-time script runs the reference `zstd` CLI
 * (`apt-get install zstd`): `zstd --train`. Only maintainers run it; the output is committed, so
 * neither installs nor CI need the CLI.
 *
 * Training set: every other record (even positions, files sorted by name) in the form the store
 * writes (`JSON.stringify` of the decoded record). The odd positions are the held-out half
 * `bench/compression.ts` measures the ratio on, so the figure is not the dictionary reciting its
 * own training data.
 *
 * Run: `npx tsx scripts/train-dictionary.ts`. Deterministic for the same corpus and zstd version.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { osvRecords } from "../bench/utils/osvCorpus.js"

const dataDir = process.env.VULNERA_DATA_DIR ?? fileURLToPath(new URL("../../shared/data", import.meta.url))
const output = fileURLToPath(new URL("../src/internal/compression/osvDictionary.ts", import.meta.url))
/** zstd's default dictionary size (110 KiB): larger gave < 2% more ratio on this corpus. */
const maxDictBytes = 112_640

const work = mkdtempSync(join(tmpdir(), "vulnera-dict-"))
try {
  const records = osvRecords(dataDir)
  const training = records.filter((_, i) => i % 2 === 0)
  training.forEach((record, i) => writeFileSync(join(work, `${i}.json`), record))
  const dictFile = join(work, "osv.zdict")
  execFileSync("zstd", ["--train", "-q", "-r", work, "-o", dictFile, `--maxdict=${maxDictBytes}`], { stdio: "inherit" })
  const dict = readFileSync(dictFile)
  const id = dict.readUInt32LE(4)
  const version = /v\d+\.\d+\.\d+/.exec(execFileSync("zstd", ["--version"], { encoding: "utf8" }))?.[0] ?? "unknown"
  writeFileSync(
    output,
    `/**
 * The \`osv-v1\` zstd dictionary (${dict.length} bytes, dictionary id ${id}), trained by
 * \`scripts/train-dictionary.ts\` with the zstd CLI ${version} on ${training.length} OSV records (every other
 * record of the corpus in ../shared/data/osv). Generated: do not edit. Base64 rather than a binary
 * file so the bundled CLI and every bundler carry it without a loader.
 */

/** The dictionary id written in every frame compressed with this dictionary. */
export const osvV1Id = ${id}

/** The dictionary, base64 (annotated \`string\` so the emitted .d.ts does not repeat the literal). */
export const osvV1Base64: string =
  "${dict.toString("base64")}"
`
  )
  console.log(`wrote ${output}: ${dict.length} bytes, id ${id}, trained on ${training.length} records`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
