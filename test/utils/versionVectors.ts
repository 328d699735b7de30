/**
 * Version-ordering test vectors (`A < B` / `A = B` / `A > B` per line; blank, `# ` and `// `
 * lines skipped) checked against `Versions.compare`, shared by the unit suite (fixtures copied
 * into test/fixtures/versions) and the corpus suite (the originals in $VULNERA_DATA_DIR/versions).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Either } from "effect"
import * as Versions from "../../src/Versions.js"

/** Which ecosystems each vector file covers (osv-scalibr uses the SemVer file for npm, crates.io, Go and Hex). */
export const vectorEcosystems: Readonly<Record<string, ReadonlyArray<string>>> = {
  "semver-versions.txt": ["npm", "crates.io", "Go", "Hex"],
  "debian-versions.txt": ["Debian"],
  "maven-versions.txt": ["Maven"],
  "nuget-versions.txt": ["NuGet"],
  "packagist-versions.txt": ["Packagist"],
  "pypi-versions.txt": ["PyPI"],
  "rubygems-versions.txt": ["RubyGems"],
  "alpine-versions.txt": ["Alpine"],
  "redhat-versions.txt": ["Red Hat"],
  "cran-versions.txt": ["CRAN"],
  "hackage-versions.txt": ["Hackage"],
  "pub-versions.txt": ["Pub"]
}

/** One comparison line. */
export interface Vector {
  readonly line: number
  readonly a: string
  readonly b: string
  readonly expected: Versions.Ordering
}

/** Reads a vector file. Throws on a line that is neither skipped nor a comparison. */
export const readVectors = (path: string): ReadonlyArray<Vector> =>
  readFileSync(path, "utf8")
    .split("\n")
    .flatMap((text, i) => {
      if (text.trim() === "" || text.startsWith("# ") || text.startsWith("// ")) return []
      const m = /^(.*) ([<=>]) (.*)$/.exec(text)
      if (m === null) throw new Error(`${path}:${i + 1}: not a comparison: ${JSON.stringify(text)}`)
      return [{ line: i + 1, a: m[1], b: m[3], expected: m[2] === "<" ? -1 : m[2] === "=" ? 0 : 1 } as const]
    })

/** The outcome of one file for one ecosystem. */
export interface VectorReport {
  readonly file: string
  readonly ecosystem: string
  readonly total: number
  readonly passed: number
  /** Lines where the ordering was wrong (in either direction). */
  readonly wrong: ReadonlyArray<string>
  /** Lines where a side was reported unparseable, with the string(s) rejected. */
  readonly unparseable: ReadonlyArray<{ readonly line: string; readonly rejected: ReadonlyArray<string> }>
}

/** Checks every line of a vector file, both ways round (`compare(a, b)` and `compare(b, a)`). */
export const checkVectors = (dir: string, file: string, ecosystem: string): VectorReport => {
  const wrong: Array<string> = []
  const unparseable: Array<{ line: string; rejected: Array<string> }> = []
  const vectors = readVectors(join(dir, file))
  let passed = 0
  for (const v of vectors) {
    const label = `${file}:${v.line} ${v.a} ${["<", "=", ">"][v.expected + 1]} ${v.b}`
    const forward = Versions.compare(ecosystem, v.a, v.b)
    const backward = Versions.compare(ecosystem, v.b, v.a)
    if (Either.isLeft(forward) || Either.isLeft(backward)) {
      unparseable.push({ line: label, rejected: [v.a, v.b].filter((s) => !Versions.isValid(ecosystem, s)) })
    } else if (forward.right === v.expected && backward.right === -v.expected) passed++
    else wrong.push(`${label} (got ${forward.right}, reversed ${backward.right})`)
  }
  return { file, ecosystem, total: vectors.length, passed, wrong, unparseable }
}
