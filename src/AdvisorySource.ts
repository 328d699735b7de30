/**
 * The advisory-source port: anything that produces OSV advisories for `syncAll` (OSV now; GHSA,
 * NVD or a user's own feed later).
 *
 * A source is split into independently synced *units* (OSV: one per ecosystem), each with its own
 * sync timestamp stored under the unit's name (e.g. `osv.npm`), so one failing ecosystem does not
 * hold back, or falsely advance, the others.
 *
 * `fetch(unit, since)` returns a stream of items. The sync driver records the time *before* calling
 * `fetch` and saves it as the unit's timestamp only when the stream completed and reported no
 * retryable failure, so nothing modified during a sync, and nothing that failed transiently, is
 * ever skipped.
 *
 * @since 0.1.0
 */
import type { Option, Stream } from "effect"
import { Data, Effect } from "effect"
import type { Advisory } from "./Advisory.js"
import { type DecodeError, InvalidInput, type SourceError } from "./Errors.js"

/**
 * One item of a source's stream.
 *
 * - `Started`: emitted first; whether this is a full or incremental fetch, and how many records are
 *   expected when known (for progress and ETA).
 * - `Record`: a decoded advisory (withdrawn ones included: the store un-indexes them).
 * - `Failed`: one record could not be fetched or decoded. `retryable` failures (network, 5xx) keep
 *   the unit's timestamp from advancing; permanent ones (malformed record) are reported only.
 *
 * @since 0.1.0
 * @category Models
 */
export type SourceItem = Data.TaggedEnum<{
  Started: { readonly mode: "full" | "incremental"; readonly expected: number | undefined }
  Record: { readonly advisory: Advisory }
  Failed: { readonly id: string; readonly detail: string; readonly retryable: boolean }
}>

/**
 * Constructors for `SourceItem`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const SourceItem = Data.taggedEnum<SourceItem>()

/**
 * @since 0.1.0
 * @category Models
 */
export interface AdvisorySource {
  /** The source's name (lower-case, e.g. `osv`); `resetSync("osv")` resets all its units. */
  readonly name: string
  /** The units synced independently; each name is `<source>.<unit>` in lower case (e.g. `osv.npm`). */
  readonly units: ReadonlyArray<string>
  /**
   * Fetches one unit: everything when `since` is `None`, else what changed since then. A failure of
   * the stream itself (download failed, archive corrupt) fails the unit; its timestamp stays.
   */
  readonly fetch: (
    unit: string,
    since: Option.Option<Date>
  ) => Stream.Stream<SourceItem, SourceError | DecodeError>
}

/**
 * Validates a sync source or unit name (e.g. `osv`, `osv.npm`, `kev`): 1-128 characters of
 * letters, digits, `.`, `_` or `-`. Names are case-insensitive: the result is lower-cased, as
 * stored.
 *
 * @since 0.4.0
 * @category Validation
 */
export const validateSourceName = (source: string): Effect.Effect<string, InvalidInput> => {
  const lowered = source.trim().toLowerCase()
  return /^[a-z0-9._-]{1,128}$/.test(lowered)
    ? Effect.succeed(lowered)
    : Effect.fail(InvalidInput.of("source", source, "expected 1-128 characters of [A-Za-z0-9._-]"))
}
