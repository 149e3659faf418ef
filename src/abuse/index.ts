/**
 * Abuse-resistance building blocks for protocol handlers: pure logic, no
 * networking.
 *
 * - **Proof-of-work stamps** ({@link mintStamp}, {@link verifyStamp}): a
 *   stranger's first message carries a Hashcash-style stamp bound to sender,
 *   recipient and time; a {@link ReplayCache} makes each stamp good for one
 *   message.
 * - **Rate limiting** ({@link createRateLimiter}): token buckets per peer and
 *   kind of request, stricter for strangers than for contacts.
 *
 * Concurrent streams are capped by libp2p itself (`maxInboundStreams` per
 * protocol handler, PROTOCOL.md §8.7), not here.
 *
 * The wire format and acceptance rules are specified in PROTOCOL.md §8.
 *
 * @example
 * ```ts
 * import { createRateLimiter, createReplayCache, decodeStamp, verifyStamp } from './abuse/index.js'
 *
 * const limiter = createRateLimiter()
 * const seen = createReplayCache()
 *
 * function admit (from: PeerId, envelope: EnvelopeBody, isContact: boolean): void {
 *   limiter.consume(from.toString(), 'dm', { isContact }) // throws RateLimitedError
 *   if (!isContact) {
 *     verifyStamp(decodeStamp(envelope.stamp), {
 *       sender: envelope.sender,
 *       recipient: envelope.recipient,
 *       replayCache: seen
 *     }) // throws InvalidStampError, StampExpiredError, InsufficientWorkError, …
 *   }
 * }
 * ```
 *
 * @module
 */

export {
  InvalidStampError,
  StampExpiredError,
  StampNotYetValidError,
  InsufficientWorkError,
  StampReplayedError,
  RateLimitedError
} from './errors.js'

export {
  STAMP_VERSION,
  STAMP_DOMAIN,
  STAMP_ENCODED_LENGTH,
  DEFAULT_DIFFICULTY,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_YIELD_EVERY,
  mintStamp,
  verifyStamp,
  encodeStamp,
  decodeStamp,
  stampPreimage,
  stampDigest,
  leadingZeroBits
} from './pow.js'
export type { Stamp, MintStampOptions, VerifyStampOptions } from './pow.js'

export { DEFAULT_REPLAY_CACHE_MAX_ENTRIES, createReplayCache } from './replay-cache.js'
export type { ReplayCache, ReplayCacheInit } from './replay-cache.js'

export {
  DEFAULT_RATE_LIMITS,
  DEFAULT_FALLBACK_RATE_LIMIT,
  DEFAULT_RATE_LIMIT_MAX_PEERS,
  createRateLimiter
} from './rate-limit.js'
export type {
  RateLimitKind,
  RateLimitRule,
  RateLimitTiers,
  RateLimiterInit,
  ConsumeOptions,
  RateLimiter
} from './rate-limit.js'
