/**
 * Sonatype OSS Index component reports as a service: `POST /api/v3/component-report` with at most
 * 128 coordinates (PURLs) per request, requests in parallel up to a small bound, HTTP Basic auth
 * when `OSSINDEX_USER` and `OSSINDEX_TOKEN` are both set (the token is `Redacted`: never logged,
 * never in an error).
 *
 * Failures are per request: a request that still fails after the retries (429 with `Retry-After`
 * and 5xx are retried per the `RetryPolicy`; 401 and other 4xx are not) is reported with the
 * coordinates it carried, and the other requests' reports are kept (the Rust crate failed the whole
 * call). A report that does not decode is reported as malformed, not silently dropped, so a caller
 * never mistakes "no answer" for "no vulnerabilities".
 *
 * `toAdvisories` converts a report into OSV advisories; see there for the mapping.
 *
 * | option | environment variable | default |
 * | --- | --- | --- |
 * | `url` | `VULNERA__SOURCES__OSSINDEX_URL` | `https://ossindex.sonatype.org` |
 * | `user`, `token` | `OSSINDEX_USER`, `OSSINDEX_TOKEN` | anonymous |
 * | `concurrency` | — | 2 requests at a time |
 * | `timeout` | — | 30 s per request |
 *
 * @since 0.1.0
 */
import type { FileSystem, HttpClient } from "@effect/platform"
import { Config, Context, Effect, Either, Layer, Option, Predicate, Redacted, Schema } from "effect"
import type { Duration } from "effect"
import { PackageURL } from "packageurl-js"
import { type Advisory, type Affected, isCve, type Reference, type SeverityScore } from "./Advisory.js"
import { type ConfigurationError, DecodeError, type InvalidInput, type SourceError } from "./Errors.js"
import { fromValues, integerIn, invalid, keyedBy, load, loadWith, optional } from "./internal/config.js"
import { makeFetcher } from "./internal/sources/fetch.js"
import { describeParseError, joinUrl, urlConfig } from "./internal/sources/sources.js"
import * as Purl from "./Purl.js"

/** The official OSS Index base URL. @since 0.1.0 @category Defaults */
export const defaultUrl = "https://ossindex.sonatype.org"
/** The environment variable overriding the base URL (mirrors, tests). @since 0.1.0 @category Configuration */
export const urlVariable = "VULNERA__SOURCES__OSSINDEX_URL"
/** The OSS Index user name (e-mail) for Basic auth. @since 0.1.0 @category Configuration */
export const userVariable = "OSSINDEX_USER"
/** The OSS Index API token for Basic auth (secret). @since 0.1.0 @category Configuration */
export const tokenVariable = "OSSINDEX_TOKEN"

/**
 * OSS Index's limit of coordinates per component-report request.
 *
 * @since 0.1.0
 * @category Limits
 */
export const maxCoordinatesPerRequest = 128

const sourceName = "OSS Index"

/** `null` and absent both decode to absent. */
const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

/**
 * One vulnerability of a component report. `versionRanges` is rarely sent; it is kept as given.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const Vulnerability = Schema.Struct({
  id: Schema.String,
  displayName: opt(Schema.String),
  title: opt(Schema.String),
  description: opt(Schema.String),
  cvssScore: opt(Schema.Number),
  cvssVector: opt(Schema.String),
  cwe: opt(Schema.String),
  cve: opt(Schema.String),
  reference: opt(Schema.String),
  externalReferences: opt(Schema.Array(Schema.String)),
  versionRanges: opt(Schema.Array(Schema.String))
})
/** @since 0.1.0 @category Models */
export type Vulnerability = typeof Vulnerability.Type

/**
 * The report for one coordinate. A report without `vulnerabilities` (OSS Index omits the key
 * sometimes) decodes to an empty list: the component is known and has none.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const ComponentReport = Schema.Struct({
  coordinates: Schema.String,
  description: opt(Schema.String),
  reference: opt(Schema.String),
  vulnerabilities: Schema.optionalWith(Schema.Array(Vulnerability), { nullable: true, default: () => [] })
})
/** @since 0.1.0 @category Models */
export type ComponentReport = typeof ComponentReport.Type

