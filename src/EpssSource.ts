/**
 * FIRST EPSS (Exploit Prediction Scoring System) scores as a service, from two places:
 *
 * - `bulk`: the daily file of every scored CVE (`epss_scores-current.csv.gz`: gzip, a
 *   `#model_version:...,score_date:...` comment line, the header `cve,epss,percentile`, ~300k rows)
 *   as a `Stream`: gunzipped, split into lines and parsed as the bytes arrive, never the whole file
 *   in memory. A download that breaks part-way (reset, truncated gzip) is retried per the
 *   `RetryPolicy` and resumes where the stream stopped: rows already emitted are not emitted again.
 * - `scores(cves)`: the API (`GET /data/v1/epss?cve=a,b,c`) for explicitly requested CVEs, in
 *   requests whose `cve` value stays within FIRST's 2,000-character limit, following pagination
 *   (`offset`/`limit`/`total`). The Rust crate sent 200 ids per request (~3,000 characters) with no
 *   pagination and lost every score when one chunk failed; here a failed chunk is reported and the
 *   others are kept.
 *
 * Malformed rows are reported (line number and reason), never fatal and never silently dropped.
 *
 * | option | environment variable | default |
 * | --- | --- | --- |
 * | `bulkUrl` | `VULNERA__SOURCES__EPSS_BULK_URL` | `https://epss.empiricalsecurity.com/epss_scores-current.csv.gz` (`file://` allowed) |
 * | `apiUrl` | `VULNERA__SOURCES__EPSS_API_URL` | `https://api.first.org` |
 * | `timeout` | — | 30 s per request; for `bulk`, also the longest pause between two pieces of the body |
 * | `maxCvesPerRequest` | — | 100 (FIRST's default page size) |
 *
 * @since 0.1.0
 */
import type { FileSystem, HttpClient } from "@effect/platform"
import { Config, Context, Data, Effect, Either, Layer, Schema, Stream } from "effect"
import type { Duration } from "effect"
import { validateCve } from "./Advisory.js"
import { type ConfigurationError, DecodeError, type InvalidInput, type SourceError } from "./Errors.js"
import { bulkStream } from "./internal/sources/epssBulk.js"
import type { BulkMetadata } from "./internal/sources/epssCsv.js"
import { displayUrl, makeFetcher } from "./internal/sources/fetch.js"
import { fromValues, integerIn, keyedBy, load, loadWith } from "./internal/config.js"
import { describeParseError, joinUrl, urlConfig } from "./internal/sources/sources.js"

/**
 * The current daily bulk file.
 *
 * @since 0.1.0
 * @category Defaults
 */
export const defaultBulkUrl = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"

/**
 * The API base URL (the source appends `/data/v1/epss`).
 *
 * @since 0.1.0
 * @category Defaults
 */
export const defaultApiUrl = "https://api.first.org"

/** The environment variable overriding the bulk file URL (mirrors, tests, `file://` snapshots). @since 0.1.0 @category Configuration */
export const bulkUrlVariable = "VULNERA__SOURCES__EPSS_BULK_URL"
/** The environment variable overriding the API base URL. @since 0.1.0 @category Configuration */
export const apiUrlVariable = "VULNERA__SOURCES__EPSS_API_URL"

/**
 * FIRST's limit on the length of the `cve` query value, in characters (measured here on the
 * URL-encoded value, which is the longer form, so it holds however the server counts).
 *
 * @since 0.1.0
 * @category Limits
 */
export const maxCveParamLength = 2000

const sourceName = "EPSS"

/**
 * One item of the bulk stream. `Metadata` always comes first (its fields are `None` when the file
 * has no comment line); then a `Score` per row, or `Malformed` (1-based line number, reason, the
 * line's first 200 characters) for a row that does not parse.
 *
 * @since 0.1.0
 * @category Models
 */
export type BulkItem = Data.TaggedEnum<{
  Metadata: BulkMetadata
  Score: { readonly cve: string; readonly epss: number; readonly percentile: number }
  Malformed: { readonly line: number; readonly reason: string; readonly text: string }
}>

/**
 * Constructors and guards for `BulkItem` (e.g. `BulkItem.$is("Score")`).
 *
 * @since 0.1.0
 * @category Models
 */
export const BulkItem = Data.taggedEnum<BulkItem>()

