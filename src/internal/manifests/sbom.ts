/**
 * SBOMs and PURL lists: every component is checked through its Package URL (`Purl`, on
 * `packageurl-js`). CycloneDX JSON and SPDX JSON through `jsonc-parser` (strict), CycloneDX XML
 * through `@rgrove/parse-xml`. A component without a PURL, or with a PURL without a version, is
 * skipped; a malformed PURL in an SBOM is skipped with the parser's reason (the SBOM is otherwise
 * readable), in a PURL list it fails the file (a list is nothing but PURLs). A PURL list may also hold
 * `git+<repository URL>@<tag or commit>` lines (git repository queries).
 */
import { Either } from "effect"
import * as Purl from "../../Purl.js"
import { Collector, fail, isRecord, type Parsed, splitLines, str } from "./common.js"
import { readJson } from "./structured.js"
import { readXml, textOf } from "./xml.js"

type PurlOutcome = { readonly purl: Purl.Purl } | { readonly error: string }

const readPurl = (text: string): PurlOutcome =>
  Either.match(Purl.parseEither(text), {
    onLeft: (e) => ({ error: e.detail }),
    onRight: (purl) => ({ purl })
  })

/** Adds one component by its PURL, or skips it with the reason. */
const addPurl = (out: Collector, purl: string | undefined, label: string, line: number | undefined) => {
  if (purl === undefined || purl === "") {
    out.skip(label, "no PURL", line)
    return
  }
  const read = readPurl(purl)
  if ("error" in read) out.skip(purl, `not a valid PURL: ${read.error}`, line)
  else if (read.purl.version === undefined) out.skip(purl, "PURL without a version", line)
  else addTargets(out, read.purl, read.purl.version, line)
}

/** A versioned PURL's query targets (`pkg:github/...` is also a git repository query; `Purl.queryTargets`). */
const addTargets = (out: Collector, purl: Purl.Purl, version: string, line: number | undefined) => {
  for (const target of Purl.queryTargets(purl)) out.add({ ...target, version, line, purl: purl.canonical })
}

/** CycloneDX JSON (any spec version): `components`, nested components included; `metadata.component` is the subject, not a dependency. */
export const parseCycloneDxJson = (text: string): Parsed => {
  const doc = readJson(text, { comments: false })
  const bom = doc.value
  if (!isRecord(bom) || bom.bomFormat !== "CycloneDX") return fail('not a CycloneDX BOM (bomFormat is not "CycloneDX")', 1)
  const out = new Collector()
  const walk = (components: unknown, path: ReadonlyArray<string | number>) => {
    if (components === undefined) return
    if (!Array.isArray(components)) return fail("components is not an array", doc.lineOf(path))
    components.forEach((component, i) => {
      const here = [...path, i]
      if (!isRecord(component)) return fail("a component is not an object", doc.lineOf(here))
      addPurl(out, str(component.purl), `${str(component.name) ?? "?"} ${str(component.version) ?? ""}`.trim(), doc.lineOf(here))
      walk(component.components, [...here, "components"])
    })
  }
  walk(bom.components, ["components"])
  return out.result()
}

/** CycloneDX XML (any spec version, namespace prefixes removed). */
export const parseCycloneDxXml = (text: string): Parsed => {
  const doc = readXml(text, new Set(["component"]))
  const bom = doc.root.bom
  if (!isRecord(bom)) return fail("not a CycloneDX BOM (no <bom>)", 1)
  const out = new Collector()
  const walk = (container: unknown) => {
    if (!isRecord(container)) return
    for (const component of Array.isArray(container.component) ? container.component : []) {
      if (!isRecord(component)) continue
      const label = `${textOf(component.name) ?? "?"} ${textOf(component.version) ?? ""}`.trim()
      addPurl(out, textOf(component.purl), label, doc.lineOf(component))
      walk(component.components)
    }
  }
  walk(bom.components)
  return out.result()
}

/** SPDX JSON (2.2, 2.3): each package's `externalRefs` of type `purl`. */
export const parseSpdxJson = (text: string): Parsed => {
  const doc = readJson(text, { comments: false })
  const spdx = doc.value
  if (!isRecord(spdx) || typeof spdx.spdxVersion !== "string") return fail("not an SPDX document (no spdxVersion)", 1)
  const out = new Collector()
  const packages = Array.isArray(spdx.packages) ? spdx.packages : []
  packages.forEach((pkg, i) => {
    const line = doc.lineOf(["packages", i])
    if (!isRecord(pkg)) return fail("a package is not an object", line)
    const refs = (Array.isArray(pkg.externalRefs) ? pkg.externalRefs : []).filter(isRecord)
    const purls = refs.filter((r) => r.referenceType === "purl").map((r) => str(r.referenceLocator))
    const label = `${str(pkg.name) ?? "?"} ${str(pkg.versionInfo) ?? ""}`.trim()
    if (purls.length === 0) addPurl(out, undefined, label, line)
    for (const purl of purls) addPurl(out, purl, label, line)
  })
  return out.result()
}

/**
 * One PURL per line; blank lines and lines starting with `#` are ignored, as is a trailing
 * ` # comment` (a `#` right after the PURL is its subpath). A line that is not a PURL fails the
 * file: a scanner must not quietly check less than it was given.
 */
export const parsePurlList = (text: string): Parsed => {
  const out = new Collector()
  splitLines(text).forEach((raw, i) => {
    const content = raw.trim().replace(/\s+#.*$/, "")
    if (content === "" || content.startsWith("#")) return
    const git = Purl.parseGitReference(content)
    if (git !== undefined) {
      out.add({ ecosystem: "GIT", name: git.url, version: git.ref, line: i + 1 })
      return
    }
    const read = readPurl(content)
    if ("error" in read) return fail(`not a PURL (${read.error}): ${content}`, i + 1)
    if (read.purl.version === undefined) out.skip(content, "no version", i + 1)
    else addTargets(out, read.purl, read.purl.version, i + 1)
  })
  return out.result()
}
