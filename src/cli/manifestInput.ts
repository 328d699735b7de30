/**
 * What `vulnera scan` (and the demo) read: one dependency file or every recognized file under a
 * directory, through the library's `Manifest`.
 */
import { FileSystem } from "@effect/platform"
import { Effect, Option } from "effect"
import * as Manifest from "../Manifest.js"
import { usage } from "./failure.js"

/** What `scan` read: one file, or every recognized file under a directory. */
export interface ScanSource {
  readonly format: string
  readonly files: ReadonlyArray<Manifest.ManifestFile>
}

/**
 * Reads the dependencies to scan: one file (format from `--input-format`, else its name, else its
 * content), or every recognized file under a directory. A directory with none is an error, not an
 * empty (clean-looking) scan.
 */
export const readManifest = (path: string, format: Option.Option<Manifest.Format>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.mapError(fs.stat(path), (e) => usage(`cannot read ${path}: ${e.message}`, "scan"))
    const files = info.type === "Directory"
      ? yield* Manifest.scanDirectory(path)
      : [yield* Manifest.parseFile(path, Option.isSome(format) ? { format: format.value } : {})]
    if (files.length === 0) {
      return yield* usage(`no dependency files found in ${path}; supported: ${Object.values(Manifest.formats).join("; ")}`, "scan")
    }
    return { format: info.type === "Directory" ? "directory" : files[0]!.format, files } satisfies ScanSource
  }).pipe(Effect.catchTag("ManifestError", (e) => usage(e.message, "scan")))
