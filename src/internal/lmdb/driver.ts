/**
 * The LMDB driver under `LmdbStore` (the `lmdb` package: memory-mapped, ACID, one writer and many
 * reader processes). Layout, all keys binary and unambiguous:
 *
 * | named db | key | value |
 * | `values` | UTF-8 of the full key (`<prefix>:data:<id>`, `<prefix>:sum:<suffix> <id>`, ...) | float64 BE expiry (epoch ms, +Infinity = never) ++ bytes |
 * | `sets` | u32 BE length ++ UTF-8 set key ++ UTF-8 member | empty |
 * | `scores` | u32 BE length ++ UTF-8 `<prefix>:ids` ++ UTF-8 id | float64 BE expiry |
 * | `expiries` | u32 BE length ++ UTF-8 `<prefix>:ids` ++ float64 BE expiry ++ UTF-8 id (finite expiries only) | empty |
 * | `counts` | UTF-8 `<prefix>:ids` | float64 BE number of ids (O(1) count) |
 *
 * Every write is one `transactionSync`: an advisory's data, index memberships and their summaries, `pkgs:<id>` set,
 * score, expiry entry and the count change in one transaction (per chunk of advisories), so a
 * killed process leaves the last committed state. Expiry follows Effect's `Clock` (values carry
 * their expiry; reads compare with `now`), so `TestClock` drives it.
 */
import { accessSync, constants } from "node:fs"
import { Array as Arr, Clock, Effect, Option, Stream } from "effect"
import type { Database, RootDatabase } from "lmdb"
import { StoreError } from "../../Errors.js"
import type { AdvisoryWriteResult, DriverHealth, RawAccess, StoreDriver } from "../store/driver.js"
import type { StoreKeys } from "../store/keys.js"

const utf8 = new TextDecoder()
const empty = Buffer.alloc(0)
const never = Number.POSITIVE_INFINITY
/** A byte no UTF-8 text contains: the exclusive end of a prefix range. */
const afterText = Buffer.from([0xff])

const float = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(8)
  b.writeDoubleBE(n)
  return b
}
/** A length-prefixed key: `<key>` followed by anything cannot be mistaken for another key. */
const framed = (key: string): Buffer => {
  const text = Buffer.from(key)
  const b = Buffer.allocUnsafe(4 + text.length)
  b.writeUInt32BE(text.length)
  text.copy(b, 4)
  return b
}

/** The open environment and its named databases. */
export interface LmdbEnv {
  readonly root: RootDatabase
  readonly values: Database<Buffer, Buffer>
  readonly sets: Database<Buffer, Buffer>
  readonly scores: Database<Buffer, Buffer>
  readonly expiries: Database<Buffer, Buffer>
  readonly counts: Database<Buffer, Buffer>
}

/** Opens the named databases of an open environment. */
export const openDatabases = (root: RootDatabase): LmdbEnv => {
  const db = (name: string) => root.openDB<Buffer, Buffer>(name, { encoding: "binary", keyEncoding: "binary" })
  return {
    root,
    values: db("values"),
    sets: db("sets"),
    scores: db("scores"),
    expiries: db("expiries"),
    counts: db("counts")
  }
}

/** Settings of the LMDB driver. */
export interface LmdbDriverSettings {
  readonly path: string
  /** The map size the health check measures usage against (bytes). */
  readonly mapSizeBytes: number
  readonly readOnly: boolean
  readonly version: string
}

