/**
 * The peer's database for bench/coldscan.ts: `@renovatebot/osv-offline-db` (1.8.0, the last
 * release for Node 20) reads one nedb file per ecosystem it knows, `<root>/<ecosystem in lower
 * case>.nedb`, root = `OSV_OFFLINE_ROOT_DIR` (read when the module loads), and never downloads
 * (its `@renovatebot/osv-offline` wrapper does). Its updater fills each file with osv.dev's
 * per-ecosystem export through nedb's `insertAsync`; here the same files are written from the
 * real corpus directly:
 * - one JSON document per line with an `_id` (nedb skips a line without one, so a file of plain
 *   OSV records loads nothing);
 * - a record goes to every ecosystem file one of its `affected` packages names, as osv.dev's
 *   per-ecosystem exports hold it;
 * - `affected[].package.purl` is added when the record has none (osv.dev's export adds it; the
 *   peer's `query` matches the package object `{ ecosystem, name, purl }` exactly, so a record
 *   without it is never found). A purl the record carries is kept as published.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"

const require = createRequire(import.meta.url)
const peer = require("@renovatebot/osv-offline-db") as { readonly ecosystems: ReadonlyArray<string> }
const { packageToPurl } = require("@renovatebot/osv-offline-db/dist/lib/purl-helper.js") as {
  readonly packageToPurl: (ecosystem: string, name: string) => string
}

/** An OSV record as far as the peer's files need it. */
interface OsvRecord {
  readonly id: string
  readonly affected?: ReadonlyArray<{ readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string } }>
}

/** What `writePeerDb` wrote. */
export interface PeerDb {
  readonly dir: string
  /** Documents per ecosystem file. */
  readonly documents: Readonly<Record<string, number>>
  /** Packages whose published purl differs from the one the peer queries with (the peer never finds them). */
  readonly foreignPurls: number
}

/** Writes the peer's nedb files for `records` into `dir` (created when missing). */
export const writePeerDb = (dir: string, records: ReadonlyArray<OsvRecord>): PeerDb => {
  mkdirSync(dir, { recursive: true })
  const lines = new Map<string, Array<string>>(peer.ecosystems.map((e) => [e, []]))
  let foreignPurls = 0
  for (const record of records) {
    const affected = (record.affected ?? []).map((a) => {
      if (a.package === undefined || !lines.has(a.package.ecosystem)) return a
      const purl = packageToPurl(a.package.ecosystem, a.package.name)
      if (a.package.purl !== undefined && a.package.purl !== purl) foreignPurls++
      return { ...a, package: { ...a.package, purl: a.package.purl ?? purl } }
    })
    const document = JSON.stringify({ ...record, affected, _id: record.id })
    const ecosystems = new Set(affected.flatMap((a) => (a.package === undefined ? [] : [a.package.ecosystem])))
    for (const ecosystem of ecosystems) lines.get(ecosystem)?.push(document)
  }
  const documents: Record<string, number> = {}
  for (const [ecosystem, docs] of lines) {
    writeFileSync(join(dir, `${ecosystem.toLowerCase()}.nedb`), docs.length === 0 ? "" : `${docs.join("\n")}\n`)
    documents[ecosystem] = docs.length
  }
  return { dir, documents, foreignPurls }
}
