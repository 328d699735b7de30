/**
 * Every failure this library reports, as serializable `Schema.TaggedError`s.
 *
 * Infrastructure failures carry `retryable`: retry schedules in this library retry only those.
 * No error message or field ever contains a secret (passwords in URLs are masked, tokens are
 * never attached), and every `message` goes through the display sanitizer (credentials in URLs
 * and token-like query parameters masked, control characters escaped), since details quote input
 * and stored values.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"
import { sanitizeForDisplay } from "./internal/sanitize.js"

const reasonText = {
  Unavailable: "unavailable",
  CommandFailed: "command failed",
  Internal: "internal error (a bug in vulnera, not a store problem; please report it)"
} as const

/**
 * The store could not be reached, a command failed, or the client itself failed.
 *
 * - `Unavailable`: no connection (refused, unknown host, reset, closed, timed out, TLS, auth);
 *   `detail` says which. Retryable unless retrying cannot help (TLS, auth).
 * - `CommandFailed`: the server answered with an error (e.g. OOM, READONLY, WRONGTYPE).
 *   Retryable only when the server says the condition is transient (`LOADING`, `READONLY`,
 *   `BUSY`, `TRYAGAIN`, `OOM`).
 * - `Internal`: a JavaScript error in the client (`RangeError`, `TypeError`: a bug), never
 *   labelled "store unavailable" and never retryable.
 *
 * @since 0.1.0
 * @category Errors
 */
export class StoreError extends Schema.TaggedError<StoreError>("vulnera-advisor/StoreError")("StoreError", {
  reason: Schema.Literal("Unavailable", "CommandFailed", "Internal"),
  operation: Schema.String,
  detail: Schema.String,
  retryable: Schema.Boolean,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return sanitizeForDisplay(`${this.operation}: store ${reasonText[this.reason]}: ${this.detail}`)
  }
}

/**
 * A stored value could not be decoded (decompression or schema failure). Names the key, so the
 * bad entry can be inspected or deleted; other entries stay readable.
 *
 * @since 0.1.0
 * @category Errors
 */
export class CorruptEntry extends Schema.TaggedError<CorruptEntry>("vulnera-advisor/CorruptEntry")("CorruptEntry", {
  key: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return sanitizeForDisplay(`corrupt entry at key "${this.key}": ${this.detail}`)
  }
}

/**
 * zstd compression or decompression failed.
 *
 * @since 0.1.0
 * @category Errors
 */
export class CompressionError extends Schema.TaggedError<CompressionError>("vulnera-advisor/CompressionError")(
  "CompressionError",
  {
    operation: Schema.Literal("compress", "decompress"),
    detail: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return sanitizeForDisplay(`${this.operation} failed: ${this.detail}`)
  }
}

/**
 * An argument was rejected before anything was read or written. Names the field and (a
 * truncated copy of) the value.
 *
 * @since 0.1.0
 * @category Errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("vulnera-advisor/InvalidInput")("InvalidInput", {
  field: Schema.String,
  value: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return sanitizeForDisplay(`invalid ${this.field} ${JSON.stringify(this.value)}: ${this.detail}`)
  }

  /** Builds an `InvalidInput`, truncating long values to 200 characters. */
  static of(field: string, value: unknown, detail: string): InvalidInput {
    const text = typeof value === "string" ? value : String(value)
    return new InvalidInput({
      field,
      value: text.length > 200 ? `${text.slice(0, 200)}…(${text.length} chars)` : text,
      detail
    })
  }
}

/**
 * A dependency file could not be read as a manifest, lockfile or SBOM. Names the file and, when
 * known, the line; `detail` and `file` are already sanitized (URL credentials masked, control
 * characters escaped).
 *
 * - `Unreadable`: the file (or a `-r`/`-c` include) could not be read.
 * - `Invalid`: the content is not valid for its format (bad TOML, truncated JSON, a garbage line).
 * - `UnsupportedFormat`: no known format; `detail` lists the supported ones.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ManifestError extends Schema.TaggedError<ManifestError>("vulnera-advisor/ManifestError")("ManifestError", {
  reason: Schema.Literal("Unreadable", "Invalid", "UnsupportedFormat"),
  file: Schema.String,
  line: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.file}${this.line === undefined ? "" : `:${this.line}`}: ${this.detail}`
  }
}

/**
 * A configuration value is missing or invalid. Names the environment variable (or option) and the
 * offending value; secret values are shown as `<redacted>`.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>("vulnera-advisor/ConfigurationError")(
  "ConfigurationError",
  {
    variable: Schema.String,
    value: Schema.optional(Schema.String),
    detail: Schema.String
  }
) {
  override get message(): string {
    return sanitizeForDisplay(
      this.value === undefined
        ? `${this.variable}: ${this.detail}`
        : `${this.variable}=${JSON.stringify(this.value)}: ${this.detail}`
    )
  }
}

/**
 * An upstream source (KEV, EPSS, OSV, OSS Index, ...) failed.
 *
 * - `Transport`: connection refused/reset, DNS, TLS. Retryable.
 * - `Timeout`: no complete answer in time. Retryable.
 * - `Status`: a non-success HTTP status. Retryable for 408, 425, 429 and 5xx; `retryAfterMillis`
 *   carries the server's `Retry-After`.
 * - `Io`: reading a local (`file://`) mirror failed. Not retryable.
 *
 * @since 0.1.0
 * @category Errors
 */
export class SourceError extends Schema.TaggedError<SourceError>("vulnera-advisor/SourceError")("SourceError", {
  source: Schema.String,
  reason: Schema.Literal("Transport", "Timeout", "Status", "Io"),
  url: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number),
  retryAfterMillis: Schema.optional(Schema.Number),
  detail: Schema.String,
  retryable: Schema.Boolean,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    const status = this.status === undefined ? "" : ` HTTP ${this.status}`
    return sanitizeForDisplay(`${this.source}:${status} ${this.detail}${this.url ? ` (${this.url})` : ""}`)
  }
}

/**
 * An upstream payload could not be decoded (malformed JSON, CSV, zip, or a schema mismatch).
 * Permanent: never retried.
 *
 * @since 0.1.0
 * @category Errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("vulnera-advisor/DecodeError")("DecodeError", {
  source: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return sanitizeForDisplay(`${this.source}: could not decode response: ${this.detail}`)
  }
}

/**
 * An optional feature was used without being configured (e.g. OSS Index).
 *
 * @since 0.1.0
 * @category Errors
 */
export class NotConfigured extends Schema.TaggedError<NotConfigured>("vulnera-advisor/NotConfigured")("NotConfigured", {
  feature: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return sanitizeForDisplay(`${this.feature} is not configured: ${this.detail}`)
  }
}

/**
 * Errors an `AdvisoryStore` read or write can fail with.
 *
 * @since 0.1.0
 * @category Errors
 */
export type AdvisoryStoreError = StoreError | CorruptEntry | CompressionError | InvalidInput

/**
 * Whether an error is worth retrying (only errors that say so are).
 *
 * @since 0.1.0
 * @category Refinements
 */
export const isRetryable = (error: unknown): boolean =>
  Predicate.hasProperty(error, "retryable") && error.retryable === true

/**
 * A sync source name that is not configured (source names are case-insensitive). Lists the known
 * names, so a typo is caught instead of being a silent no-op.
 *
 * @since 0.1.0
 * @category Errors
 */
export class UnknownSource extends Schema.TaggedError<UnknownSource>("vulnera-advisor/UnknownSource")("UnknownSource", {
  source: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return sanitizeForDisplay(`unknown sync source "${this.source}"; known: ${this.known.join(", ")}`)
  }
}
