/**
 * Defaults of the messenger: delivery tries, retries and expiry of direct
 * messages (PROTOCOL.md §5 for the DM exchange, §9 for mailbox fallback,
 * §8.5 for first-contact proof of work).
 *
 * @module
 */

const DAY = 24 * 60 * 60 * 1000

/** Time allowed for one direct delivery try: lookup, dial and acknowledgement, in ms. */
export const ATTEMPT_TIMEOUT_MS = 15_000
/** Delivery attempts in flight per recipient; the rest wait their turn. */
export const WINDOW_PER_PEER = 64
/** First retry delay of an undelivered message, doubled per attempt, in ms. */
export const RETRY_INITIAL_MS = 1000
/** Longest retry delay, in ms. */
export const RETRY_MAX_MS = 300_000
/** A message undelivered for this long fails with reason `expired` (the mailbox lifetime, §9), in ms. */
export const EXPIRE_AFTER_MS = 14 * DAY
/** Extra age tolerated for a stamp on a message fetched from a mailbox, beyond {@link EXPIRE_AFTER_MS} (§8.5). */
export const MAILBOX_STAMP_GRACE_MS = DAY
/** Due outbox entries started per scheduler tick. */
export const PUMP_BATCH = 256
/** Shortest wait of the retry timer, so a retry still in flight is polled gently, in ms. */
export const MIN_RETRY_POLL_MS = 50
/** Recipient refusals that no retry can change (PROTOCOL.md §5). */
export const PERMANENT_REFUSALS: ReadonlySet<string> = new Set(['INVALID', 'TOO_LARGE', 'REFUSED'])
/** How often lapsed duplicate and stamp records are deleted, in ms. */
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000
