/**
 * The OSV advisory source: OSV's public bulk export (or a mirror of it, `file://` included), one
 * sync unit per ecosystem (`osv.npm`, `osv.pypi`, `osv.crates.io`, ...).
 *
 * - Full sync (`since` = `None`): `<base>/<Ecosystem>/all.zip` is downloaded to a temporary file
 *   (deleted when the stream ends) and read one entry per pull, so memory stays bounded whatever
 *   the archive size and nothing is read ahead of the consumer.
 * - Incremental sync (`since` = `Some`): `<base>/<Ecosystem>/modified_id.csv` (newest first) is
 *   read up to the first line not newer than `since`, and only those records are fetched
 *   (`<base>/<Ecosystem>/<id>.json`, bounded concurrency).
 *
 * Failures are never hidden (fixing the Rust crate's bugs 5.1.9/5.1.10): a download that fails or an
 * archive that cannot be read fails the unit's stream; a record that could not be downloaded, or
 * whose archive entry is damaged, is a retryable `Failed` item (the driver then keeps the unit's
 * timestamp, so it is fetched again); a malformed record or index line is a permanent `Failed` item.
 * If `modified_id.csv` cannot be read the unit fails: there is no silent fallback to a full sync.
 * An `all.zip` that cannot be read is a retryable `SourceError` when downloaded (a damaged transfer)
 * and a `DecodeError` when it is a `file://` mirror's file (waiting will not repair it).
 *
 * | option | environment variable | default |
 * | --- | --- | --- |
 * | `baseUrl` | `VULNERA__SOURCES__OSV_URL` | `https://osv-vulnerabilities.storage.googleapis.com` |
 * | `ecosystems` | `VULNERA__SOURCES__OSV_ECOSYSTEMS` (comma list) | npm, PyPI, Maven, Go, crates.io, NuGet, RubyGems, Packagist, Hex, Pub |
 *
 * @since 0.1.0
 */
import type { FileSystem, HttpClient } from "@effect/platform"
import { Config, Context, Duration, Effect, Either, Layer, Option, ParseResult, Schema, Stream } from "effect"
import { Advisory } from "./Advisory.js"
import type { AdvisorySource } from "./AdvisorySource.js"
import { SourceItem } from "./AdvisorySource.js"
import { type ConfigurationError, DecodeError, SourceError } from "./Errors.js"
import { fromValues, given, integerIn, invalid, keyedBy, load, loadWith, optional } from "./internal/config.js"
import { fileSystem } from "./internal/platform.js"
import { urlConfig } from "./internal/sources/sources.js"
import { displayUrl, makeFetcher } from "./internal/sources/fetch.js"
import type { Fetcher } from "./internal/sources/fetch.js"
import * as ModifiedIdCsv from "./internal/sources/modifiedIdCsv.js"
import * as ZipReader from "./internal/sources/zipReader.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface OsvSourceOptions {
  /** Where the export lives: `https://...`, `http://...` or a `file://` mirror directory. */
  readonly baseUrl: string
  /** Ecosystem names exactly as OSV spells them in paths (`PyPI`, `crates.io`). */
  readonly ecosystems: ReadonlyArray<string>
  /** Records fetched at the same time during an incremental sync. */
  readonly recordConcurrency: number
  /** Per-attempt timeout of one record download. */
  readonly requestTimeout: Duration.DurationInput
  /** Timeout for reading `modified_id.csv` (up to the first unchanged line). */
  readonly indexTimeout: Duration.DurationInput
  /** Per-attempt timeout of an `all.zip` download. */
  readonly downloadTimeout: Duration.DurationInput
  /** Records larger than this (bytes, uncompressed) are reported as failed, never loaded. */
  readonly maxRecordBytes: number
  /** Where `all.zip` downloads are kept while read (default: the OS temporary directory). */
  readonly tempDirectory: string | undefined
}

/**
 * OSV's default ecosystems (the ten package ecosystems the library matches best).
 *
 * @since 0.1.0
 * @category Defaults
 */
export const defaultEcosystems: ReadonlyArray<string> = [
  "npm",
  "PyPI",
  "Maven",
  "Go",
  "crates.io",
  "NuGet",
  "RubyGems",
  "Packagist",
  "Hex",
  "Pub"
]

/**
 * @since 0.1.0
 * @category Defaults
 */
export const defaults: OsvSourceOptions = {
  baseUrl: "https://osv-vulnerabilities.storage.googleapis.com",
  ecosystems: defaultEcosystems,
  recordConcurrency: 8,
  requestTimeout: "30 seconds",
  indexTimeout: "5 minutes",
  downloadTimeout: "10 minutes",
  maxRecordBytes: 64 * 1024 * 1024,
  tempDirectory: undefined
}

