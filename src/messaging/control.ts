/**
 * The control channel (PROTOCOL.md §4.4, protocol 1.2): reliable delivery of
 * small typed payloads to a peer inside the E2E DM channel — a presence key
 * today, group control in a later version. A control payload is persisted
 * (one row per slot in the store's control_pending table, so it survives a
 * crash), retried with backoff and
 * on reconnect like a message, and left in the peer's mailboxes when it
 * cannot be reached; it is never stored or shown as chat text.
 *
 * Pending payloads are slots: one per (peer, kind, slot), a newer payload for
 * the same slot replacing the older one (a presence key is "the latest
 * state"), which bounds the queue by contacts × kinds.
 *
 * A peer that answers INVALID to a CONTROL envelope **because it does not
 * know the payload type** (a 1.1 peer: "unknown payload type") is marked
 * unsupported and its slots are dropped: never an endless retry. Any other
 * INVALID (it cannot open the envelope: a lost session, a one-time prekey
 * already taken) is retried with a growing delay, never "unsupported". A 1.2
 * receiver answers OK to a kind it does not know and ignores it (§4.4).
 *
 * Strangers (1.3, PROTOCOL.md §4.4.1): a payload from a peer the receiver
 * does not know yet is refused (POW_REQUIRED) and its sender waits
 * {@link STRANGER_RETRY_MS}. The receiver remembers whom it refused
 * (bounded); when it comes to know that peer (a group co-member, a contact:
 * {@link ControlChannel.known}) it nudges its own slots to it, or, having
 * none, sends it a RESEND payload; a peer that receives any control payload
 * retries at once what waits for the sender, and a RESEND also asks the
 * kinds' owners to send their state again (a payload refused from a mailbox
 * is gone from the sender's queue).
 *
 * @module
 */
import { repeatingTask } from '@libp2p/utils'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { Payload } from '../crypto/envelope.js'
import { parsePeerId } from '../crypto/peer.js'
import { guard } from '../util/guard.js'
import { anySignal } from '../util/signals.js'
import { systemClock } from '../util/clock.js'
import { ATTEMPT_TIMEOUT_MS } from './constants.js'
import { ControlKind, MAX_CONTROL_BODY_BYTES } from './control-payload.js'
import type { DmSender } from '../dm/sender.js'
import type { MailboxClientService } from '../mailbox/client.js'
import type { SessionManager } from '../sessions/manager.js'
import type { ControlPendingStore, Settings } from '../store/index.js'
import type { Clock } from '../util/clock.js'
import type { ComponentLogger } from '@libp2p/interface'

export { ControlKind, MAX_CONTROL_BODY_BYTES } from './control-payload.js'

/** Settings key of the peers that answered INVALID to a control payload. */
const UNSUPPORTED_KEY = 'control.unsupported'
/** Most pending slots; past it the oldest is dropped (a peer can make us queue at most one per slot). */
export const MAX_CONTROL_PENDING = 4096
/** Most peers remembered as not supporting control payloads. */
export const MAX_CONTROL_UNSUPPORTED = 4096
/** Attempts under way to one peer at once. */
const MAX_IN_FLIGHT_PER_PEER = 2
/** First retry delay, doubled per attempt, in ms. */
const RETRY_INITIAL_MS = 1_000
/** Longest retry delay, in ms. */
const RETRY_MAX_MS = 10_000
/** Next try after the peer answered POW_REQUIRED (we are not its contact yet), unless it writes to us first, in ms. */
export const STRANGER_RETRY_MS = 10 * 60_000
/** First delay after an INVALID that is not "unknown payload type" (the peer could not open it), doubled per attempt up to STRANGER_RETRY_MS. */
const INVALID_RETRY_MS = 5_000
/** Most peers remembered as refused strangers (§4.4.1); past it the oldest is forgotten. */
export const MAX_REFUSED_STRANGERS = 1024
/** How long a refused stranger is remembered, in ms (its sender retries by itself after STRANGER_RETRY_MS). */
export const REFUSED_STRANGER_MEMORY_MS = 60 * 60_000
/** What a 1.1 (and later) receiver says of a payload type it does not know: the one INVALID that means "unsupported". */
const UNKNOWN_TYPE = /unknown payload type/i

/** A handler of one control kind; it must not throw (errors are logged). */
export type ControlHandler = (from: string, body: Uint8Array) => void | Promise<void>

