/** composer.lock as JSON: `packages` and `packages-dev`; branch versions (`dev-main`) are skipped. */
import { Collector, fail, isRecord, type Parsed, str } from "./common.js"
import { readJson } from "./structured.js"

/** composer.lock: every locked package with a release version. */
export const parseComposerLock = (text: string): Parsed => {
  const doc = readJson(text, { comments: false })
  const lock = doc.value
  if (!isRecord(lock) || (!Array.isArray(lock.packages) && !Array.isArray(lock["packages-dev"]))) {
    return fail("not a composer.lock (no packages)", 1)
  }
  const out = new Collector()
  for (const section of ["packages", "packages-dev"]) {
    const list = lock[section]
    if (!Array.isArray(list)) continue
    list.forEach((entry, i) => {
      const line = doc.lineOf([section, i])
      const name = isRecord(entry) ? str(entry.name) : undefined
      const version = isRecord(entry) ? str(entry.version) : undefined
      if (name === undefined || version === undefined) return fail(`${section}[${i}] has no name or version`, line)
      if (version.startsWith("dev-") || version.endsWith("-dev")) out.skip(`${name} ${version}`, "a development branch, not a release", line)
      else out.add({ ecosystem: "Packagist", name, version, line })
    })
  }
  return out.result()
}