/**
 * The OSV source as a service (an `AdvisorySource` named `osv`).
 *
 * @since 0.1.0
 * @category Tags
 */
export class OsvSource extends Context.Tag("vulnera-advisor/OsvSource")<OsvSource, AdvisorySource>() {}

/** The source's name, also the prefix of its units. */
const sourceName = "osv"

/**
 * The unit name of an ecosystem: `osv.` + the ecosystem in lower case (`PyPI` → `osv.pypi`).
 *
 * @since 0.1.0
 * @category Utils
 */
export const unitName = (ecosystem: string): string => `${sourceName}.${ecosystem.toLowerCase()}`

/** The configuration key of each option: its environment variable, or `OsvSource.<option>` for code-only ones. */
const variables = {
  baseUrl: "VULNERA__SOURCES__OSV_URL",
  ecosystems: "VULNERA__SOURCES__OSV_ECOSYSTEMS",
  recordConcurrency: "OsvSource.recordConcurrency",
  maxRecordBytes: "OsvSource.maxRecordBytes",
  tempDirectory: "OsvSource.tempDirectory"
} as const

/** Why a list of ecosystems cannot be synced (empty, a name unfit for a path, two names for one unit), or `undefined`. */
const ecosystemsProblem = (ecosystems: ReadonlyArray<string>): string | undefined => {
  if (ecosystems.length === 0) return "expected at least one ecosystem"
  const bad = ecosystems.find((e) => e === "." || e === ".." || /[/\\\s]/.test(e))
  if (bad !== undefined) return `invalid ecosystem name ${JSON.stringify(bad)}`
  const units = ecosystems.map(unitName)
  const duplicate = units.find((u, i) => units.indexOf(u) !== i)
  return duplicate === undefined ? undefined : `ecosystems repeat (unit ${duplicate})`
}

/**
 * The options: `VULNERA__SOURCES__OSV_URL` (the base URL, trailing slashes dropped) and
 * `VULNERA__SOURCES__OSV_ECOSYSTEMS` (comma-separated; trimmed, unique ignoring case), with
 * `defaults` for the rest. Code options pass the same rules (`resolveOptions`); the code-only
 * settings are keyed `OsvSource.<option>` in errors (e.g. `OsvSource.recordConcurrency`).
 *
 * @since 0.1.0
 * @category Config
 */
export const config: Config.Config<OsvSourceOptions> = Config.all({
  baseUrl: urlConfig(variables.baseUrl, { allowFile: true }).pipe(
    Config.map((url) => url.replace(/\/+$/, "")),
    Config.withDefault(defaults.baseUrl)
  ),
  ecosystems: Config.string(variables.ecosystems).pipe(
    Config.mapOrFail((list) => {
      const ecosystems = list.split(",").map((e) => e.trim()).filter((e) => e !== "")
      const problem = ecosystemsProblem(ecosystems)
      return problem === undefined ? Either.right(ecosystems) : invalid(problem)
    }),
    Config.withDefault(defaults.ecosystems)
  ),
  recordConcurrency: integerIn(variables.recordConcurrency, 1, 256).pipe(Config.withDefault(defaults.recordConcurrency)),
  maxRecordBytes: integerIn(variables.maxRecordBytes, 1024, 2 ** 31).pipe(Config.withDefault(defaults.maxRecordBytes)),
  tempDirectory: optional(Config.nonEmptyString(variables.tempDirectory)),
  requestTimeout: Config.succeed(defaults.requestTimeout),
  indexTimeout: Config.succeed(defaults.indexTimeout),
  downloadTimeout: Config.succeed(defaults.downloadTimeout)
})

/** The timeouts given in code (durations are typed, not read from text). */
const timeoutsOf = (options: Partial<OsvSourceOptions>) =>
  given(options, ["requestTimeout", "indexTimeout", "downloadTimeout"])

