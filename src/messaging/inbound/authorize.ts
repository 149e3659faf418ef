/**
 * Stage 4, authorize: who may write to this node, and at what cost.
 * A blocked sender is dropped without being told; a sender over its `dm`
 * limit (by sender as well as by connection) is refused — through a mailbox
 * the excess waits there for a later fetch (PROTOCOL.md §8.6); a stranger's
 * first message, and each one past a small allowance, must carry a fresh,
 * unreplayed proof-of-work stamp bound to sender, recipient and time
 * (§8.5.2); a full requests inbox says "try later" (§8.9).
 *
 * @module
 */
import { decodeStamp, verifyStamp } from '../../abuse/index.js'
import { DmResponse } from '../../pb/dm.js'
import { isTransientStoreError } from '../../store/index.js'
import { requestsInboxVerdict, resolveRequestLimits, strangerNeedsStamp } from '../inbound-limits.js'
import type { Verdict, VerifiedInbound } from './types.js'
import type { RateLimiter, ReplayCache } from '../../abuse/index.js'
import type { Ed25519Peer } from '../../crypto/peer.js'
import type { RequestUsage } from '../../store/index.js'
import type { RequestLimits } from '../inbound-limits.js'

/** What {@link authorizeStage} needs. */
export interface AuthorizeComponents {
  self: Ed25519Peer
  /** Senders whose envelopes are dropped silently (block list). */
  isBlocked(peer: string): boolean
  /** Whether a sender is a contact or an accepted conversation (the contact tier, no stamp asked). */
  isTrusted(peer: string): boolean
  /** What a stranger's pending request holds. */
  usage(peer: string): RequestUsage
  /** Per-sender limits (kind `dm`); absent means no limit. */
  rateLimiter?: Pick<RateLimiter, 'tryConsume'>
}

/** Options of {@link authorizeStage}. */
export interface AuthorizeInit {
  /** Leading zero bits demanded of a stranger's stamped messages. */
  powDifficulty: number
  /** Oldest stamp accepted on an envelope fetched from a mailbox, in ms (it may have waited there). */
  mailboxStampMaxAgeMs: number
  /** Caps of the requests inbox. @default resolveRequestLimits() */
  requestLimits?: RequestLimits
}

/** Drops, defers or demands work of envelopes the sender may not send as they are; `stamps` records a stamp spent. */
export function authorizeStage (components: AuthorizeComponents, init: AuthorizeInit): (message: VerifiedInbound, stamps: ReplayCache) => Verdict | undefined {
  const { self, isBlocked, isTrusted, usage, rateLimiter } = components
  const { powDifficulty } = init
  const limits = init.requestLimits ?? resolveRequestLimits()
  return ({ from, id, via, envelope, connectedPeer }, stamps) => {
    if (isBlocked(from)) {
      // dropped without telling the sender
      return { status: DmResponse.Status.OK, id }
    }
    const accepted = isTrusted(from)
    const stamped = envelope.body.stamp.byteLength > 0
    if (via === 'mailbox' && !accepted && !stamped && strangerNeedsStamp(usage(from), limits)) {
      // junk that can never be taken: answered (and so deleted from the mailbox) before the rate limit
      // would leave it there, in front of real mail
      return { status: DmResponse.Status.POW_REQUIRED, error: `a stranger's message needs a ${powDifficulty}-bit proof-of-work stamp`, id, requiredDifficulty: powDifficulty }
    }
    // limited by sender as well as by connection: a sender's envelopes relayed over throwaway
    // connections still draw on one bucket (direct), and mailbox fetches are limited by sender
    if (rateLimiter != null && (via === 'mailbox' || from !== connectedPeer) && !rateLimiter.tryConsume(from, 'dm', { isContact: accepted })) {
      // through a mailbox the excess stays there, for a later fetch
      return { status: DmResponse.Status.RATE_LIMITED, error: 'too many messages from this sender', id, keep: via === 'mailbox', retryAfterMs: 1_000 }
    }
    if (accepted) {
      return undefined
    }
    const held = usage(from)
    const full = requestsInboxVerdict({ usage: held }, limits)
    if (full != null) {
      return { ...full, id }
    }
    if (!strangerNeedsStamp(held, limits)) {
      return undefined
    }
    // a stranger's first message, and each one past a small allowance, costs work bound to sender, recipient and time
    if (!stamped) {
      const error = held.peerMessages === 0
        ? `a first message needs a ${powDifficulty}-bit proof-of-work stamp`
        : `a pending request holds ${held.peerMessages} messages; each further one needs its own ${powDifficulty}-bit proof-of-work stamp`
      return { status: DmResponse.Status.POW_REQUIRED, error, id, requiredDifficulty: powDifficulty }
    }
    try {
      verifyStamp(decodeStamp(envelope.body.stamp), {
        sender: envelope.body.sender,
        recipient: self.bytes,
        minDifficulty: powDifficulty,
        maxAgeMs: via === 'mailbox' ? init.mailboxStampMaxAgeMs : undefined,
        replayCache: stamps
      })
    } catch (err) {
      if (isTransientStoreError(err)) {
        throw err
      }
      return { status: DmResponse.Status.POW_REQUIRED, error: (err as Error).message, id, requiredDifficulty: powDifficulty }
    }
    return undefined
  }
}
