/**
 * A key → bytes map with per-entry expiry, used by the in-memory store to mimic Redis `SET ... PX`.
 *
 * Expired entries are never returned, and `purge` drops them in amortized O(1): entries with a
 * finite expiry are also kept in a second map ordered by expiry time, so a purge only ever looks at
 * the front of that map. Insertion order equals expiry order because every namespace has one
 * constant TTL and a re-write moves the entry to the end (delete + set); the expiry is clamped to
 * be non-decreasing so a clock that steps backwards cannot break the ordering (it can only make an
 * entry live a few milliseconds longer).
 */

/** One stored value. */
export interface Slot {
  readonly bytes: Uint8Array
  /** Epoch milliseconds at which the entry expires (`Infinity` = never). */
  readonly expiresAt: number
}

/** See the module comment. */
export class ExpiringMap {
  private readonly slots = new Map<string, Slot>()
  /** Keys with a finite expiry, in ascending expiry order. */
  private readonly expiryOrder = new Map<string, number>()
  private lastExpiry = Number.NEGATIVE_INFINITY

  /** Writes `bytes` at `key`, expiring at `expiresAt` (epoch ms; `Infinity` = never). */
  set(key: string, bytes: Uint8Array, expiresAt: number): void {
    this.expiryOrder.delete(key)
    let expiry = expiresAt
    if (Number.isFinite(expiry)) {
      expiry = Math.max(expiry, this.lastExpiry)
      this.lastExpiry = expiry
      this.expiryOrder.set(key, expiry)
    }
    this.slots.delete(key)
    this.slots.set(key, { bytes, expiresAt: expiry })
  }

  /** Replaces the bytes at `key` keeping its expiry (like Redis `SET ... KEEPTTL`). */
  replaceBytes(key: string, bytes: Uint8Array, now: number): void {
    const slot = this.get(key, now)
    if (slot === undefined) this.set(key, bytes, Number.POSITIVE_INFINITY)
    else this.slots.set(key, { bytes, expiresAt: slot.expiresAt })
  }

  /** The live entry at `key`, or `undefined` when absent or expired at `now`. */
  get(key: string, now: number): Slot | undefined {
    const slot = this.slots.get(key)
    return slot !== undefined && slot.expiresAt > now ? slot : undefined
  }

  /** Removes `key`; `true` if a live entry was removed. */
  delete(key: string, now: number): boolean {
    const live = this.get(key, now) !== undefined
    this.slots.delete(key)
    this.expiryOrder.delete(key)
    return live
  }

  /** Drops every entry expired at `now`, calling `onExpired` with each dropped key. */
  purge(now: number, onExpired?: (key: string) => void): void {
    for (const [key, expiresAt] of this.expiryOrder) {
      if (expiresAt > now) break
      this.expiryOrder.delete(key)
      this.slots.delete(key)
      onExpired?.(key)
    }
  }

  /** Number of entries (call `purge` first for an exact count of live ones). */
  get size(): number {
    return this.slots.size
  }

  /** Live keys at `now` (insertion order). */
  *keys(now: number): IterableIterator<string> {
    for (const [key, slot] of this.slots) if (slot.expiresAt > now) yield key
  }

  /** Removes everything; returns how many live entries were removed. */
  clear(now: number): number {
    let live = 0
    for (const slot of this.slots.values()) if (slot.expiresAt > now) live++
    this.slots.clear()
    this.expiryOrder.clear()
    return live
  }
}
