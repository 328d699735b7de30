/**
 * How the command line ends: exit codes, and every failure turned into one line of text.
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | done (for `scan`: the gate passed) |
 * | 1 | `scan`: the gate failed (findings at or above `--fail-on`, not covered, undetermined, a failed lookup); a sync unit failed or was partial (records rejected); an upstream source failed; corrupt stored data; an internal error |
 * | 2 | bad arguments or configuration (usage is printed), an unknown ecosystem, or nothing to query |
 * | 3 | the store (Redis/Dragonfly) is unreachable, stayed unreachable during a sync, or failed |
 * | 130 | interrupted (Ctrl-C, SIGINT) |
 * | 143 | terminated (SIGTERM) |
 *
 * No stack trace is ever printed, and no secret or control character: every message goes through
 * `sanitizeForDisplay`.
 */
import { ValidationError } from "@effect/cli"
import { Cause, Data, Option, Predicate } from "effect"
import { describeConnectionError } from "../internal/connectionError.js"
import { sanitizeForDisplay } from "../internal/sanitize.js"

/** Exit codes of the `vulnera` command. */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  unavailable: 3,
  interrupted: 130,
  terminated: 143
} as const

/** One of `ExitCode`'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * Ends the command with `code`, printing `message` (one line, to stderr) when it is not empty.
 * Handlers fail with it for every non-zero outcome, findings included, after printing their output.
 */
export class CliExit extends Data.TaggedError("CliExit")<{
  readonly code: ExitCode
  readonly message: string
  /** For usage errors: which command's usage to show. */
  readonly usageOf?: string | undefined
}> {}

/** A usage error (exit 2): the message, then the command's usage. */
export const usage = (message: string, command = ""): CliExit =>
  new CliExit({ code: ExitCode.usage, message, usageOf: command })

/** The store could not be reached (exit 3). */
export const unavailable = (message: string): CliExit => new CliExit({ code: ExitCode.unavailable, message })

/** Findings or failures already reported on stdout (exit 1, nothing more printed). */
export const findings: CliExit = new CliExit({ code: ExitCode.findings, message: "" })

const tagOf = (error: unknown): string | undefined =>
  Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" ? error._tag : undefined

const messageOf = (error: unknown): string => {
  const text = error instanceof Error || Predicate.hasProperty(error, "message") ? String((error as Error).message) : String(error)
  // Only the first line: causes from drivers can be multi-line.
  return sanitizeForDisplay(text.split("\n")[0]!.trim()) || "unknown error"
}

/**
 * A store failure as shown: what failed with the connection when that can be told (refused,
 * unknown host, timeout, TLS, auth), else the error's own message.
 */
export const storeFailureMessage = (error: unknown): string => {
  const reason = Predicate.hasProperty(error, "reason") ? error.reason : undefined
  if (reason === "Unavailable") {
    const failure = describeConnectionError(error)
    const operation = Predicate.hasProperty(error, "operation") && typeof error.operation === "string"
      ? ` (${sanitizeForDisplay(error.operation)})`
      : ""
    // "Closed" is all ioredis says for most failures; the error's own text is then as good.
    if (failure.kind !== "Other" && failure.kind !== "Closed") return `store unavailable${operation}: ${failure.message}`
  }
  return `store error: ${messageOf(error)}`
}

/**
 * Maps any typed failure of this library (and `@effect/cli`'s `ValidationError`) to an exit.
 * Unknown failures become exit 1 with their message's first line.
 */
export const fromError = (error: unknown): CliExit => {
  if (error instanceof CliExit) return error
  // @effect/cli already printed its own description of a parse error.
  if (ValidationError.isValidationError(error)) return new CliExit({ code: ExitCode.usage, message: "", usageOf: "" })
  switch (tagOf(error)) {
    case "StoreError":
      return unavailable(storeFailureMessage(error))
    case "InvalidInput":
    case "UnknownSource":
      return usage(messageOf(error))
    case "ConfigurationError":
    case "NotConfigured":
      // The invocation is fine; the environment is not: no usage text, it would not help.
      return new CliExit({ code: ExitCode.usage, message: `configuration: ${messageOf(error)}` })
    case "CorruptEntry":
    case "CompressionError":
      return new CliExit({ code: ExitCode.findings, message: `store data error: ${messageOf(error)}` })
    default:
      return new CliExit({ code: ExitCode.findings, message: messageOf(error) })
  }
}

/** The exit for a failed run: its first failure, else its first defect (as one line), else interruption. */
export const fromCause = (cause: Cause.Cause<unknown>): CliExit => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return fromError(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) {
    return new CliExit({ code: ExitCode.findings, message: `internal error: ${messageOf(defect.value)}` })
  }
  return new CliExit({ code: ExitCode.interrupted, message: "interrupted" })
}