/** The control channel. */
export interface ControlChannel {
  start(): void
  stop(): Promise<void>
  /**
   * Persists `body` for `peer` under (kind, slot), replacing what was pending
   * there, and delivers it (directly, else into the peer's mailboxes); retried
   * until it is taken or the peer answers INVALID.
   */
  send(peer: string, kind: number, body: Uint8Array, options?: { slot?: string, onDelivered?: () => void, delayMs?: number }): void
  /** Drops what is pending for `peer` under (kind, slot). */
  cancel(peer: string, kind: number, options?: { slot?: string }): void
  /** Sets the handler of `kind` (one per kind). */
  handle(kind: number, handler: ControlHandler): void
  /** Hands a CONTROL payload opened by the inbound pipeline to its kind's handler. Never throws. */
  receive(from: string, payload: Payload): void
  /** Whether `peer` answered INVALID to a control payload (a 1.1 peer). */
  unsupported(peer: string): boolean
  /** Retries what is pending for `peer` now (it just connected). */
  nudge(peer: string): void
  /** The inbound pipeline refused `peer`'s envelope as a stranger's (POW_REQUIRED): remembered, bounded (§4.4.1). */
  refusedStranger(peer: string): void
  /**
   * This node came to know `peer` (a group co-member, a contact): if it refused `peer` lately, what waits for
   * `peer` goes now, or, with nothing waiting, a RESEND asks `peer` to send again (§4.4.1).
   */
  known(peer: string): void
  /** Called when `peer` asks for a resend: the owner of a kind sends its state to `peer` again. */
  onResend(fn: (peer: string) => void): void
  /** @internal for tests: the peers remembered as refused strangers. */
  refusedStrangers(): string[]
  /** How many slots are pending (all peers, or one). */
  pending(peer?: string): number
}

/** What the control channel needs. */
export interface ControlChannelComponents {
  self: { bytes: Uint8Array }
  sessions: Pick<SessionManager, 'seal' | 'refused'>
  sender: Pick<DmSender, 'deliver'>
  mailboxes: Pick<MailboxClientService, 'deposit'>
  /** Where the unsupported-peer set is remembered. */
  settings: Pick<Settings, 'get' | 'set'>
  /** Where pending slots are persisted, one row each. */
  pending: Pick<ControlPendingStore, 'list' | 'put' | 'retry' | 'delete' | 'deletePeer'>
  /** Connection events: what waits for a peer goes when it connects. */
  events?: { addEventListener(type: 'peer:connect', fn: (evt: CustomEvent<{ toString(): string }>) => void): void, removeEventListener(type: 'peer:connect', fn: (evt: CustomEvent<{ toString(): string }>) => void): void }
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** Options of {@link createControlChannel}. */
export interface ControlChannelInit {
  /** Time allowed for one try, in ms. @default ATTEMPT_TIMEOUT_MS (15 s) */
  attemptTimeoutMs?: number
  /** @default MAX_CONTROL_PENDING */
  maxPending?: number
  /**
   * Whether a payload to a peer without a session starts one from the peer's prekey bundle (a DHT lookup),
   * as a first message does; `false` seals it SEALED without a lookup. @default true
   */
  forwardSecret?: boolean
}

interface Slot {
  peer: string
  kind: number
  slot: string
  /** base64 */
  body: string
  attempts: number
  due: number
}

const slotKey = (peer: string, kind: number, slot: string): string => `${peer}\u0000${kind}\u0000${slot}`

/** Creates the control channel. */
export function createControlChannel (components: ControlChannelComponents, init: ControlChannelInit = {}): ControlChannel {
  const { sessions, sender, mailboxes, settings, pending } = components
  const log = components.logger.forComponent('natter:control')
  const clock = components.clock ?? systemClock
  const attemptTimeoutMs = init.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS
  const maxPending = init.maxPending ?? MAX_CONTROL_PENDING
  const forwardSecret = init.forwardSecret ?? true
  const handlers = new Map<number, ControlHandler>()
  const slots = new Map<string, Slot>(loadSlots().map(s => [slotKey(s.peer, s.kind, s.slot), s]))
  const unsupportedPeers = new Set<string>(loadUnsupported())
  const inFlight = new Set<string>()
  /** Attempts under way per peer: at most MAX_IN_FLIGHT_PER_PEER (a new group's fan-out queues dozens per peer). */
  const inFlightPeers = new Map<string, number>()
  /** Slots that found their peer at its limit: tried as soon as one of that peer's attempts ends. */
  const waitingForPeer = new Set<string>()
  /** Slots nudged while in flight: tried again as soon as that attempt ends, whatever it concluded. */
  const nudgedInFlight = new Set<string>()
  /** Peers refused as strangers lately, oldest first (§4.4.1). */
  const refused = new Map<string, number>()
  const resendListeners: Array<(peer: string) => void> = []
  /** Called once a slot's payload is taken (in memory only: best effort, e.g. a follow-up push). */
  const delivered = new Map<string, () => void>()
  let shutdown = new AbortController()
  let running = false

  function loadSlots (): Slot[] {
    try {
      return pending.list().slice(-maxPending).map(r => ({ peer: r.peer, kind: r.kind, slot: r.slot, body: uint8ArrayToString(r.body, 'base64'), attempts: r.attempts, due: r.due }))
    } catch (err) {
      log.error('pending control payloads unreadable: %s', (err as Error).message)
      return []
    }
  }

  function loadUnsupported (): string[] {
    try {
      const raw = settings.get(UNSUPPORTED_KEY)
      return Array.isArray(raw) ? raw.filter((p): p is string => typeof p === 'string') : []
    } catch {
      return []
    }
  }

  /**
   * Writes one slot's change through to the store. On a fault (a full disk) the slots stay in memory and are
   * retried; only a crash now would lose the change.
   */
  function persist (what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      log.error('pending control payload (%s) not persisted: %s', what, (err as Error).message)
    }
  }

