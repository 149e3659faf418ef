/**
 * "Try later": the verdict a receiver gives when it cannot take an envelope
 * now (storage fault, overload, shutdown, a full requests inbox), and how a
 * sender turns the recipient's retry hint into its next try (PROTOCOL.md §5).
 */
import { DmResponse } from '../protocol/dm.js'
import type { DmVerdict } from '../dm/protocol.js'

/** The longest retry hint a sender honours (1 hour); a larger one is read as this. */
export const MAX_HONOURED_RETRY_AFTER_MS = 60 * 60 * 1000

/** An `UNAVAILABLE` verdict with a reason and a retry hint in ms. */
export function unavailable (error: string, retryAfterMs: number): DmVerdict {
  return { status: DmResponse.Status.UNAVAILABLE, error, retryAfterMs }
}

/**
 * The earliest next try a refusal asks for, in ms, or `undefined` when it
 * gives no hint. Any status not final (PROTOCOL.md §5) may carry one.
 */
export function retryDelayAfterRefusal (err: Error & { retryAfterMs?: unknown }): number | undefined {
  const hint = err.retryAfterMs
  if (typeof hint !== 'number' || !Number.isFinite(hint) || hint <= 0) {
    return undefined
  }
  return Math.min(hint, MAX_HONOURED_RETRY_AFTER_MS)
}
