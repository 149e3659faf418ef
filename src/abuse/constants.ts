/**
 * Defaults and fixed values of the abuse-resistance building blocks:
 * proof-of-work stamps (PROTOCOL.md §8.1–§8.5) and rate limits (§8.6).
 *
 * @module
 */
/** The only stamp version defined. */
export const STAMP_VERSION = 1

/** Domain-separation tag that starts every hash input (13 ASCII bytes). */
export const STAMP_DOMAIN = 'natter-pow-v1'

/** Length in bytes of an encoded stamp ({@link encodeStamp}). */
export const STAMP_ENCODED_LENGTH = 18

/**
 * Default difficulty in leading zero bits of the SHA-256 digest, for minting
 * and as the verifier's minimum. 2^20 hashes are expected; this
 * implementation computes 1.07–1.11 million stamp hashes per second on one
 * core of the reference 2-core machine (AMD EPYC, Node 20), so minting takes
 * about 0.95 s on average. The time is geometrically distributed: one stamp in
 * twenty takes over three times the mean.
 */
export const DEFAULT_DIFFICULTY = 20

/** Default oldest stamp accepted: 24 hours. */
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000

/** Default clock skew tolerated for stamps dated in the future: 5 minutes. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60 * 1000

/** Default number of hashes computed between yields to the event loop (a few ms of work). */
export const DEFAULT_YIELD_EVERY = 4096

/** Default for `ReplayCacheInit.maxEntries` (§8.5.1). */
export const DEFAULT_REPLAY_CACHE_MAX_ENTRIES = 50_000

/** A token bucket: holds up to `burst` tokens, refilled at `rate` tokens per second. */
export interface RateLimitRule {
  /** Tokens added per second (sustained requests per second). 0 allows only the initial burst. */
  rate: number
  /** Bucket size: most requests allowed at once after an idle period. */
  burst: number
}

/** The rules for one kind: one for contacts, a stricter one for strangers. */
export interface RateLimitTiers {
  contact: RateLimitRule
  stranger: RateLimitRule
}

/**
 * natter's per-peer rate limits: generous for contacts, strict for strangers.
 * The one table of defaults: PROTOCOL.md §8.6 prints it, and a test holds the
 * two equal.
 *
 * | kind | contact | stranger |
 * | --- | --- | --- |
 * | `dm` | 2000 per s, burst 10 000 | 1 per 30 s, burst 3 |
 * | `mailbox` | 50 per s, burst 500 | 10 per s, burst 100 |
 * | `presence` | 2 per s, burst 20 | 1 per s, burst 10 |
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<'dm' | 'mailbox' | 'presence', Readonly<RateLimitTiers>>> = Object.freeze({
  dm: Object.freeze({ contact: Object.freeze({ rate: 2000, burst: 10_000 }), stranger: Object.freeze({ rate: 1 / 30, burst: 3 }) }),
  mailbox: Object.freeze({ contact: Object.freeze({ rate: 50, burst: 500 }), stranger: Object.freeze({ rate: 10, burst: 100 }) }),
  presence: Object.freeze({ contact: Object.freeze({ rate: 2, burst: 20 }), stranger: Object.freeze({ rate: 1, burst: 10 }) })
})

/** Rules for kinds with no configured or default rule: contact 1/s burst 10, stranger 1 per 10 s burst 2. */
export const DEFAULT_FALLBACK_RATE_LIMIT: Readonly<RateLimitTiers> = Object.freeze({
  contact: { rate: 1, burst: 10 },
  stranger: { rate: 0.1, burst: 2 }
})

/** Default for `RateLimiterInit.maxPeers`. */
export const DEFAULT_RATE_LIMIT_MAX_PEERS = 10_000
