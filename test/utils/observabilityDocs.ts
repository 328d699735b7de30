/**
 * The README's "Metrics and spans" section, parsed, so tests can hold it to the code: the names in
 * the first column of its metrics table and of its spans table.
 */
import { readFileSync } from "node:fs"

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8")

/** The section's text, from its heading to the next `## ` heading. */
const section = (): string => {
  const start = readme.indexOf("\n## Metrics and spans\n")
  if (start < 0) throw new Error("README has no \"## Metrics and spans\" section")
  const end = readme.indexOf("\n## ", start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}

/** The first-column names of the section's table whose header starts with `| <header> |`, in order. */
const tableNames = (header: string): ReadonlyArray<string> => {
  const lines = section().split("\n")
  const first = lines.findIndex((l) => l.startsWith(`| ${header} |`))
  if (first < 0) throw new Error(`README's "Metrics and spans" section has no table headed "${header}"`)
  const names: Array<string> = []
  for (const line of lines.slice(first + 2)) {
    const match = /^\| `([^`]+)` \|/.exec(line)
    if (match === null) break
    names.push(match[1]!)
  }
  return names
}

/** The metric names of the section's metrics table. */
export const documentedMetrics = (): ReadonlyArray<string> => tableNames("metric")

/** The span names of the section's spans table (`AdvisoryStore.<operation>` stands for every store operation). */
export const documentedSpans = (): ReadonlyArray<string> => tableNames("span")

/** Whether `name` is one of the documented spans (`AdvisoryStore.<operation>` matches any store operation). */
export const isDocumentedSpan = (documented: ReadonlyArray<string>, name: string): boolean =>
  documented.some((d) => d === name || (d.endsWith(".<operation>") && name.startsWith(d.slice(0, -"<operation>".length))))
