/** pubspec.lock through `yaml`: hosted packages are checked; git, path and SDK packages skipped. */
import { Collector, fail, isRecord, type Parsed, str } from "./common.js"
import { readYaml } from "./structured.js"

/** pubspec.lock. */
export const parsePubspecLock = (text: string): Parsed => {
  const doc = readYaml(text)
  const packages = doc.value.packages
  if (packages !== undefined && packages !== null && !isRecord(packages)) return fail("packages is not a mapping")
  if (packages === undefined && doc.value.sdks === undefined) return fail("not a pubspec.lock (no packages)", 1)
  const out = new Collector()
  for (const [name, entry] of Object.entries(isRecord(packages) ? packages : {})) {
    const line = doc.keyLine("packages", name)
    const info = isRecord(entry) ? entry : {}
    const source = str(info.source)
    const version = str(info.version)
    if (source !== "hosted") out.skip(`${name} ${version ?? ""}`.trim(), `a ${source ?? "unknown"} package, not from pub.dev`, line)
    else if (version === undefined) out.skip(name, "no version", line)
    else out.add({ ecosystem: "Pub", name, version, line })
  }
  return out.result()
}
