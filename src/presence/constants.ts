/**
 * Bounds of the presence state a node keeps about others (issue 9): contacts'
 * presence is kept (and persisted by the node); everyone else's lives in a
 * small in-memory cache that forgets a record some time after it lapses.
 *
 * @module
 */

/** Most presence records of non-contacts held in memory; the least recently updated goes first. */
export const PRESENCE_MAX_STRANGERS = 1000
/** How long a non-contact's lapsed record is still shown (as `offline`) before it is forgotten, in ms. */
export const PRESENCE_FORGET_STRANGER_MS = 10 * 60 * 1000
/** Most non-contacts listed by one presence read (`list()`), most recently updated first. */
export const PRESENCE_MAX_STRANGERS_LISTED = 200
