/**
 * Builds the demo's offline snapshot under `examples/data/` from the shared corpus
 * (`VULNERA_DATA_DIR`, default `../shared/data`): a few hundred real OSV advisories in OSV's own
 * bulk layout (`osv/<Ecosystem>/all.zip` + `modified_id.csv`), a CISA KEV subset, a FIRST EPSS
 * subset, a small npm lockfile and a PURL list, and the README that documents them.
 *
 * Run: `npx tsx scripts/build-demo-data.ts`. The output is deterministic (same corpus, same bytes).
 */
// Zip entries carry DOS timestamps, which yazl derives in local time; UTC makes the bytes
// independent of the machine's zone. Set before any Date is formatted.
process.env.TZ = "UTC"

import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { gunzipSync, gzipSync } from "node:zlib"
import * as pep440 from "@renovatebot/pep440"
import { Effect, Schema } from "effect"
import semver from "semver"
import { ZipFile } from "yazl"
import { Advisory, cveIds, type Event } from "../src/Advisory.js"
import * as PackageKey from "../src/PackageKey.js"
import * as Purl from "../src/Purl.js"
import { type Finding, readmeText, type SnapshotFacts } from "./demo-data-readme.js"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dataDir = path.resolve(process.env.VULNERA_DATA_DIR ?? path.join(repoRoot, "../shared/data"))
const outDir = path.join(repoRoot, "examples/data")

/** The zips the demo syncs: the Rust crate's default ecosystem set, spelled as OSV's bucket does. */
const ecosystems = ["npm", "PyPI", "Go", "crates.io", "Maven", "Packagist", "RubyGems", "NuGet"] as const

/**
 * What to take from one corpus file. `packages`: per package name (in `ecosystem`), how many
 * records at most; KEV-listed records first, then withdrawn ones, then newest `published`.
 * `all`: every record. `alsoOtherEcosystems`: every record that affects a snapshot ecosystem other
 * than `ecosystem` (the GHSA fixtures' few RubyGems/NuGet/... records).
 */
interface Pick {
  readonly file: string
  readonly ecosystem: string
  readonly all?: boolean
  readonly packages?: Readonly<Record<string, number>>
  readonly alsoOtherEcosystems?: boolean
}

const picks: ReadonlyArray<Pick> = [
  { file: "npm-ghsa-osvdev-fixture.jsonl.gz", ecosystem: "npm", all: true },
  {
    file: "maven-ghsa-osvdev-fixture.jsonl.gz",
    ecosystem: "Maven",
    alsoOtherEcosystems: true,
    packages: {
      "org.apache.tomcat.embed:tomcat-embed-core": 14,
      "com.fasterxml.jackson.core:jackson-databind": 14,
      "org.yaml:snakeyaml": 99,
      "log4j:log4j": 99,
      "org.apache.shiro:shiro-core": 99,
      "com.google.guava:guava": 99,
      "org.apache.commons:commons-compress": 4,
      "io.netty:netty-codec-http": 99,
      "com.google.protobuf:protobuf-java": 99,
      "ch.qos.logback:logback-core": 99
    }
  },
  {
    file: "pypi.jsonl.gz",
    ecosystem: "PyPI",
    packages: {
      django: 12, flask: 99, jinja2: 99, requests: 99, urllib3: 99, pyyaml: 99, pillow: 6, werkzeug: 99,
      aiohttp: 99, cryptography: 99, setuptools: 99, salt: 6, "apache-airflow": 5, pyspark: 99,
      redis: 99, "flask-caching": 99, numpy: 99, paramiko: 99, lxml: 99, sqlalchemy: 99, tornado: 99
    }
  },
  {
    file: "go.jsonl.gz",
    ecosystem: "Go",
    packages: {
      "golang.org/x/net": 10, "golang.org/x/crypto": 10, "golang.org/x/text": 99, "github.com/gin-gonic/gin": 99,
      "github.com/golang-jwt/jwt": 99, "github.com/golang-jwt/jwt/v4": 99, "github.com/dgrijalva/jwt-go": 99,
      "github.com/gorilla/websocket": 99, "github.com/gorilla/sessions": 99, "google.golang.org/grpc": 99,
      "google.golang.org/protobuf": 99, "gopkg.in/yaml.v2": 99, "github.com/labstack/echo/v4": 99,
      "github.com/gofiber/fiber/v2": 5, "github.com/wazuh/wazuh": 99, "github.com/lib/pq": 3
    }
  },
  {
    file: "crates.io.jsonl.gz",
    ecosystem: "crates.io",
    packages: {
      hyper: 99, tokio: 99, openssl: 99, smallvec: 99, h2: 99, time: 99, chrono: 99, regex: 99,
      "libwebp-sys": 99, "libwebp-sys2": 99, ring: 99, "rustls-webpki": 99, tar: 99, "crossbeam-channel": 99,
      "serde_yaml": 99, rustls: 99, sqlx: 99, idna: 99
    }
  },
  { file: "packagist-drupal.jsonl.gz", ecosystem: "Packagist", packages: { "drupal/core": 10 } }
]

