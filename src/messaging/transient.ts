/**
 * "Try later": the verdict a receiver gives when it cannot take an envelope
 * now (storage fault, overload, shutdown, a full requests inbox), and how a
 * sender turns the recipient's retry hint into its next try (PROTOCOL.md §5).
 */
import { DmResponse } from '../pb/dm.js'
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

/**
 * Longest wait between tries of a message its recipient answered
 * `UNAVAILABLE` (30 s): the fault is the recipient's and passes by itself
 * (space freed, lock released), so the usual exponential backoff (up to
 * minutes) would only delay delivery after it ends. A larger hint still wins.
 */
export const UNAVAILABLE_MAX_BACKOFF_MS = 30_000

/** The delay before the next try after a failed one: the backoff, shortened for `UNAVAILABLE`, never below the hint. */
export function nextRetryDelay (backoffMs: number, err: (Error & { status?: string, retryAfterMs?: unknown }) | undefined): number {
  if (err == null) {
    return backoffMs
  }
  const base = err.name === 'DeliveryRefusedError' && err.status === 'UNAVAILABLE' ? Math.min(backoffMs, UNAVAILABLE_MAX_BACKOFF_MS) : backoffMs
  return Math.max(base, retryDelayAfterRefusal(err) ?? 0)
}
