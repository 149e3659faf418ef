/**
 * Defaults of mailboxes: offline delivery through peers that hold envelopes
 * for others (PROTOCOL.md §9).
 *
 * @module
 */

/** Mailbox peers each offline message is deposited with (§9.1). */
export const REPLICATION = 3
/** How long a held envelope is kept, in ms (14 days, §9.3). */
export const MAILBOX_TTL_MS = 14 * 24 * 60 * 60 * 1000
/** How often a node fetches its own mailboxes, in ms (§9.4). */
export const FETCH_INTERVAL_MS = 60_000
/** Time allowed for one fetch round over all mailbox peers when the caller gives none, in ms. */
export const FETCH_TIMEOUT_MS = 30_000
/** A fetch triggered by new connections waits this long (connections come in bursts), in ms. */
export const FETCH_ON_CONNECT_DELAY_MS = 100
/** Fetches triggered by new connections are at most this frequent, in ms. */
export const FETCH_ON_CONNECT_MIN_INTERVAL_MS = 1000
/** How often expired envelopes held for others are deleted, in ms. */
export const EXPIRE_INTERVAL_MS = 60 * 60 * 1000
/** Inbound mailbox streams per connection (a fetch and a deposit or two at a time, §8.7). */
export const MAX_INBOUND_STREAMS = 4
/** Outbound mailbox streams per connection. */
export const MAX_OUTBOUND_STREAMS = 32