/** KEV entries beyond those joined to the snapshot: the catalog's most recently added ones. */
const extraKevCount = 50

/** The daily EPSS file's first line (EPSS v4 model; the corpus was pulled on 2026-08-16). */
const epssCommentLine = "#model_version:v2025.03.14,score_date:2026-08-16T00:00:00+0000"

/** A small web app's npm lockfile: [name, version, dev?, direct range?]. */
const lockfilePackages: ReadonlyArray<readonly [string, string, boolean, string | undefined]> = [
  ["express", "4.17.1", false, "^4.17.1"],
  ["jquery", "3.4.1", false, "^3.4.1"],
  ["lodash", "4.17.20", false, "^4.17.20"],
  ["node-fetch", "2.6.1", false, "^2.6.1"],
  ["ws", "7.4.5", false, "^7.4.5"],
  ["undici", "5.28.3", false, "^5.28.3"],
  ["chalk", "5.6.1", false, "^5.6.1"],
  ["nanoid", "3.3.8", false, "^3.3.8"],
  ["tough-cookie", "4.1.2", false, "^4.1.2"],
  ["@babel/runtime", "7.26.0", false, "^7.26.0"],
  ["qs", "6.7.0", false, undefined],
  ["path-to-regexp", "0.1.7", false, undefined],
  ["debug", "2.6.9", false, undefined],
  ["ms", "2.0.0", false, undefined],
  ["@babel/traverse", "7.23.2", true, "^7.23.2"],
  ["semver", "7.3.8", true, "^7.3.8"],
  ["json5", "2.2.3", true, "^2.2.3"],
  ["micromatch", "4.0.8", true, "^4.0.8"],
  ["braces", "3.0.3", true, undefined],
  ["cross-spawn", "7.0.6", true, "^7.0.6"],
  ["minimist", "1.2.5", true, "^1.2.5"],
  ["word-wrap", "1.2.3", true, "^1.2.3"]
]

/** PURLs for `vulnera scan`, grouped under comment lines. */
const purlGroups: ReadonlyArray<readonly [comment: string, purls: ReadonlyArray<string>]> = [
  ["npm", ["pkg:npm/lodash@4.17.20", "pkg:npm/lodash@4.17.21", "pkg:npm/%40babel/runtime@7.26.0", "pkg:npm/jquery@3.5.0"]],
  [
    "PyPI",
    [
      "pkg:pypi/django@4.2.1", "pkg:pypi/django@5.1.2", "pkg:pypi/jinja2@2.11.2", "pkg:pypi/urllib3@1.26.4",
      "pkg:pypi/salt@3000.1", "pkg:pypi/pyspark@3.0.0", "pkg:pypi/requests@2.32.3", "pkg:pypi/redis@4.5.3"
    ]
  ],
  [
    "Maven",
    [
      "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@9.0.30",
      "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10",
      "pkg:maven/org.yaml/snakeyaml@1.33", "pkg:maven/org.yaml/snakeyaml@2.2",
      "pkg:maven/org.apache.shiro/shiro-core@1.2.4", "pkg:maven/log4j/log4j@1.2.17"
    ]
  ],
  [
    "Go (PURL versions keep Go's leading v; OSV's Go ranges do not)",
    [
      "pkg:golang/golang.org/x/net@v0.17.0", "pkg:golang/golang.org/x/crypto@v0.35.0",
      "pkg:golang/github.com/gin-gonic/gin@v1.9.0", "pkg:golang/github.com/wazuh/wazuh@v4.9.0+incompatible",
      "pkg:golang/github.com/gorilla/sessions@v1.2.2"
    ]
  ],
  [
    "crates.io",
    [
      "pkg:cargo/smallvec@1.6.0", "pkg:cargo/hyper@1.4.1", "pkg:cargo/libwebp-sys@0.9.2",
      "pkg:cargo/tokio@1.18.0", "pkg:cargo/ring@0.16.20"
    ]
  ]
]