/**
 * A score from the API, with its date (`YYYY-MM-DD`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface ApiScore {
  readonly cve: string
  readonly epss: number
  readonly percentile: number
  readonly date: string
}

/**
 * The outcome of `scores(cves)`:
 *
 * - `scores`: one per CVE FIRST knows (input order is not kept);
 * - `missing`: requested CVEs FIRST returned no score for (not scored, or rejected);
 * - `malformed`: rows that did not decode (the CVE when readable, the reason);
 * - `failures`: requests that failed after retries, with the CVEs they carried; the other
 *   requests' scores are still in `scores`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ApiResult {
  readonly scores: ReadonlyArray<ApiScore>
  readonly missing: ReadonlyArray<string>
  readonly malformed: ReadonlyArray<{ readonly cve: string | undefined; readonly reason: string }>
  readonly failures: ReadonlyArray<{ readonly cves: ReadonlyArray<string>; readonly error: SourceError | DecodeError }>
}

/**
 * The EPSS source.
 *
 * @since 0.1.0
 * @category Models
 */
export interface EpssSourceShape {
  /**
   * The daily bulk file as a stream (`Metadata` first). Fails with `DecodeError` when the file is
   * not gzip or has no `cve,epss,percentile` header, and with `SourceError` when the download
   * still fails after the retries (a truncated gzip over HTTP is retryable; from a `file://`
   * snapshot it is not).
   */
  readonly bulk: Stream.Stream<BulkItem, SourceError | DecodeError>
  /**
   * Scores of the given CVEs from the API. Ids are validated (and upper-cased) first: an invalid
   * one fails the call with `InvalidInput` before any request; duplicates are asked once.
   */
  readonly scores: (cves: Iterable<string>) => Effect.Effect<ApiResult, InvalidInput>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class EpssSource extends Context.Tag("vulnera-advisor/EpssSource")<EpssSource, EpssSourceShape>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** The bulk file URL (`http(s)://` or `file://`); default `defaultBulkUrl`. */
  readonly bulkUrl?: string
  /** The API base URL; default `defaultApiUrl`. */
  readonly apiUrl?: string
  /** Per-request timeout, and the longest stall allowed inside the bulk body; default 30 s. */
  readonly timeout?: Duration.DurationInput
  /** CVEs per API request, 1..1000 (the 2,000-character limit applies as well); default 100. */
  readonly maxCvesPerRequest?: number
}

/**
 * Splits CVE ids into request groups of at most `maxCount` ids whose comma-joined, URL-encoded
 * value is at most `maxCveParamLength` characters.
 *
 * @since 0.1.0
 * @category Utils
 */
export const chunkCves = (cves: ReadonlyArray<string>, maxCount: number): ReadonlyArray<ReadonlyArray<string>> => {
  const chunks: Array<Array<string>> = []
  let current: Array<string> = []
  let length = 0
  for (const cve of cves) {
    const added = encodeURIComponent(cve).length + (current.length === 0 ? 0 : encodeURIComponent(",").length)
    if (current.length > 0 && (current.length >= maxCount || length + added > maxCveParamLength)) {
      chunks.push(current)
      current = []
      length = 0
    }
    length += current.length === 0 ? encodeURIComponent(cve).length : added
    current.push(cve)
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** A probability as the API sends it (a decimal string; a number is accepted too). */
const Probability = Schema.Union(Schema.NumberFromString, Schema.Number).pipe(
  Schema.filter((n) => (Number.isFinite(n) && n >= 0 && n <= 1) || "expected a number in [0, 1]")
)

const ApiRow = Schema.Struct({
  cve: Schema.String,
  epss: Probability,
  percentile: Probability,
  date: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/))
})

const ApiPage = Schema.Struct({
  total: Schema.Number,
  offset: Schema.Number,
  data: Schema.Array(Schema.Unknown)
})

const decodeRow = Schema.decodeUnknownEither(ApiRow)
const decodePage = Schema.decodeUnknownEither(ApiPage)

/** The configuration key of each option (`maxCvesPerRequest` has no environment variable). */
const variables = {
  bulkUrl: bulkUrlVariable,
  apiUrl: apiUrlVariable,
  maxCvesPerRequest: "EpssSource.maxCvesPerRequest"
} as const

/**
 * The options read from `VULNERA__SOURCES__EPSS_BULK_URL` and `VULNERA__SOURCES__EPSS_API_URL`
 * (FIRST's endpoints when unset), and `maxCvesPerRequest` (1..1000, default 100; keyed
 * `EpssSource.maxCvesPerRequest`). Options given in code pass the same rules.
 *
 * @since 0.1.0
 * @category Config
 */