  function markUnsupported (peer: string): void {
    unsupportedPeers.delete(peer)
    unsupportedPeers.add(peer)
    for (const oldest of unsupportedPeers) {
      if (unsupportedPeers.size <= MAX_CONTROL_UNSUPPORTED) break
      unsupportedPeers.delete(oldest)
    }
    persistUnsupported()
  }

  function persistUnsupported (): void {
    try {
      settings.set(UNSUPPORTED_KEY, [...unsupportedPeers])
    } catch (err) {
      log.error('unsupported control peers not persisted: %s', (err as Error).message)
    }
  }

  async function deliverOnce (s: Slot): Promise<'done' | 'unsupported'> {
    const recipient = parsePeerId(s.peer)
    const payload: Payload = {
      type: Payload.Type.CONTROL,
      text: '',
      seq: 0n,
      receiptIds: [],
      receiptState: Payload.ReceiptState.DELIVERED,
      controlKind: s.kind,
      controlBody: uint8ArrayFromString(s.body, 'base64')
    }
    // Forward secret, as a first message (PROTOCOL.md §4.4): in the peer's session when there is one, else a new
    // session from its prekey bundle (X3DH, §6.3); SEALED to its identity key only when no bundle is found. A
    // presence key (or a group key) under SEALED would be readable by whoever later steals the recipient's
    // identity key, and with it every record it ever opened.
    const sealOptions = { signal: anySignal([shutdown.signal], attemptTimeoutMs), newSession: forwardSecret }
    let sealed = await sessions.seal(recipient, payload, sealOptions)
    let resealed = false
    for (;;) {
      try {
        await sender.deliver(recipient, sealed.id, sealed.bytes, anySignal([shutdown.signal], attemptTimeoutMs))
        return 'done'
      } catch (err) {
        const e = err as Error & { status?: string }
        if (e.name === 'DeliveryRefusedError' && e.status === 'INVALID') {
          if (!resealed && await sessions.refused(sealed.bytes)) {
            // the recipient lost that session: seal once more before concluding anything
            resealed = true
            sealed = await sessions.seal(recipient, payload, sealOptions)
            continue
          }
          if (UNKNOWN_TYPE.test(e.message)) {
            // a 1.1 peer does not know CONTROL (PROTOCOL.md §4.4): not retried
            return 'unsupported'
          }
          // it cannot open it (a session it lost again, a one-time prekey taken meanwhile): later, never "unsupported"
          throw err
        }
        if (e.name === 'DeliveryRefusedError') {
          // POW_REQUIRED (we are not its contact yet), RATE_LIMITED, UNAVAILABLE: later, directly
          throw err
        }
        // unreachable: the peer's mailboxes hold it until it fetches
        await mailboxes.deposit(recipient, sealed.bytes, { signal: anySignal([shutdown.signal], attemptTimeoutMs) })
        return 'done'
      }
    }
  }

