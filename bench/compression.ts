/**
 * zstd on the real OSV corpus, as the store compresses it (one frame per record, through
 * `Compression.compressAll` / `decompressAll`): per level, without a dictionary and with the shipped
 * `osv-v1` dictionary, the ratio and MB/s side by side, plus the previous binding
 * (`@mongodb-js/zstd`, no dictionary) at level 3 as the speed baseline of the same run.
 *
 * The ratio is measured on the held-out half of the corpus (odd positions; the dictionary was
 * trained on the even ones, scripts/train-dictionary.ts), and on the whole corpus for reference.
 *
 *   npx tsx bench/compression.ts      # VULNERA_DATA_DIR (default ../shared/data); BENCH_SCALE scales the sample
 */
import { Effect, Either } from "effect"
import { createRequire } from "node:module"
import * as Compression from "../src/Compression.js"
import { osvRecords } from "./utils/osvCorpus.js"
import { dataDir } from "./utils/osvZip.js"
import { emitFigure, environmentLine, row, scaled } from "./utils/report.js"

const previous = createRequire(import.meta.url)("@mongodb-js/zstd/bindings.js") as {
  readonly compress: (data: Buffer, level?: number) => Promise<Buffer>
  readonly decompress: (data: Buffer) => Promise<Buffer>
}

const all = osvRecords(dataDir())
const heldOut = all.filter((_, i) => i % 2 === 1)
/** Every k-th held-out record, so a scaled-down run still spans every ecosystem's files. */
const sample = ((count: number) => heldOut.filter((_, i) => i % Math.max(1, Math.floor(heldOut.length / count)) === 0))(
  scaled(heldOut.length, 500)
)
const bytesOf = (frames: ReadonlyArray<Uint8Array>) => frames.reduce((n, f) => n + f.length, 0)
const rawBytes = bytesOf(sample)

/** Best of `rounds` (the machine may be shared), in milliseconds, and the last result. */
const best = async <A>(rounds: number, run: () => Promise<A>): Promise<readonly [number, A]> => {
  let fastest = Number.POSITIVE_INFINITY
  let result!: A
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    result = await run()
    fastest = Math.min(fastest, performance.now() - start)
  }
  return [fastest, result]
}
const mbps = (bytes: number, millis: number) => (bytes / 1e3 / millis).toFixed(1)

console.log(`# zstd on real OSV records (${sample.length} held-out records, ${(rawBytes / 1e6).toFixed(1)} MB of JSON)\n`)
console.log(environmentLine())
console.log("")
row("codec", "level", "dictionary", "ratio (held out)", "ratio (whole corpus)", "compress MB/s", "decompress MB/s")
row("---", "---", "---", "---", "---", "---", "---")

{
  const [compressMs, packed] = await best(2, () => Promise.all(sample.map((b) => previous.compress(b, 3))))
  const [decompressMs] = await best(2, () => Promise.all(packed.map((b) => previous.decompress(b))))
  row("@mongodb-js/zstd (before)", 3, "none", (rawBytes / bytesOf(packed)).toFixed(2), "", mbps(rawBytes, compressMs), mbps(rawBytes, decompressMs))
}

// Level 19 is ~50x slower than 3: a smaller sample keeps the run short.
for (const level of [1, 3, 9, 19]) {
  for (const dictionary of ["none", "osv-v1"] as const) {
    const codec = Compression.makeZstd(level, { dictionary })
    const records = level === 19 ? sample.filter((_, i) => i % Math.max(1, Math.floor(sample.length / 500)) === 0) : sample
    const raw = bytesOf(records)
    const [compressMs, packed] = await best(level === 19 ? 1 : 2, () => Effect.runPromise(codec.compressAll(records)))
    const [decompressMs, unpacked] = await best(2, () => Effect.runPromise(codec.decompressAll(packed)))
    if (!unpacked.every((u, i) => Either.isRight(u) && Buffer.from(u.right).equals(records[i]!))) throw new Error(`${codec.name}: round trip differs`)
    const heldOutRatio = raw / bytesOf(packed)
    const wholeRatio = level === 3 ? (bytesOf(all) / bytesOf(await Effect.runPromise(codec.compressAll(all)))).toFixed(2) : ""
    row(codec.name, level, dictionary, heldOutRatio.toFixed(2), wholeRatio, mbps(raw, compressMs), mbps(raw, decompressMs))
    if (level === 3) {
      emitFigure({
        bench: "compression",
        name: `zstd 3, dictionary ${dictionary}: ratio on held-out records, compress / decompress MB/s`,
        value: `${heldOutRatio.toFixed(2)}, ${mbps(raw, compressMs)} / ${mbps(raw, decompressMs)}`,
        ...(dictionary === "osv-v1" ? { target: "ratio >= 5", pass: heldOutRatio >= 5 } : {})
      })
    }
  }
}
