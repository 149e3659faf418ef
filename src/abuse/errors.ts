/**
 * Named errors of the abuse-resistance building blocks. Callers branch on
 * `err.name` (stable strings), never on the message text.
 *
 * @module
 */

import { NatterError } from '../base-errors.js'

/**
 * A proof-of-work stamp is malformed (bad encoding, unknown version, field out
 * of range) or its digest does not carry the work it claims. A stamp minted for
 * another sender, recipient or timestamp fails the work check and is reported
 * with this error too.
 */
export class InvalidStampError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidStampError'
  }
}

/** A stamp's timestamp is older than the acceptance window allows (`maxAgeMs`). */
export class StampExpiredError extends NatterError {
  /** The stamp's timestamp, ms since the Unix epoch. */
  readonly timestamp: number
  /** The verifier's clock when the stamp was checked, ms since the Unix epoch. */
  readonly now: number
  constructor (message: string, timestamp: number, now: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StampExpiredError'
    this.timestamp = timestamp
    this.now = now
  }
}

/**
 * A stamp's timestamp lies further in the future than the allowed clock skew
 * (`maxFutureMs`). Usually the sender's clock is wrong.
 */
export class StampNotYetValidError extends NatterError {
  /** The stamp's timestamp, ms since the Unix epoch. */
  readonly timestamp: number
  /** The verifier's clock when the stamp was checked, ms since the Unix epoch. */
  readonly now: number
  constructor (message: string, timestamp: number, now: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StampNotYetValidError'
    this.timestamp = timestamp
    this.now = now
  }
}

/** A stamp claims less work than the verifier requires. */
export class InsufficientWorkError extends NatterError {
  /** The difficulty (leading zero bits) the stamp claims. */
  readonly difficulty: number
  /** The minimum difficulty the verifier requires. */
  readonly required: number
  constructor (message: string, difficulty: number, required: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InsufficientWorkError'
    this.difficulty = difficulty
    this.required = required
  }
}

/** The same stamp was already accepted once within its acceptance window. */
export class StampReplayedError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StampReplayedError'
  }
}

/** A peer exhausted its token bucket for a kind of request. */
export class RateLimitedError extends NatterError {
  /**
   * How long until the request would be allowed, in ms. `Infinity` when the
   * rule can never allow it (rate 0, or a cost above the burst).
   */
  readonly retryAfterMs: number
  /** The peer that was limited. */
  readonly peerId: string
  /** The kind of request that was limited (`'dm'`, `'mailbox'`, …). */
  readonly kind: string
  constructor (message: string, details: { retryAfterMs: number, peerId: string, kind: string }, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RateLimitedError'
    this.retryAfterMs = details.retryAfterMs
    this.peerId = details.peerId
    this.kind = details.kind
  }
}
