/**
 * A summary of a V8 `.cpuprofile` (as written by `node --cpu-prof`): self time per function and per
 * file, so a benchmark that misses its target can say where the time goes.
 */
import { readFileSync } from "node:fs"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** Self time (ms) per function and per file (node_modules packages grouped), largest first. */
export interface ProfileSummary {
  readonly totalMillis: number
  readonly functions: ReadonlyArray<{ readonly name: string; readonly millis: number }>
  readonly files: ReadonlyArray<{ readonly name: string; readonly millis: number }>
}

/** `node_modules/<pkg>` (scoped packages included), a path under the repository, or a V8 bucket. */
const fileGroup = (url: string): string => {
  if (url === "") return "(native / V8)"
  // Packages (not dot-directories such as a compiled copy of src/ under node_modules/.cache).
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^./][^/]*)\//.exec(url)
  if (nodeModules !== null) return `node_modules/${nodeModules[1]}`
  const repo = /\/(src|bench|test|dist)\/(.*)$/.exec(url)
  if (repo !== null) return `${repo[1]}/${repo[2]}`
  return url.startsWith("node:") ? url : url.replace(/^file:\/\//, "")
}

/** Summarizes a profile file, keeping the `top` largest entries of each list. */
export const summarizeProfile = (path: string, top = 15): ProfileSummary => {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n] as const))
  const functions = new Map<string, number>()
  const files = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    const micros = profile.timeDeltas[i] ?? 0
    if (node === undefined) return
    total += micros
    const { functionName, url, lineNumber } = node.callFrame
    const file = fileGroup(url)
    const name = `${functionName || "(anonymous)"} ${file}${url === "" ? "" : `:${lineNumber + 1}`}`
    functions.set(name, (functions.get(name) ?? 0) + micros)
    files.set(file, (files.get(file) ?? 0) + micros)
  })
  const sorted = (m: Map<string, number>) =>
    Array.from(m, ([name, micros]) => ({ name, millis: micros / 1000 })).sort((a, b) => b.millis - a.millis).slice(0, top)
  return { totalMillis: total / 1000, functions: sorted(functions), files: sorted(files) }
}

/** Prints a summary as two Markdown tables. */
export const printProfile = (summary: ProfileSummary): void => {
  const share = (millis: number) => `${((millis / summary.totalMillis) * 100).toFixed(1)}%`
  console.log(`\nCPU profile: ${(summary.totalMillis / 1000).toFixed(1)} s sampled (main thread)\n`)
  console.log("| self time by file / package | ms | share |\n| --- | --- | --- |")
  for (const f of summary.files) console.log(`| ${f.name} | ${f.millis.toFixed(0)} | ${share(f.millis)} |`)
  console.log("\n| self time by function | ms | share |\n| --- | --- | --- |")
  for (const f of summary.functions) console.log(`| ${f.name.replace(/\|/g, "\\|")} | ${f.millis.toFixed(0)} | ${share(f.millis)} |`)
}
