/**
 * Per-peer token buckets, one per (peer, kind of request), with a stricter
 * rule for strangers than for contacts.
 *
 * @module
 */

import { DEFAULT_FALLBACK_RATE_LIMIT, DEFAULT_RATE_LIMITS, DEFAULT_RATE_LIMIT_MAX_PEERS } from './constants.js'
import { RateLimitedError } from './errors.js'
import type { RateLimitRule, RateLimitTiers } from './constants.js'

/**
 * A kind of request limited separately. The well-known kinds have default
 * rules ({@link DEFAULT_RATE_LIMITS}); any other string uses
 * {@link DEFAULT_FALLBACK_RATE_LIMIT} unless configured.
 */
export type RateLimitKind = 'dm' | 'mailbox' | 'presence' | (string & {})

export type { RateLimitRule, RateLimitTiers } from './constants.js'
export { DEFAULT_RATE_LIMITS, DEFAULT_FALLBACK_RATE_LIMIT, DEFAULT_RATE_LIMIT_MAX_PEERS } from './constants.js'

/** Options for {@link createRateLimiter}. */
export interface RateLimiterInit {
  /**
   * Rules per kind. Each kind's `contact` and `stranger` rule is taken from
   * here when given, else from {@link DEFAULT_RATE_LIMITS}, else from
   * `fallback`.
   *
   * @default DEFAULT_RATE_LIMITS
   */
  limits?: Record<string, Partial<RateLimitTiers>>
  /**
   * Rules for kinds not found in `limits` or the defaults.
   *
   * @default DEFAULT_FALLBACK_RATE_LIMIT
   */
  fallback?: Partial<RateLimitTiers>
  /**
   * Most peers tracked. Past it, the least recently seen peer's buckets are
   * dropped (it starts again with full buckets, as after a long idle time).
   *
   * @default 10_000
   */
  maxPeers?: number
  /**
   * Clock in ms; inject a fake one in tests.
   *
   * @default Date.now
   */
  now?: () => number
}

/** Options for {@link RateLimiter.tryConsume} and {@link RateLimiter.consume}. */
export interface ConsumeOptions {
  /**
   * Whether the peer is a contact (the lenient rule applies) or a stranger.
   *
   * @default false
   */
  isContact?: boolean
  /**
   * Tokens this request costs.
   *
   * @default 1
   */
  cost?: number
}

/** Token-bucket rate limiter keyed by peer and kind of request. */
export interface RateLimiter {
  /** Takes `cost` tokens from the peer's bucket for `kind` if it has them; returns whether it did. */
  tryConsume(peerId: string, kind: RateLimitKind, options?: ConsumeOptions): boolean
  /**
   * Like {@link RateLimiter.tryConsume}, but throws instead of returning `false`.
   *
   * @throws {@link RateLimitedError} with `retryAfterMs` when the bucket is short of tokens
   */
  consume(peerId: string, kind: RateLimitKind, options?: ConsumeOptions): void
  /** The rule applied to `kind` for a contact or a stranger. */
  ruleFor(kind: RateLimitKind, isContact: boolean): RateLimitRule
  /** Forgets a peer's buckets (e.g. when it becomes a contact or is blocked). */
  reset(peerId: string): void
  /** Drops buckets that have refilled completely: they hold no information. Returns how many peers were dropped. */
  prune(): number
  /** Peers currently tracked. */
  readonly size: number
  /** Forgets every peer. */
  clear(): void
}

const TOKEN_EPSILON = 1e-9

interface Bucket {
  tokens: number
  /** When `tokens` was last brought up to date. */
  updatedAt: number
}

function assertRule (rule: RateLimitRule, where: string): RateLimitRule {
  if (!(Number.isFinite(rule.rate) && rule.rate >= 0 && Number.isFinite(rule.burst) && rule.burst >= 0)) {
    throw new RangeError(`${where}: rate and burst must be finite numbers ≥ 0`)
  }
  return { rate: rule.rate, burst: rule.burst }
}

function resolveTiers (given: Partial<RateLimitTiers> | undefined, base: Readonly<RateLimitTiers>, where: string): RateLimitTiers {
  return {
    contact: assertRule(given?.contact ?? base.contact, `${where}.contact`),
    stranger: assertRule(given?.stranger ?? base.stranger, `${where}.stranger`)
  }
}

/**
 * Creates a {@link RateLimiter}. Memory is bounded by `maxPeers` × the kinds
 * each peer uses.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ limits: { dm: { stranger: { rate: 0.1, burst: 2 } } } })
 * // in a stream handler:
 * if (!limiter.tryConsume(remotePeer.toString(), 'dm', { isContact })) {
 *   return reply({ status: RATE_LIMITED })
 * }
 * ```
 */
