/**
 * Waiting for a forked effect whose retries sleep on the `TestClock` while its HTTP requests run on
 * real time: alternately lets real I/O happen (a short live sleep) and moves the test clock.
 */
import { Effect, Fiber, TestClock, TestServices } from "effect"
import type { Duration } from "effect"

/**
 * Joins `fiber`, advancing the TestClock by `step` after each short real pause, until it is done.
 * Keep `step` well below the timeouts under test: while a real request is slow (a loaded machine),
 * every round still moves the clock, and enough rounds would fire a timeout no one scripted.
 */
export const joinWithTestClock = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  step: Duration.DurationInput = "1 second",
  rounds = 600
): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (let i = 0; i < rounds && fiber.unsafePoll() === null; i++) {
      yield* TestServices.provideLive(Effect.sleep("20 millis"))
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })

/** Lets real I/O run for a moment without moving the TestClock. */
export const realPause = (millis = 100): Effect.Effect<void> => TestServices.provideLive(Effect.sleep(millis))