// ---------------------------------------------------------------------------------------------
// Corpus records

interface CorpusRecord {
  readonly line: string
  readonly advisory: Advisory
  readonly file: string
}

const decodeAdvisory = Schema.decodeUnknownSync(Advisory)

const readCorpusFile = (file: string): ReadonlyArray<CorpusRecord> =>
  gunzipSync(readFileSync(path.join(dataDir, "osv", file)))
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => ({ line, advisory: decodeAdvisory(JSON.parse(line)), file }))

const affectsEcosystem = (advisory: Advisory, ecosystem: string): boolean =>
  (advisory.affected ?? []).some((a) => a.package?.ecosystem === ecosystem)

const affectsPackage = (advisory: Advisory, ecosystem: string, name: string): boolean =>
  (advisory.affected ?? []).some((a) => a.package !== undefined && PackageKey.same(a.package, PackageKey.unsafeMake(ecosystem, name)))

const selectRecords = (kevCves: ReadonlySet<string>): ReadonlyArray<CorpusRecord> => {
  const byId = new Map<string, CorpusRecord>()
  const add = (record: CorpusRecord) => {
    const previous = byId.get(record.advisory.id)
    // The two GHSA fixtures can hold the same advisory; keep the newer copy.
    if (previous === undefined || (record.advisory.modified ?? "") > (previous.advisory.modified ?? "")) {
      byId.set(record.advisory.id, record)
    }
  }
  const priority = (r: CorpusRecord): string =>
    `${cveIds(r.advisory).some((c) => kevCves.has(c)) ? 0 : 1}${r.advisory.withdrawn ? 0 : 1}`
  for (const pick of picks) {
    const records = readCorpusFile(pick.file)
    for (const record of records) {
      const others = ecosystems.filter((e) => e !== pick.ecosystem)
      if (pick.all === true && affectsEcosystem(record.advisory, pick.ecosystem)) add(record)
      else if (pick.alsoOtherEcosystems === true && others.some((e) => affectsEcosystem(record.advisory, e))) add(record)
    }
    for (const [name, cap] of Object.entries(pick.packages ?? {})) {
      const matching = records
        .filter((r) => affectsPackage(r.advisory, pick.ecosystem, name))
        .sort((a, b) =>
          priority(a).localeCompare(priority(b)) ||
          (b.advisory.published ?? "").localeCompare(a.advisory.published ?? "") ||
          // Go records carry no real dates in the corpus; a larger id is a newer advisory.
          b.advisory.id.localeCompare(a.advisory.id))
      if (matching.length === 0) throw new Error(`${pick.file}: no record affects ${pick.ecosystem} ${name}`)
      matching.slice(0, cap).forEach(add)
    }
  }
  return [...byId.values()].sort((a, b) => a.advisory.id.localeCompare(b.advisory.id))
}

// ---------------------------------------------------------------------------------------------
// OSV bulk layout

/**
 * The `modified` timestamp as osv.dev's exporter writes it in `modified_id.csv` (Go's
 * `time.RFC3339Nano` in UTC: trailing fractional zeros dropped, `Z`).
 */
const rfc3339Nano = (modified: string): string => {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|\+00:00)$/i.exec(modified)
  if (m === null) throw new Error(`unsupported modified timestamp ${modified}`)
  const fraction = (m[2] ?? "").replace(/0+$/, "")
  return `${m[1]}${fraction === "" ? "" : `.${fraction}`}Z`
}

/** Sort key: seconds then nanoseconds, so `.5Z` and `.48Z` order correctly. */
const timeKey = (stamp: string): string => {
  const [seconds, fraction = ""] = stamp.replace(/Z$/, "").split(".")
  return `${seconds}.${fraction.padEnd(9, "0")}`
}

/**
 * The earliest entry time written: DOS dates start on 1980-01-01, and yazl computes that bound in
 * the zone it was loaded in (before `TZ` above applies), so stay a day clear of it.
 */
