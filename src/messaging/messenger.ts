/**
 * The messenger: where a message goes and what becomes of it. It composes
 * the parts of messaging — the inbound pipeline (admit → verify → dedupe →
 * authorize → open → store), the outbox scheduler with its delivery
 * strategies (direct, mailbox), the sealer and the receipts — and serves the
 * DM protocol. It is natter's one `Messenger`.
 *
 * @module
 */
import { trace } from '../util/trace.js'
import { repeatingTask } from '@libp2p/utils'
import { randomBytes } from '@noble/hashes/utils.js'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MESSAGE_ID_BYTES, Payload } from '../crypto/envelope.js'
import { DM_PROTOCOLS, handleDmStream } from '../dm/protocol.js'
import { DeliveryRefusedError, DeliveryTimeoutError } from '../base-errors.js'
import { undelivered } from './undelivered.js'
import { guard } from '../util/guard.js'
import { systemClock } from '../util/clock.js'
import { DEFAULT_DIFFICULTY } from '../abuse/constants.js'
import { DM_MAX_INBOUND_STREAMS, DM_MAX_OUTBOUND_STREAMS } from '../dm/constants.js'
import { ATTEMPT_TIMEOUT_MS, PRUNE_INTERVAL_MS } from './constants.js'
import { createInboundPipeline } from './inbound/pipeline.js'
import { directDelivery } from './outbox/direct.js'
import { mailboxDelivery } from './outbox/mailbox.js'
import { createOutbox } from './outbox/outbox.js'
import { createSealer } from './outbox/sealer.js'
import { createReceipts } from './receipts.js'
import type { Verdict } from './inbound/pipeline.js'
import type { MessengerEvents } from './types.js'
import type { RateLimiter } from '../abuse/index.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { DmSender } from '../dm/sender.js'
import type { MailboxClientService } from '../mailbox/client.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { SessionManager } from '../sessions/manager.js'
import type { GoneMessages, MessageStore, OutgoingMessage, Outbox as OutboxStore, RequestInbox, StampReplayStore, Store } from '../store/index.js'
import type { RequestLimits } from './inbound-limits.js'
import type { Clock } from '../util/clock.js'
import type { ComponentLogger } from '@libp2p/interface'

export type { MessageStateChange, MessengerEvents, IncomingMessage, Via } from './types.js'

