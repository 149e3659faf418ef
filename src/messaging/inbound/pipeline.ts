/**
 * The inbound pipeline: every envelope that reaches this node, directly on
 * the DM protocol or fetched from a mailbox, passes the same stages in order
 *
 *   admit → verify → dedupe → authorize → open → store
 *
 * and leaves with one verdict (the DM reply; for a mailbox copy also whether
 * the mailbox keeps it). Each stage is a small unit in its own file; this one
 * only chains them and turns a thrown error into the reply. Nothing a peer
 * sends makes it throw.
 *
 * @module
 */
import { MessageTooLargeError } from '../../base-errors.js'
import { DmResponse } from '../../pb/dm.js'
import { systemClock } from '../../util/clock.js'
import { createReplayCache } from '../../abuse/index.js'
import { DEFAULT_DIFFICULTY } from '../../abuse/constants.js'
import { EXPIRE_AFTER_MS, MAILBOX_STAMP_GRACE_MS } from '../constants.js'
import { admitStage } from './admit.js'
import { authorizeStage } from './authorize.js'
import { dedupeStage } from './dedupe.js'
import { openStage } from './open.js'
import { storeStage } from './store.js'
import { verifyStage } from './verify.js'
import type { ReceiptSink } from './store.js'
import type { Verdict } from './types.js'
import type { RateLimiter, ReplayCache } from '../../abuse/index.js'
import type { Ed25519Peer } from '../../crypto/peer.js'
import type { SessionManager } from '../../sessions/manager.js'
import type { MessageStore, RequestInbox } from '../../store/index.js'
import type { Clock } from '../../util/clock.js'
import type { MessengerEvents, Via } from '../types.js'
import type { ComponentLogger } from '@libp2p/interface'

export type { Verdict } from './types.js'

/** What the inbound pipeline needs. */
export interface InboundComponents {
  self: Ed25519Peer
  messages: Pick<MessageStore, 'get' | 'history' | 'insertIncoming' | 'setState' | 'setEnvelope'>
  requests: Pick<RequestInbox, 'isAccepted'>
  sessions: Pick<SessionManager, 'open'>
  events: MessengerEvents
  receipts: ReceiptSink
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** Options of {@link createInboundPipeline}. */
export interface InboundInit {
  /** Per-peer limits on inbound envelopes (kind `dm`). @default no limit */
  rateLimiter?: RateLimiter
  /** Senders whose envelopes are dropped without telling them. @default none */
  isBlocked?(peer: string): boolean
  /** Proof-of-work difficulty demanded of a stranger's first message. @default DEFAULT_DIFFICULTY (20) */
  powDifficulty?: number
  /** How long a sender keeps retrying (a mailbox copy may be that old), in ms. @default EXPIRE_AFTER_MS (14 days) */
  expireAfterMs?: number
  /** Spent stamps. @default a new bounded replay cache */
  stamps?: ReplayCache
}

/** The inbound pipeline. */
export interface InboundPipeline {
  /** Handles an envelope that arrived on the DM protocol from the connected peer `from`. Never throws. */
  receiveDirect(envelope: Uint8Array, from: string): Promise<Verdict>
  /** Handles an envelope fetched from a mailbox; resolves with its id when the mailbox may delete it. Never throws. */
  receiveFromMailbox(envelope: Uint8Array): Promise<Uint8Array | undefined>
  /** The shared path, with the full verdict. Never throws. */
  receive(envelope: Uint8Array, via: Via, connectedPeer?: string): Promise<Verdict>
}

/** Creates the inbound pipeline. */
export function createInboundPipeline (components: InboundComponents, init: InboundInit = {}): InboundPipeline {
  const { self, messages, requests, sessions, events, receipts } = components
  const log = components.logger.forComponent('natter:messaging:inbound')
  const clock = components.clock ?? systemClock
  const isTrusted = (peer: string): boolean => requests.isAccepted(peer)
  const admit = admitStage({ rateLimiter: init.rateLimiter, isTrusted })
  const dedupe = dedupeStage({ messages })
  const authorize = authorizeStage({
    self,
    isBlocked: init.isBlocked ?? (() => false),
    isTrusted,
    // a contact, an accepted conversation, or a pending request may write without proof of work
    knows: (peer) => requests.isAccepted(peer) || messages.history(peer, { limit: 1 }).length > 0,
    rateLimiter: init.rateLimiter,
    stamps: init.stamps ?? createReplayCache()
  }, {
    powDifficulty: init.powDifficulty ?? DEFAULT_DIFFICULTY,
    mailboxStampMaxAgeMs: (init.expireAfterMs ?? EXPIRE_AFTER_MS) + MAILBOX_STAMP_GRACE_MS
  })
  const open = openStage({ sessions })
  const store = storeStage({ messages, events, receipts, clock })

  async function receive (bytes: Uint8Array, via: Via, connectedPeer?: string): Promise<Verdict> {
    let id: Uint8Array | undefined
    try {
      const arrived = { bytes, via, connectedPeer }
      const refused = await admit(arrived)
      if (refused != null) {
        return refused
      }
      const verified = await verifyStage(arrived)
      id = verified.id
      const ended = (await dedupe(verified)) ?? (await authorize(verified))
      if (ended != null) {
        return ended
      }
      return store(await open(verified))
    } catch (err) {
      log('rejected envelope: %s', (err as Error).message)
      const status = err instanceof MessageTooLargeError ? DmResponse.Status.TOO_LARGE : DmResponse.Status.INVALID
      return { status, error: (err as Error).message, id }
    }
  }

  return {
    receive,
    receiveDirect: async (envelope, from) => receive(envelope, 'direct', from),
    async receiveFromMailbox (envelope) {
      const verdict = await receive(envelope, 'mailbox')
      // delete what was processed and garbage that can never be processed; keep what may be processed later
      return verdict.keep === true ? undefined : verdict.id
    }
  }
}
