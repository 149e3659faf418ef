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
import { trace } from '../../util/trace.js'
import { MessageTooLargeError } from '../../base-errors.js'
import { isTransientStoreError } from '../../store/index.js'
import { createStampLedger, resolveRequestLimits } from '../inbound-limits.js'
import { unavailable } from '../transient.js'
import { DmResponse } from '../../pb/dm.js'
import { systemClock } from '../../util/clock.js'
import { DEFAULT_DIFFICULTY } from '../../abuse/constants.js'
import { EXPIRE_AFTER_MS, MAILBOX_STAMP_GRACE_MS } from '../constants.js'
import { admitStage } from './admit.js'
import { authorizeStage } from './authorize.js'
import { dedupeStage } from './dedupe.js'
import { openStage } from './open.js'
import { storeStage } from './store.js'
import { verifyStage } from './verify.js'
import type { Payload } from '../../pb/envelope.js'
import type { DmArrival } from '../../dm/protocol.js'
import type { ReceiptSink } from './store.js'
import type { Verdict } from './types.js'
import type { RateLimiter } from '../../abuse/index.js'
import type { RequestLimits } from '../inbound-limits.js'
import type { Ed25519Peer } from '../../crypto/peer.js'
import type { SessionManager } from '../../sessions/manager.js'
import type { GoneMessages, MessageStore, RequestInbox, StampReplayStore, Store } from '../../store/index.js'
import type { Clock } from '../../util/clock.js'
import type { MessengerEvents, Via } from '../types.js'
import type { ComponentLogger } from '@libp2p/interface'

export type { Verdict } from './types.js'

/** What the inbound pipeline needs. */
export interface InboundComponents {
  self: Ed25519Peer
  messages: Pick<MessageStore, 'get' | 'history' | 'insertIncoming' | 'setState' | 'setEnvelope' | 'getEnvelope'>
  requests: Pick<RequestInbox, 'isAccepted' | 'usage'>
  /** Messages declined or deleted lately (acknowledged, never shown again). */
  goneMessages: Pick<GoneMessages, 'has'>
  /** Spent proof-of-work stamps, persisted. */
  stampReplay: StampReplayStore
  transaction: Store['transaction']
  /** Resolves once the writes of `transaction` (a group commit) are committed: awaited before any verdict goes out. @default resolved */
  committed?: Store['committed']
  /** Whether the node runs: while it stops, envelopes are answered "try later". */
  isRunning(): boolean
  sessions: Pick<SessionManager, 'open'>
  events: MessengerEvents
  receipts: ReceiptSink
  /** Takes CONTROL payloads (1.2: src/messaging/control.ts). */
  control?: (from: string, payload: Payload) => void
  /**
   * groups2 hook (PROTOCOL.md §13.9): a sender that needs no stranger's proof-of-work without being trusted (a group
   * co-member: its CONTROL payloads); its TEXT still goes to the requests inbox, size check included.
   */
  skipsStamp?: (peer: string) => boolean
  /** groups2 hook (PROTOCOL.md §4.4.1): told of each sender refused as a stranger (POW_REQUIRED). */
  refusedStranger?: (from: string) => void
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
  /**
   * Says whether the store cannot take writes now (disk full): the retry hint
   * in ms to answer `UNAVAILABLE` with at once, or `undefined` when healthy.
   * @default never unavailable
   */
  storageUnavailable?(): number | undefined
  /** Envelopes received at once past which more are answered `UNAVAILABLE` (overload). @default 256 */
  maxConcurrentReceives?: number
  /** Caps of the requests inbox (PROTOCOL.md §8.9); each field defaults separately. */
  requestLimits?: Partial<RequestLimits>
}

/** The inbound pipeline. */
export interface InboundPipeline {
  /**
   * Handles an envelope that arrived on the DM protocol from the connected peer `from`
   * (`arrival.unsignedAllowed`: on `/natter/dm/1.3.0`, §5.2). Never throws.
   */
  receiveDirect(envelope: Uint8Array, from: string, arrival?: DmArrival): Promise<Verdict>
  /** Handles an envelope fetched from a mailbox; resolves with its id when the mailbox may delete it. Never throws. */
  receiveFromMailbox(envelope: Uint8Array): Promise<Uint8Array | undefined>
  /** The shared path, with the full verdict. Never throws. */
  receive(envelope: Uint8Array, via: Via, connectedPeer?: string, unsignedAllowed?: boolean): Promise<Verdict>
}

