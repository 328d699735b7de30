/**
 * The peer's cold run for bench/coldscan.ts: a new Node process loads `@renovatebot/osv-offline-db`
 * from `OSV_OFFLINE_ROOT_DIR` (the nedb files bench/utils/peerDb.ts wrote; this package never
 * downloads, only its `@renovatebot/osv-offline` wrapper does), looks up every dependency of the
 * JSON file named by argv[2] (`[{ ecosystem, name, version }]`), and decides whether each is
 * vulnerable with Renovate's rule (lib/workers/repository/process/vulnerabilities.ts): an
 * `affected` entry of that package lists the version, or one of its ECOSYSTEM/SEMVER ranges
 * contains it, events read in order (`introduced` opens, `fixed`/`last_affected` close), versions
 * compared with `semver` (Go, crates.io) or `@renovatebot/pep440` (PyPI), as Renovate's
 * versioning does. Withdrawn advisories are skipped.
 *
 * Prints one JSON line: the indices of the vulnerable dependencies and the advisories seen.
 * Plain JavaScript, not TypeScript: it runs in a bare `node` with no loader, like the program
 * it stands for.
 */
import { createRequire } from "node:module"
import { readFileSync } from "node:fs"

const require = createRequire(import.meta.url)
const { OsvOfflineDb } = require("@renovatebot/osv-offline-db")
const semver = require("semver")
const pep440 = require("@renovatebot/pep440")

const dependencies = JSON.parse(readFileSync(process.argv[2], "utf8"))

const versioning = {
  // A version either library cannot read compares as false (pep440 throws on one).
  PyPI: {
    gte: (a, b) => pep440.valid(a) !== null && pep440.valid(b) !== null && pep440.gte(a, b),
    gt: (a, b) => pep440.valid(a) !== null && pep440.valid(b) !== null && pep440.gt(a, b)
  },
  semver: {
    gte: (a, b) => semver.valid(a) !== null && semver.valid(b) !== null && semver.gte(a, b),
    gt: (a, b) => semver.valid(a) !== null && semver.valid(b) !== null && semver.gt(a, b)
  }
}

const inRange = (version, range, api) => {
  let affected = false
  for (const event of range.events ?? []) {
    if (typeof event.introduced === "string" && event.introduced !== "" &&
      (event.introduced === "0" || api.gte(version, event.introduced))) affected = true
    else if (typeof event.fixed === "string" && event.fixed !== "" && api.gte(version, event.fixed)) affected = false
    else if (typeof event.last_affected === "string" && event.last_affected !== "" && api.gt(version, event.last_affected)) affected = false
  }
  return affected
}

const db = await OsvOfflineDb.create()
const vulnerable = []
let advisories = 0
for (let i = 0; i < dependencies.length; i++) {
  const { ecosystem, name, version } = dependencies[i]
  const api = ecosystem === "PyPI" ? versioning.PyPI : versioning.semver
  const found = await db.query(ecosystem, name)
  advisories += found.length
  const hit = found.some((vulnerability) =>
    vulnerability.withdrawn === undefined &&
    (vulnerability.affected ?? []).some((affected) =>
      affected.package?.name === name && affected.package?.ecosystem === ecosystem &&
      ((affected.versions ?? []).includes(version) ||
        (affected.ranges ?? []).some((range) => range.type !== "GIT" && inRange(version, range, api)))
    )
  )
  if (hit) vulnerable.push(i)
}
process.stdout.write(`${JSON.stringify({ vulnerable, advisories })}\n`)
