/**
 * The CISA Known Exploited Vulnerabilities (KEV) catalog as a service: one download of the whole
 * catalog JSON, decoded with `effect/Schema`.
 *
 * The catalog's id key is `cveID` (the Rust crate looked for `cveId` and never parsed the real
 * feed); entries keep the feed's own field names. An entry that does not decode is reported in
 * `malformed` (its index, the reason and its `cveID` when readable) and the rest of the catalog is
 * still returned; only a payload that is not JSON, or not a catalog at all, fails (`DecodeError`,
 * not retried). Transport failures are `SourceError`s, retried per the `RetryPolicy`.
 *
 * | option | environment variable | default |
 * | --- | --- | --- |
 * | `url` | `VULNERA__SOURCES__KEV_URL` | `https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json` (`file://` allowed) |
 * | `timeout` | — | 30 s per attempt |
 *
 * @since 0.1.0
 */
import type { FileSystem, HttpClient } from "@effect/platform"
import { Config, Context, Effect, Either, Layer, Predicate, Schema } from "effect"
import type { Duration } from "effect"
import { isCve } from "./Advisory.js"
import { type ConfigurationError, DecodeError, type SourceError } from "./Errors.js"
import { displayUrl, makeFetcher } from "./internal/sources/fetch.js"
import { fromValues, load, loadWith } from "./internal/config.js"
import { describeParseError, urlConfig } from "./internal/sources/sources.js"

/**
 * The official catalog location.
 *
 * @since 0.1.0
 * @category Defaults
 */
export const defaultUrl = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"

/**
 * The environment variable overriding the catalog URL (for mirrors, tests, offline snapshots).
 *
 * @since 0.1.0
 * @category Configuration
 */
export const urlVariable = "VULNERA__SOURCES__KEV_URL"

/** The `source` name in errors. */
const sourceName = "KEV"

const isCalendarDate = (s: string): boolean => {
  const date = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === s
}

/**
 * A calendar date written `YYYY-MM-DD` (kept as that string).
 *
 * @since 0.1.0
 * @category Schemas
 */
export const KevDate = Schema.String.pipe(
  Schema.filter((s) => (/^\d{4}-\d{2}-\d{2}$/.test(s) && isCalendarDate(s)) || `expected a YYYY-MM-DD date, got ${JSON.stringify(s)}`)
)

/**
 * A CVE id in canonical form (`CVE-YYYY-NNNN...`, upper case), as the catalog writes it.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const KevCveId = Schema.String.pipe(
  Schema.filter((s) => isCve(s) || `expected a CVE id (CVE-YYYY-NNNN...), got ${JSON.stringify(s)}`)
)

/**
 * One catalog entry, with the feed's field names. `knownRansomwareCampaignUse`, `notes` and `cwes`
 * are optional in CISA's JSON schema; `cwes` is kept as given (a malformed CWE does not invalidate
 * a KEV listing).
 *
 * @since 0.1.0
 * @category Schemas
 */
export const KevEntry = Schema.Struct({
  cveID: KevCveId,
  vendorProject: Schema.String,
  product: Schema.String,
  vulnerabilityName: Schema.String,
  /** When CISA added the CVE to the catalog. */
  dateAdded: KevDate,
  shortDescription: Schema.String,
  requiredAction: Schema.String,
  /** The remediation deadline for US federal agencies. */
  dueDate: KevDate,
  knownRansomwareCampaignUse: Schema.optional(Schema.Literal("Known", "Unknown")),
  notes: Schema.optional(Schema.String),
  cwes: Schema.optional(Schema.Array(Schema.String))
})
/** @since 0.1.0 @category Models */
export type KevEntry = typeof KevEntry.Type

/**
 * The catalog envelope; entries are decoded one by one afterwards, so one bad entry cannot sink
 * the catalog.
 */
const CatalogEnvelope = Schema.Struct({
  catalogVersion: Schema.String,
  dateReleased: Schema.String,
  count: Schema.Number,
  vulnerabilities: Schema.Array(Schema.Unknown)
})

/**
 * An entry that could not be decoded: its position in the feed's `vulnerabilities` array, the
 * reason, and its `cveID` when that much was readable.
 *
 * @since 0.1.0
 * @category Models
 */
export interface KevMalformedEntry {
  readonly index: number
  readonly cveID: string | undefined
  readonly reason: string
}

/**
 * A downloaded catalog. `entries` are in feed order (duplicates, never seen in the real feed, are
 * kept as they come); `count` is the count the catalog declares, so `entries.length +
 * malformed.length` can be checked against it.
 *
 * @since 0.1.0
 * @category Models
 */