/** The driver over an open environment. */
export const makeLmdbDriver = (env: LmdbEnv, keys: StoreKeys, settings: LmdbDriverSettings): StoreDriver => {
  const { counts, expiries, root, scores, sets, values } = env
  const idsFrame = framed(keys.ids)
  const countKey = Buffer.from(keys.ids)

  const attempt = <A>(operation: string, run: () => A): Effect.Effect<A, StoreError> =>
    Effect.try({
      try: run,
      catch: (cause) =>
        new StoreError({
          reason: "CommandFailed",
          operation,
          detail: `LMDB at ${settings.path}: ${cause instanceof Error ? cause.message : String(cause)}`,
          retryable: false,
          cause
        })
    })
  const write = <A>(operation: string, run: () => A) => attempt(operation, () => root.transactionSync(run))

  /** The stored entry at `key`: its bytes and expiry, or `undefined` when absent. */
  const entry = (key: string) => {
    const raw = values.getBinary(Buffer.from(key))
    return raw === undefined ? undefined : { expiresAt: raw.readDoubleBE(0), bytes: raw.subarray(8) }
  }
  const live = (key: string, now: number) => {
    const found = entry(key)
    return found !== undefined && found.expiresAt > now ? found.bytes : undefined
  }
  const setValue = (key: string, bytes: Uint8Array, expiresAt: number) =>
    values.putSync(Buffer.from(key), Buffer.concat([float(expiresAt), bytes]))

  const memberKey = (set: string, member: string) => Buffer.concat([framed(set), Buffer.from(member)])
  const membersOf = (set: string): Array<string> => {
    const start = framed(set)
    const found: Array<string> = []
    for (const key of sets.getKeys({ start, end: Buffer.concat([start, afterText]) })) {
      found.push(utf8.decode((key as Buffer).subarray(start.length)))
    }
    return found
  }
  const sadd = (set: string, member: string) => {
    const key = memberKey(set, member)
    if (sets.doesExist(key)) return 0
    sets.putSync(key, empty)
    return 1
  }
  const srem = (set: string, member: string) => (sets.removeSync(memberKey(set, member)) ? 1 : 0)

  const count = () => {
    const raw = counts.getBinary(countKey)
    return raw === undefined ? 0 : raw.readDoubleBE(0)
  }
  const expiryKey = (expiresAt: number, id: string) => Buffer.concat([idsFrame, float(expiresAt), Buffer.from(id)])
  const scoreKey = (id: string) => Buffer.concat([idsFrame, Buffer.from(id)])
  /** Removes `id` from `ids`; `true` if it was there. */
  const zrem = (id: string) => {
    const old = scores.getBinary(scoreKey(id))
    if (old === undefined) return false
    const expiresAt = old.readDoubleBE(0)
    if (Number.isFinite(expiresAt)) expiries.removeSync(expiryKey(expiresAt, id))
    scores.removeSync(scoreKey(id))
    counts.putSync(countKey, float(count() - 1))
    return true
  }
  const zadd = (id: string, expiresAt: number) => {
    zrem(id)
    counts.putSync(countKey, float(count() + 1))
    scores.putSync(scoreKey(id), float(expiresAt))
    if (Number.isFinite(expiresAt)) expiries.putSync(expiryKey(expiresAt, id), empty)
  }
  /** Ids in `ids` expired at `now`, as a range of `expiries`. */
  const expiredRange = (now: number) => ({ start: idsFrame, end: Buffer.concat([idsFrame, float(now), afterText]) })

  /**
   * Leaves every index the advisory is in (and `leave`), deleting those memberships' summaries;
   * returns how many memberships were removed.
   */
  const unlist = (id: string, keep: ReadonlySet<string>, leave: ReadonlyArray<string>) => {
    let removed = 0
    for (const suffix of new Set([...membersOf(keys.pkgs(id)), ...leave])) {
      if (keep.has(suffix)) continue
      removed += srem(keys.index(suffix), id)
      srem(keys.pkgs(id), suffix)
      values.removeSync(Buffer.from(keys.summary(suffix, id)))
    }
    return removed
  }

  const health: Effect.Effect<DriverHealth> = Effect.sync((): DriverHealth => {
    const start = performance.now()
    try {
      const stats = root.getStats() as { pageSize: number; lastPageNumber: number }
      const used = (stats.lastPageNumber + 1) * stats.pageSize
      const usage = used / settings.mapSizeBytes
      const reasons: Array<string> = []
      if (usage > 0.9) reasons.push(`map ${Math.round(usage * 100)}% full (${used} of ${settings.mapSizeBytes} bytes)`)
      if (settings.readOnly) reasons.push("opened read-only")
      try {
        accessSync(settings.path, constants.W_OK)
      } catch {
        reasons.push(`directory ${settings.path} is read-only`)
      }
      const latencyMs = Math.round((performance.now() - start) * 100) / 100
      return { reachable: true, latencyMs, serverVersion: settings.version, reasons, path: settings.path, usage }
    } catch (cause) {
      return { reachable: false, latencyMs: 0, detail: `LMDB at ${settings.path}: ${String(cause)}` }
    }
  })

  return {
    name: "lmdb",
    keys,
    writeChunkSize: 256,
    decodedCacheEntries: 4096,
    volatileReads: false,
    summaryEncoding: "json",
    healthTimeoutMillis: 1000,
    getValues: (operation, keyList, now) => attempt(operation, () => keyList.map((key) => live(key, now))),
    exists: (operation, keyList, now) => attempt(operation, () => keyList.map((key) => live(key, now) !== undefined)),
    write: (operation, writes, now) =>
      write(operation, () =>
        writes.map((w) => {
          switch (w.op) {
            case "set":
              setValue(w.key, w.value, w.expiry.expiresAt ?? never)
              return 1
            case "del": {
              const existed = live(w.key, now) !== undefined
              values.removeSync(Buffer.from(w.key))
              return existed ? 1 : 0
            }
            case "sadd":
              return sadd(w.key, w.member)
            case "srem":
              return srem(w.key, w.member)
          }
        })),
    members: (operation, key) => attempt(operation, () => membersOf(key)),
    membersOf: (operation, keyList) => attempt(operation, () => keyList.map(membersOf)),
    memberPages: (operation, key, pageSize) =>
      Stream.flatMap(
        attempt(operation, () => membersOf(key)),
        (all) => Stream.grouped(Stream.fromIterable(all), pageSize)
      ).pipe(Stream.map((chunk) => Array.from(chunk))),
    writeAdvisories: (operation, writes, expiry) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        write(operation, () =>
          writes.map((w): AdvisoryWriteResult => {
            const key = keys.data(w.id)
            const existed = live(key, now) !== undefined
            if (w.mode === "purge" && existed) return { existed, removed: 0 }
            if (w.mode === "put") {
              const removed = unlist(w.id, new Set(w.suffixes), w.leave)
              const expiresAt = expiry.expiresAt ?? never
              w.suffixes.forEach((suffix, i) => {
                sadd(keys.index(suffix), w.id)
                sadd(keys.pkgs(w.id), suffix)
                const summary = w.summaries?.[i]
                if (summary !== undefined) setValue(keys.summary(suffix, w.id), summary, expiresAt)
                else values.removeSync(Buffer.from(keys.summary(suffix, w.id)))
              })
              setValue(key, w.value!, expiresAt)
              zadd(w.id, expiresAt)
              return { existed, removed }
            }
            const removed = unlist(w.id, new Set(), w.leave)
            values.removeSync(Buffer.from(key))
            zrem(w.id)
            return { existed, removed }
          }))),
    liveAdvisoryCount: (operation, now) => attempt(operation, () => count() - expiries.getKeysCount(expiredRange(now))),
    expiredAdvisoryIds: (operation, now, limit) =>
      attempt(operation, () =>
        Array.from(expiries.getKeys({ ...expiredRange(now), limit }), (key) =>
          utf8.decode((key as Buffer).subarray(idsFrame.length + 8)))),
    indexSuffixPages: (operation) =>
      Stream.fromIterableEffect(attempt(operation, () => {
        // Set keys are length-prefixed, so index sets are not one range: jump from set to set.
        const wanted = Buffer.from(keys.indexPrefix)
        const found: Array<string> = []
        let start: Buffer = Buffer.alloc(0)
        for (;;) {
          let next: Buffer | undefined
          for (const key of sets.getKeys({ start, limit: 1 })) next = key as Buffer
          if (next === undefined) break
          const length = next.readUInt32BE(0)
          const setKey = next.subarray(4, 4 + length)
          if (setKey.subarray(0, wanted.length).equals(wanted)) found.push(utf8.decode(setKey.subarray(wanted.length)))
          start = Buffer.concat([next.subarray(0, 4 + length), afterText])
        }
        return Arr.chunksOf(found, 1000)
      })),
    recordedIdPages: (operation) =>
      Stream.fromIterableEffect(attempt(operation, () => {
        const page = Array.from(
          scores.getRange({ start: idsFrame, end: Buffer.concat([idsFrame, afterText]) }),
          ({ key, value }) => ({ id: utf8.decode((key as Buffer).subarray(idsFrame.length)), expiresAt: (value as Buffer).readDoubleBE(0) })
        )
        return Arr.chunksOf(page, 1000)
      })),
    deleteByPrefix: (operation, prefix, now) =>
      write(operation, () => {
        const start = Buffer.from(prefix)
        const found = Array.from(values.getRange({ start, end: Buffer.concat([start, afterText]) }))
        let removed = 0
        for (const { key, value } of found) {
          if ((value as Buffer).readDoubleBE(0) > now) removed++
          values.removeSync(key as Buffer)
        }
        return removed
      }),
    probe: health
  }
}

