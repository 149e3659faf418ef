/**
 * The messenger: where a message goes and what becomes of it. Every
 * outgoing message is persisted first, then delivered directly, or deposited
 * with mailbox peers and retried with backoff (across restarts, from the
 * SQLite outbox) until the recipient acknowledges it. Incoming envelopes are
 * verified, decrypted, de-duplicated and stored before they are acknowledged.
 */
import { logger } from '@libp2p/logger'
import pLimit from 'p-limit'
import { randomBytes } from '@noble/hashes/utils.js'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MESSAGE_ID_BYTES, Payload, verifyEnvelope } from '../crypto/envelope.js'
import { parsePeerId } from '../crypto/peer.js'
import { DmResponse } from '../protocol/dm.js'
import { DeliveryRefusedError, DeliveryTimeoutError } from '../errors.js'
import { guard } from '../util/guard.js'
import { wireUint } from '../util/wire-int.js'
import { DEFAULT_DIFFICULTY, decodeStamp, encodeStamp, mintStamp, verifyStamp } from '../abuse/index.js'
import { isTransientStoreError } from '../store/index.js'
import { createStampLedger, requestsInboxVerdict, resolveRequestLimits, strangerNeedsStamp } from './inbound-limits.js'
import type { RequestLimits } from './inbound-limits.js'
import { nextRetryDelay, unavailable } from './transient.js'
import type { RateLimiter } from '../abuse/index.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { DmVerdict } from '../dm/protocol.js'
import type { DmSender } from '../dm/sender.js'
import type { MailboxService } from '../mailbox/service.js'
import type { SessionManager } from '../sessions/manager.js'
import type { Message, OutgoingMessage, Store } from '../store/index.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

const log = logger('natter:messenger')

/** A change in a sent message's delivery state. */
export interface MessageStateChange {
  id: string
  peer: string
  state: Message['state']
  reason?: string
  at: number
}

/** What the messenger tells its host. */
export interface MessengerEvents {
  /** A new message from an accepted peer (a contact, or an accepted request). */
  message(message: Message, via: 'direct' | 'mailbox'): void
  /** A new message from a stranger: it sits in the requests inbox. */
  request(message: Message, via: 'direct' | 'mailbox'): void
  state(change: MessageStateChange): void
}

/** What the messenger needs. */
export interface MessengerComponents {
  key: Ed25519PrivateKey
  self: Ed25519Peer
  store: Store
  sender: DmSender
  mailboxes: MailboxService
  /** Seals and opens envelopes (forward-secret sessions, SEALED fallback). */
  sessions: SessionManager
  events: MessengerEvents
}