/**
 * The outcome of `componentReports`:
 *
 * - `reports`: the decoded reports, in response order (match them to what was asked by
 *   `Purl.normalize(report.coordinates)`);
 * - `malformed`: response entries that did not decode (their coordinates when readable, the
 *   reason);
 * - `failures`: requests that failed after retries, with the coordinates they carried.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ComponentReportsResult {
  readonly reports: ReadonlyArray<ComponentReport>
  readonly malformed: ReadonlyArray<{ readonly coordinates: string | undefined; readonly reason: string }>
  readonly failures: ReadonlyArray<{
    readonly coordinates: ReadonlyArray<string>
    readonly error: SourceError | DecodeError
  }>
}

/**
 * The OSS Index source.
 *
 * @since 0.1.0
 * @category Models
 */
export interface OssIndexSourceShape {
  /** Whether requests carry Basic auth credentials. */
  readonly authenticated: boolean
  /**
   * Reports for the given coordinates (PURLs with versions). Every coordinate is parsed first: a
   * malformed one fails the call with `InvalidInput` naming it, before any request; exact
   * duplicates are sent once. Coordinates are sent as given.
   */
  readonly componentReports: (coordinates: Iterable<string>) => Effect.Effect<ComponentReportsResult, InvalidInput>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class OssIndexSource extends Context.Tag("vulnera-advisor/OssIndexSource")<OssIndexSource, OssIndexSourceShape>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** The base URL (`http(s)://`); default `defaultUrl`. */
  readonly url?: string
  /** Basic auth user; only used together with `token`. */
  readonly user?: string
  /** Basic auth token; only used together with `user`. */
  readonly token?: Redacted.Redacted<string>
  /** Requests in flight at once, 1..8; default 2 (OSS Index rate-limits per account). */
  readonly concurrency?: number
  /** Per-request timeout; default 30 s. */
  readonly timeout?: Duration.DurationInput
}

const decodeReport = Schema.decodeUnknownEither(ComponentReport)

const parsePurl = (coordinates: string): Option.Option<Purl.Purl> =>
  Either.getRight(Purl.parseEither(coordinates))

/** Decodes one response (an array of reports); entries that fail are reported, not dropped. */
const decodeResponse = (
  body: unknown
): Either.Either<Pick<ComponentReportsResult, "reports" | "malformed">, DecodeError> => {
  if (!Array.isArray(body)) {
    return Either.left(new DecodeError({ source: sourceName, detail: "expected an array of component reports" }))
  }
  const reports: Array<ComponentReport> = []
  const malformed: Array<ComponentReportsResult["malformed"][number]> = []
  for (const raw of body) {
    const coordinates = Predicate.hasProperty(raw, "coordinates") && typeof raw.coordinates === "string"
      ? raw.coordinates
      : undefined
    const decoded = decodeReport(raw)
    if (Either.isLeft(decoded)) {
      malformed.push({ coordinates, reason: describeParseError(decoded.left) })
    } else if (Option.isNone(parsePurl(decoded.right.coordinates))) {
      malformed.push({ coordinates, reason: "coordinates: not a valid package URL" })
    } else {
      reports.push(decoded.right)
    }
  }
  return Either.right({ reports, malformed })
}

/** `CVE-2020-1234` from `CVE-2020-1234`, `cve-2020-1234` or `2020-1234`; `None` for anything else. */
const normalizeCve = (value: string | undefined): Option.Option<string> => {
  if (value === undefined) return Option.none()
  const upper = value.trim().toUpperCase()
  const prefixed = upper.startsWith("CVE-") ? upper : `CVE-${upper}`
  return isCve(prefixed) ? Option.some(prefixed) : Option.none()
}

/** `CWE-79` from `CWE-79`, `cwe79` or `79`; other spellings are kept as given. */
const normalizeCwe = (value: string): string => {
  const match = /^(?:cwe-?)?(\d+)$/i.exec(value.trim())
  return match ? `CWE-${match[1]}` : value.trim()
}

/** OSV severity type of a CVSS vector: v3/v4 vectors carry a `CVSS:x.y/` prefix, v2 vectors none. */
const severityType = (vector: string): string =>
  vector.startsWith("CVSS:4") ? "CVSS_V4" : vector.startsWith("CVSS:3") ? "CVSS_V3" : "CVSS_V2"