const dosEpoch = Date.UTC(1980, 0, 2)

const zipBuffer = (entries: ReadonlyArray<readonly [name: string, content: string, mtime: Date]>): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const zip = new ZipFile()
    const chunks: Array<Buffer> = []
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk))
    zip.outputStream.on("error", reject)
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)))
    for (const [name, content, mtime] of entries) zip.addBuffer(Buffer.from(content, "utf8"), name, { mtime, compress: true })
    zip.end()
  })

interface EcosystemOutput {
  readonly ecosystem: string
  readonly ids: ReadonlyArray<string>
  readonly withdrawn: ReadonlyArray<string>
  readonly zipBytes: number
}

const writeOsv = async (selected: ReadonlyArray<CorpusRecord>): Promise<ReadonlyArray<EcosystemOutput>> => {
  const outputs: Array<EcosystemOutput> = []
  for (const ecosystem of ecosystems) {
    const records = selected.filter((r) => affectsEcosystem(r.advisory, ecosystem))
    const dir = path.join(outDir, "osv", ecosystem)
    mkdirSync(dir, { recursive: true })
    const stamped = records.map((r) => {
      if (r.advisory.modified === undefined) throw new Error(`${r.advisory.id} has no modified`)
      return { record: r, stamp: rfc3339Nano(r.advisory.modified) }
    })
    // osv.dev's exporter adds entries sorted by file name. golang/vulndb's repository stores
    // `0001-01-01T00:00:00Z` (the feed fills real times in); zip times start at 1980.
    const zip = await zipBuffer(
      stamped.map(({ record, stamp }) => [`${record.advisory.id}.json`, record.line, new Date(Math.max(Date.parse(stamp), dosEpoch))] as const)
    )
    writeFileSync(path.join(dir, "all.zip"), zip)
    const csv = [...stamped]
      .sort((a, b) => timeKey(b.stamp).localeCompare(timeKey(a.stamp)) || a.record.advisory.id.localeCompare(b.record.advisory.id))
      .map(({ record, stamp }) => `${stamp},${record.advisory.id}\n`)
      .join("")
    writeFileSync(path.join(dir, "modified_id.csv"), csv)
    outputs.push({
      ecosystem,
      ids: records.map((r) => r.advisory.id),
      withdrawn: records.filter((r) => r.advisory.withdrawn !== undefined).map((r) => r.advisory.id),
      zipBytes: zip.length
    })
  }
  // Upstream lists ecosystems in byte order.
  writeFileSync(path.join(outDir, "osv", "ecosystems.txt"), [...ecosystems].sort().map((e) => `${e}\n`).join(""))
  return outputs
}

// ---------------------------------------------------------------------------------------------
// KEV and EPSS

interface KevEntry {
  readonly cveID: string
  readonly [field: string]: unknown
}
interface KevCatalog {
  readonly title: string
  readonly catalogVersion: string
  readonly dateReleased: string
  readonly count: number
  readonly vulnerabilities: ReadonlyArray<KevEntry>
}

/**
 * CISA's feed is PHP `json_encode` output: 4-space indent, `\/` and `\uXXXX` escapes. Writing the
 * same way keeps the subset byte-compatible with the upstream file (checked against the corpus).
 */
const kevJson = (catalog: KevCatalog): string =>
  JSON.stringify(catalog, null, 4)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/\//g, "\\/")

const readKev = (): { readonly catalog: KevCatalog; readonly text: string } => {
  const text = readFileSync(path.join(dataDir, "kev/known_exploited_vulnerabilities.json"), "utf8")
  const catalog = JSON.parse(text) as KevCatalog
  if (kevJson(catalog) !== text) throw new Error("KEV serializer no longer reproduces the upstream file")
  return { catalog, text }
}

const kevSubset = (catalog: KevCatalog, joined: ReadonlySet<string>): KevCatalog => {
  const extra = new Set(catalog.vulnerabilities.filter((v) => !joined.has(v.cveID)).slice(0, extraKevCount).map((v) => v.cveID))
  const vulnerabilities = catalog.vulnerabilities.filter((v) => joined.has(v.cveID) || extra.has(v.cveID))
  return { ...catalog, count: vulnerabilities.length, vulnerabilities }
}