export const config = Config.all({
  bulkUrl: urlConfig(variables.bulkUrl, { allowFile: true }).pipe(Config.withDefault(defaultBulkUrl)),
  apiUrl: urlConfig(variables.apiUrl, { allowFile: false }).pipe(Config.withDefault(defaultApiUrl)),
  maxCvesPerRequest: integerIn(variables.maxCvesPerRequest, 1, 1000).pipe(Config.withDefault(100))
}) satisfies Config.Config<Options>

/**
 * Builds the source over the platform's `HttpClient` (and `FileSystem` for a `file://` bulk URL);
 * invalid options fail with `ConfigurationError`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<EpssSourceShape, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const { apiUrl, bulkUrl, maxCvesPerRequest: maxCves } = yield* fromValues(config, keyedBy(variables, options))
    const timeout = options.timeout ?? "30 seconds"
    const fetcher = yield* makeFetcher
    const bulk: Stream.Stream<BulkItem, SourceError | DecodeError> = bulkStream(fetcher, bulkUrl, timeout).pipe(
      Stream.withSpan("EpssSource.bulk", { attributes: { url: displayUrl(bulkUrl) } })
    )

    const endpoint = joinUrl(apiUrl, "data/v1/epss")

    /** All pages of one request group; rows beyond the group's size would be a server bug, so paging stops there. */
    const fetchGroup = (cves: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const rows: Array<unknown> = []
        let offset = 0
        for (let page = 0; page < cves.length; page++) {
          const url = `${endpoint}?cve=${cves.join(",")}&limit=${cves.length}&offset=${offset}`
          const body = yield* fetcher.json(sourceName, url, { timeout })
          const decoded = decodePage(body)
          if (Either.isLeft(decoded)) {
            return yield* Effect.fail(
              new DecodeError({ source: sourceName, detail: `unexpected API response: ${describeParseError(decoded.left)}` })
            )
          }
          for (const row of decoded.right.data) rows.push(row)
          offset += decoded.right.data.length
          if (decoded.right.data.length === 0 || offset >= decoded.right.total || rows.length >= cves.length) break
        }
        return rows
      })

    const scores: EpssSourceShape["scores"] = (input) =>
      Effect.gen(function*() {
        const requested = Array.from(new Set(yield* Effect.forEach(input, (cve) => validateCve(cve))))
        const groups = chunkCves(requested, maxCves)
        const outcomes = yield* Effect.forEach(groups, (group) => Effect.either(fetchGroup(group)))
        const found: Array<ApiScore> = []
        const malformed: Array<ApiResult["malformed"][number]> = []
        const failures: Array<ApiResult["failures"][number]> = []
        outcomes.forEach((outcome, i) => {
          if (Either.isLeft(outcome)) {
            failures.push({ cves: groups[i]!, error: outcome.left })
            return
          }
          for (const raw of outcome.right) {
            const row = decodeRow(raw)
            if (Either.isRight(row)) {
              found.push({ ...row.right, cve: row.right.cve.toUpperCase() })
            } else {
              const cve = (raw as { cve?: unknown } | null)?.cve
              malformed.push({ cve: typeof cve === "string" ? cve : undefined, reason: describeParseError(row.left) })
            }
          }
        })
        const answered = new Set([
          ...found.map((s) => s.cve),
          ...malformed.flatMap((m) => (m.cve ? [m.cve.toUpperCase()] : [])),
          ...failures.flatMap((f) => f.cves)
        ])
        const result: ApiResult = {
          scores: found,
          missing: requested.filter((cve) => !answered.has(cve)),
          malformed,
          failures
        }
        yield* Effect.annotateCurrentSpan({
          requested: requested.length,
          requests: groups.length,
          scores: found.length,
          failures: failures.length
        })
        return result
      }).pipe(Effect.withSpan("EpssSource.scores"))

    return EpssSource.of({ bulk, scores })
  })

/**
 * A layer from options given in code.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<EpssSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(EpssSource, make(options))

/**
 * A layer from a `Config` of options (`EpssSource.config` by default); errors name the variable.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<EpssSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(EpssSource, Effect.flatMap(load(options), make))

/**
 * `EpssSource.config` from the environment (through the current `ConfigProvider`); `overrides`
 * win over the environment and pass the same validation.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Options = {}
): Layer.Layer<EpssSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(
    EpssSource,
    Effect.flatMap(
      loadWith(config, keyedBy(variables, overrides)),
      (options) => make({ ...overrides, ...options })
    )
  )