/** The `affected` entry for a report's coordinates: the package, and the one version asked about. */
const affectedOf = (purl: Purl.Purl, ranges: ReadonlyArray<string>): Affected => ({
  package: {
    ecosystem: Purl.osvEcosystem(purl),
    name: Purl.osvName(purl),
    purl: new PackageURL(purl.type, purl.namespace, purl.name, undefined, purl.qualifiers, purl.subpath).toString()
  },
  versions: purl.version === undefined ? [] : [purl.version],
  ...(ranges.length > 0 ? { database_specific: { version_ranges: ranges } } : {})
})

/**
 * Converts a component report into OSV advisories, one per vulnerability:
 *
 * - `id`: the CVE (from `cve`, else from `displayName`), normalized to `CVE-...`; else the OSS Index
 *   id, which is an alias whenever it is not the id;
 * - `summary`/`details`: title and description;
 * - `severity`: `[{ type: CVSS_V3 | CVSS_V4 | CVSS_V2 (by the vector's prefix), score: vector }]`;
 * - `database_specific`: `{ source: "ossindex", cvss_score, cwe_ids: ["CWE-79"] }`;
 * - `references`: the OSS Index page as `ADVISORY`, external references as `WEB`;
 * - `affected`: the report's package (OSV ecosystem, full name with namespace/scope, PURL without
 *   version) with `versions: [<the version asked about>]`. The report answers for exactly that
 *   version, so nothing is re-filtered (the Rust crate re-checked versions with a SemVer matcher and
 *   lost real findings); `versionRanges`, when sent, are kept verbatim in
 *   `affected[].database_specific.version_ranges` rather than guessed into OSV ranges.
 *
 * A report whose coordinates are not a PURL (only possible for hand-built reports: decoding rejects
 * them) yields advisories without `affected`.
 *
 * @since 0.1.0
 * @category Conversions
 */
const aliasesOf = (id: string, vulnerability: Vulnerability): ReadonlyArray<string> =>
  Array.from(new Set([vulnerability.id, vulnerability.displayName ?? id])).filter((alias) => alias !== id && alias !== "")

export const toAdvisories = (report: ComponentReport): ReadonlyArray<Advisory> => {
  const purl = parsePurl(report.coordinates)
  return report.vulnerabilities.map((vulnerability): Advisory => {
    const id = Option.getOrElse(
      Option.orElse(normalizeCve(vulnerability.cve), () =>
        Option.filter(normalizeCve(vulnerability.displayName), () =>
          /^cve-/i.test(vulnerability.displayName ?? ""))),
      () => vulnerability.id
    )
    const severity: Array<SeverityScore> = vulnerability.cvssVector
      ? [{ type: severityType(vulnerability.cvssVector), score: vulnerability.cvssVector }]
      : []
    const references: Array<Reference> = [
      ...(vulnerability.reference ? [{ type: "ADVISORY", url: vulnerability.reference }] : []),
      ...(vulnerability.externalReferences ?? []).map((url) => ({ type: "WEB", url }))
    ].filter((ref, i, all) => all.findIndex((other) => other.url === ref.url) === i)
    return {
      id,
      // Keep every name OSS Index gives (its UUID and its readable `displayName`, e.g.
      // OSSINDEX-783f-ea46-c3cd) as aliases, so a CVE-less vulnerability stays recognizable.
      ...(aliasesOf(id, vulnerability).length > 0 ? { aliases: aliasesOf(id, vulnerability) } : {}),
      ...(vulnerability.title !== undefined ? { summary: vulnerability.title } : {}),
      ...(vulnerability.description !== undefined ? { details: vulnerability.description } : {}),
      ...(severity.length > 0 ? { severity } : {}),
      ...(Option.isSome(purl) ? { affected: [affectedOf(purl.value, vulnerability.versionRanges ?? [])] } : {}),
      ...(references.length > 0 ? { references } : {}),
      database_specific: {
        source: "ossindex",
        ...(vulnerability.cvssScore !== undefined ? { cvss_score: vulnerability.cvssScore } : {}),
        ...(vulnerability.cwe ? { cwe_ids: [normalizeCwe(vulnerability.cwe)] } : {})
      }
    }
  })
}

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** The configuration key of each option (`concurrency` has no environment variable). */
const variables = {
  url: urlVariable,
  user: userVariable,
  token: tokenVariable,
  concurrency: "OssIndexSource.concurrency"
} as const

