/**
 * mix.lock: an Elixir map literal, one dependency per line
 * (`"name": {:hex, :package, "1.2.3", ...}`). Read line by line, as the format is written by mix
 * and no maintained JavaScript reader of Elixir terms exists; git and path entries are skipped.
 */
import { Collector, fail, type Parsed, splitLines } from "./common.js"

/** mix.lock. */
export const parseMixLock = (text: string): Parsed => {
  const lines = splitLines(text)
  const first = lines.findIndex((l) => l.trim() !== "")
  if (first < 0 || !lines[first]!.trim().startsWith("%{")) return fail("not a mix.lock (no %{ map)", first + 1 || 1)
  const out = new Collector()
  lines.forEach((raw, i) => {
    const line = i + 1
    const entry = raw.trim().replace(/^%\{/, "").trim()
    if (entry === "" || entry === "}") return
    const match = /^"([^"]+)":\s*\{:(\w+),\s*(.*)$/.exec(entry)
    if (match === null) return fail(`not a mix.lock entry: ${entry}`, line)
    const [, key, kind, rest] = match
    if (kind !== "hex") {
      out.skip(`${key} ${kind}`, `a ${kind} dependency, not from hex.pm`, line)
      return
    }
    const hex = /^:("?)([\w.-]+)\1,\s*"([^"]+)"/.exec(rest!)
    if (hex === null) return fail(`not a hex entry (expected :package, "version"): ${entry}`, line)
    out.add({ ecosystem: "Hex", name: hex[2]!, version: hex[3]!, line })
  })
  return out.result()
}