/** What the messenger needs. */
export interface MessengerComponents {
  self: Ed25519Peer
  messages: MessageStore
  outbox: OutboxStore
  requests: Pick<RequestInbox, 'isAccepted' | 'usage'>
  /** Messages declined or deleted lately: acknowledged, never shown again. */
  goneMessages: Pick<GoneMessages, 'has' | 'prune'>
  /** Spent proof-of-work stamps, persisted. */
  stampReplay: StampReplayStore
  transaction: Store['transaction']
  /** Runs hot-path writes in this turn's group commit. @default `transaction` (a commit each) */
  group?: Store['group']
  /** Resolves once the grouped writes so far are committed. @default resolved at once */
  committed?: Store['committed']
  /** Seals and opens envelopes (forward-secret sessions, SEALED fallback). */
  sessions: SessionManager
  sender: DmSender
  mailboxes: Pick<MailboxClientService, 'deposit'>
  libp2p: Pick<NatterLibp2p, 'handle' | 'unhandle' | 'addEventListener' | 'removeEventListener'>
  events: MessengerEvents
  /** Takes CONTROL payloads (1.2: src/messaging/control.ts). */
  control?: (from: string, payload: Payload) => void
  /** groups2 hook (PROTOCOL.md §4.4.1): told of each sender refused as a stranger (POW_REQUIRED). */
  refusedStranger?: (from: string) => void
  /** groups2 hook (PROTOCOL.md §13.9): senders that skip the stranger's proof-of-work (group co-members), not the requests inbox. */
  skipsStamp?: (peer: string) => boolean
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** Options of {@link createMessenger}. */
export interface MessengerInit {
  /** DM protocol ids served (PROTOCOL.md §5.2): on `/natter/dm/1.3.0` unsigned envelopes in sessions are taken. @default DM_PROTOCOLS (1.3 and 1.0) */
  dmProtocols?: string[]
  /** Time allowed for one direct delivery try (lookup, dial, acknowledgement), in ms. @default ATTEMPT_TIMEOUT_MS (15 s) */
  attemptTimeoutMs?: number
  /** Delivery attempts in flight per recipient; the rest wait their turn (their timeout starts then). @default WINDOW_PER_PEER (64) */
  windowPerPeer?: number
  /** First retry delay, doubled per attempt, in ms. @default RETRY_INITIAL_MS (1 s) */
  retryInitialMs?: number
  /** Longest retry delay, in ms. @default RETRY_MAX_MS (5 min) */
  retryMaxMs?: number
  /** A message undelivered for this long fails with reason `expired`, in ms. @default EXPIRE_AFTER_MS (14 days) */
  expireAfterMs?: number
  /** Tell senders when their messages were read. @default false */
  readReceipts?: boolean
  /** Decides whether an envelope from `peer` is dropped (block list). @default none is */
  isBlocked?(peer: string): boolean
  /** Per-peer limits on inbound direct messages (kind `dm`). @default no limit */
  rateLimiter?: RateLimiter
  /** Proof-of-work difficulty demanded of a stranger's first message, and spent on our own first messages. @default DEFAULT_DIFFICULTY (20) */
  powDifficulty?: number
  /** After a RATE_LIMITED reply, the DM stream is not read for this long, in ms. @default RATE_LIMIT_PAUSE_MS (1 s) */
  rateLimitPauseMs?: number
  /**
   * Says whether the store cannot take writes now (disk full): returns the
   * retry hint in ms to answer senders `UNAVAILABLE` with at once, or
   * `undefined` when the store is healthy. @default never unavailable
   */
  storageUnavailable?(): number | undefined
  /** Envelopes received at once past which more are answered `UNAVAILABLE` (overload). @default 256 */
  maxConcurrentReceives?: number
  /** Caps of the requests inbox (PROTOCOL.md §8.9); each field defaults separately. */
  requestLimits?: Partial<RequestLimits>
}

/** Options of {@link Messenger.send}. */
export interface MessengerSendOptions {
  /**
   * `'delivered'` (default) resolves once the recipient acknowledged; `'queued'`
   * resolves as soon as the message is persisted.
   */
  wait?: 'queued' | 'delivered'
  signal?: AbortSignal
}

/** The messenger. */
export interface Messenger {
  /** Serves the DM protocol and resumes pending deliveries. Idempotent. */
  start(): Promise<void>
  /** Stops serving and delivering; waits for attempts in flight. Idempotent. */
  stop(): Promise<void>
  /** Persists a message to `peer` and delivers it (see {@link MessengerSendOptions.wait}). */
  send(peer: Ed25519Peer, text: string, options?: MessengerSendOptions): Promise<OutgoingMessage>
  /** Handles an envelope that arrived directly on the DM protocol from the connected peer `from`. */
  receiveDirect(envelope: Uint8Array, from: string): Promise<Verdict>
  /** Handles an envelope fetched from a mailbox; returns its id when the mailbox may delete it. */
  receiveFromMailbox(envelope: Uint8Array): Promise<Uint8Array | undefined>
  /** Marks a conversation read (and sends a read receipt when enabled); returns how many messages changed. */
  markRead(peer: string): Promise<number>
  /** Turns read receipts on or off from now on (the user changed the setting). */
  setReadReceipts(on: boolean): void
  /** Retries every pending message to `peer` now (it just came online). */
  nudge(peer: string): void
  /** Starts every attempt that is due now (e.g. our own store takes writes again). */
  retryNow(): void
}

/** Creates the messenger. */
export function createMessenger (components: MessengerComponents, init: MessengerInit = {}): Messenger {
  const { self, messages, outbox: outboxStore, requests, sessions, sender, mailboxes, libp2p, events } = components
  const dmProtocols = init.dmProtocols ?? DM_PROTOCOLS
  const logger = components.logger
  const log = logger.forComponent('natter:messaging')
  const clock = components.clock ?? systemClock
  const powDifficulty = init.powDifficulty ?? DEFAULT_DIFFICULTY
  // mutable: the user may change the setting while the node runs (setReadReceipts)
  let readReceipts = init.readReceipts ?? false
  const dmLog = logger.forComponent('natter:dm')
  const shutdown = new AbortController()
  let running = false

  const group = components.group ?? components.transaction
  const committed = components.committed ?? (async () => {})
  const receipts = createReceipts({ self: self.bytes, sessions, sender, mailboxes, log: log.newScope('receipts'), signal: shutdown.signal }, init)
  const inbound = createInboundPipeline({
    self,
    messages,
    requests,
    goneMessages: components.goneMessages,
    stampReplay: components.stampReplay,
    transaction: group,
    committed,
    isRunning: () => running,
    sessions,
    events,
    receipts,
    control: components.control,
    refusedStranger: components.refusedStranger,
    skipsStamp: components.skipsStamp,
    logger,
    clock
  }, {
    rateLimiter: init.rateLimiter,
    isBlocked: init.isBlocked,
    powDifficulty,
    expireAfterMs: init.expireAfterMs,
    storageUnavailable: init.storageUnavailable,
    maxConcurrentReceives: init.maxConcurrentReceives,
    requestLimits: init.requestLimits
  })
  // duplicate records and stamp records lapse with the windows they guard
  const prune = repeatingTask(guard(log, 'prune duplicate and stamp records', () => {
    components.goneMessages.prune()
    components.stampReplay.prune()
  }), PRUNE_INTERVAL_MS, { runImmediately: true })
  const sealer = createSealer({ self, sessions, messages }, { powDifficulty, signal: shutdown.signal })
  const outbox = createOutbox({
    messages,
    outbox: outboxStore,
    sealer,
    direct: directDelivery({ sender, sealer, sessions, log: log.newScope('direct') }, { attemptTimeoutMs: init.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS, powDifficulty }),
    mailbox: mailboxDelivery({ mailboxes }),
    onState: (change) => { events.state(change) },
    group,
    log: log.newScope('outbox'),
    clock
  }, init)

  const onPeerConnect = guard(log, 'peer:connect handling', (evt: CustomEvent<{ toString(): string }>): void => {
    outbox.nudge(evt.detail.toString())
  })

  async function waitFor (delivery: Promise<void>, id: string, callerSignal: AbortSignal): Promise<void> {
    const aborted = Promise.withResolvers<void>()
    // a dependent signal: a caller that passes one signal to many concurrent sends does not collect one
    // 'abort' listener per send on it (MaxListenersExceededWarning); AbortSignal.any adds none to its sources
    const signal = AbortSignal.any([callerSignal])
    const onAbort = (): void => { aborted.reject(new DeliveryTimeoutError('stopped waiting for the acknowledgement; the message stays queued', { cause: signal.reason })) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      if (signal.aborted) onAbort()
      await Promise.race([delivery, aborted.promise])
    } catch (err) {
      throw undelivered(id, err as Error, () => new DeliveryTimeoutError('not delivered yet; the message stays queued'))
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  return {
    async start () {
      if (running) {
        return
      }
      await libp2p.handle(dmProtocols, (stream, connection) => handleDmStream(stream, connection, {
        onEnvelope: async (bytes, from, arrival) => inbound.receiveDirect(bytes, from, arrival),
        rateLimitPauseMs: init.rateLimitPauseMs,
        log: dmLog
      }), { maxInboundStreams: DM_MAX_INBOUND_STREAMS, maxOutboundStreams: DM_MAX_OUTBOUND_STREAMS, runOnLimitedConnection: true })
      running = true
      libp2p.addEventListener('peer:connect', onPeerConnect)
      outbox.start()
      prune.start()
    },

    async stop () {
      if (!running) {
        return
      }
      running = false
      prune.stop()
      libp2p.removeEventListener('peer:connect', onPeerConnect)
      shutdown.abort()
      await outbox.stop()
      await libp2p.unhandle(dmProtocols).catch(err => { log('unhandle %s: %s', dmProtocols.join(', '), (err as Error).message) })
      await sender.close()
    },

    async send (peer, text, options = {}) {
      trace('tx.send')
      const id = uint8ArrayToString(randomBytes(MESSAGE_ID_BYTES), 'base16')
      // persisted before anything else: from here on the message survives a crash
      const message = group(() => messages.insertOutgoing({ id, peer: peer.peerId.toString(), text, sentAt: clock.now() }))
      trace('tx.inserted')
      // the attempt starts in this turn: its sealed envelope and advanced session join the message's commit
      // (one commit, not two, before the envelope leaves; it leaves only once that commit is done)
      const stored = committed()
      // the caller's signal only stops the waiting: the delivery attempt carries on regardless
      const delivery = outbox.run(id, message.peer, { after: stored })
      // committed (with the other writes of this turn) before it is reported: from here on the message survives a crash
      await stored
      trace('tx.committed1')
      events.state({ id, peer: message.peer, state: 'queued', at: clock.now() })
      if (options.wait === 'queued') {
        return message
      }
      if (options.signal != null) {
        await waitFor(delivery, id, options.signal)
      } else {
        await delivery
      }
      // reported without waiting for our own record of the outcome to commit (it is in this turn's group):
      // "delivered" means the recipient committed the message before it acknowledged; losing our record of
      // that to a crash or a failed commit only means one resend, which the recipient acknowledges and drops
      trace('tx.done')
      const now = messages.get(id) as OutgoingMessage
      if (now.state === 'delivered' || now.state === 'read') {
        return now
      }
      const err = outbox.takeError(id)
      if (now.state === 'failed') {
        throw undelivered(id, err, () => new DeliveryRefusedError(now.failReason ?? 'delivery failed', 'FAILED'))
      }
      // still pending (deposited or queued for retry): report why the direct attempt failed
      throw undelivered(id, err, () => new DeliveryTimeoutError('not delivered yet; the message stays queued'))
    },

    receiveDirect: inbound.receiveDirect,
    receiveFromMailbox: inbound.receiveFromMailbox,

    async markRead (peer) {
      const unread = messages.history(peer, { limit: 1000 }).filter(m => m.direction === 'in' && m.state === 'received').map(m => m.id)
      const changed = messages.markRead(peer)
      if (readReceipts) {
        receipts.send(peer, unread, Payload.ReceiptState.READ)
      }
      return changed
    },

    setReadReceipts (on) {
      readReceipts = on
    },

    nudge: (peer) => { outbox.nudge(peer) },

    retryNow: () => { outbox.retryNow() }
  }
}
