/**
 * Stage 1, admit: a connected peer over its `dm` rate limit (PROTOCOL.md §8.6)
 * is refused before any work (not even a signature check) is spent on it,
 * and nothing of it is stored.
 *
 * @module
 */
import { DmResponse } from '../../pb/dm.js'
import type { ArrivedEnvelope, Gate } from './types.js'
import type { RateLimiter } from '../../abuse/index.js'

/** What {@link admitStage} needs. */
export interface AdmitComponents {
  /** Per-peer limits (kind `dm`); absent means no limit. */
  rateLimiter?: Pick<RateLimiter, 'tryConsume'>
  /** Whether a peer gets the contact tier of the limits. */
  isTrusted(peer: string): boolean
}

/** Refuses a direct envelope from a connection over its rate limit. */
export function admitStage ({ rateLimiter, isTrusted }: AdmitComponents): Gate<ArrivedEnvelope> {
  return ({ connectedPeer }) => {
    if (connectedPeer == null || rateLimiter == null) {
      return undefined
    }
    if (rateLimiter.tryConsume(connectedPeer, 'dm', { isContact: isTrusted(connectedPeer) })) {
      return undefined
    }
    return { status: DmResponse.Status.RATE_LIMITED, error: 'too many messages; slow down' }
  }
}
