/**
 * Reading the EPSS bulk file over HTTP (or from a `file://` snapshot): download, gunzip, split into
 * lines and parse as the bytes arrive, and resume after a broken download without repeating rows.
 */
import type { Duration } from "effect"
import { Chunk, Effect, Either, Option, Schedule, Stream } from "effect"
import { DecodeError, isRetryable, SourceError } from "../../Errors.js"
import { RetryPolicy, transientSchedule } from "../../Retry.js"
import { type BulkMetadata, makeParser, type ParsedItem } from "./epssCsv.js"
import { displayUrl, type Fetcher } from "./fetch.js"

const sourceName = "EPSS"

/** Maps a gzip failure: a stream that ends early is a broken download; anything else is not gzip. */
const gzipError = (url: string, overHttp: boolean) => (error: unknown): SourceError | DecodeError => {
  if (error instanceof SourceError || error instanceof DecodeError) return error
  const code = (error as { code?: unknown } | null)?.code
  const message = String((error as { message?: unknown } | null)?.message ?? error)
  return code === "Z_BUF_ERROR" || /unexpected end/i.test(message)
    ? new SourceError({
      source: sourceName,
      reason: overHttp ? "Transport" : "Io",
      url: displayUrl(url),
      retryable: overHttp,
      detail: `gzip stream ended early (truncated download): ${message}`.slice(0, 300)
    })
    : new DecodeError({ source: sourceName, detail: `not a valid gzip stream: ${message}`.slice(0, 300) })
}

/** Gunzips a byte stream with the platform's `DecompressionStream` (zlib in Node), chunk by chunk. */
const gunzip = (url: string, overHttp: boolean) =>
<R>(
  bytes: Stream.Stream<Uint8Array, SourceError, R>
): Stream.Stream<Uint8Array, SourceError | DecodeError, R> =>
  Stream.unwrapScoped(
    Effect.map(Stream.toReadableStreamEffect(bytes), (readable) =>
      Stream.fromReadableStream(
        () => readable.pipeThrough(new DecompressionStream("gzip")) as ReadableStream<Uint8Array>,
        gzipError(url, overHttp)
      ))
  )

const sameMetadata = (a: BulkMetadata, b: BulkMetadata) =>
  Option.getEquivalence((x: string, y: string) => x === y)(a.scoreDate, b.scoreDate) &&
  Option.getEquivalence((x: string, y: string) => x === y)(a.modelVersion, b.modelVersion)

/**
 * The bulk file as a stream of parsed items (`Metadata` first). `timeout` bounds the wait for the
 * response and every pause inside the body.
 */
export const bulkStream = (
  fetcher: Fetcher,
  url: string,
  timeout: Duration.DurationInput
): Stream.Stream<ParsedItem, SourceError | DecodeError> => {
  const overHttp = !url.startsWith("file:")

  /**
   * One pass over the file. `expected` is the metadata of an earlier pass: a retry must read the
   * same file, or the rows it skips would not be the rows already delivered.
   */
  const pass = (expected: BulkMetadata | undefined): Stream.Stream<ParsedItem, SourceError | DecodeError> => {
    const parser = makeParser((metadata) =>
      expected === undefined || sameMetadata(metadata, expected) ? undefined : new SourceError({
        source: sourceName,
        reason: "Transport",
        url: displayUrl(url),
        retryable: false,
        detail: "the bulk file changed between a failed download and its retry; run the sync again"
      })
    )
    return fetcher.stream(sourceName, url, { timeout }).pipe(
      Stream.timeoutFail(
        () =>
          new SourceError({
            source: sourceName,
            reason: "Timeout",
            url: displayUrl(url),
            retryable: true,
            detail: "the download stalled"
          }),
        timeout
      ),
      gunzip(url, overHttp),
      Stream.decodeText(),
      Stream.mapChunksEffect(parser.push),
      Stream.concat(Stream.unwrap(Effect.map(parser.end, Stream.fromChunk)))
    )
  }

  /**
   * Passes over the file until one completes. After a retryable failure the next pass skips the
   * items already delivered (`pass` checks that it reads the same file), so consumers see each
   * row once. The retry budget (`RetryPolicy`) starts afresh whenever a pass made progress, so a
   * download over a flaky link is not abandoned while it advances. Hand-rolled rather than
   * `Stream.retry` because that one resets its schedule on every emitted chunk, empty ones
   * included, and so never gives up on a resumed pass.
   */
  return Stream.unwrap(
    Effect.gen(function*() {
      const policy = yield* RetryPolicy
      const driver = yield* Schedule.driver(transientSchedule<SourceError | DecodeError>(policy))
      let delivered = 0
      let deliveredAtLastFailure = 0
      let metadata: BulkMetadata | undefined
      let scores = 0
      let malformed = 0

      const count = (chunk: Chunk.Chunk<ParsedItem>) => {
        delivered += chunk.length
        for (const item of chunk) {
          if (item._tag === "Score") scores++
          else if (item._tag === "Malformed") malformed++
          else metadata = item
        }
        return chunk
      }

      const attempt = (): Stream.Stream<ParsedItem, SourceError | DecodeError> =>
        Stream.suspend(() =>
          pass(metadata).pipe(
            // This loop decides about retries; the transport must not retry on its own as well.
            Stream.provideService(RetryPolicy, { ...policy, maxRetries: 0 }),
            Stream.drop(delivered),
            Stream.mapChunks(count)
          )
        ).pipe(
          Stream.catchAll((error) =>
            Stream.unwrap(Effect.gen(function*() {
              if (!isRetryable(error)) return Stream.fail(error)
              if (delivered > deliveredAtLastFailure) yield* driver.reset
              deliveredAtLastFailure = delivered
              const next = yield* Effect.either(driver.next(error))
              yield* Effect.logDebug("EPSS bulk download broke; resuming").pipe(
                Effect.annotateLogs({ delivered, retrying: Either.isRight(next), error: error.message })
              )
              return Either.isRight(next) ? attempt() : Stream.fail(error)
            }))
          )
        )

      const summary = Effect.suspend(() =>
        Effect.annotateCurrentSpan({ scores, malformed }).pipe(
          Effect.zipRight(
            malformed === 0 ? Effect.void : Effect.logWarning("EPSS bulk file has malformed rows").pipe(
              Effect.annotateLogs({ malformed, scores })
            )
          )
        )
      )
      return Stream.concat(attempt(), Stream.drain(Stream.fromEffect(summary)))
    })
  )
}
