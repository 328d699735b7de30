/**
 * Decode cost of stored advisories (after decompression), per record, on the real OSV corpus:
 *
 * - marked: the bytes this library writes (`Codec.trustedMarker` + JSON) — `JSON.parse` plus the
 *   structural check;
 * - unmarked, own format: the same JSON without the marker (values written before the marker) —
 *   `JSON.parse` plus the Schema type guard;
 * - unmarked, Rust-style: the same JSON with a `null` field, as serde_json writes absent options —
 *   `JSON.parse`, the failing type guard, then the full Schema decode.
 *
 * The records are those of the corpus the store marks. Each case decodes every record (best of 3 rounds) and checks it was read. The ratio is
 * marked / unmarked (lower is better).
 *
 * Run: `npx tsx bench/decode.ts` (or `npm run bench -- --only decode`). Environment:
 * `VULNERA_DATA_DIR` (default ../shared/data), `BENCH_SCALE` (fraction of the corpus).
 */
import { Effect, Either } from "effect"
import { advisoryFromBytes } from "../src/internal/store/decode.js"
import * as Codec from "../src/internal/store/storeCodec.js"
import { osvRecords } from "./utils/osvCorpus.js"
import { dataDir } from "./utils/osvZip.js"
import { emitFigure, environmentLine, ratio, row, scaled } from "./utils/report.js"

const all = osvRecords(dataDir())
const encoder = new TextEncoder()
// Only the records the store marks (those without a `null` literal, ~94% of the corpus): the three
// cases then decode the same records.
const written = all.slice(0, scaled(all.length)).map((record) =>
  Effect.runSync(Codec.prepareAdvisory(JSON.parse(record.toString("utf8")))).json
)
const records = written.filter((json) => json.startsWith(Codec.trustedMarker)).map((json) =>
  Buffer.from(json.slice(Codec.trustedMarker.length))
)
const marked = records.map((record) => encoder.encode(Codec.trustedMarker + record.toString("utf8")))
const unmarked = records.map((record) => Uint8Array.from(record))
const rustStyle = records.map((record) => encoder.encode(`{"withdrawn":null,${record.toString("utf8").slice(1)}`))

/** Fastest of `rounds` full passes over `values`, in µs per record. */
const microsPerRecord = (values: ReadonlyArray<Uint8Array>, rounds = 3): number => {
  let fastest = Infinity
  for (let round = 0; round < rounds; round++) {
    const start = performance.now()
    for (let i = 0; i < values.length; i++) {
      if (Either.isLeft(advisoryFromBytes("bench", values[i]!))) throw new Error(`record ${i} did not decode`)
    }
    fastest = Math.min(fastest, performance.now() - start)
  }
  return (fastest * 1000) / values.length
}

console.log(`# Decoding stored advisories (${records.length} of ${written.length} real OSV records: those the store marks)\n`)
console.log(environmentLine())
console.log("")
const markedUs = microsPerRecord(marked)
const unmarkedUs = microsPerRecord(unmarked)
const rustUs = microsPerRecord(rustStyle)
row("bytes", "check", "µs/record", "vs marked")
row("---", "---", "---", "---")
row("marked (written by this library)", "JSON.parse + structural check", markedUs.toFixed(1), ratio(1))
row("unmarked, own format (before the marker)", "JSON.parse + Schema.is", unmarkedUs.toFixed(1), ratio(unmarkedUs / markedUs))
row("unmarked, Rust-style (a null field)", "JSON.parse + Schema decode", rustUs.toFixed(1), ratio(rustUs / markedUs))
emitFigure({
  bench: "decode",
  name: "decode µs/record: marked vs unmarked (Schema.is) vs Rust-style (Schema decode)",
  value: `${markedUs.toFixed(1)} vs ${unmarkedUs.toFixed(1)} vs ${rustUs.toFixed(1)} µs = ${ratio(markedUs / unmarkedUs)} / ${
    ratio(markedUs / rustUs)
  }`
})