/**
 * The options read from `VULNERA__SOURCES__OSSINDEX_URL`, `OSSINDEX_USER` and `OSSINDEX_TOKEN`
 * (the token as `Redacted`; both or neither, anonymous when neither is set), and `concurrency`
 * (1..8, default 2; keyed `OssIndexSource.concurrency`). Options given in code pass the same rules.
 *
 * @since 0.1.0
 * @category Config
 */
export const config = Config.all({
  url: urlConfig(variables.url, { allowFile: false }).pipe(Config.withDefault(defaultUrl)),
  user: optional(Config.nonEmptyString(variables.user)),
  token: optional(Config.redacted(Config.nonEmptyString(variables.token))),
  concurrency: integerIn(variables.concurrency, 1, 8).pipe(Config.withDefault(2))
}).pipe(
  Config.mapOrFail((options) =>
    (options.user === undefined) === (options.token === undefined)
      ? Either.right(options)
      : invalid(
        `${userVariable} and ${tokenVariable} must be set together (or neither, for anonymous access)`,
        options.user === undefined ? userVariable : tokenVariable
      )
  )
) satisfies Config.Config<Options>

/**
 * Builds the source over the platform's `HttpClient`; invalid options (a bad URL, a user without
 * a token or the reverse) fail with `ConfigurationError`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<OssIndexSourceShape, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const { concurrency, token, url, user } = yield* fromValues(config, keyedBy(variables, options))
    const fetcher = yield* makeFetcher
    const endpoint = joinUrl(url, "api/v3/component-report")
    const requestOptions = {
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(user !== undefined && token !== undefined
        ? { basicAuth: { user, password: token } }
        : {})
    }

    const request = (coordinates: ReadonlyArray<string>) =>
      fetcher.postJson(sourceName, endpoint, { coordinates }, requestOptions).pipe(
        Effect.flatMap(decodeResponse)
      )

    const componentReports: OssIndexSourceShape["componentReports"] = (input) =>
      Effect.gen(function*() {
        const coordinates = Array.from(new Set(Array.from(input, (c) => c.trim())))
        yield* Effect.forEach(coordinates, Purl.parse, { discard: true })
        const groups = chunksOf(coordinates, maxCoordinatesPerRequest)
        const outcomes = yield* Effect.forEach(groups, (group) => Effect.either(request(group)), { concurrency })
        const reports: Array<ComponentReport> = []
        const malformed: Array<ComponentReportsResult["malformed"][number]> = []
        const failures: Array<ComponentReportsResult["failures"][number]> = []
        outcomes.forEach((outcome, i) => {
          if (Either.isLeft(outcome)) {
            failures.push({ coordinates: groups[i]!, error: outcome.left })
          } else {
            for (const report of outcome.right.reports) reports.push(report)
            for (const entry of outcome.right.malformed) malformed.push(entry)
          }
        })
        yield* Effect.annotateCurrentSpan({
          reports: reports.length,
          malformed: malformed.length,
          failedRequests: failures.length
        })
        if (malformed.length > 0) {
          yield* Effect.logWarning("OSS Index returned malformed component reports").pipe(
            Effect.annotateLogs({ malformed: malformed.length, first: malformed[0]!.reason })
          )
        }
        return { reports, malformed, failures } satisfies ComponentReportsResult
      }).pipe(
        Effect.withSpan("OssIndexSource.componentReports", {
          attributes: { authenticated: requestOptions.basicAuth !== undefined }
        })
      )

    return OssIndexSource.of({ authenticated: requestOptions.basicAuth !== undefined, componentReports })
  })

/**
 * A layer from options given in code.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<OssIndexSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(OssIndexSource, make(options))

/**
 * A layer from a `Config` of options (`OssIndexSource.config` by default); errors name the variable.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<OssIndexSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(OssIndexSource, Effect.flatMap(load(options), make))

/**
 * `OssIndexSource.config` from the environment (through the current `ConfigProvider`); `overrides`
 * win over the environment and pass the same validation.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Options = {}
): Layer.Layer<OssIndexSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(
    OssIndexSource,
    Effect.flatMap(
      loadWith(config, keyedBy(variables, overrides)),
      (options) => make({ ...overrides, ...withoutUndefined(options) })
    )
  )

/** `options` without the keys whose value is `undefined` (exactOptionalPropertyTypes). */
const withoutUndefined = <A extends object>(options: A): A =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as A
