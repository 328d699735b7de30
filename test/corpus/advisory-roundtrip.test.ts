/**
 * Every OSV record of the shared corpus ($VULNERA_DATA_DIR/osv/*.jsonl.gz, 26k documents from 14
 * sources) decodes as an `Advisory` and encodes back to the same JSON (deep-equal): unknown fields,
 * key spellings and string dates all survive. Only registered when VULNERA_DATA_DIR is set.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { isDeepStrictEqual } from "node:util"
import { gunzipSync } from "node:zlib"
import { Either, Schema } from "effect"
import { Advisory } from "../../src/Advisory.js"

const osvDir = join(process.env.VULNERA_DATA_DIR ?? "", "osv")
const files = readdirSync(osvDir).filter((file) => file.endsWith(".jsonl.gz")).sort()
const decode = Schema.decodeUnknownEither(Advisory)
const encode = Schema.encodeEither(Advisory)

describe("OSV corpus round trip", () => {
  it("finds the corpus", () => {
    expect(files.length).toBeGreaterThanOrEqual(14)
  })

  for (const file of files) {
    it(`${file}: decode → encode is lossless for every record`, () => {
      const lines = gunzipSync(readFileSync(join(osvDir, file))).toString("utf8").split("\n").filter((l) => l !== "")
      expect(lines.length).toBeGreaterThan(0)
      const failures: Array<string> = []
      for (const line of lines) {
        const json: unknown = JSON.parse(line)
        const decoded = decode(json)
        if (Either.isLeft(decoded)) {
          failures.push(`${(json as { id?: string }).id}: decode: ${decoded.left.message.slice(0, 300)}`)
          continue
        }
        const encoded = encode(decoded.right)
        if (Either.isLeft(encoded)) failures.push(`${decoded.right.id}: encode: ${encoded.left.message.slice(0, 300)}`)
        else if (!isDeepStrictEqual(encoded.right, json)) failures.push(`${decoded.right.id}: not deep-equal after round trip`)
      }
      // Listing the failing ids (not just a count) makes a regression diagnosable from the report.
      expect(failures.slice(0, 20)).toEqual([])
    })
  }
})