/** Raw access to the values of an LMDB store, for tests (`LmdbStore.TestKit`). */
export const makeLmdbRawAccess = (env: LmdbEnv, keys: StoreKeys): RawAccess => {
  const { root, values } = env
  const stored = (key: string) => values.getBinary(Buffer.from(key))
  return {
    keyPrefix: keys.prefix,
    writeRaw: (key, bytes) =>
      Effect.sync(() => {
        const old = stored(key)
        const expiresAt = old === undefined ? never : old.readDoubleBE(0)
        root.transactionSync(() => values.putSync(Buffer.from(key), Buffer.concat([float(expiresAt), bytes])))
      }),
    deleteRaw: (key) => Effect.sync(() => void root.transactionSync(() => values.removeSync(Buffer.from(key)))),
    readRaw: (key) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const raw = stored(key)
        return raw === undefined || raw.readDoubleBE(0) <= now ? Option.none() : Option.some(Uint8Array.from(raw.subarray(8)))
      }),
    keys: Effect.map(Clock.currentTimeMillis, (now) => {
      const start = Buffer.from(`${keys.prefix}:`)
      const found: Array<string> = []
      for (const { key, value } of values.getRange({ start, end: Buffer.concat([start, afterText]) })) {
        if ((value as Buffer).readDoubleBE(0) > now) found.push(utf8.decode(key as Buffer))
      }
      return found.sort()
    })
  }
}
