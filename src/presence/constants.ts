/**
 * Defaults of presence over gossipsub (PROTOCOL.md §3).
 *
 * @module
 */

/** Lifetime of this node's presence records, in ms (§3.2). */
export const DEFAULT_TTL_MS = 90_000
/** After a newcomer subscribes to the topic, this node announces itself once a burst of joins settles, in ms (§3.2). */
export const ANNOUNCE_DEBOUNCE_MS = 50

/** The gossipsub topic presence records are published on. */
export const PRESENCE_TOPIC = '/natter/presence/1'
/** Largest encoded SignedPresence accepted, in bytes (§3.3). */
export const MAX_PRESENCE_BYTES = 1024
/** Largest status note, in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 140
/** Longest lifetime a record may claim (expires_at - issued_at). */
export const MAX_PRESENCE_TTL_MS = 10 * 60 * 1000
/** How far ahead of the receiver's clock issued_at may be. */
export const MAX_PRESENCE_SKEW_MS = 60 * 1000
