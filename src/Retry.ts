/**
 * The retry policy for transient failures (connection reset, timeout, HTTP 408/425/429/5xx, Redis
 * unavailable): exponential backoff with jitter, bounded attempts and bounded total time. A server's
 * `Retry-After` is honoured (the wait is at least what it asks for). Permanent failures (400, 401,
 * 404, malformed payloads, invalid input) are never retried: only errors whose `retryable` is true are.
 *
 * The policy is a `Context.Reference` with defaults, so it can be changed for a whole program with
 * `Layer.succeed(RetryPolicy, {...})` or for one effect with `Effect.provideService`.
 *
 * | setting | default |
 * | --- | --- |
 * | `maxRetries` | 4 (5 attempts in all) |
 * | `baseDelay` | 500 ms (then 1 s, 2 s, 4 s, ... with ±jitter) |
 * | `maxDelay` | 30 s per wait |
 * | `maxElapsed` | 2 minutes in all |
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import { isRetryable } from "./Errors.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface RetryPolicyShape {
  /** Retries after the first attempt. 0 disables retrying. */
  readonly maxRetries: number
  /** First backoff delay; doubles each retry. */
  readonly baseDelay: Duration.DurationInput
  /** Upper bound of a single wait (also caps `Retry-After`). */
  readonly maxDelay: Duration.DurationInput
  /** No retry starts after this much time since the first attempt. */
  readonly maxElapsed: Duration.DurationInput
  /** Randomize each delay (between 80% and 120%), so many clients do not retry in lockstep. */
  readonly jitter: boolean
}

/**
 * @since 0.1.0
 * @category Defaults
 */
export const defaults: RetryPolicyShape = {
  maxRetries: 4,
  baseDelay: "500 millis",
  maxDelay: "30 seconds",
  maxElapsed: "2 minutes",
  jitter: true
}

/**
 * The retry policy in effect (defaults unless provided).
 *
 * @since 0.1.0
 * @category Tags
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("vulnera-advisor/RetryPolicy", {
  defaultValue: () => defaults
}) {}

/**
 * A layer setting the retry policy (unspecified fields keep their defaults).
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (policy: Partial<RetryPolicyShape>): Layer.Layer<RetryPolicy> =>
  Layer.succeed(RetryPolicy, { ...defaults, ...policy })

const retryAfterOf = (error: unknown): number | undefined => {
  const value = (error as { readonly retryAfterMillis?: unknown } | null)?.retryAfterMillis
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * The schedule of a policy: `transientSchedule(policy)` takes the failure as input (to read
 * `Retry-After`) and stops after `maxRetries` or `maxElapsed`.
 *
 * @since 0.1.0
 * @category Schedules
 */
export const transientSchedule = <E>(policy: RetryPolicyShape): Schedule.Schedule<unknown, E> => {
  const maxDelay = Duration.decode(policy.maxDelay)
  const backoff = Schedule.exponential(policy.baseDelay, 2).pipe(
    policy.jitter ? Schedule.jittered : (s) => s,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay))
  )
  return Schedule.identity<E>().pipe(
    Schedule.zipLeft(backoff),
    Schedule.modifyDelay((error, delay) => {
      const retryAfter = retryAfterOf(error)
      return retryAfter === undefined ? delay : Duration.min(Duration.max(delay, Duration.millis(retryAfter)), maxDelay)
    }),
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.upTo(policy.maxElapsed)
  )
}

/**
 * Retries `effect` on retryable failures according to the current `RetryPolicy`; other failures
 * pass through at once.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const retryTransient = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(RetryPolicy, (policy) =>
    policy.maxRetries <= 0
      ? effect
      : Effect.retry(effect, { schedule: transientSchedule<E>(policy), while: isRetryable }))
