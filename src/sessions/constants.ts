/**
 * Limits and defaults of forward-secret sessions (PROTOCOL.md §6): prekey
 * records in the DHT (§6.3), the owner's prekeys (§6.4), sessions per peer
 * (§6.8).
 *
 * @module
 */

const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR

/** The DHT namespace of prekey records: kad-dht picks validators and selectors by it (§6.3). */
export const PREKEY_NAMESPACE = 'natter-prekeys'
/** Largest encoded record accepted, in bytes (§6.3). */
export const MAX_PREKEY_RECORD_BYTES = 8 * 1024
/** Oldest record accepted: the grace period of a rotated signed prekey (§6.3). */
export const MAX_PREKEY_RECORD_AGE_MS = 30 * DAY
/** How far in the future a record may be dated (§6.3). */
export const MAX_PREKEY_RECORD_SKEW_MS = 5 * 60 * 1000

/** Time allowed to find a recipient's bundle before sealing without a session, in ms. */
export const BUNDLE_TIMEOUT_MS = 10_000
/** After the first record of a lookup arrives, how long more answers are awaited before the lookup ends, in ms. */
export const BUNDLE_SETTLE_MS = 250
/** A lookup ends once this many records arrived (the newest of them is used). */
export const BUNDLE_ENOUGH_RECORDS = 3
/** How long a fetched bundle is remembered, in ms. */
export const BUNDLE_CACHE_MS = 60_000
/** How long the absence of a bundle is remembered, in ms. */
export const BUNDLE_MISS_CACHE_MS = 10_000
/** Bundles (and misses) remembered at once; the cache is emptied when full. */
export const MAX_CACHED_BUNDLES = 1024
/** Sessions kept per peer (§6.8). */
export const MAX_SESSIONS_PER_PEER = 4
/** Recently opened payloads remembered, so a copy arriving at once from another mailbox is answered. */
export const RECENT_OPENED_LIMIT = 512
/** How often prekeys are checked for rotation and replenishment, in ms. */
export const MAINTENANCE_INTERVAL_MS = HOUR

/** One-time prekeys kept in stock (§6.4). */
export const ONE_TIME_PREKEYS = 100
/** One-time prekeys published in the bundle (the record must stay under 8 KiB). */
export const PUBLISHED_ONE_TIME_PREKEYS = 100
/** The signed prekey is replaced once it is this old, in ms (§6.4). */
export const SIGNED_PREKEY_ROTATE_AFTER_MS = 7 * DAY
/** How long a replaced signed prekey is still accepted, in ms (§6.4). */
export const SIGNED_PREKEY_GRACE_MS = 30 * DAY

/** How often the bundle is republished, in ms. */
export const REPUBLISH_INTERVAL_MS = HOUR
/** Time allowed for one publication, in ms. */
export const PUBLISH_TIMEOUT_MS = 30_000
/** Publications asked for within this delay are made once, in ms. */
export const PUBLISH_DEBOUNCE_MS = 2000

/** Peers whose decrypted sessions are kept in memory (src/sessions/session-cache.ts). */
export const SESSION_CACHE_PEERS = 1024