/** Creates the inbound pipeline. */
export function createInboundPipeline (components: InboundComponents, init: InboundInit = {}): InboundPipeline {
  const { self, messages, requests, sessions, events, receipts } = components
  const log = components.logger.forComponent('natter:messaging:inbound')
  const clock = components.clock ?? systemClock
  const isTrusted = (peer: string): boolean => requests.isAccepted(peer)
  const usage = (peer: string): ReturnType<RequestInbox['usage']> => requests.usage(peer)
  const requestLimits = resolveRequestLimits(init.requestLimits)
  const maxConcurrentReceives = init.maxConcurrentReceives ?? 256
  const stampLedger = createStampLedger(components.stampReplay)
  let receiving = 0
  // groups2 hook (§13.9): a co-member skips the stamp (admit, authorize), never the requests inbox's checks (store)
  const skipsStamp = (peer: string): boolean => isTrusted(peer) || (components.skipsStamp?.(peer) ?? false)
  const admit = admitStage({ rateLimiter: init.rateLimiter, isTrusted: skipsStamp })
  const dedupe = dedupeStage({ messages, gone: components.goneMessages })
  const authorize = authorizeStage({
    self,
    isBlocked: init.isBlocked ?? (() => false),
    isTrusted: skipsStamp,
    usage,
    rateLimiter: init.rateLimiter
  }, {
    powDifficulty: init.powDifficulty ?? DEFAULT_DIFFICULTY,
    mailboxStampMaxAgeMs: (init.expireAfterMs ?? EXPIRE_AFTER_MS) + MAILBOX_STAMP_GRACE_MS,
    requestLimits
  })
  const open = openStage({ sessions })
  const store = storeStage({ messages, transaction: components.transaction, isTrusted, usage, events, receipts, control: components.control, clock, requestLimits })

  async function receiveOne (bytes: Uint8Array, via: Via, connectedPeer?: string, unsignedAllowed = false): Promise<Verdict> {
    let id: Uint8Array | undefined
    const ticket = stampLedger.begin()
    try {
      const arrived = { bytes, via, connectedPeer, unsignedAllowed: via === 'direct' && unsignedAllowed }
      const refused = await admit(arrived)
      if (refused != null) {
        return refused
      }
      const verified = await verifyStage(arrived)
      trace('rx.verified')
      id = verified.id
      const ended = (await dedupe(verified)) ?? authorize(verified, ticket)
      if (ended != null) {
        // groups2 hook (§4.4.1): the control channel asks this sender to resend once it knows it
        if (ended.status === DmResponse.Status.POW_REQUIRED) components.refusedStranger?.(verified.from)
        return ended
      }
      trace('rx.deduped')
      const opened = await open(verified)
      trace('rx.opened')
      return store(opened, ticket)
    } catch (err) {
      if (isTransientStoreError(err)) {
        // our disk or database, not the sender's envelope: "try later", never a permanent refusal
        log.error('cannot take envelope now: %s', (err as Error).message)
        return { ...unavailable('the recipient cannot store messages now; try later', (err as Error).name === 'StoreBusyError' ? 1_000 : 5_000), id, keep: true }
      }
      log('rejected envelope: %s', (err as Error).message)
      const status = err instanceof MessageTooLargeError ? DmResponse.Status.TOO_LARGE : DmResponse.Status.INVALID
      return { status, error: (err as Error).message, id }
    } finally {
      ticket.release()
    }
  }

  async function receive (bytes: Uint8Array, via: Via, connectedPeer?: string, unsignedAllowed = false): Promise<Verdict> {
    // cannot take anything now: say so before spending any work (PROTOCOL.md §5, UNAVAILABLE)
    if (!components.isRunning()) {
      return { ...unavailable('the recipient is shutting down', 5_000), keep: true }
    }
    const storeDown = init.storageUnavailable?.()
    if (storeDown != null) {
      return { ...unavailable('the recipient cannot store messages now (storage full or failing)', storeDown), keep: true }
    }
    if (receiving >= maxConcurrentReceives) {
      return { ...unavailable('the recipient is overloaded', 1_000), keep: true }
    }
    receiving++
    try {
      const verdict = await receiveOne(bytes, via, connectedPeer, unsignedAllowed)
      trace('rx.stored')
      try {
        // the session and the message are on disk before the acknowledgement (or the mailbox's delete) goes out
        await components.committed?.()
        trace('rx.committed')
      } catch (err) {
        log.error('cannot commit the envelope now: %s', (err as Error).message)
        return { ...unavailable('the recipient cannot store messages now; try later', (err as Error).name === 'StoreBusyError' ? 1_000 : 5_000), id: verdict.id, keep: true }
      }
      return verdict
    } finally {
      receiving--
    }
  }

  return {
    receive,
    receiveDirect: async (envelope, from, arrival) => receive(envelope, 'direct', from, arrival?.unsignedAllowed === true),
    async receiveFromMailbox (envelope) {
      const verdict = await receive(envelope, 'mailbox')
      // delete what was processed and garbage that can never be processed; keep what may be processed later
      return verdict.keep === true ? undefined : verdict.id
    }
  }
}