  function attempt (key: string): void {
    const s = slots.get(key)
    if (s == null || !running || inFlight.has(key) || unsupportedPeers.has(s.peer)) {
      return
    }
    const peerInFlight = inFlightPeers.get(s.peer) ?? 0
    if (peerInFlight >= MAX_IN_FLIGHT_PER_PEER) {
      // the first payload to a peer sets up its session (a DHT lookup): the others would only queue behind it
      // and time out; they go one after the other instead
      waitingForPeer.add(key)
      return
    }
    waitingForPeer.delete(key)
    inFlightPeers.set(s.peer, peerInFlight + 1)
    inFlight.add(key)
    const body = s.body
    deliverOnce(s).then(outcome => {
      if (outcome === 'unsupported') {
        log('%s does not support control payloads (answered INVALID); dropping them', s.peer)
        markUnsupported(s.peer)
        for (const [k, other] of slots) {
          if (other.peer === s.peer) slots.delete(k)
        }
        persist('unsupported peer', () => { pending.deletePeer(s.peer) })
      } else if (slots.get(key)?.body === body) {
        // taken, unless a newer payload replaced it meanwhile
        slots.delete(key)
        persist('delivered', () => { pending.delete(s.peer, s.kind, s.slot) })
        const then = delivered.get(key)
        delivered.delete(key)
        try { then?.() } catch (err) { log.error('after control delivery: %s', (err as Error).message) }
      }
      if (slots.has(key)) queueMicrotask(() => { attempt(key) })
    }, err => {
      const current = slots.get(key)
      const e = err as Error & { status?: string }
      const stranger = e.name === 'DeliveryRefusedError' && e.status === 'POW_REQUIRED'
      if (current != null && current.body !== body) {
        // replaced while in flight: the new payload goes now, not after a backoff
        queueMicrotask(() => { attempt(key) })
      } else if (current != null && stranger && current.kind === ControlKind.RESEND) {
        // it does not know us either: it asks by itself once it does (§4.4.1)
        slots.delete(key)
        persist('resend refused', () => { pending.delete(current.peer, current.kind, current.slot) })
      } else if (current != null && running) {
        current.attempts += 1
        const invalid = e.name === 'DeliveryRefusedError' && e.status === 'INVALID'
        current.due = stranger
          // we are a stranger to it (it has not added us yet): wait for it to write to us (receive nudges) or
          // to ask for a resend once it knows us (§4.4.1), or try again much later; retrying sooner would only
          // spend its stranger rate limit on us
          ? clock.now() + STRANGER_RETRY_MS
          : invalid
            ? clock.now() + Math.min(STRANGER_RETRY_MS, INVALID_RETRY_MS * 2 ** Math.min(20, current.attempts - 1))
            : clock.now() + Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(20, current.attempts - 1))
        persist('retry', () => { pending.retry(current.peer, current.kind, current.slot, current.attempts, current.due) })
      }
      log('control payload to %s not delivered yet: %s', s.peer, (err as Error).message)
    }).finally(() => {
      inFlight.delete(key)
      const left = (inFlightPeers.get(s.peer) ?? 1) - 1
      if (left <= 0) inFlightPeers.delete(s.peer)
      else inFlightPeers.set(s.peer, left)
      // the next of this peer's slots that waited for a free attempt, now
      for (const next of waitingForPeer) {
        const other = slots.get(next)
        if (other == null) { waitingForPeer.delete(next); continue }
        if (other.peer !== s.peer) continue
        waitingForPeer.delete(next)
        queueMicrotask(() => { attempt(next) })
        break
      }
      // a nudge that came while this attempt was under way (the peer wrote to us, or asked for a resend, before
      // its refusal reached us) is not lost to the stranger delay: the slot goes again now
      if (nudgedInFlight.delete(key)) {
        const current = slots.get(key)
        if (current != null) {
          current.due = clock.now()
          queueMicrotask(() => { attempt(key) })
        }
      }
    }).catch(() => {})
  }

  function nudge (peer: string): void {
    for (const [key, s] of slots) {
      if (s.peer === peer) {
        s.due = clock.now()
        if (inFlight.has(key)) nudgedInFlight.add(key)
        else attempt(key)
      }
    }
  }

  function forgetOldRefusals (): void {
    const cutoff = clock.now() - REFUSED_STRANGER_MEMORY_MS
    for (const [peer, at] of refused) {
      if (at >= cutoff && refused.size <= MAX_REFUSED_STRANGERS) break
      refused.delete(peer)
    }
  }

  const onConnect = guard(log, 'control on connect', (evt: CustomEvent<{ toString(): string }>): void => { nudge(evt.detail.toString()) })

  const retryTask = repeatingTask(guard(log, 'control retry', () => {
    forgetOldRefusals()
    const now = clock.now()
    for (const [key, s] of slots) {
      if (s.due <= now) attempt(key)
    }
  }), RETRY_INITIAL_MS)

  const channel: ControlChannel = {
    start () {
      if (running) return
      running = true
      shutdown = new AbortController()
      retryTask.start()
      components.events?.addEventListener('peer:connect', onConnect)
      for (const key of slots.keys()) attempt(key)
    },

    async stop () {
      running = false
      retryTask.stop()
      components.events?.removeEventListener('peer:connect', onConnect)
      shutdown.abort()
    },

    send (peer, kind, body, options = {}) {
      if (body.byteLength > MAX_CONTROL_BODY_BYTES) {
        throw new RangeError(`control body exceeds ${MAX_CONTROL_BODY_BYTES} bytes`)
      }
      if (unsupportedPeers.has(peer)) {
        return
      }
      const slot = options.slot ?? ''
      const key = slotKey(peer, kind, slot)
      slots.delete(key)
      const delayMs = options.delayMs ?? 0
      const due = clock.now() + delayMs
      slots.set(key, { peer, kind, slot, body: uint8ArrayToString(body, 'base64'), attempts: 0, due })
      if (options.onDelivered != null) delivered.set(key, options.onDelivered)
      else delivered.delete(key)
      for (const oldest of slots.keys()) {
        if (slots.size <= maxPending) break
        slots.delete(oldest)
        delivered.delete(oldest)
      }
      // one row written (and the oldest rows past the bound dropped): not the whole queue
      persist('queued', () => { pending.put({ peer, kind, slot, body, attempts: 0, due }, maxPending) })
      if (delayMs <= 0) attempt(key)
    },

    cancel (peer, kind, options = {}) {
      const slot = options.slot ?? ''
      if (slots.delete(slotKey(peer, kind, slot))) persist('cancelled', () => { pending.delete(peer, kind, slot) })
    },

    handle (kind, handler) {
      handlers.set(kind, handler)
    },

    receive (from, payload) {
      if (unsupportedPeers.delete(from)) {
        // it sends control payloads, so it takes them now (upgraded since it answered INVALID)
        persistUnsupported()
      }
      // it talks to us: what waits for it (refused while we were not its contact yet, say) goes now
      nudge(from)
      if (payload.controlKind === ControlKind.RESEND) {
        // it refused something of ours as a stranger's and knows us now (§4.4.1): the kinds send their state again
        log('%s asks for a resend', from)
        for (const fn of resendListeners) {
          try { fn(from) } catch (err) { log.error('resend to %s: %s', from, (err as Error).message) }
        }
        return
      }
      const handler = handlers.get(payload.controlKind ?? 0)
      if (handler == null) {
        // §4.4: a kind this version does not know is acknowledged and ignored
        log('ignored control payload of unknown kind %d from %s', payload.controlKind ?? 0, from)
        return
      }
      try {
        void Promise.resolve(handler(from, payload.controlBody ?? new Uint8Array())).catch(err => {
          log.error('control payload of kind %d from %s failed: %s', payload.controlKind, from, (err as Error).message)
        })
      } catch (err) {
        log.error('control payload of kind %d from %s failed: %s', payload.controlKind, from, (err as Error).message)
      }
    },

    unsupported: (peer) => unsupportedPeers.has(peer),

    nudge,

    refusedStranger (peer) {
      refused.delete(peer)
      refused.set(peer, clock.now())
      forgetOldRefusals()
    },

    known (peer) {
      const at = refused.get(peer)
      if (at == null) return
      refused.delete(peer)
      if (clock.now() - at > REFUSED_STRANGER_MEMORY_MS || unsupportedPeers.has(peer)) return
      if ([...slots.values()].some(s => s.peer === peer && s.kind !== ControlKind.RESEND)) {
        // ours go now; once it takes one, it retries what waits for us (receive nudges)
        nudge(peer)
        return
      }
      log('%s was refused as a stranger and is known now: asking it to resend', peer)
      channel.send(peer, ControlKind.RESEND, new Uint8Array(), { slot: 'resend' })
    },

    onResend (fn) {
      resendListeners.push(fn)
    },

    refusedStrangers: () => [...refused.keys()],

    pending: (peer) => peer == null ? slots.size : [...slots.values()].filter(s => s.peer === peer).length
  }
  return channel
}