/**
 * Validates options given in code with `config` (defaults for the rest, never the environment);
 * errors name the variable (`VULNERA__SOURCES__OSV_ECOSYSTEMS`, `OsvSource.recordConcurrency`, ...).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const resolveOptions = (
  options: Partial<OsvSourceOptions> = {}
): Effect.Effect<OsvSourceOptions, ConfigurationError> =>
  Effect.map(fromValues(config, keyedBy(variables, options)), (valid) => ({ ...valid, ...timeoutsOf(options) }))

/**
 * Reads `OsvSource.config` (through the current `ConfigProvider`); `overrides` win over the
 * environment and pass the same rules.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const optionsFromEnv = (
  overrides: Partial<OsvSourceOptions> = {}
): Effect.Effect<OsvSourceOptions, ConfigurationError> =>
  Effect.map(loadWith(config, keyedBy(variables, overrides)), (valid) => ({ ...valid, ...timeoutsOf(overrides) }))

// ---------------------------------------------------------------------------------------------
// Decoding records

const utf8 = new TextDecoder("utf-8", { fatal: true })
const decodeAdvisory = Schema.decodeUnknownEither(Advisory)
const isAdvisory = Schema.is(Advisory)

/** Decodes one record's bytes; `Left(detail)` for invalid UTF-8, JSON or OSV shape. */
const decodeRecord = (bytes: Uint8Array): Either.Either<Advisory, string> => {
  let json: unknown
  try {
    json = JSON.parse(utf8.decode(bytes))
  } catch (cause) {
    return Either.left(`malformed JSON: ${String((cause as Error)?.message ?? cause).slice(0, 200)}`)
  }
  // Fast path: a document that already is a valid `Advisory` (no `null`s to drop, no defaults to
  // fill: every OSV record of the 26k-record corpus) decodes to an equal value, and checking is about
  // three times cheaper than decoding, which dominated full-sync time.
  if (isAdvisory(json)) return Either.right(json)
  return Either.mapLeft(
    decodeAdvisory(json),
    (error) => `not an OSV record: ${ParseResult.TreeFormatter.formatErrorSync(error).slice(0, 500)}`
  )
}

/** The record id an archive entry stands for (OSV names entries `<id>.json`). */
const idOfEntry = (name: string) => name.endsWith(".json") ? name.slice(0, -".json".length) : name

// ---------------------------------------------------------------------------------------------
// The source