const epssSubset = (cves: ReadonlySet<string>): { readonly text: string; readonly rows: number } => {
  const lines = readFileSync(path.join(dataDir, "epss/epss_scores_osv_kev_subset.csv"), "utf8").split("\n")
  if (lines[0] !== "cve,epss,percentile") throw new Error(`unexpected EPSS header ${lines[0]}`)
  const rows = lines.slice(1).filter((line) => cves.has(line.split(",")[0] ?? ""))
  return { text: [epssCommentLine, lines[0], ...rows].join("\n") + "\n", rows: rows.length }
}

// ---------------------------------------------------------------------------------------------
// Expected findings (so the demo's report can be checked by eye)

type Compare = (a: string, b: string) => number

/** Plain dotted numbers only: enough for the few Maven entries without an enumerated `versions` list. */
const dottedNumeric: Compare = (a, b) => {
  if (!/^\d+(\.\d+)*$/.test(a) || !/^\d+(\.\d+)*$/.test(b)) throw new Error(`cannot compare Maven ${a} / ${b}`)
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)]
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

const comparatorFor = (ecosystem: string, rangeType: string): Compare => {
  if (rangeType === "SEMVER") return (a, b) => semver.compare(a, b)
  if (ecosystem === "PyPI") return (a, b) => pep440.compare(a, b)
  if (ecosystem === "Maven") return dottedNumeric
  throw new Error(`no comparator for ${ecosystem} ${rangeType}`)
}

/** OSV's range rule: events in version order, `introduced` opens, `fixed`/`last_affected` close. */
const inRange = (events: ReadonlyArray<Event>, version: string, compare: Compare): boolean => {
  const at = (e: Event) => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? "0"
  const sorted = [...events].sort((a, b) => (at(a) === "0" ? -1 : at(b) === "0" ? 1 : compare(at(a), at(b))))
  let affected = false
  for (const e of sorted) {
    if (e.introduced !== undefined && (e.introduced === "0" || compare(e.introduced, version) <= 0)) affected = true
    else if (e.fixed !== undefined && compare(e.fixed, version) <= 0) affected = false
    else if (e.last_affected !== undefined && compare(e.last_affected, version) < 0) affected = false
  }
  return affected
}

const isAffected = (advisory: Advisory, ecosystem: string, name: string, version: string): boolean =>
  (advisory.affected ?? []).some((a) => {
    if (a.package === undefined || a.package.ecosystem !== ecosystem) return false
    if (!PackageKey.same(a.package, PackageKey.unsafeMake(ecosystem, name))) return false
    if ((a.versions ?? []).includes(version)) return true
    // osv.dev enumerates ECOSYSTEM ranges into `versions`; re-checking them would need every
    // ecosystem's ordering, so only SEMVER ranges (and ECOSYSTEM ranges without a list) are compared.
    return (a.ranges ?? []).some((r) =>
      r.type === "SEMVER" || (r.type === "ECOSYSTEM" && (a.versions ?? []).length === 0)
        ? inRange(r.events, version, comparatorFor(ecosystem, r.type))
        : false)
  })

const findingsFor = (
  selected: ReadonlyArray<CorpusRecord>,
  kev: ReadonlySet<string>,
  label: string,
  ecosystem: string,
  name: string,
  version: string
): Finding => {
  const hits = selected.filter((r) => isAffected(r.advisory, ecosystem, name, version))
  const live = hits.filter((r) => r.advisory.withdrawn === undefined)
  return {
    label,
    ids: live.map((r) => r.advisory.id),
    withdrawnIds: hits.filter((r) => r.advisory.withdrawn !== undefined).map((r) => r.advisory.id),
    kevCves: [...new Set(live.flatMap((r) => cveIds(r.advisory)).filter((c) => kev.has(c)))]
  }
}