export function createRateLimiter (init: RateLimiterInit = {}): RateLimiter {
  const maxPeers = init.maxPeers ?? DEFAULT_RATE_LIMIT_MAX_PEERS
  const now = init.now ?? Date.now
  const fallback = resolveTiers(init.fallback, DEFAULT_FALLBACK_RATE_LIMIT, 'fallback')
  if (!Number.isSafeInteger(maxPeers) || maxPeers < 1) {
    throw new RangeError(`maxPeers must be a positive integer, got ${maxPeers}`)
  }

  const rules = new Map<string, RateLimitTiers>()
  const defaults: Readonly<Record<string, Readonly<RateLimitTiers>>> = DEFAULT_RATE_LIMITS
  for (const kind of new Set([...Object.keys(defaults), ...Object.keys(init.limits ?? {})])) {
    rules.set(kind, resolveTiers(init.limits?.[kind], defaults[kind] ?? fallback, `limits.${kind}`))
  }

  // Insertion order of a Map is our LRU order: a peer is moved to the end on
  // every use, so the first entry is the least recently seen.
  const peers = new Map<string, Map<string, Bucket>>()
  // One long-lived iterator finds the oldest entry. Everything before its
  // position has been deleted or moved to the end, so its next key is the
  // least recently seen peer; and it steps over each hole a move leaves only
  // once, where a fresh `peers.keys()` would rescan them all on every eviction.
  let oldest = peers.keys()

  const evictOldest = (): void => {
    let next = oldest.next()
    if (next.done === true) {
      oldest = peers.keys()
      next = oldest.next()
    }
    if (next.done !== true) peers.delete(next.value)
  }

  const ruleFor = (kind: string, isContact: boolean): RateLimitRule => {
    const tiers = rules.get(kind) ?? fallback
    return isContact ? tiers.contact : tiers.stranger
  }

  /** Brings a bucket up to date at time `t`. */
  const refill = (bucket: Bucket, rule: RateLimitRule, t: number): void => {
    // A clock going backwards adds nothing, and is not held against the peer.
    const elapsed = Math.max(0, t - bucket.updatedAt)
    bucket.tokens = Math.min(rule.burst, bucket.tokens + elapsed * rule.rate / 1000)
    bucket.updatedAt = t
  }

  /** Returns 0 if the tokens were taken, else the ms to wait (possibly Infinity). */
  const take = (peerId: string, kind: string, options: ConsumeOptions | undefined): number => {
    const isContact = options?.isContact ?? false
    const cost = options?.cost ?? 1
    if (!(Number.isFinite(cost) && cost >= 0)) {
      throw new RangeError(`cost must be a finite number ≥ 0, got ${cost}`)
    }
    const rule = ruleFor(kind, isContact)
    const t = now()

    let buckets = peers.get(peerId)
    if (buckets === undefined) {
      if (peers.size >= maxPeers) evictOldest()
      buckets = new Map()
    } else {
      peers.delete(peerId)
    }
    peers.set(peerId, buckets)

    let bucket = buckets.get(kind)
    if (bucket === undefined) {
      bucket = { tokens: rule.burst, updatedAt: t }
      buckets.set(kind, bucket)
    } else {
      refill(bucket, rule, t)
    }

    // The epsilon absorbs float noise in the refill, so that a retry after
    // exactly `retryAfterMs` succeeds.
    if (bucket.tokens + TOKEN_EPSILON >= cost) {
      bucket.tokens = Math.max(0, bucket.tokens - cost)
      return 0
    }
    if (cost > rule.burst || rule.rate === 0) return Infinity
    return Math.ceil((cost - bucket.tokens) * 1000 / rule.rate)
  }

  return {
    tryConsume (peerId, kind, options) {
      return take(peerId, kind, options) === 0
    },
    consume (peerId, kind, options) {
      const retryAfterMs = take(peerId, kind, options)
      if (retryAfterMs !== 0) {
        const when = Number.isFinite(retryAfterMs) ? `retry in ${retryAfterMs} ms` : 'the request can never be allowed'
        throw new RateLimitedError(`peer ${peerId} is over its '${kind}' rate limit; ${when}`, { retryAfterMs, peerId, kind })
      }
    },
    ruleFor (kind, isContact) {
      const rule = ruleFor(kind, isContact)
      return { rate: rule.rate, burst: rule.burst }
    },
    reset (peerId) {
      peers.delete(peerId)
    },
    prune () {
      // A bucket that would be full by now is indistinguishable from a new
      // one. Buckets do not record the tier they were last used with, so drop
      // only those full under either rule: refilled at the slower rate up to
      // the larger burst.
      const t = now()
      let dropped = 0
      for (const [peerId, buckets] of peers) {
        for (const [kind, bucket] of buckets) {
          const stranger = ruleFor(kind, false)
          const contact = ruleFor(kind, true)
          const slowest = Math.min(stranger.rate, contact.rate)
          const fullest = Math.max(stranger.burst, contact.burst)
          const elapsed = Math.max(0, t - bucket.updatedAt)
          if (bucket.tokens + elapsed * slowest / 1000 >= fullest) buckets.delete(kind)
        }
        if (buckets.size === 0) {
          peers.delete(peerId)
          dropped++
        }
      }
      return dropped
    },
    get size () {
      return peers.size
    },
    clear () {
      peers.clear()
      oldest = peers.keys()
    }
  }
}
