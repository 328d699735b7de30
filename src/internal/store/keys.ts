/**
 * The store's key layout (docs/store-design.md), defined once: the Redis driver writes these keys,
 * the memory and LMDB drivers use the same strings, `CorruptEntry.key` names them, and the contract
 * suite's oracle imports this module.
 */
import { createHash } from "node:crypto"

/** Escapes Redis glob characters (`*?[]\`) so a prefix matches only itself in SCAN MATCH. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&")

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** The key layout under `prefix` (index suffixes already normalized by the caller). */
export const makeKeys = (prefix: string) => ({
  prefix,
  data: (id: string) => `${prefix}:data:${id}`,
  dataPrefix: `${prefix}:data:`,
  pkgs: (id: string) => `${prefix}:pkgs:${id}`,
  indexPrefix: `${prefix}:idx:`,
  index: (suffix: string) => `${prefix}:idx:${suffix}`,
  ids: `${prefix}:ids`,
  meta: (source: string) => `${prefix}:meta:${source}`,
  metaPrefix: `${prefix}:meta:`,
  sources: `${prefix}:sources`,
  enrichment: (cve: string) => `${prefix}:enrich:${cve}`,
  enrichmentPrefix: `${prefix}:enrich:`,
  ossIndex: (canonicalPurl: string) => `${prefix}:ossidx:${sha256(canonicalPurl)}`,
  ossIndexPrefix: `${prefix}:ossidx:`
})

/** The store's keys under one prefix. */
export type StoreKeys = ReturnType<typeof makeKeys>
