/**
 * The retry policy for transient failures (connection reset, timeout, HTTP 408/425/429/5xx, Redis
 * unavailable): exponential backoff with jitter, bounded attempts and bounded total time. A server's
 * `Retry-After` is honoured (the wait is at least what it asks for). Permanent failures (400, 401,
 * 404, malformed payloads, invalid input) are never retried: only errors whose `retryable` is true are.
 *
 * The policy is a `Context.Reference` with defaults, so it can be changed for a whole program with
 * `Retry.layer({...})`, `Retry.layerConfig()` / `layerFromEnv()` (the variables below), or for one
 * effect with `Effect.provideService`.
 *
 * | setting | environment variable | default |
 * | --- | --- | --- |
 * | `maxRetries` | `VULNERA__RETRY__MAX_RETRIES` (0..100) | 4 (5 attempts in all) |
 * | `baseDelay` | `VULNERA__RETRY__BASE_DELAY` (e.g. `500 millis`) | 500 ms (then 1 s, 2 s, 4 s, ... with ±jitter) |
 * | `maxDelay` | `VULNERA__RETRY__MAX_DELAY` | 30 s per wait |
 * | `maxElapsed` | `VULNERA__RETRY__MAX_ELAPSED` | 2 minutes in all |
 * | `jitter` | `VULNERA__RETRY__JITTER` (`true`/`false`) | true |
 *
 * @since 0.1.0
 */
import { Config, Context, Duration, Effect, Layer, Schedule } from "effect"
import { type ConfigurationError, isRetryable } from "./Errors.js"
import { given, integerIn, keyedBy, load, loadWith } from "./internal/config.js"

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

/** The environment variable of each setting. */
const variables = {
  maxRetries: "VULNERA__RETRY__MAX_RETRIES",
  baseDelay: "VULNERA__RETRY__BASE_DELAY",
  maxDelay: "VULNERA__RETRY__MAX_DELAY",
  maxElapsed: "VULNERA__RETRY__MAX_ELAPSED",
  jitter: "VULNERA__RETRY__JITTER"
} as const

/** A duration variable (`500 millis`, `30 seconds`, `2 minutes`) with a default. */
const duration = (name: string, fallback: Duration.DurationInput) =>
  Config.duration(name).pipe(Config.withDefault(Duration.decode(fallback)))

/**
 * The policy from `VULNERA__RETRY__*` (through the current `ConfigProvider`), with `defaults` for
 * what is unset. Settings given in code pass the same rules (durations given in code are typed
 * values, taken as they are).
 *
 * @since 0.4.0
 * @category Config
 */
export const config: Config.Config<RetryPolicyShape> = Config.all({
  maxRetries: integerIn(variables.maxRetries, 0, 100).pipe(Config.withDefault(defaults.maxRetries)),
  baseDelay: duration(variables.baseDelay, defaults.baseDelay),
  maxDelay: duration(variables.maxDelay, defaults.maxDelay),
  maxElapsed: duration(variables.maxElapsed, defaults.maxElapsed),
  jitter: Config.boolean(variables.jitter).pipe(Config.withDefault(defaults.jitter))
})

/** The durations given in code: typed values, taken as given. */
const durationsOf = (policy: Partial<RetryPolicyShape>) => given(policy, ["baseDelay", "maxDelay", "maxElapsed"])

/** `policy` without its durations, keyed by variable (durations given in code are not text). */
const textual = (policy: Partial<RetryPolicyShape>) =>
  keyedBy({ maxRetries: variables.maxRetries, jitter: variables.jitter }, policy)

/**
 * A layer setting the retry policy given in code (unspecified fields keep their defaults). Unlike
 * the other modules' `layer`, it cannot fail: every typed policy is one (`maxRetries` <= 0
 * disables retrying, durations are typed values), so only text from a `Config` is checked.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (policy: Partial<RetryPolicyShape>): Layer.Layer<RetryPolicy> =>
  Layer.succeed(RetryPolicy, { ...defaults, ...policy })

/**
 * A layer from a `Config` of the policy (`Retry.config` by default), then as `layer` (defaults for
 * what the `Config` leaves out); errors name the variable.
 *
 * @since 0.4.0
 * @category Layers
 */
export const layerConfig = (
  policy: Config.Config<Partial<RetryPolicyShape>> = config
): Layer.Layer<RetryPolicy, ConfigurationError> =>
  Layer.effect(RetryPolicy, Effect.map(load(policy), (loaded) => ({ ...defaults, ...loaded })))

/**
 * `Retry.config` from the environment; `overrides` win over it and pass the same rules.
 *
 * @since 0.4.0
 * @category Layers
 */
export const layerFromEnv = (
  overrides: Partial<RetryPolicyShape> = {}
): Layer.Layer<RetryPolicy, ConfigurationError> =>
  Layer.effect(
    RetryPolicy,
    Effect.map(loadWith(config, textual(overrides)), (valid) => ({ ...valid, ...durationsOf(overrides) }))
  )

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
