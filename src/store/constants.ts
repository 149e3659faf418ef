/**
 * Defaults of the store's tunables, each used where the init object leaves the
 * field out.
 *
 * @module
 */

/** How long a write waits for another connection's lock before failing with `StoreBusyError`, in ms. */
export const BUSY_TIMEOUT_DEFAULT = 5_000

/** Whether `openStore` runs SQLite's `quick_check` on the file before using it. */
export const INTEGRITY_CHECK_DEFAULT = true

/** Page size of `messages.history` when the caller gives no `limit`. */
export const HISTORY_LIMIT_DEFAULT = 50

/** Largest page `messages.history` returns; bigger limits are clamped. */
export const HISTORY_LIMIT_MAX = 1_000

/** Most sequence numbers `messages.gaps` reports at once. */
export const GAPS_LIMIT_DEFAULT = 1_000

/** Most envelopes `mailbox.fetchFor` returns when the caller gives no `limit`. */
export const MAILBOX_FETCH_LIMIT_DEFAULT = 100

/** Largest page `mailbox.fetchFor` returns; bigger limits are clamped. */
export const MAILBOX_FETCH_LIMIT_MAX = 1_000

/** Largest single envelope the mailbox accepts, in bytes (256 KiB). */
export const MAILBOX_MAX_ENVELOPE_BYTES_DEFAULT = 256 * 1024

/** Most bytes held for one recipient (16 MiB). */
export const MAILBOX_MAX_BYTES_PER_RECIPIENT_DEFAULT = 16 * 1024 * 1024

/** Most envelopes held for one recipient. */
export const MAILBOX_MAX_ENVELOPES_PER_RECIPIENT_DEFAULT = 1_000

/** Most envelopes one depositor may have in this mailbox, across all recipients. */
export const MAILBOX_MAX_ENVELOPES_PER_DEPOSITOR_DEFAULT = 200

/** Most envelope bytes held in total (256 MiB). */
export const MAILBOX_MAX_TOTAL_BYTES_DEFAULT = 256 * 1024 * 1024

/** Longest an envelope is held, in ms (14 days); later `expiresAt` values are clamped. */
export const MAILBOX_MAX_TTL_DEFAULT = 14 * 24 * 60 * 60 * 1_000

/** Longest contact name, in Unicode code points. */
export const CONTACT_NAME_MAX_LENGTH = 64

/** Longest message id, in hex digits. */
export const MESSAGE_ID_MAX_LENGTH = 128

/** Most ids of gone incoming messages remembered (PROTOCOL.md §4.3); the ones closest to lapsing go first. */
export const GONE_MESSAGES_MAX_DEFAULT = 100_000

/** Most accepted-stamp digests persisted (PROTOCOL.md §8.5.1), as the in-memory cache's default. */
export const STAMP_REPLAY_MAX_DEFAULT = 50_000

/** Most envelopes one depositor may have held for one recipient (an eighth of the recipient's quota). */
export const MAILBOX_MAX_ENVELOPES_PER_DEPOSITOR_RECIPIENT_DEFAULT = 125

/** Most bytes one depositor may have held for one recipient (2 MiB, an eighth of the recipient's quota). */
export const MAILBOX_MAX_BYTES_PER_DEPOSITOR_RECIPIENT_DEFAULT = 2 * 1024 * 1024

/** Most bytes one depositor may have held in the whole mailbox (8 MiB). */
export const MAILBOX_MAX_BYTES_PER_DEPOSITOR_DEFAULT = 8 * 1024 * 1024
