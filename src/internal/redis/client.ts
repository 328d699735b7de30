/**
 * The ioredis connection behind `DragonflyStore`: URL parsing (secrets kept out of errors), one
 * shared connection that reconnects on demand, and the mapping of ioredis failures to
 * `StoreError`.
 */
import { Duration, Effect, Either, Redacted } from "effect"
import { Redis, type RedisOptions, ReplyError } from "ioredis"
import type { ConnectionOptions } from "node:tls"
import { ConfigurationError, StoreError } from "../../Errors.js"
import { redactUrl } from "../config.js"
import { describeConnectionError } from "../connectionError.js"

/** Where and how to connect, parsed from a `redis://` / `rediss://` URL. */
export interface RedisTarget {
  readonly options: RedisOptions
  /** The URL with user and password masked, safe for errors and logs. */
  readonly display: string
}

const maxDatabase = 9_999

/**
 * Parses a `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS) URL. Errors name
 * `variable` and show the URL with its credentials masked.
 */
export const parseRedisUrl = (
  url: Redacted.Redacted<string> | string,
  variable: string,
  tls?: ConnectionOptions
): Either.Either<RedisTarget, ConfigurationError> => {
  const raw = (Redacted.isRedacted(url) ? Redacted.value(url) : url).trim()
  const display = redactUrl(raw)
  const fail = (detail: string) => Either.left(new ConfigurationError({ variable, value: display, detail }))
  if (raw === "") return Either.left(new ConfigurationError({ variable, detail: "is empty; expected redis://host:port" }))
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    return fail("not a URL; expected redis://[user:password@]host[:port][/db] or rediss://...")
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return fail(`unsupported scheme "${parsed.protocol}"; expected redis:// or rediss:// (TLS)`)
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1")
  if (host === "") return fail("missing host")
  if (parsed.search !== "" || parsed.hash !== "") return fail("query parameters and fragments are not supported")
  const path = parsed.pathname.replace(/^\//, "")
  const db = path === "" ? 0 : /^\d+$/.test(path) ? Number(path) : Number.NaN
  if (!Number.isSafeInteger(db) || db > maxDatabase) return fail(`database "${path}" is not an integer 0..${maxDatabase}`)
  let username: string | undefined
  let password: string | undefined
  try {
    username = parsed.username === "" ? undefined : decodeURIComponent(parsed.username)
    password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password)
  } catch {
    return fail("malformed percent-encoding in the user or password")
  }
  const secure = parsed.protocol === "rediss:"
  return Either.right({
    display,
    options: {
      host,
      port: parsed.port === "" ? 6379 : Number(parsed.port),
      db,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(secure ? { tls: { servername: /^[\d.:]+$/.test(host) ? undefined : host, ...tls } } : {})
    }
  })
}

/** Server replies that describe a passing condition: worth retrying. */
const transientReplies: ReadonlySet<string> = new Set([
  "LOADING",
  "READONLY",
  "BUSY",
  "TRYAGAIN",
  "OOM",
  "MASTERDOWN",
  "CLUSTERDOWN",
  "NOREPLICAS"
])

/** JavaScript errors that mean a bug in the client, not a store problem. */
const isInternal = (cause: unknown): cause is Error =>
  cause instanceof RangeError || cause instanceof TypeError || cause instanceof ReferenceError ||
  cause instanceof SyntaxError || cause instanceof EvalError || cause instanceof URIError

/**
 * Maps an ioredis failure to `StoreError`. A server error reply is `CommandFailed` (retryable only
 * for transient conditions); a JavaScript error (`RangeError`, `TypeError`: a bug) is `Internal`,
 * never retried; anything else (refused, unknown host, reset, closed, timed out, TLS, auth) is
 * `Unavailable`, described by `describeConnectionError` from `socketError` (the last error the
 * connection emitted) when there is one, since ioredis itself only says "Connection is closed".
 * The raw error is not attached: ioredis puts the command's arguments on reply errors, and for
 * AUTH those are credentials.
 */
export const toStoreError = (operation: string, display: string, socketError?: unknown) => (cause: unknown): StoreError => {
  if (cause instanceof StoreError) return cause
  if (cause instanceof ReplyError) {
    const message = (cause as Error).message
    const code = message.split(" ", 1)[0] ?? ""
    return new StoreError({
      reason: "CommandFailed",
      operation,
      detail: message,
      retryable: transientReplies.has(code)
    })
  }
  if (isInternal(cause)) {
    return new StoreError({ reason: "Internal", operation, detail: `${cause.name}: ${cause.message}`, retryable: false })
  }
  const own = describeConnectionError(cause)
  const vague = own.kind === "Closed" || own.kind === "Other"
  // A bare "Connection is closed." without a socket error says no more than that (not "closed by the server").
  const described = vague && socketError !== undefined ? describeConnectionError(socketError) : own
  const text = vague && socketError === undefined ? (cause instanceof Error ? cause.message : String(cause)) : described.message
  // An unrecognised connection failure stays retryable, as before: only TLS and auth cannot heal.
  const retryable = described.kind === "Other" || described.retryable
  return new StoreError({ reason: "Unavailable", operation, detail: `${display}: ${text}`, retryable })
}

/** Connection tuning. */
export interface ConnectionSettings {
  readonly connectTimeoutMillis: number
  readonly commandTimeoutMillis: number
}