/** Options of {@link createMessenger}. */
export interface MessengerInit {
  /** Time allowed for one direct delivery try (lookup, dial, acknowledgement), in ms. @default 15_000 */
  attemptTimeoutMs?: number
  /** Delivery attempts in flight per recipient; the rest wait their turn (their timeout starts then). @default 64 */
  windowPerPeer?: number
  /** First retry delay, doubled per attempt, in ms. @default 1000 */
  retryInitialMs?: number
  /** Longest retry delay, in ms. @default 300_000 */
  retryMaxMs?: number
  /** A message undelivered for this long fails with reason `expired`, in ms. @default 14 days */
  expireAfterMs?: number
  /** Tell senders when their messages were read. @default false */
  readReceipts?: boolean
  /** Decides whether an envelope from `peer` is dropped (block list). */
  isBlocked?(peer: string): boolean
  /** Per-peer limits on inbound direct messages (kind `dm`). @default no limit */
  rateLimiter?: RateLimiter
  /**
   * Proof-of-work difficulty (leading zero bits) demanded of a stranger's
   * first message, and spent on our own first messages. @default 20 (about 1 s)
   */
  powDifficulty?: number
  /**
   * Says whether the store cannot take writes now (disk full): returns the
   * retry hint in ms to answer senders `UNAVAILABLE` with at once, or
   * `undefined` when the store is healthy. @default never unavailable
   */
  storageUnavailable?(): number | undefined
  /** Envelopes received at once past which more are answered `UNAVAILABLE` (overload). @default 256 */
  maxConcurrentReceives?: number
  /** Caps of the requests inbox (PROTOCOL.md §8.5.2); each field defaults separately. */
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
  start(): void
  stop(): Promise<void>
  send(peer: Ed25519Peer, text: string, options?: MessengerSendOptions): Promise<OutgoingMessage>
  /** Handles an envelope that arrived directly on the DM protocol from the connected peer `from`. */
  receiveDirect(envelope: Uint8Array, from: string): Promise<DmVerdict>
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

const DAY = 24 * 60 * 60 * 1000
/**
 * The only statuses a sender takes as final. Every other one, including a
 * status this build does not know (a newer peer's), is transient: the message
 * stays queued and is retried (PROTOCOL.md §5).
 */
const PERMANENT_REFUSALS = new Set(['INVALID', 'TOO_LARGE', 'REFUSED'])

/** Creates the messenger. */
export function createMessenger (components: MessengerComponents, init: MessengerInit = {}): Messenger {
  const { self, store, sender, mailboxes, sessions, events } = components
  const attemptTimeoutMs = init.attemptTimeoutMs ?? 15_000
  const retryInitialMs = init.retryInitialMs ?? 1000
  const retryMaxMs = init.retryMaxMs ?? 300_000
  const expireAfterMs = init.expireAfterMs ?? 14 * DAY
  // term: mutable, so the setting can change while the node runs (setReadReceipts)
  let readReceipts = init.readReceipts ?? false
  const powDifficulty = init.powDifficulty ?? DEFAULT_DIFFICULTY
  const stampLedger = createStampLedger(store.stampReplay)
  const maxConcurrentReceives = init.maxConcurrentReceives ?? 256
  let receiving = 0
  const requestLimits = resolveRequestLimits(init.requestLimits)
  const inFlight = new Map<string, Promise<void>>()
  const windowPerPeer = init.windowPerPeer ?? 64
  const windows = new Map<string, ReturnType<typeof pLimit>>()
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerAt: number | undefined
  let pruneTimer: ReturnType<typeof setInterval> | undefined
  let running = false

  function emitState (id: string, peer: string, state: Message['state'], reason?: string): void {
    events.state({ id, peer, state, reason, at: Date.now() })
  }

  function setState (id: string, peer: string, state: Message['state'], reason?: string): void {
    const change = store.messages.setState(id, state, { reason })
    if (change.changed) {
      emitState(id, peer, state, reason)
    }
  }

  /** A proof-of-work stamp for a first message to `peer`, when it has never written to us. */
  async function stampFor (recipient: Ed25519Peer, difficulty: number, force: boolean): Promise<Uint8Array | undefined> {
    if (!force && store.messages.history(recipient.peerId.toString(), { limit: 1000 }).some(m => m.direction === 'in')) {
      return undefined
    }
    const stamp = await mintStamp({ sender: self.bytes, recipient: recipient.bytes, difficulty, signal: controller.signal })
    return encodeStamp(stamp)
  }

  async function envelopeFor (message: OutgoingMessage, reseal?: { difficulty?: number }): Promise<Uint8Array> {
    const recipient = parsePeerId(message.peer)
    // held (IdentityKeyChangedError) while the contact's new identity key awaits the user's acceptance
    sessions.assertSendable(recipient)
    const kept = reseal == null ? store.messages.getEnvelope(message.id) : undefined
    if (kept != null) {
      return kept
    }
    // persisted but not yet sealed (or crashed in between), or the recipient wants proof of work or
    // could not read the session: seal now, with the same id, seq and time
    const stamp = reseal?.difficulty != null
      ? await stampFor(recipient, reseal.difficulty, true)
      : message.seq === 1 ? await stampFor(recipient, powDifficulty, false) : undefined
    // the advanced session state and the kept envelope are written in one transaction
    const sealed = await sessions.seal(recipient, textPayload(message.text, message.seq), {
      id: uint8ArrayFromString(message.id, 'base16'),
      sentAt: message.sentAt,
      stamp,
      keep: (bytes) => { store.messages.setEnvelope(message.id, bytes) }
    })
    return sealed.bytes
  }

  function backoff (attempts: number): number {
    const delay = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempts, 20))
    return Math.round(delay * (0.75 + Math.random() * 0.5))
  }

  /** One delivery attempt for a stored outgoing message. Never throws; records the outcome. */
  async function attempt (id: string, signal?: AbortSignal, resealed = false): Promise<void> {
    const message = store.messages.get(id)
    if (message == null || message.direction !== 'out' || (message.state !== 'queued' && message.state !== 'sent')) {
      return
    }
    if (Date.now() - message.sentAt > expireAfterMs) {
      setState(id, message.peer, 'failed', 'expired')
      return
    }
    const recipient = parsePeerId(message.peer)
    let envelope: Uint8Array
    try {
      envelope = await envelopeFor(message)
    } catch (err) {
      if ((err as Error).name === 'IdentityKeyChangedError') {
        // held, still queued, until the user accepts the contact's new key (which nudges it)
        lastErrors.set(id, err as Error)
        emitState(id, message.peer, 'queued', (err as Error).message)
        store.outbox.scheduleRetry(id, Date.now() + retryMaxMs)
        schedule()
        return
      }
      setState(id, message.peer, 'failed', `cannot seal: ${(err as Error).message}`)
      return
    }
    let refusal: (Error & { status?: string }) | undefined
    const attemptSignal = AbortSignal.any([controller.signal, AbortSignal.timeout(attemptTimeoutMs), ...(signal != null ? [signal] : [])])
    try {
      try {
        await sender.deliver(recipient, uint8ArrayFromString(id, 'base16'), envelope, attemptSignal)
      } catch (err) {
        const e = err as Error & { status?: string, requiredDifficulty?: number }
        if (e.name !== 'DeliveryRefusedError' || e.status !== 'POW_REQUIRED') {
          throw err
        }
        // a stranger to the recipient: pay the proof of work it asks for, then try once more
        envelope = await envelopeFor(message, { difficulty: Math.max(powDifficulty, e.requiredDifficulty ?? 0) })
        await sender.deliver(recipient, uint8ArrayFromString(id, 'base16'), envelope, AbortSignal.any([controller.signal, AbortSignal.timeout(attemptTimeoutMs)]))
      }
      setState(id, message.peer, 'delivered')
      store.messages.setEnvelope(id, null)
      return
    } catch (err) {
      const e = err as Error & { status?: string }
      if (e.name === 'DeliveryRefusedError' && e.status === 'INVALID' && !resealed && await sessions.refused(envelope)) {
        // the recipient cannot read that session (its one-time prekey was taken, or it lost the session): seal again, once
        log('%s could not read %s; sealing it again', message.peer, id)
        store.messages.setEnvelope(id, null)
        return attempt(id, signal, true)
      }
      if (e.name === 'DeliveryRefusedError' && PERMANENT_REFUSALS.has(e.status ?? '')) {
        setState(id, message.peer, 'failed', e.message)
        return
      }
      lastErrors.set(id, e)
      log('direct delivery of %s to %s failed: %s', id, message.peer, e.message)
      refusal = e
    }
    if (controller.signal.aborted) {
      return
    }
    // not reachable now: leave it with mailbox peers (once), and keep retrying directly with backoff
    if (message.state === 'queued') {
      try {
        const copies = await mailboxes.deposit(recipient, envelope, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(attemptTimeoutMs)]) })
        log('deposited %s with %d mailbox peers', id, copies)
        setState(id, message.peer, 'sent')
      } catch (err) {
        log('mailbox deposit of %s failed: %s', id, (err as Error).message)
      }
    }
    store.outbox.scheduleRetry(id, Date.now() + nextRetryDelay(backoff(store.outbox.attempts(id) ?? 0), refusal))
    schedule()
  }

  const lastErrors = new Map<string, Error>()

  /** Starts (or joins) the delivery attempt of a message, at most `windowPerPeer` at a time per recipient. */
  function run (id: string, peer: string): Promise<void> {
    let p = inFlight.get(id)
    if (p == null) {
      let limit = windows.get(peer)
      if (limit == null) {
        limit = pLimit(windowPerPeer)
        windows.set(peer, limit)
      }
      const window = limit
      p = window(async () => attempt(id))
        .catch(err => {
          // typically our own store failing (disk full): the message stays pending; look again later
          log.error('delivery attempt of %s crashed: %s', id, (err as Error).message)
          if (running) {
            setTimeout(guard(log, 'outbox retry after a crash', () => { pump() }), Math.max(retryInitialMs, 1000)).unref?.()
          }
        })
        .finally(() => {
          inFlight.delete(id)
          if (window.activeCount === 0 && window.pendingCount === 0 && windows.get(peer) === window) {
            windows.delete(peer)
          }
        })
      inFlight.set(id, p)
    }
    return p
  }

  /** Starts the attempts that are due (up to `limit`), then sleeps until the next retry is due. */
  function pump (limit = 256): void {
    clearTimeout(timer)
    timer = undefined
    timerAt = undefined
    if (!running) {
      return
    }
    for (const entry of store.outbox.due(Date.now(), { limit })) {
      if (!inFlight.has(entry.message.id)) {
        void run(entry.message.id, entry.message.peer)
      }
    }
    schedule()
  }

  /** Arms the retry timer for the earliest scheduled retry (one indexed query, not a scan of the outbox). */
  function schedule (): void {
    if (!running) {
      return
    }
    const next = store.outbox.nextRetryAt()
    if (next == null) {
      return
    }
    // a retry already in flight keeps its past time until it finishes: poll gently meanwhile
    const at = Math.max(next, Date.now() + 50)
    if (timerAt != null && timerAt <= at) {
      return
    }
    clearTimeout(timer)
    timerAt = at
    timer = setTimeout(guard(log, 'outbox retry', () => { pump() }), at - Date.now())
  }

  async function sendControl (peer: Ed25519Peer, payload: Payload): Promise<void> {
    // in the peer's session if there is one; a receipt never looks up a bundle
    let sealed = await sessions.seal(peer, payload, { newSession: false })
    try {
      try {
        await sender.deliver(peer, sealed.id, sealed.bytes, AbortSignal.any([controller.signal, AbortSignal.timeout(attemptTimeoutMs)]))
      } catch (err) {
        const e = err as Error & { status?: string, requiredDifficulty?: number }
        if (e.name !== 'DeliveryRefusedError' || e.status !== 'POW_REQUIRED') {
          throw err
        }
        // PROTOCOL.md §8.5.2 (1.1): a receipt never needs a stamp, but a 1.0 peer reading the old rule literally
        // may ask; pay once rather than leave an unstamped receipt in mailboxes where it would stay unread
        const stamp = await stampFor(peer, Math.max(powDifficulty, e.requiredDifficulty ?? 0), true)
        sealed = await sessions.seal(peer, payload, { newSession: false, id: sealed.id, stamp })
        await sender.deliver(peer, sealed.id, sealed.bytes, AbortSignal.any([controller.signal, AbortSignal.timeout(attemptTimeoutMs)]))
      }
    } catch {
      await mailboxes.deposit(peer, sealed.bytes, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(attemptTimeoutMs)]) })
    }
  }

  function sendReceipt (peer: string, ids: string[], state: Payload.ReceiptState): void {
    if (ids.length === 0) {
      return
    }
    const payload: Payload = { type: Payload.Type.RECEIPT, text: '', seq: 0n, receiptIds: ids.map(id => uint8ArrayFromString(id, 'base16')), receiptState: state }
    void sendControl(parsePeerId(peer), payload).catch(err => {
      log('receipt to %s could not be sent: %s', peer, (err as Error).message)
    })
  }

  /**
   * The shared receive path. Returns the verdict (and `keep` when a mailbox
   * should hold the envelope for later); throws nothing.
   */
  async function receive (bytes: Uint8Array, via: 'direct' | 'mailbox', connectedPeer?: string): Promise<DmVerdict & { keep?: boolean }> {
    // cannot take anything now: say so before spending any work (PROTOCOL.md §5, UNAVAILABLE)
    if (!running) {
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
      return await receiveOne(bytes, via, connectedPeer)
    } finally {
      receiving--
    }
  }

  async function receiveOne (bytes: Uint8Array, via: 'direct' | 'mailbox', connectedPeer?: string): Promise<DmVerdict & { keep?: boolean }> {
    let id: Uint8Array | undefined
    const ticket = stampLedger.begin()
    try {
      if (connectedPeer != null && init.rateLimiter != null &&
          !init.rateLimiter.tryConsume(connectedPeer, 'dm', { isContact: store.requests.isAccepted(connectedPeer) })) {
        // refused before any work is spent on it, and never stored
        return { status: DmResponse.Status.RATE_LIMITED, error: 'too many messages; slow down' }
      }
      const envelope = await verifyEnvelope(bytes)
      id = envelope.body.id
      const from = envelope.sender.peerId.toString()
      if (init.isBlocked?.(from) === true) {
        // dropped without telling the sender
        return { status: DmResponse.Status.OK, id }
      }
      const hexId = uint8ArrayToString(id, 'base16')
      if (store.messages.get(hexId)?.peer === from || store.goneMessages.has(from, hexId)) {
        // a duplicate (retry, replay, the same message by mailbox and directly, or one the user
        // declined or deleted since): acknowledged, shown at most once (PROTOCOL.md §4.3)
        return { status: DmResponse.Status.OK, id }
      }
      const accepted = store.requests.isAccepted(from)
      if (via === 'mailbox' && !accepted && envelope.body.stamp.byteLength === 0 && strangerNeedsStamp(store.requests.usage(from), requestLimits)) {
        // junk that can never be taken: answered (and so deleted from the mailbox) before the rate limit
        // would leave it there, in front of real mail
        return { status: DmResponse.Status.POW_REQUIRED, error: `a stranger's message needs a ${powDifficulty}-bit proof-of-work stamp`, id, requiredDifficulty: powDifficulty }
      }
      // limited by sender as well as by connection: a sender's envelopes relayed over throwaway
      // connections still draw on one bucket (direct), and mailbox fetches are limited by sender
      if (init.rateLimiter != null && (via === 'mailbox' || from !== connectedPeer) &&
          !init.rateLimiter.tryConsume(from, 'dm', { isContact: accepted })) {
        // through a mailbox the excess stays there, for a later fetch
        return { status: DmResponse.Status.RATE_LIMITED, error: 'too many messages from this sender', id, keep: via === 'mailbox', retryAfterMs: 1_000 }
      }
      let stranger = false
      if (!accepted) {
        stranger = true
        const usage = store.requests.usage(from)
        const full = requestsInboxVerdict({ usage }, requestLimits)
        if (full != null) {
          return { ...full, id }
        }
        if (strangerNeedsStamp(usage, requestLimits)) {
          // a stranger's first message, and each one past a small allowance, costs work bound to
          // sender, recipient and time (PROTOCOL.md §8.5.2)
          if (envelope.body.stamp.byteLength === 0) {
            const error = usage.peerMessages === 0
              ? `a first message needs a ${powDifficulty}-bit proof-of-work stamp`
              : `a pending request holds ${usage.peerMessages} messages; each further one needs its own ${powDifficulty}-bit proof-of-work stamp`
            return { status: DmResponse.Status.POW_REQUIRED, error, id, requiredDifficulty: powDifficulty }
          }
          try {
            verifyStamp(decodeStamp(envelope.body.stamp), {
              sender: envelope.body.sender,
              recipient: self.bytes,
              minDifficulty: powDifficulty,
              maxAgeMs: via === 'mailbox' ? expireAfterMs + DAY : undefined,
              replayCache: ticket
            })
          } catch (err) {
            if (isTransientStoreError(err)) {
              throw err
            }
            return { status: DmResponse.Status.POW_REQUIRED, error: (err as Error).message, id, requiredDifficulty: powDifficulty }
          }
        }
      }
      const payload = await sessions.open(envelope)
      if (payload.type === Payload.Type.RECEIPT) {
        const state = payload.receiptState === Payload.ReceiptState.READ ? 'read' : 'delivered'
        for (const raw of payload.receiptIds) {
          const mid = uint8ArrayToString(raw, 'base16')
          const message = store.messages.get(mid)
          if (message?.direction === 'out' && message.peer === from) {
            setState(mid, from, state)
            if (state === 'delivered' || state === 'read') {
              store.messages.setEnvelope(mid, null)
            }
          }
        }
        ticket.commit()
        return { status: DmResponse.Status.OK, id }
      }
      if (stranger) {
        const full = requestsInboxVerdict({ usage: store.requests.usage(from), textBytes: Buffer.byteLength(payload.text) }, requestLimits)
        if (full != null) {
          return { ...full, id }
        }
      }
      // the message and its stamp's record commit together: refused for a passing fault, both can come again
      const result = store.transaction(() => {
        const inserted = store.messages.insertIncoming({
          id: hexId,
          peer: from,
          text: payload.text,
          sentAt: wireUint(envelope.body.sentAt, 'envelope sent_at'),
          seq: wireUint(payload.seq, 'payload seq'),
          receivedAt: Date.now()
        })
        ticket.commit()
        return inserted
      })
      if (result.inserted) {
        if (result.accepted) {
          events.message(result.message, via)
        } else {
          events.request(result.message, via)
        }
      }
      if (via === 'mailbox') {
        // the sender may be offline: tell it the message arrived
        sendReceipt(from, [hexId], Payload.ReceiptState.DELIVERED)
      }
      return { status: DmResponse.Status.OK, id }
    } catch (err) {
      if (isTransientStoreError(err)) {
        // our disk or database, not the sender's envelope: "try later", never a permanent refusal
        log.error('cannot take envelope now: %s', (err as Error).message)
        return { ...unavailable('the recipient cannot store messages now; try later', (err as Error).name === 'StoreBusyError' ? 1_000 : 5_000), id, keep: true }
      }
      log('rejected envelope: %s', (err as Error).message)
      const status = (err as Error).name === 'MessageTooLargeError' ? DmResponse.Status.TOO_LARGE : DmResponse.Status.INVALID
      return { status, error: (err as Error).message, id }
    } finally {
      ticket.release()
    }
  }

  return {
    start () {
      if (running) {
        return
      }
      running = true
      // resume everything that was pending when the node last stopped (or crashed)
      pump(Number.MAX_SAFE_INTEGER)
      // duplicate records and stamp records lapse with the windows they guard
      const prune = guard(log, 'prune duplicate and stamp records', () => {
        store.goneMessages.prune()
        store.stampReplay.prune()
      })
      prune()
      pruneTimer = setInterval(prune, 60 * 60 * 1000)
      pruneTimer.unref?.()
    },

    retryNow () {
      pump()
    },

    async stop () {
      running = false
      clearInterval(pruneTimer)
      clearTimeout(timer)
      timer = undefined
      controller.abort()
      await Promise.allSettled([...inFlight.values()])
    },

    async send (peer, text, options = {}) {
      const id = uint8ArrayToString(randomBytes(MESSAGE_ID_BYTES), 'base16')
      // persisted before anything else: from here on the message survives a crash
      const message = store.messages.insertOutgoing({ id, peer: peer.peerId.toString(), text, sentAt: Date.now() })
      emitState(id, message.peer, 'queued')
      // the caller's signal only stops the waiting: the delivery attempt carries on regardless
      const delivery = run(id, message.peer)
      if (options.wait === 'queued') {
        return message
      }
      if (options.signal != null) {
        const aborted = Promise.withResolvers<void>()
        const onAbort = (): void => { aborted.reject(new DeliveryTimeoutError('stopped waiting for the acknowledgement; the message stays queued', { cause: options.signal?.reason })) }
        options.signal.addEventListener('abort', onAbort, { once: true })
        try {
          if (options.signal.aborted) onAbort()
          await Promise.race([delivery, aborted.promise])
        } catch (err) {
          throw Object.assign(err as Error, { messageId: id })
        } finally {
          options.signal.removeEventListener('abort', onAbort)
        }
      } else {
        await delivery
      }
      const now = store.messages.get(id) as OutgoingMessage
      if (now.state === 'delivered' || now.state === 'read') {
        return now
      }
      const err = lastErrors.get(id)
      lastErrors.delete(id)
      if (now.state === 'failed') {
        throw Object.assign(err ?? new DeliveryRefusedError(now.failReason ?? 'delivery failed', 'FAILED'), { messageId: id })
      }
      // still pending (deposited or queued for retry): report why the direct attempt failed
      throw Object.assign(err ?? new DeliveryTimeoutError('not delivered yet; the message stays queued'), { messageId: id, state: now.state })
    },

    receiveDirect: async (envelope, from) => receive(envelope, 'direct', from),

    async receiveFromMailbox (envelope) {
      const verdict = await receive(envelope, 'mailbox')
      // delete what was processed and garbage that can never be processed; keep what may be processed later
      return verdict.keep === true ? undefined : verdict.id
    },

    async markRead (peer) {
      const unread = store.messages.history(peer, { limit: 1000 }).filter(m => m.direction === 'in' && m.state === 'received').map(m => m.id)
      const changed = store.messages.markRead(peer)
      if (readReceipts) {
        sendReceipt(peer, unread, Payload.ReceiptState.READ)
      }
      return changed
    },

    setReadReceipts (on) {
      readReceipts = on
    },

    nudge (peer) {
      try {
        for (const entry of store.outbox.pendingFor(peer)) {
          if (!inFlight.has(entry.message.id)) {
            void run(entry.message.id, peer)
          }
        }
      } catch (err) {
        // a busy or full store: the retry timer tries again later
        log.error('nudge for %s failed: %s', peer, (err as Error).message)
      }
    }
  }
}

function textPayload (text: string, seq: number): Payload {
  return { type: Payload.Type.TEXT, text, seq: BigInt(seq), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
}
