/**
 * What the report formats share: a dependency's label and PURL, and advisory links.
 */
import { PackageURL } from "packageurl-js"
import type { ScannedDependency } from "../../ScanReport.js"

/** `name@version`. */
export const label = (d: ScannedDependency): string => `${d.name}@${d.version}`

const purlTypeByEcosystem: Readonly<Record<string, string>> = {
  "crates.io": "cargo",
  pypi: "pypi",
  rubygems: "gem",
  go: "golang",
  packagist: "composer",
  nuget: "nuget",
  hex: "hex",
  pub: "pub",
  maven: "maven",
  npm: "npm",
  swifturl: "swift",
  "github actions": "github",
  debian: "deb",
  alpine: "apk",
  cran: "cran",
  hackage: "hackage",
  conancenter: "conan"
}

/**
 * The dependency as a PURL (the inverse of `Purl.osvEcosystem`/`osvName`): Maven `group:artifact`
 * and scoped or path-like names split into namespace and name. Ecosystems without a PURL type get
 * `pkg:generic/...` with the ecosystem as a qualifier, so the identity is never lost.
 */
export const purlOf = (d: ScannedDependency): string => {
  const base = d.ecosystem.split(":")[0]!.trim().toLowerCase()
  const type = purlTypeByEcosystem[base]
  if (type === undefined) {
    return new PackageURL("generic", undefined, d.name, d.version, { ecosystem: d.ecosystem }, undefined).toString()
  }
  const cut = type === "maven" ? d.name.lastIndexOf(":") : d.name.lastIndexOf("/")
  const namespace = cut > 0 ? d.name.slice(0, cut) : undefined
  const name = cut > 0 ? d.name.slice(cut + 1) : d.name
  return new PackageURL(type, namespace, name, d.version, undefined, undefined).toString()
}

/** The advisory's page on osv.dev. */
export const advisoryUrl = (id: string): string => `https://osv.dev/vulnerability/${encodeURIComponent(id)}`

/** `n thing(s)`. */
export const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
