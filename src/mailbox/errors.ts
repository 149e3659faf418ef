import { NatterError } from '../base-errors.js'

/** A mailbox peer refused a request; `status` is the wire status (e.g. `QUOTA_EXCEEDED`, `UNAUTHORIZED`). */
export class MailboxRefusedError extends NatterError {
  readonly status: string
  /** With `STAMP_REQUIRED`: the proof-of-work difficulty (bits) the mailbox wants. */
  readonly requiredDifficulty?: number
  /** With `RATE_LIMITED` or `UNAVAILABLE`: the mailbox's hint of when to retry, in ms. */
  readonly retryAfterMs?: number
  constructor (message: string, status: string, options?: ErrorOptions & { requiredDifficulty?: number, retryAfterMs?: number }) {
    super(message, options)
    this.name = 'MailboxRefusedError'
    this.status = status
    this.requiredDifficulty = options?.requiredDifficulty
    this.retryAfterMs = options?.retryAfterMs
  }
}

/**
 * A mailbox wants proof of work from this depositor before it holds more of
 * its envelopes (PROTOCOL.md §9.3): thrown by a backend, answered `STAMP_REQUIRED`.
 */
export class DepositStampRequiredError extends NatterError {
  readonly requiredDifficulty: number
  constructor (message: string, requiredDifficulty: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DepositStampRequiredError'
    this.requiredDifficulty = requiredDifficulty
  }
}

/** No mailbox peer could be found or none accepted the envelope. */
export class NoMailboxError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoMailboxError'
  }
}
