/**
 * What went wrong with a connection, from the error codes Node and ioredis give: refused, unknown
 * host, timeout, unreachable, TLS, authentication, or closed. A pure function, so the Redis driver
 * and the CLI describe the same failure with the same words (ioredis alone says only "Connection
 * is closed" after its retries give up; the cause is in the last error it emitted).
 */
import { sanitizeForDisplay } from "./sanitize.js"

/** The kinds of connection failure a user can act on differently. */
export type ConnectionFailureKind =
  | "Refused"
  | "UnknownHost"
  | "Timeout"
  | "Unreachable"
  | "Tls"
  | "Auth"
  | "Closed"
  | "Other"

/** A classified connection failure: its kind, whether retrying can help, and a one-line description. */
export interface ConnectionFailure {
  readonly kind: ConnectionFailureKind
  readonly retryable: boolean
  /** E.g. `connection refused (ECONNREFUSED): nothing listens at that host and port`. */
  readonly message: string
}

const field = (error: unknown, name: string): string | undefined => {
  const value = typeof error === "object" && error !== null ? (error as Record<string, unknown>)[name] : undefined
  return typeof value === "string" ? value : undefined
}

const described: Record<Exclude<ConnectionFailureKind, "Other">, { readonly text: string; readonly retryable: boolean }> = {
  Refused: { text: "connection refused: nothing listens at that host and port", retryable: true },
  UnknownHost: { text: "unknown host: the name does not resolve (check the host name and DNS)", retryable: true },
  Timeout: { text: "timed out: the host did not answer in time (firewall, wrong port, or overloaded)", retryable: true },
  Unreachable: { text: "host unreachable: no route to the host (network down or wrong address)", retryable: true },
  Tls: { text: "TLS handshake failed: the server's certificate was not accepted (or the server does not speak TLS)", retryable: false },
  Auth: { text: "authentication failed: wrong or missing user/password", retryable: false },
  Closed: { text: "connection closed by the server", retryable: true }
}

const kindOfCode = (code: string): ConnectionFailureKind | undefined => {
  switch (code) {
    case "ECONNREFUSED":
      return "Refused"
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
      return "UnknownHost"
    case "ETIMEDOUT":
    case "ESOCKETTIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "Timeout"
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
      return "Unreachable"
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return "Closed"
    case "WRONGPASS":
    case "NOAUTH":
    case "NOPERM":
      return "Auth"
  }
  if (code.startsWith("CERT_") || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_")) return "Tls"
  if (/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE)|HOSTNAME_MISMATCH)/.test(code)) {
    return "Tls"
  }
  return undefined
}

const codeInText = /\b(E(CONNREFUSED|CONNRESET|CONNABORTED|PIPE|HOSTUNREACH|HOSTDOWN|NETUNREACH|NETDOWN|TIMEDOUT|NOTFOUND|AI_AGAIN|AI_NONAME|AI_FAIL)|(ERR_TLS|ERR_SSL|CERT)_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT(_LOCALLY)?|VERIFY_LEAF_SIGNATURE))\b/

const kindOfMessage = (message: string): ConnectionFailureKind | undefined => {
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|invalid username-password/i.test(message)) return "Auth"
  if (/\b(ssl|tls)\b|certificate|wrong version number/i.test(message)) return "Tls"
  if (/\btimed? ?out\b/i.test(message)) return "Timeout"
  if (/connection is closed|socket closed|connection reset/i.test(message)) return "Closed"
  return undefined
}

/**
 * Classifies a connection error (a Node `SystemError`, an ioredis `ReplyError`, or anything with
 * `code` / `message`); `Other` when nothing is recognised. The message names the code and never
 * contains a secret or a control character.
 */
export const describeConnectionError = (error: unknown): ConnectionFailure => {
  const message = field(error, "message") ?? (typeof error === "string" ? error : String(error))
  // Node puts the code in its messages too (`connect ECONNREFUSED 127.0.0.1:6379`), which is all
  // that is left once an error has been turned into text.
  const code = field(error, "code") ?? field(error, "errno") ?? codeInText.exec(message)?.[0]
  // ioredis replies carry the code as the message's first word (`WRONGPASS invalid username-password pair`).
  const replyCode = /^([A-Z]{4,})\b/.exec(message)?.[1]
  const kind = (code === undefined ? undefined : kindOfCode(code)) ??
    (replyCode === undefined ? undefined : kindOfCode(replyCode)) ??
    kindOfMessage(message) ?? "Other"
  const shownCode = code ?? (kind === "Auth" ? replyCode : undefined)
  if (kind === "Other") {
    return { kind, retryable: false, message: sanitizeForDisplay(message.split("\n")[0]!.trim().slice(0, 300) || "unknown error") }
  }
  const { retryable, text } = described[kind]
  const [head, tail] = text.split(": ", 2)
  const codeText = shownCode === undefined ? "" : ` (${sanitizeForDisplay(shownCode)})`
  return { kind, retryable, message: `${head}${codeText}${tail === undefined ? "" : `: ${tail}`}` }
}
