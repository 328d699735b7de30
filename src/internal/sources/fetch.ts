/**
 * Fetching upstream resources over HTTP(S) or from `file://` mirrors, with per-attempt timeouts,
 * typed `SourceError`s (status, `Retry-After`, retryable) and the shared retry policy. Every source
 * (OSV, KEV, EPSS, OSS Index) goes through here, so error classification is the same everywhere.
 */
import type { FileSystem, HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Duration, Effect, Redacted, Sink, Stream } from "effect"
import { fileURLToPath } from "node:url"
import { DecodeError, SourceError } from "../../Errors.js"
import { retryTransient } from "../../Retry.js"
import { redactUrl } from "../config.js"
import { platform } from "../platform.js"
import { basicAuthSecrets, sanitizeForDisplay } from "../sanitize.js"

/** Options of one fetch. */
export interface FetchOptions {
  /** Per-attempt timeout (default 30 s). */
  readonly timeout?: Duration.DurationInput
  readonly headers?: Readonly<Record<string, string>>
  /** HTTP Basic credentials; the password is never logged or put in an error. */
  readonly basicAuth?: { readonly user: string; readonly password: Redacted.Redacted<string> }
}

/** Statuses worth retrying: request timeout, too early, rate limited, server errors. */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 425 || status === 429 || status >= 500

/** `redactUrl`, shortened to 300 characters for error messages. */
export const displayUrl = (url: string): string => {
  const text = redactUrl(url)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds from `now`. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const isFileUrl = (url: string) => url.startsWith("file:")

/**
 * The credentials a request carries, in every form a server could echo back (the token, its
 * base64 `user:token`, the `Authorization` header value), so error bodies can be masked.
 */
export const requestSecrets = (options: FetchOptions | undefined): ReadonlyArray<string> => {
  const secrets: Array<string> = []
  if (options?.basicAuth) {
    for (const s of basicAuthSecrets(options.basicAuth.user, Redacted.value(options.basicAuth.password))) secrets.push(s)
  }
  for (const [name, value] of Object.entries(options?.headers ?? {})) {
    if (/authorization|token|key|secret|cookie/i.test(name)) {
      secrets.push(value)
      // `Bearer abc` / `Basic abc`: the credential alone may be echoed too.
      const credential = value.split(/\s+/)[1]
      if (credential !== undefined) secrets.push(credential)
    }
  }
  return secrets
}

/** An error body as shown: credentials masked, control characters escaped, one line, at most 200 characters. */
export const bodyExcerpt = (body: string, secrets: ReadonlyArray<string>): string =>
  // Masked before it is cut, so a secret split at the cut cannot leak a prefix.
  sanitizeForDisplay(body.slice(0, 65_536).replace(/\s+/g, " "), secrets).slice(0, 200)

const statusError = (
  source: string,
  url: string,
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  secrets: ReadonlyArray<string>
) =>
  Effect.map(Effect.clockWith((clock) => clock.currentTimeMillis), (now) =>
    new SourceError({
      source,
      reason: "Status",
      url: displayUrl(url),
      status: response.status,
      retryAfterMillis: parseRetryAfter(response.headers["retry-after"], now),
      retryable: isRetryableStatus(response.status),
      detail: `unexpected status ${response.status}${body ? `: ${bodyExcerpt(body, secrets)}` : ""}`
    }))

/**
 * The underlying cause without the request (whose URL and headers may carry credentials): name,
 * code and message only.
 */
const sanitizedCause = (error: HttpClientError.HttpClientError) => {
  const inner = error.cause as { name?: unknown; code?: unknown; message?: unknown } | undefined
  return {
    name: typeof inner?.name === "string" ? inner.name : error._tag,
    code: typeof inner?.code === "string" ? inner.code : undefined,
    message: typeof inner?.message === "string" ? inner.message : String(error.reason)
  }
}

const transportError = (source: string, url: string) => (error: HttpClientError.HttpClientError) =>
  new SourceError({
    source,
    reason: "Transport",
    url: displayUrl(url),
    retryable: error._tag === "RequestError" ? error.reason === "Transport" : true,
    detail: sanitizeForDisplay(`${
      error._tag === "RequestError"
        ? error.reason === "Transport" ? "connection failed" : `request ${error.reason}`
        : `response ${error.reason}`
    }: ${sanitizedCause(error).message}`).slice(0, 300),
    cause: sanitizedCause(error)
  })

const timeoutError = (source: string, url: string, timeout: Duration.DurationInput) => () =>
  new SourceError({
    source,
    reason: "Timeout",
    url: displayUrl(url),
    retryable: true,
    detail: `no complete answer within ${Duration.format(Duration.decode(timeout))}`
  })

const ioError = (source: string, url: string) => (cause: unknown) =>
  new SourceError({
    source,
    reason: "Io",
    url: displayUrl(url),
    retryable: false,
    detail: sanitizeForDisplay(`cannot read local mirror: ${String((cause as { message?: string })?.message ?? cause)}`)
      .slice(0, 300),
    cause
  })

/**
 * The body length a response declares, when its body is not content-encoded (else `undefined`).
 *
 * Streamed bodies are checked against it because `@effect/platform-node`'s readable-to-stream
 * conversion ends a stream *successfully and empty* when the socket already failed before the first
 * read (it checks `readable.readable` first), e.g. while `download` is still opening its file: a
 * connection cut mid-transfer would otherwise look like a complete, shorter body.
 */
const declaredLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const encoding = response.headers["content-encoding"]
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") return undefined
  const raw = response.headers["content-length"]
  const length = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw)
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined
}

