/**
 * The in-process driver under `MemoryStore`: value keys in `ExpiringMap`s (one per namespace, so
 * each has one constant TTL), index memberships in an `AdvisoryIndex`, other sets in `Set`s. Time
 * comes from Effect's `Clock`, so `TestClock` drives expiry. Expired entries are dropped, not only
 * hidden.
 */
import { Array as Arr, Clock, Effect, Option, Stream } from "effect"
import { AdvisoryIndex } from "./advisoryIndex.js"
import type { AdvisoryWriteResult, RawAccess, StoreDriver } from "./driver.js"
import { ExpiringMap } from "./expiringMap.js"
import { makeKeys } from "./keys.js"

/** A memory driver and raw access to its values. */
export const makeMemoryDriver = (prefix: string): { readonly driver: StoreDriver; readonly raw: RawAccess } => {
  const keys = makeKeys(prefix)
  const data = new ExpiringMap()
  const summaries = new ExpiringMap()
  const maps = [
    [keys.dataPrefix, data],
    [keys.summaryPrefix, summaries],
    [keys.enrichmentPrefix, new ExpiringMap()],
    [keys.ossIndexPrefix, new ExpiringMap()],
    [keys.metaPrefix, new ExpiringMap()]
  ] as const
  const index = new AdvisoryIndex()
  const sets = new Map<string, Set<string>>()

  const mapFor = (key: string) => maps.find(([p]) => key.startsWith(p))?.[1]
  /** Deletes the summaries of `id` under `suffixes` except those in `keep`. */
  const dropSummaries = (id: string, suffixes: ReadonlyArray<string>, at: number, keep?: ReadonlySet<string>) => {
    for (const suffix of suffixes) if (keep === undefined || !keep.has(suffix)) summaries.delete(keys.summary(suffix, id), at)
  }
  /** Expired advisories leave the count and every index (their summaries expire with them). */
  const purgeAdvisories = (now: number) =>
    data.purge(now, (key) => {
      const id = key.slice(keys.dataPrefix.length)
      dropSummaries(id, index.suffixesOf(id), now)
      index.delete(id)
    })
  const purgeFor = (key: string, now: number) => {
    const map = mapFor(key)
    if (map === data) purgeAdvisories(now)
    else map?.purge(now)
    return map
  }
  const now = Clock.currentTimeMillis
  const members = (key: string, at: number): Array<string> => {
    if (key.startsWith(keys.indexPrefix)) {
      purgeAdvisories(at)
      return Array.from(index.idsUnder(key.slice(keys.indexPrefix.length), () => true))
    }
    return Array.from(sets.get(key) ?? [])
  }

  const driver: StoreDriver = {
    name: "memory",
    keys,
    writeChunkSize: 1024,
    decodedCacheEntries: 1_000_000,
    volatileReads: false,
    summaryEncoding: "zstd",
    healthTimeoutMillis: 1000,
    getValues: (_, keyList, at) =>
      Effect.sync(() => {
        for (const [, map] of maps) map === data ? purgeAdvisories(at) : map.purge(at)
        return keyList.map((key) => mapFor(key)?.get(key, at)?.bytes)
      }),
    exists: (_, keyList, at) => Effect.sync(() => keyList.map((key) => mapFor(key)?.get(key, at) !== undefined)),
    write: (_, writes, at) =>
      Effect.sync(() =>
        writes.map((w) => {
          switch (w.op) {
            case "set":
              purgeFor(w.key, at)?.set(w.key, w.value, w.expiry.expiresAt ?? Number.POSITIVE_INFINITY)
              return 1
            case "del":
              return purgeFor(w.key, at)?.delete(w.key, at) ? 1 : 0
            case "sadd": {
              let set = sets.get(w.key)
              if (set === undefined) sets.set(w.key, set = new Set())
              return set.has(w.member) ? 0 : (set.add(w.member), 1)
            }
            case "srem": {
              const set = sets.get(w.key)
              const removed = set?.delete(w.member) ? 1 : 0
              if (set?.size === 0) sets.delete(w.key)
              return removed
            }
          }
        })
      ),
    members: (_, key) => Effect.map(now, (at) => members(key, at)),
    membersOf: (_, keyList) => Effect.map(now, (at) => keyList.map((key) => members(key, at))),
    memberPages: (_, key, pageSize) =>
      Stream.unwrap(Effect.map(now, (at) => Stream.fromIterable(Arr.chunksOf(members(key, at), pageSize)))),
    writeAdvisories: (_, writes, expiry) =>
      Effect.map(now, (at) => {
        purgeAdvisories(at)
        return writes.map((w): AdvisoryWriteResult => {
          const key = keys.data(w.id)
          const existed = data.get(key, at) !== undefined
          switch (w.mode) {
            case "put": {
              const expiresAt = expiry.expiresAt ?? Number.POSITIVE_INFINITY
              dropSummaries(w.id, index.suffixesOf(w.id), at, new Set(w.suffixes))
              const removed = index.set(w.id, w.suffixes)
              data.set(key, w.value!, expiresAt)
              w.suffixes.forEach((suffix, i) => {
                const summary = w.summaries?.[i]
                if (summary !== undefined) summaries.set(keys.summary(suffix, w.id), summary, expiresAt)
                else summaries.delete(keys.summary(suffix, w.id), at)
              })
              return { existed, removed }
            }
            case "del":
              data.delete(key, at)
              dropSummaries(w.id, index.suffixesOf(w.id), at)
              index.delete(w.id)
              return { existed, removed: 0 }
            case "purge":
              if (!existed) {
                dropSummaries(w.id, index.suffixesOf(w.id), at)
                index.delete(w.id)
              }
              return { existed, removed: 0 }
          }
        })
      }),
    liveAdvisoryCount: (_, at) =>
      Effect.sync(() => {
        purgeAdvisories(at)
        return index.size
      }),
    // Expired advisories leave their indexes as soon as any call sees them expired.
    expiredAdvisoryIds: () => Effect.succeed([]),
    indexSuffixPages: () =>
      Stream.unwrap(Effect.map(now, (at) => {
        purgeAdvisories(at)
        return Stream.fromIterable(Arr.chunksOf(index.suffixes(), 1000))
      })),
    // Expired advisories are dropped from the index as soon as any call sees them expired.
    recordedIdPages: () =>
      Stream.unwrap(Effect.map(now, (at) => {
        purgeAdvisories(at)
        return Stream.fromIterable(Arr.chunksOf(index.ids().map((id) => ({ id, expiresAt: Number.POSITIVE_INFINITY })), 1000))
      })),
    deleteByPrefix: (_, prefix, at) => Effect.sync(() => mapFor(prefix)?.clear(at) ?? 0),
    probe: Effect.succeed({ reachable: true, latencyMs: 0, serverVersion: "memory", reasons: [] })
  }

  const raw: RawAccess = {
    keyPrefix: prefix,
    writeRaw: (key, bytes) =>
      Effect.flatMap(now, (at) => {
        const map = mapFor(key)
        if (map === undefined) return Effect.dieMessage(`MemoryStore.TestKit.writeRaw: not a value key: ${key}`)
        return Effect.sync(() => map.replaceBytes(key, Uint8Array.from(bytes), at))
      }),
    deleteRaw: (key) => Effect.flatMap(now, (at) => Effect.sync(() => void mapFor(key)?.delete(key, at))),
    readRaw: (key) =>
      Effect.map(now, (at) => Option.fromNullable(mapFor(key)?.get(key, at)?.bytes).pipe(Option.map((bytes) => Uint8Array.from(bytes)))),
    keys: Effect.map(now, (at) => maps.flatMap(([, map]) => Array.from(map.keys(at))).sort())
  }
  return { driver, raw }
}
