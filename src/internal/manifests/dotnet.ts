/** NuGet packages.lock.json as JSON: every framework's resolved packages; project references skipped. */
import { Collector, fail, isRecord, type Parsed, str } from "./common.js"
import { readJson } from "./structured.js"

/** packages.lock.json (versions 1 and 2). */
export const parseNugetLock = (text: string): Parsed => {
  const doc = readJson(text, { comments: false })
  const lock = doc.value
  if (!isRecord(lock) || !isRecord(lock.dependencies)) return fail("not a NuGet packages.lock.json (no dependencies)", 1)
  const out = new Collector()
  for (const [framework, packages] of Object.entries(lock.dependencies)) {
    if (!isRecord(packages)) return fail(`framework "${framework}" is not an object`, doc.lineOf(["dependencies", framework]))
    for (const [name, entry] of Object.entries(packages)) {
      const line = doc.lineOf(["dependencies", framework, name])
      const info = isRecord(entry) ? entry : {}
      const version = str(info.resolved)
      if (str(info.type) === "Project") out.skip(name, "a project reference", line)
      else if (version === undefined) out.skip(name, "no resolved version", line)
      else out.add({ ecosystem: "NuGet", name, version, line })
    }
  }
  return out.result()
}