/**
 * Builds the source from validated options, using the platform's `HttpClient` and `FileSystem`
 * (and the shared retry policy for transient failures).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Partial<OsvSourceOptions> = {}
): Effect.Effect<AdvisorySource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const config = yield* resolveOptions(options)
    const fetcher = yield* makeFetcher
    const fs = yield* fileSystem
    return fromParts(config, fetcher, fs)
  })

const fromParts = (config: OsvSourceOptions, fetcher: Fetcher, fs: FileSystem.FileSystem): AdvisorySource => {
  const byUnit = new Map(config.ecosystems.map((e) => [unitName(e), e] as const))
  const urlOf = (ecosystem: string, file: string) =>
    `${config.baseUrl}/${encodeURIComponent(ecosystem)}/${encodeURIComponent(file)}`

  /** The archive could not be read: over HTTP most likely a damaged transfer (retryable); a local mirror file will not heal. */
  const archiveError = (url: string, bytes: number) => (error: ZipReader.ZipArchiveError): SourceError | DecodeError => {
    const detail = `all.zip (${bytes} bytes) is truncated or corrupt: ${error.detail}`
    return url.startsWith("file:")
      ? new DecodeError({ source: sourceName, detail: `${detail} (${displayUrl(url)})`, cause: error.cause })
      : new SourceError({ source: sourceName, reason: "Transport", url: displayUrl(url), retryable: true, detail, cause: error.cause })
  }

  // A record over the size limit or malformed is permanent: fetching it again returns the same bytes.
  const tooLarge = (id: string, size: number) =>
    SourceItem.Failed({ id, detail: `record of ${size} bytes exceeds maxRecordBytes (${config.maxRecordBytes})`, retryable: false })

  const recordItem = (id: string, bytes: Uint8Array): SourceItem =>
    bytes.length > config.maxRecordBytes
      ? tooLarge(id, bytes.length)
      : Either.match(decodeRecord(bytes), {
        onLeft: (detail) => SourceItem.Failed({ id, detail, retryable: false }),
        onRight: (advisory) => SourceItem.Record({ advisory })
      })

  const entryItem = (entry: ZipReader.ZipEntry): SourceItem => {
    const id = idOfEntry(entry.name)
    switch (entry._tag) {
      case "File":
        return recordItem(id, entry.content)
      case "TooLarge":
        return tooLarge(id, entry.size)
      case "Corrupt":
        return SourceItem.Failed({ id, detail: `damaged archive entry: ${entry.detail}`, retryable: true })
    }
  }

  const full = (ecosystem: string): Stream.Stream<SourceItem, SourceError | DecodeError> =>
    Stream.unwrapScoped(
      Effect.gen(function*() {
        const url = urlOf(ecosystem, "all.zip")
        const path = yield* fs.makeTempFileScoped({
          prefix: "vulnera-osv-",
          suffix: ".zip",
          ...(config.tempDirectory === undefined ? {} : { directory: config.tempDirectory })
        }).pipe(
          Effect.mapError((cause) =>
            new SourceError({
              source: sourceName,
              reason: "Io",
              retryable: false,
              detail: `cannot create a temporary file for all.zip: ${cause.message}`.slice(0, 300),
              cause
            })
          )
        )
        const bytes = yield* fetcher.download(sourceName, url, path, { timeout: config.downloadTimeout })
        const zip = yield* ZipReader.open(path, { maxEntryBytes: config.maxRecordBytes }).pipe(
          Effect.mapError(archiveError(url, bytes))
        )
        yield* Effect.logDebug("OSV archive downloaded").pipe(
          Effect.annotateLogs({ ecosystem, bytes, entries: zip.entryCount })
        )
        const pull = zip.next.pipe(
          Effect.mapError((e) => Option.some(archiveError(url, bytes)(e))),
          Effect.flatMap(Option.match({ onNone: () => Effect.fail(Option.none()), onSome: Effect.succeed }))
        )
        return Stream.concat(
          Stream.succeed(SourceItem.Started({ mode: "full", expected: zip.entryCount })),
          Stream.map(Stream.repeatEffectOption(pull), entryItem)
        )
      })
    )

  const readIndex = (ecosystem: string, since: Date) => {
    const url = urlOf(ecosystem, "modified_id.csv")
    return fetcher.stream(sourceName, url, { timeout: config.requestTimeout }).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.runFoldWhile(ModifiedIdCsv.emptyScan(), (scan) => !scan.done, ModifiedIdCsv.scanLine(since)),
      Effect.timeoutFail({
        duration: config.indexTimeout,
        onTimeout: () =>
          new SourceError({
            source: sourceName,
            reason: "Timeout",
            url: displayUrl(url),
            retryable: true,
            detail: `modified_id.csv not read within ${Duration.format(Duration.decode(config.indexTimeout))}`
          })
      })
    )
  }

  const fetchRecord = (ecosystem: string) => (id: string): Effect.Effect<SourceItem> =>
    fetcher.bytes(sourceName, urlOf(ecosystem, `${id}.json`), { timeout: config.requestTimeout }).pipe(
      Effect.map((bytes) => recordItem(id, bytes)),
      // Listed as changed but not obtained: retryable whatever the status, so the unit's
      // timestamp stays and the next sync asks again instead of skipping the change forever.
      Effect.catchAll((error) =>
        Effect.succeed(SourceItem.Failed({ id, detail: `download failed: ${error.message}`, retryable: true }))
      )
    )

  const incremental = (ecosystem: string, since: Date): Stream.Stream<SourceItem, SourceError | DecodeError> =>
    Stream.unwrap(
      Effect.map(readIndex(ecosystem, since), (scan) =>
        Stream.concat(
          Stream.fromIterable<SourceItem>([
            SourceItem.Started({ mode: "incremental", expected: scan.ids.length }),
            ...scan.malformed.map(({ detail, id }) => SourceItem.Failed({ id, detail, retryable: false }))
          ]),
          Stream.mapEffect(Stream.fromIterable(scan.ids), fetchRecord(ecosystem), {
            concurrency: config.recordConcurrency,
            unordered: true
          })
        ))
    )

  const fetch: AdvisorySource["fetch"] = (unit, since) => {
    const ecosystem = byUnit.get(unit.trim().toLowerCase())
    if (ecosystem === undefined) {
      return Stream.fail(
        new SourceError({
          source: sourceName,
          reason: "Io",
          retryable: false,
          detail: `unknown unit ${JSON.stringify(unit)}; this source has ${[...byUnit.keys()].join(", ")}`
        })
      )
    }
    const mode = Option.isSome(since) ? "incremental" : "full"
    return (Option.isSome(since) ? incremental(ecosystem, since.value) : full(ecosystem)).pipe(
      Stream.withSpan("OsvSource.fetch", { attributes: { unit: unitName(ecosystem), ecosystem, mode } })
    )
  }

  return { name: sourceName, units: [...byUnit.keys()], fetch }
}

/**
 * A layer from options given in code (defaults for the rest).
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: Partial<OsvSourceOptions> = {}
): Layer.Layer<OsvSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(OsvSource, make(options))

/**
 * A layer from a `Config` of options (`OsvSource.config` by default); errors name the variable.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: Config.Config<Partial<OsvSourceOptions>> = config
): Layer.Layer<OsvSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(OsvSource, Effect.flatMap(load(options), make))

/**
 * `OsvSource.config` from the environment; `overrides` win over the environment.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Partial<OsvSourceOptions> = {}
): Layer.Layer<OsvSource, ConfigurationError, HttpClient.HttpClient | FileSystem.FileSystem> =>
  Layer.effect(OsvSource, Effect.flatMap(optionsFromEnv(overrides), (options) => make(options)))
