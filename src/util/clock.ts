/**
 * The clock services read, injected so unit tests can move time.
 *
 * @module
 */

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  now(): number
}

/** The system clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() })