const truncatedError = (source: string, url: string, received: number, expected: number) =>
  new SourceError({
    source,
    reason: "Transport",
    url: displayUrl(url),
    retryable: true,
    detail: `body truncated: received ${received} of ${expected} bytes`
  })

/** The response body as a stream that fails (retryably) when it ends short of its declared length. */
const lengthCheckedStream = (
  source: string,
  url: string,
  response: HttpClientResponse.HttpClientResponse
): Stream.Stream<Uint8Array, SourceError> => {
  const body = Stream.mapError(response.stream, transportError(source, url))
  const expected = declaredLength(response)
  if (expected === undefined) return body
  let received = 0
  return Stream.concat(
    Stream.mapChunks(body, (chunk) => {
      for (const bytes of chunk) received += bytes.length
      return chunk
    }),
    Stream.suspend(() => received === expected ? Stream.empty : Stream.fail(truncatedError(source, url, received, expected)))
  )
}

/** The fetch operations sources use. */
export interface Fetcher {
  /** The whole body as bytes (GET, or a file). Retried per the retry policy. */
  readonly bytes: (source: string, url: string, options?: FetchOptions) => Effect.Effect<Uint8Array, SourceError>
  /** The whole body as UTF-8 text. */
  readonly text: (source: string, url: string, options?: FetchOptions) => Effect.Effect<string, SourceError>
  /** The body parsed as JSON (`DecodeError` when it is not JSON). */
  readonly json: (
    source: string,
    url: string,
    options?: FetchOptions
  ) => Effect.Effect<unknown, SourceError | DecodeError>
  /** POSTs a JSON body and parses the JSON answer. */
  readonly postJson: (
    source: string,
    url: string,
    body: unknown,
    options?: FetchOptions
  ) => Effect.Effect<unknown, SourceError | DecodeError>
  /**
   * Downloads to a file (streamed: never the whole body in memory); returns its size in bytes.
   * The per-attempt timeout applies to the whole download. A broken download is retried from the start.
   */
  readonly download: (
    source: string,
    url: string,
    path: string,
    options?: FetchOptions & { readonly timeout?: Duration.DurationInput }
  ) => Effect.Effect<number, SourceError>
  /** A streamed body (no retry once bytes have been delivered; the caller decides). */
  readonly stream: (source: string, url: string, options?: FetchOptions) => Stream.Stream<Uint8Array, SourceError>
}

const defaultTimeout: Duration.DurationInput = "30 seconds"

