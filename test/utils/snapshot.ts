/**
 * The bundled offline snapshot (examples/data: real OSV records in OSV's bulk layout, a KEV subset,
 * an EPSS subset) as `file://` URLs, and independent readers of it used as test oracles.
 */
import { expect } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import * as semver from "semver"
import type { Advisory } from "../../src/Advisory.js"
import * as Compression from "../../src/Compression.js"
import * as MemoryStore from "../../src/MemoryStore.js"
import * as PackageKey from "../../src/PackageKey.js"
import * as StoreConfig from "../../src/StoreConfig.js"
import * as Node from "../../src/node.js"
import * as VulnerabilityManager from "../../src/VulnerabilityManager.js"
import { gunzipSync } from "node:zlib"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export const snapshotDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples", "data")

export const snapshotEcosystems: ReadonlyArray<string> = readFileSync(join(snapshotDir, "osv", "ecosystems.txt"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "")

export const snapshotUrls = {
  osv: pathToFileURL(join(snapshotDir, "osv")).href,
  kev: pathToFileURL(join(snapshotDir, "kev", "known_exploited_vulnerabilities.json")).href,
  epss: pathToFileURL(join(snapshotDir, "epss", "epss_scores-current.csv.gz")).href
}

/** KEV entries of the snapshot, parsed directly from the JSON. */
export const snapshotKev = (): ReadonlyArray<{
  readonly cveID: string
  readonly dateAdded: string
  readonly dueDate: string
  readonly knownRansomwareCampaignUse: string
}> => JSON.parse(readFileSync(join(snapshotDir, "kev", "known_exploited_vulnerabilities.json"), "utf8")).vulnerabilities

/** EPSS rows of the snapshot, parsed directly from the CSV. */
export const snapshotEpss = (): ReadonlyMap<string, { readonly epss: number; readonly percentile: number }> => {
  const text = gunzipSync(readFileSync(join(snapshotDir, "epss", "epss_scores-current.csv.gz"))).toString("utf8")
  const rows = new Map<string, { epss: number; percentile: number }>()
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.startsWith("cve,") || line.trim() === "") continue
    const [cve, epss, percentile] = line.split(",")
    rows.set(cve!, { epss: Number(epss), percentile: Number(percentile) })
  }
  return rows
}

/** Ids per ecosystem from each `modified_id.csv` (the snapshot's own index). */
export const snapshotIds = (): ReadonlyMap<string, ReadonlyArray<string>> =>
  new Map(
    readdirSync(join(snapshotDir, "osv"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => [
        d.name,
        readFileSync(join(snapshotDir, "osv", d.name, "modified_id.csv"), "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => l.slice(l.indexOf(",") + 1).trim())
      ] as const)
  )

/** The npm lockfile's packages (`node_modules/<name>` → version). */
export const snapshotLockfile = (): ReadonlyArray<{ readonly name: string; readonly version: string }> => {
  const lock = JSON.parse(readFileSync(join(snapshotDir, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>
  }
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith("node_modules/") && entry.version !== undefined)
    .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length), version: entry.version! }))
}

/**
 * An independent oracle for npm packages: osv.dev's enumerated `versions` when the record has
 * them, else the record's (in-order) SEMVER intervals evaluated directly with the `semver`
 * package. Returns the affecting advisories' ids, sorted.
 */
export const npmOracleAffected = (advisories: ReadonlyArray<Advisory>, name: string, version: string): ReadonlyArray<string> =>
  advisories
    .filter((a) =>
      (a.affected ?? []).some((entry) => {
        if (entry.package === undefined || !PackageKey.same(entry.package, PackageKey.unsafeMake("npm", name))) return false
        if (entry.versions !== undefined && entry.versions.length > 0) return entry.versions.includes(version)
        return (entry.ranges ?? []).some((range) => {
          let start: string | undefined
          for (const event of range.events) {
            if (event.introduced !== undefined) start = event.introduced === "0" ? "0.0.0-0" : event.introduced
            const end = event.fixed ?? event.last_affected
            if (end !== undefined && start !== undefined) {
              const inside = semver.gte(version, start) &&
                (event.fixed !== undefined ? semver.lt(version, end) : semver.lte(version, end))
              if (inside) return true
              start = undefined
            }
          }
          return start !== undefined && semver.gte(version, start)
        })
      })
    )
    .map((a) => a.id)
    .sort()

/**
 * An in-process oracle for CLI tests: the manager over the snapshot's `ecosystems` in memory,
 * synced once (advisories and enrichment).
 */
export const snapshotOracleLayer = (ecosystems: ReadonlyArray<string>) =>
  VulnerabilityManager.layer().pipe(
    Layer.provideMerge(MemoryStore.layer.pipe(Layer.provide(Layer.provideMerge(Compression.layerZstd, StoreConfig.layer())))),
    Layer.provide(Node.sourcesLayerFromEnv({
      osv: { baseUrl: snapshotUrls.osv, ecosystems },
      kev: { url: snapshotUrls.kev },
      epss: { bulkUrl: snapshotUrls.epss }
    })),
    Layer.tap((context) =>
      Effect.gen(function*() {
        const manager = Context.get(context, VulnerabilityManager.VulnerabilityManager)
        yield* manager.syncAll()
        yield* manager.syncEnrichment
      })
    ),
    Layer.orDie
  )

/**
 * Checks a `scan --json` report of the bundled lockfile: every dependency is in it with exactly
 * the oracle's findings (`npmOracleAffected` over the manager's advisories). `onFinding` checks
 * each reported finding further. Returns the number of findings.
 */
export const expectOracleFindings = (
  report: any,
  onFinding: (finding: any, advisories: ReadonlyArray<Advisory>, name: string) => void = () => {}
) =>
  Effect.gen(function*() {
    const manager = yield* VulnerabilityManager.VulnerabilityManager
    const lockfile = snapshotLockfile()
    expect(report.summary.dependencies).toBe(lockfile.length)
    let findings = 0
    for (const { name, version } of lockfile) {
      const result = report.results.find((r: any) => r.name === name && r.version === version)
      expect(result, `${name}@${version}`).toBeDefined()
      const all = yield* manager.query("npm", name)
      expect(result.findings.map((f: any) => f.id).sort()).toEqual(npmOracleAffected(all, name, version))
      for (const finding of result.findings) onFinding(finding, all, name)
      findings += result.findings.length
    }
    expect(findings).toBeGreaterThan(5)
    return findings
  })
