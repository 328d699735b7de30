/** Cargo.lock through `smol-toml`: crates from crates.io are checked; path, git and other registries are skipped. */
import { Collector, fail, isRecord, type Parsed, str } from "./common.js"
import { readToml, tableLines } from "./structured.js"

/** crates.io's index, git (`registry+`) or sparse (`sparse+`) protocol. */
const cratesIo = /^(registry\+https:\/\/github\.com\/rust-lang\/crates\.io-index|sparse\+https:\/\/index\.crates\.io\/?)$/

/** `Cargo.lock` (versions 1-4). An invalid document fails naming the line. */
export const parseCargoLock = (text: string): Parsed => {
  const doc = readToml(text)
  if (doc.package === undefined && doc.version === undefined && doc.metadata === undefined) {
    return fail("not a Cargo.lock (no version and no [[package]])", 1)
  }
  if (doc.package !== undefined && !Array.isArray(doc.package)) return fail('"package" is not an array of tables')
  const packages = (doc.package ?? []) as Array<unknown>
  const lines = tableLines(text, "package")
  const out = new Collector()
  packages.forEach((entry, i) => {
    const line = lines.length === packages.length ? lines[i] : undefined
    if (!isRecord(entry)) return fail(`package #${i + 1} is not a table`, line)
    const name = str(entry.name)
    const version = str(entry.version)
    if (name === undefined || version === undefined) return fail("package without a name or version", line)
    const source = str(entry.source)
    if (source === undefined) out.skip(`${name} ${version}`, "a local crate (workspace member or path dependency)", line)
    else if (!cratesIo.test(source)) {
      out.skip(`${name} ${version} ${source}`, source.startsWith("git+") ? "a git dependency" : "not from crates.io", line)
    } else out.add({ ecosystem: "crates.io", name, version, line })
  })
  return out.result()
}
