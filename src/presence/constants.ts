/**
 * Defaults of presence over gossipsub (PROTOCOL.md §3), and bounds of the
 * presence state a node keeps about others (issue 9): contacts' presence is
 * kept (and persisted by the node); everyone else's lives in a small in-memory
 * cache that forgets a record some time after it lapses.
 *
 * @module
 */

/** Lifetime of this node's presence records, in ms (§3.2). */
export const DEFAULT_TTL_MS = 90_000
/** After a newcomer subscribes to the topic, this node announces itself once a burst of joins settles, in ms (§3.2). */
export const ANNOUNCE_DEBOUNCE_MS = 50
/**
 * Least time between two v1 announcements made for newcomers who are not contacts (PROTOCOL.md §3.2): a
 * public node's record reaches a stranger who just joined within this, and churn costs it at most one
 * record to the topic per interval.
 */
export const STRANGER_ANNOUNCE_INTERVAL_MS = 5_000

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

/** Most presence records of non-contacts held in memory; the least recently updated goes first. */
export const PRESENCE_MAX_STRANGERS = 1000
/** How long a non-contact's lapsed record is still shown (as `offline`) before it is forgotten, in ms. */
export const PRESENCE_FORGET_STRANGER_MS = 10 * 60 * 1000
/** Most non-contacts listed by one presence read (`list()`), most recently updated first. */
export const PRESENCE_MAX_STRANGERS_LISTED = 200

/** Protocol id of presence v2's own gossipsub (unsigned messages; PROTOCOL.md §3.6). */
export const PRESENCE_MESH_PROTOCOL = '/natter/presence/2/meshsub'
