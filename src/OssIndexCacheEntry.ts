/**
 * One cached OSS Index answer: the advisories found for one (normalized) PURL. An empty list is a
 * valid, cached answer ("no known vulnerabilities").
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Advisory } from "./Advisory.js"

/**
 * @since 0.1.0
 * @category Models
 */
export class OssIndexCacheEntry extends Schema.Class<OssIndexCacheEntry>("vulnera-advisor/OssIndexCacheEntry")({
  /** The normalized PURL this entry answers for. */
  purl: Schema.String,
  advisories: Schema.Array(Advisory),
  /** When the entry was cached (epoch milliseconds). */
  cachedAt: Schema.Number,
  /** Time to live in seconds from `cachedAt`. */
  ttlSeconds: Schema.Number
}) {
  /** Whether the entry has expired at `now` (epoch milliseconds). */
  isExpired(now: number): boolean {
    return now >= this.cachedAt + this.ttlSeconds * 1000
  }
}

/**
 * JSON text codec for stored entries.
 *
 * @since 0.1.0
 * @category Codecs
 */
export const OssIndexCacheEntryFromJson = Schema.parseJson(OssIndexCacheEntry)