const lockfileJson = (): string => {
  const direct = (dev: boolean) =>
    Object.fromEntries(lockfilePackages.filter(([, , d, range]) => d === dev && range !== undefined).map(([n, , , range]) => [n, range]))
  const packages: Record<string, unknown> = {
    "": { name: "vulnera-demo-shop", version: "1.0.0", dependencies: direct(false), devDependencies: direct(true) }
  }
  for (const [name, version, dev] of [...lockfilePackages].sort((a, b) => a[0].localeCompare(b[0]))) {
    const base = name.split("/").at(-1) ?? name
    packages[`node_modules/${name}`] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`,
      ...(dev ? { dev: true } : {})
    }
  }
  return JSON.stringify({ name: "vulnera-demo-shop", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2) + "\n"
}

// ---------------------------------------------------------------------------------------------

const main = async () => {
  const { catalog } = readKev()
  const kevCves = new Set(catalog.vulnerabilities.map((v) => v.cveID))
  const selected = selectRecords(kevCves)

  rmSync(path.join(outDir, "osv"), { recursive: true, force: true })
  mkdirSync(path.join(outDir, "kev"), { recursive: true })
  mkdirSync(path.join(outDir, "epss"), { recursive: true })
  const osv = await writeOsv(selected)

  const snapshotCves = new Set(selected.flatMap((r) => cveIds(r.advisory)))
  const joined = new Set([...snapshotCves].filter((c) => kevCves.has(c)))
  const kev = kevSubset(catalog, joined)
  writeFileSync(path.join(outDir, "kev/known_exploited_vulnerabilities.json"), kevJson(kev))
  const epss = epssSubset(new Set([...snapshotCves, ...kev.vulnerabilities.map((v) => v.cveID)]))
  writeFileSync(path.join(outDir, "epss/epss_scores-current.csv.gz"), gzipSync(epss.text, { level: 9 }))

  writeFileSync(path.join(outDir, "package-lock.json"), lockfileJson())
  const lockfileFindings = lockfilePackages.map(([name, version]) => findingsFor(selected, joined, `${name}@${version}`, "npm", name, version))

  const purlFindings = purlGroups.flatMap(([, purls]) =>
    purls.map((text) => {
      const purl = Effect.runSync(Purl.parse(text))
      const ecosystem = Purl.osvEcosystem(purl)
      const name = purl.type === "maven" ? `${purl.namespace}:${purl.name}` : purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name
      const version = (purl.version ?? "").replace(purl.type === "golang" ? /^v/ : /^$/, "")
      return findingsFor(selected, joined, text, ecosystem, name, version)
    }))
  writeFileSync(
    path.join(outDir, "purls.txt"),
    "# PURLs for `vulnera scan examples/data/purls.txt`: affected and unaffected versions per ecosystem.\n" +
      purlGroups.map(([comment, purls]) => `# ${comment}\n${purls.join("\n")}\n`).join("")
  )

  const facts: SnapshotFacts = {
    osv: osv.map((o) => ({ ecosystem: o.ecosystem, count: o.ids.length, withdrawn: o.withdrawn, zipBytes: o.zipBytes })),
    uniqueAdvisories: selected.length,
    sourceCounts: picks.map((p) => [p.file, selected.filter((r) => r.file === p.file).length] as const),
    kevCount: kev.count,
    kevJoined: [...joined].sort(),
    kevJoinedBy: Object.fromEntries([...joined].sort().map((c) => [c, selected.filter((r) => cveIds(r.advisory).includes(c)).map((r) => r.advisory.id)])),
    kevCatalogVersion: kev.catalogVersion,
    epssRows: epss.rows,
    epssCommentLine,
    lockfileFindings,
    purlFindings
  }
  writeFileSync(path.join(outDir, "README.md"), readmeText(facts))

  const sizes = osv.reduce((s, o) => s + o.zipBytes, 0)
  console.log(`advisories: ${selected.length} unique; zips ${(sizes / 1024).toFixed(0)} KiB`)
  for (const o of osv) console.log(`  ${o.ecosystem.padEnd(10)} ${String(o.ids.length).padStart(4)} records, ${(o.zipBytes / 1024).toFixed(1)} KiB, withdrawn: ${o.withdrawn.join(" ") || "-"}`)
  console.log(`KEV: ${kev.count} entries (${joined.size} joined: ${[...joined].join(" ")}); EPSS: ${epss.rows} rows`)
  for (const f of [...lockfileFindings, ...purlFindings]) {
    console.log(`  ${f.label.padEnd(60)} ${f.ids.join(" ") || "-"}${f.kevCves.length ? `  KEV ${f.kevCves.join(" ")}` : ""}${f.withdrawnIds.length ? `  (withdrawn: ${f.withdrawnIds.join(" ")})` : ""}`)
  }
}

await main()
