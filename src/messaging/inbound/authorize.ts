/**
 * Stage 4, authorize: who may write to this node, and at what cost.
 * A blocked sender is dropped without being told; a sender over its `dm`
 * limit through a mailbox waits there for a later fetch (PROTOCOL.md §8.6);
 * a stranger's first message must carry a fresh, unreplayed proof-of-work
 * stamp bound to sender, recipient and time (§8.5).
 *
 * @module
 */
import { decodeStamp, verifyStamp, StampReplayedError } from '../../abuse/index.js'
import { DmResponse } from '../../pb/dm.js'
import type { Gate, VerifiedInbound } from './types.js'
import type { RateLimiter, ReplayCache } from '../../abuse/index.js'
import type { Ed25519Peer } from '../../crypto/peer.js'

/** What {@link authorizeStage} needs. */
export interface AuthorizeComponents {
  self: Ed25519Peer
  /** Senders whose envelopes are dropped silently (block list). */
  isBlocked(peer: string): boolean
  /** Whether a sender gets the contact tier of the limits. */
  isTrusted(peer: string): boolean
  /** Whether a sender may write without proof of work (a contact, an accepted or pending conversation). */
  knows(peer: string): boolean
  /** Per-sender limits (kind `dm`) on envelopes fetched from mailboxes; absent means no limit. */
  rateLimiter?: Pick<RateLimiter, 'tryConsume'>
  /** Stamps already spent (one stamp buys one message). */
  stamps: ReplayCache
}

/** Options of {@link authorizeStage}. */
export interface AuthorizeInit {
  /** Leading zero bits demanded of a stranger's first message. */
  powDifficulty: number
  /** Oldest stamp accepted on an envelope fetched from a mailbox, in ms (it may have waited there). */
  mailboxStampMaxAgeMs: number
}

/** Drops, defers or demands work of envelopes the sender may not send as they are. */
export function authorizeStage (components: AuthorizeComponents, init: AuthorizeInit): Gate<VerifiedInbound> {
  const { self, isBlocked, isTrusted, knows, rateLimiter, stamps } = components
  const { powDifficulty } = init
  return ({ from, id, via, envelope }) => {
    if (isBlocked(from)) {
      // dropped without telling the sender
      return { status: DmResponse.Status.OK, id }
    }
    if (via === 'mailbox' && rateLimiter != null && !rateLimiter.tryConsume(from, 'dm', { isContact: isTrusted(from) })) {
      // the sender's limit holds through mailboxes too: the excess stays there, for a later fetch
      return { status: DmResponse.Status.RATE_LIMITED, error: 'too many messages from this sender', id, keep: true }
    }
    if (knows(from)) {
      return undefined
    }
    // first contact from a stranger costs work, bound to sender, recipient and time
    if (envelope.body.stamp.byteLength === 0) {
      return { status: DmResponse.Status.POW_REQUIRED, error: `a first message needs a ${powDifficulty}-bit proof-of-work stamp`, id, requiredDifficulty: powDifficulty, keep: true }
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
      // a replayed stamp will never become good: let the mailbox drop that copy
      return { status: DmResponse.Status.POW_REQUIRED, error: (err as Error).message, id, requiredDifficulty: powDifficulty, keep: !(err instanceof StampReplayedError) }
    }
    return undefined
  }
}