/** Builds a `Fetcher` from the platform's `HttpClient` and `FileSystem`. */
export const makeFetcher: Effect.Effect<Fetcher, never, HttpClient.HttpClient | FileSystem.FileSystem> = Effect.gen(
  function*() {
    // Loaded here rather than imported: @effect/platform is an optional peer (internal/platform.ts).
    const { FileSystem: FileSystemModule, HttpClient: HttpClientModule, HttpClientRequest: Request } = yield* platform
    const client = yield* HttpClientModule.HttpClient
    const fs = yield* FileSystemModule.FileSystem

    const prepare = (request: HttpClientRequest.HttpClientRequest, options: FetchOptions | undefined) => {
      let r = Request.setHeaders(request, { "user-agent": "vulnera-advisor-ts", ...options?.headers })
      if (options?.basicAuth) {
        r = Request.basicAuth(r, options.basicAuth.user, Redacted.value(options.basicAuth.password))
      }
      return r
    }

    /** Executes a request, failing on non-2xx with the body excerpt, then reads it with `read`. */
    const execute = <A>(
      source: string,
      url: string,
      request: HttpClientRequest.HttpClientRequest,
      options: FetchOptions | undefined,
      read: (
        response: HttpClientResponse.HttpClientResponse
      ) => Effect.Effect<A, HttpClientError.HttpClientError | SourceError>
    ): Effect.Effect<A, SourceError> => {
      const timeout = options?.timeout ?? defaultTimeout
      const attempt = Effect.scoped(
        client.execute(prepare(request, options)).pipe(
          Effect.mapError(transportError(source, url)),
          Effect.flatMap((response) =>
            response.status >= 200 && response.status < 300
              ? Effect.mapError(read(response), (e) => e._tag === "SourceError" ? e : transportError(source, url)(e))
              : Effect.flatMap(
                Effect.orElseSucceed(response.text, () => ""),
                (body) => Effect.flip(statusError(source, url, response, body, requestSecrets(options)))
              )
          )
        )
      ).pipe(Effect.timeoutFail({ duration: timeout, onTimeout: timeoutError(source, url, timeout) }))
      return retryTransient(attempt).pipe(
        Effect.withSpan("vulnera.fetch", { attributes: { source, url: displayUrl(url) } })
      )
    }

    const readFile = (source: string, url: string) =>
      Effect.suspend(() => fs.readFile(fileURLToPath(url))).pipe(
        Effect.mapError(ioError(source, url)),
        Effect.catchAllDefect((defect) => Effect.fail(ioError(source, url)(defect)))
      )

    const bytes: Fetcher["bytes"] = (source, url, options) =>
      isFileUrl(url)
        ? readFile(source, url)
        : execute(source, url, Request.get(url), options, (r) =>
          Effect.map(r.arrayBuffer, (b) => new Uint8Array(b)))

    const text: Fetcher["text"] = (source, url, options) =>
      Effect.map(bytes(source, url, options), (b) => new TextDecoder().decode(b))

    // V8's JSON errors quote the input, which may echo credentials or terminal escapes.
    const parseJson = (source: string, body: string, options: FetchOptions | undefined) =>
      Effect.try({
        try: () => JSON.parse(body) as unknown,
        catch: (cause) =>
          new DecodeError({
            source,
            detail: sanitizeForDisplay(`malformed JSON: ${String(cause)}`, requestSecrets(options)).slice(0, 300)
          })
      })

    const json: Fetcher["json"] = (source, url, options) =>
      Effect.flatMap(
        text(source, url, { ...options, headers: { accept: "application/json", ...options?.headers } }),
        (body) => parseJson(source, body, options)
      )

    const postJson: Fetcher["postJson"] = (source, url, body, options) =>
      Effect.flatMap(
        execute(
          source,
          url,
          Request.post(url).pipe(
            Request.bodyUnsafeJson(body),
            Request.setHeader("accept", "application/json")
          ),
          options,
          (r) => r.text
        ),
        (text) => parseJson(source, text, options)
      )

    const download: Fetcher["download"] = (source, url, path, options) =>
      isFileUrl(url)
        ? fs.copyFile(fileURLToPath(url), path).pipe(
          Effect.zipRight(fs.stat(path)),
          Effect.map((info) => Number(info.size)),
          Effect.mapError(ioError(source, url))
        )
        : execute(
          source,
          url,
          Request.get(url),
          { timeout: "10 minutes", ...options },
          (response) =>
            lengthCheckedStream(source, url, response).pipe(
              Stream.run(Sink.mapError(fs.sink(path), ioError(source, `file://${path}`))),
              Effect.zipRight(Effect.mapError(fs.stat(path), ioError(source, `file://${path}`))),
              Effect.map((info) => Number(info.size))
            )
        )

    const stream: Fetcher["stream"] = (source, url, options) =>
      isFileUrl(url)
        ? fs.stream(fileURLToPath(url)).pipe(Stream.mapError(ioError(source, url)))
        : Stream.unwrapScoped(
          client.execute(prepare(Request.get(url), options)).pipe(
            Effect.mapError(transportError(source, url)),
            Effect.flatMap((response) =>
              response.status >= 200 && response.status < 300
                ? Effect.succeed(lengthCheckedStream(source, url, response))
                : Effect.flatMap(
                  Effect.orElseSucceed(response.text, () => ""),
                  (body) => Effect.flip(statusError(source, url, response, body, requestSecrets(options)))
                )
            ),
            Effect.timeoutFail({
              duration: options?.timeout ?? defaultTimeout,
              onTimeout: timeoutError(source, url, options?.timeout ?? defaultTimeout)
            }),
            retryTransient
          )
        )

    return { bytes, text, json, postJson, download, stream } satisfies Fetcher
  }
)
