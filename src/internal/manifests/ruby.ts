/**
 * Gemfile.lock (Bundler): gems under a `GEM` source's `specs:` are checked; gems from `GIT` and
 * `PATH` sources are skipped. A line format with no maintained JavaScript parser: read by
 * indentation, as Bundler's own `LockfileParser` does (4 spaces: a spec, 6: its dependencies).
 */
import { Collector, fail, type Parsed, splitLines } from "./common.js"

const sections = new Set(["GEM", "GIT", "PATH", "PLUGIN SOURCE"])

/** Gemfile.lock: `    name (version[-platform])` under `GEM` / `  specs:`. */
export const parseGemfileLock = (text: string): Parsed => {
  const out = new Collector()
  let section: string | undefined
  let inSpecs = false
  let sawSection = false
  splitLines(text).forEach((raw, i) => {
    const line = i + 1
    if (raw.trim() === "") {
      section = undefined
      inSpecs = false
      return
    }
    if (!raw.startsWith(" ")) {
      section = raw.trim()
      inSpecs = false
      if (sections.has(section) || /^[A-Z][A-Z ]*$/.test(section)) sawSection = true
      else fail(`not a Gemfile.lock section header: ${raw}`, line)
      return
    }
    if (section === undefined || !sections.has(section)) return
    if (/^ {2}specs:\s*$/.test(raw)) {
      inSpecs = true
      return
    }
    if (/^ {2}\S/.test(raw)) {
      inSpecs = false
      return
    }
    if (!inSpecs || !/^ {4}\S/.test(raw)) return
    const match = /^ {4}(\S+) \(([^)\s]+)\)$/.exec(raw)
    if (match === null) return fail(`not a gem spec (expected: name (version)): ${raw.trim()}`, line)
    const name = match[1]!
    // A platform-specific gem: `nokogiri (1.16.0-x86_64-linux)`.
    const version = match[2]!.replace(/-[a-z].*$/i, "")
    if (section === "GEM") out.add({ ecosystem: "RubyGems", name, version, line })
    else out.skip(raw.trim(), `from a ${section} source, not rubygems`, line)
  })
  if (!sawSection) return fail("not a Gemfile.lock (no GEM, GIT or PATH section)", 1)
  return out.result()
}