/** One shared ioredis connection plus typed helpers (the client is replaced when it dies). */
export interface RedisConnection {
  readonly display: string
  /** Runs one command (connecting first when needed); failures become `StoreError`. */
  readonly run: <A>(operation: string, command: (client: Redis) => Promise<A>) => Effect.Effect<A, StoreError>
  /**
   * Runs a pipeline built by `build` and returns each command's reply; the first failed command
   * fails the whole call. `atomic`: as one MULTI/EXEC transaction.
   */
  readonly pipeline: (
    operation: string,
    build: (pipeline: ReturnType<Redis["pipeline"]>) => void,
    atomic?: boolean
  ) => Effect.Effect<Array<unknown>, StoreError>
  /** Connects if not connected (bounded by the connect timeout). */
  readonly ensureConnected: (operation: string) => Effect.Effect<void, StoreError>
}

/**
 * Opens (lazily) one connection for the scope and closes it on release.
 *
 * Why not ioredis' own reconnect loop: with it, commands issued while the server is down either
 * wait in the offline queue (hanging callers) or fail while a reconnect is pending even after the
 * server is back. Instead automatic reconnects are off, the offline queue is off (a dead connection
 * fails fast with `Unavailable`), and the next call reconnects, joining one in-flight attempt.
 */
export const makeConnection = (
  target: RedisTarget,
  settings: ConnectionSettings,
  /** Applied to every client the connection opens (it replaces a dead one): script definitions. */
  setup: (client: Redis) => void = () => {}
) =>
  Effect.gen(function*() {
    let handshakeError: unknown
    // The last socket error (ECONNREFUSED, ENOTFOUND, a TLS failure): commands only see "Connection is closed".
    let socketError: unknown
    /** A new (unconnected) client, with the `setup` every client gets (script definitions). */
    const open = (): Redis => {
      const redis = new Redis({
        ...target.options,
        lazyConnect: true,
        enableOfflineQueue: false,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        retryStrategy: () => null,
        connectTimeout: settings.connectTimeoutMillis,
        commandTimeout: settings.commandTimeoutMillis
      })
      // Failures surface through the commands (without a listener ioredis would print them);
      // a rejected AUTH is kept, because the commands only see the connection closing.
      redis.on("error", (error) => {
        if (redis !== client) return // a replaced client's last words
        if (error instanceof ReplyError) handshakeError = error
        else socketError = error
      })
      setup(redis)
      return redis
    }
    /** Drops a client without waiting for it (a dead socket never finishes closing). */
    const drop = (redis: Redis) => {
      redis.disconnect()
      redis.stream?.destroy()
    }
    let client: Redis = open()
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const redis = client
        if (redis.status === "ready") {
          await Promise.race([redis.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000))])
        }
        redis.disconnect()
      })
    )

    let pending: Promise<void> | undefined
    const whenReady = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const onReady = () => {
          client.off("end", onEnd)
          resolve()
        }
        const onEnd = () => {
          client.off("ready", onReady)
          reject(new Error("Connection is closed."))
        }
        client.once("ready", onReady)
        client.once("end", onEnd)
      })
    /**
     * Ready and its socket writable. A connection killed by the server in the middle of a write can
     * stay "ready" with a dead socket (EPIPE, and no 'close' ever reaches ioredis, even after
     * `disconnect` and destroying the socket): every later command then fails at once with "Stream
     * isn't writeable", and `connect` refuses ("already connected"). Such a client is dropped and
     * replaced by a new one on the next call.
     */
    const usable = () => client.status === "ready" && client.stream?.writable !== false
    const connect = (): Promise<void> => {
      if (usable()) return Promise.resolve()
      if (pending === undefined) {
        handshakeError = undefined
        socketError = undefined
        const connecting = client.status === "connecting" || client.status === "connect"
        const attempt = connecting
          ? whenReady()
          : client.status === "ready"
          ? (drop(client), client = open(), client.connect())
          : client.connect()
        pending = attempt.finally(() => {
          pending = undefined
        })
      }
      return pending
    }

    /** Maps a failure; a closed connection after a rejected AUTH reports the rejection (WRONGPASS, ...). */
    const failure = (operation: string) => (cause: unknown): StoreError =>
      toStoreError(operation, target.display, socketError)(
        handshakeError !== undefined && !(cause instanceof ReplyError) ? handshakeError : cause
      )

    const ensureConnected = (operation: string): Effect.Effect<void, StoreError> =>
      Effect.suspend(() =>
        usable()
          ? Effect.void
          : Effect.tryPromise({ try: connect, catch: failure(operation) }).pipe(
            Effect.timeoutFail({
              duration: Duration.millis(settings.connectTimeoutMillis + 250),
              onTimeout: () =>
                new StoreError({
                  reason: "Unavailable",
                  operation,
                  detail: `${target.display}: no connection within ${settings.connectTimeoutMillis} ms`,
                  retryable: true
                })
            })
          )
      )

    const run = <A>(operation: string, command: (client: Redis) => Promise<A>): Effect.Effect<A, StoreError> =>
      Effect.zipRight(
        ensureConnected(operation),
        Effect.tryPromise({ try: () => command(client), catch: failure(operation) })
      )

    const pipeline = (
      operation: string,
      build: (pipeline: ReturnType<Redis["pipeline"]>) => void,
      atomic = false
    ): Effect.Effect<Array<unknown>, StoreError> =>
      Effect.flatMap(
        run(operation, (redis) => {
          const p = atomic ? redis.multi() : redis.pipeline()
          build(p)
          return p.exec()
        }),
        (results) => {
          const replies: Array<unknown> = new Array(results?.length ?? 0)
          for (let i = 0; i < replies.length; i++) {
            const [error, reply] = results![i]!
            if (error) return Effect.fail(failure(operation)(error))
            replies[i] = reply
          }
          return Effect.succeed(replies)
        }
      )

    return { display: target.display, run, pipeline, ensureConnected } satisfies RedisConnection
  })
