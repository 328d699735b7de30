/**
 * The in-memory store's package index: which advisory ids are listed under which index suffix
 * (`<ecosystem>:<name>`), and which suffixes each stored id is listed under — the memory
 * counterpart of Redis' `idx:<suffix>` sets, `pkgs:<id>` sets and `ids` sorted set. Knowing an id's
 * memberships is what lets a re-write leave the packages the advisory no longer names.
 */

interface Listing {
  readonly ids: Set<string>
  /** Sorted copy of `ids`, rebuilt on the first read after a change (reads vastly outnumber writes). */
  sorted: ReadonlyArray<string> | undefined
}

/** See the module comment. */
export class AdvisoryIndex {
  private readonly memberships = new Map<string, ReadonlyArray<string>>()
  private readonly listings = new Map<string, Listing>()

  /** Number of stored advisories (withdrawn ones included: they are stored, in no listing). */
  get size(): number {
    return this.memberships.size
  }

  /**
   * Records that `id` is stored and listed under exactly `suffixes`; returns how many memberships
   * it lost (suffixes it was listed under before but no longer is).
   */
  set(id: string, suffixes: ReadonlyArray<string>): number {
    const keep = new Set(suffixes)
    let stale = 0
    for (const old of this.memberships.get(id) ?? []) {
      if (!keep.has(old) && this.unlist(old, id)) stale++
    }
    for (const suffix of suffixes) {
      let listing = this.listings.get(suffix)
      if (listing === undefined) this.listings.set(suffix, (listing = { ids: new Set(), sorted: undefined }))
      if (!listing.ids.has(id)) {
        listing.ids.add(id)
        listing.sorted = undefined
      }
    }
    this.memberships.set(id, suffixes)
    return stale
  }

  /** The suffixes `id` is listed under (empty when it is not stored). */
  suffixesOf(id: string): ReadonlyArray<string> {
    return this.memberships.get(id) ?? []
  }

  /** Forgets `id`: it is no longer stored nor listed anywhere. */
  delete(id: string): void {
    for (const suffix of this.memberships.get(id) ?? []) this.unlist(suffix, id)
    this.memberships.delete(id)
  }

  /**
   * The ids listed under `suffix`, sorted. On the first read after a change, ids for which `isLive`
   * is false are forgotten (the "cleaned when read" rule of the Redis store).
   */
  idsUnder(suffix: string, isLive: (id: string) => boolean): ReadonlyArray<string> {
    const listing = this.listings.get(suffix)
    if (listing === undefined) return []
    if (listing.sorted === undefined) {
      for (const id of listing.ids) if (!isLive(id)) this.delete(id)
      listing.sorted = Array.from(listing.ids).sort()
    }
    return listing.sorted
  }

  /** Every suffix with at least one id listed. */
  suffixes(): Array<string> {
    return Array.from(this.listings.keys())
  }

  /** Every stored id. */
  ids(): Array<string> {
    return Array.from(this.memberships.keys())
  }

  private unlist(suffix: string, id: string): boolean {
    const listing = this.listings.get(suffix)
    if (listing === undefined || !listing.ids.delete(id)) return false
    listing.sorted = undefined
    if (listing.ids.size === 0) this.listings.delete(suffix)
    return true
  }
}