export interface KevCatalog {
  readonly catalogVersion: string
  /** Release time as published (RFC 3339, e.g. `2025-08-25T17:04:19.9796Z`). */
  readonly dateReleased: string
  readonly count: number
  readonly entries: ReadonlyArray<KevEntry>
  readonly malformed: ReadonlyArray<KevMalformedEntry>
}

const decodeEnvelope = Schema.decodeUnknownEither(CatalogEnvelope)
const decodeEntry = Schema.decodeUnknownEither(KevEntry)

/**
 * Decodes a parsed catalog document: entries that fail are reported in `malformed`; a document that
 * is not a catalog fails with `DecodeError`.
 *
 * @since 0.1.0
 * @category Decoding
 */
export const decodeCatalog = (document: unknown): Either.Either<KevCatalog, DecodeError> =>
  Either.map(
    Either.mapLeft(decodeEnvelope(document), (error) =>
      new DecodeError({ source: sourceName, detail: `not a KEV catalog: ${describeParseError(error)}` })),
    (envelope) => {
      const entries: Array<KevEntry> = []
      const malformed: Array<KevMalformedEntry> = []
      envelope.vulnerabilities.forEach((raw, index) => {
        const decoded = decodeEntry(raw)
        if (Either.isRight(decoded)) {
          entries.push(decoded.right)
        } else {
          const id = Predicate.hasProperty(raw, "cveID") && typeof raw.cveID === "string" ? raw.cveID : undefined
          malformed.push({ index, cveID: id, reason: describeParseError(decoded.left) })
        }
      })
      return {
        catalogVersion: envelope.catalogVersion,
        dateReleased: envelope.dateReleased,
        count: envelope.count,
        entries,
        malformed
      }
    }
  )

/**
 * The KEV source.
 *
 * @since 0.1.0
 * @category Models
 */
export interface KevSourceShape {
  /**
   * Downloads and decodes the whole catalog (retried per the `RetryPolicy` on transient failures).
   * Malformed entries are in the result, never an error.
   */
  readonly fetchCatalog: Effect.Effect<KevCatalog, SourceError | DecodeError>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class KevSource extends Context.Tag("vulnera-advisor/KevSource")<KevSource, KevSourceShape>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** The catalog URL (`http(s)://` or `file://`); default `defaultUrl`. */
  readonly url?: string
  /** Per-attempt timeout of the download; default 30 s. */
  readonly timeout?: Duration.DurationInput
}

/**
 * The options read from `VULNERA__SOURCES__KEV_URL` (the CISA feed when unset; `http(s)://` or
 * `file://`). Options given in code pass the same rules.
 *
 * @since 0.1.0
 * @category Config
 */
export const config = Config.all({
  url: urlConfig(urlVariable, { allowFile: true }).pipe(Config.withDefault(defaultUrl))
}) satisfies Config.Config<Options>

/**
 * Builds the source over the platform's `HttpClient` (and `FileSystem` for `file://` URLs); an
 * invalid URL fails with `ConfigurationError`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<KevSourceShape, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const { url } = yield* fromValues(config, { [urlVariable]: options.url })
    const fetcher = yield* makeFetcher
    const fetchOptions = options.timeout === undefined ? {} : { timeout: options.timeout }

    const fetchCatalog = fetcher.json(sourceName, url, fetchOptions).pipe(
      Effect.flatMap(decodeCatalog),
      Effect.tap((catalog) =>
        Effect.annotateCurrentSpan({
          catalogVersion: catalog.catalogVersion,
          entries: catalog.entries.length,
          malformed: catalog.malformed.length
        })
      ),
      Effect.tap((catalog) =>
        catalog.malformed.length === 0 ? Effect.void : Effect.logWarning("KEV catalog has malformed entries").pipe(
          Effect.annotateLogs({
            malformed: catalog.malformed.length,
            first: `#${catalog.malformed[0]!.index} ${catalog.malformed[0]!.cveID ?? "?"}: ${catalog.malformed[0]!.reason}`
          })
        )
      ),
      Effect.withSpan("KevSource.fetchCatalog", { attributes: { url: displayUrl(url) } })
    )

    return KevSource.of({ fetchCatalog })
  })

/**
 * A layer from options given in code.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<KevSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(KevSource, make(options))


/**
 * A layer from a `Config` of options (`KevSource.config` by default); errors name the variable.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<KevSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(KevSource, Effect.flatMap(load(options), make))

/**
 * `KevSource.config` from the environment (through the current `ConfigProvider`); `overrides` win
 * over the environment and pass the same validation.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Options = {}
): Layer.Layer<KevSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(
    KevSource,
    Effect.flatMap(loadWith(config, { [urlVariable]: overrides.url }), (options) => make({ ...overrides, ...options }))
  )
