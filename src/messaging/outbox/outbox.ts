/**
 * The outbox scheduler: every outgoing message is persisted first, then
 * tried with the delivery strategies — direct, and when the recipient is
 * away, mailbox (once) — and retried directly with jittered exponential
 * backoff, across restarts (the SQLite outbox), until the recipient
 * acknowledges it, refuses it for good, or it expires. At most
 * `windowPerPeer` attempts per recipient run at once; a recipient coming
 * online (`nudge`) is tried at once.
 *
 * @module
 */
import { trace } from '../../util/trace.js'
import pLimit from 'p-limit'
import { IdentityKeyChangedError } from '../../sessions/errors.js'
import { DeliveryRefusedError } from '../../base-errors.js'
import { isTransientStoreError } from '../../store/index.js'
import { guard } from '../../util/guard.js'
import { systemClock } from '../../util/clock.js'
import { anySignal } from '../../util/signals.js'
import { retryDelayAfterRefusal } from '../transient.js'
import {
  ATTEMPT_TIMEOUT_MS, EXPIRE_AFTER_MS, MIN_RETRY_POLL_MS, PERMANENT_REFUSALS, PUMP_BATCH, RETRY_INITIAL_MS, RETRY_MAX_MS,
  WINDOW_PER_PEER
} from '../constants.js'
import type { DirectDelivery } from './direct.js'
import type { MailboxDelivery } from './mailbox.js'
import type { Sealer } from './sealer.js'
import type { Message, MessageStore, Outbox as OutboxStore } from '../../store/index.js'
import type { Clock } from '../../util/clock.js'
import type { MessageStateChange } from '../types.js'
import type { Logger } from '@libp2p/interface'

/** What the outbox scheduler needs. */
export interface OutboxComponents {
  messages: Pick<MessageStore, 'get' | 'setState'>
  outbox: Pick<OutboxStore, 'due' | 'nextRetryAt' | 'scheduleRetry' | 'attempts' | 'pendingFor'>
  sealer: Sealer
  direct: DirectDelivery
  mailbox: MailboxDelivery
  /** Told of every state change. */
  onState(change: MessageStateChange): void
  /** Runs the state writes in this turn's group commit (losing one to a crash only means a resend). @default a commit each */
  group?<T>(fn: () => T): T
  log: Logger
  /** @default the system clock */
  clock?: Clock
  /** Jitter source in [0, 1). @default Math.random */
  random?(): number
}

/** Options of {@link createOutbox}. */
export interface OutboxInit {
  /** Time allowed for each delivery try, in ms. @default ATTEMPT_TIMEOUT_MS (15 s) */
  attemptTimeoutMs?: number
  /** Delivery attempts in flight per recipient. @default WINDOW_PER_PEER (64) */
  windowPerPeer?: number
  /** First retry delay, doubled per attempt, in ms. @default RETRY_INITIAL_MS (1 s) */
  retryInitialMs?: number
  /** Longest retry delay, in ms. @default RETRY_MAX_MS (5 min) */
  retryMaxMs?: number
  /** A message undelivered for this long fails with reason `expired`, in ms. @default EXPIRE_AFTER_MS (14 days) */
  expireAfterMs?: number
}

/** Options of {@link Outbox.run}. */
export interface RunOptions {
  /** Resolves once the message is durable; the attempt waits for it before any state change or send. */
  after?: Promise<void>
}

/** The outbox scheduler. */
export interface Outbox {
  /** Resumes every message pending since the last run. Idempotent. */
  start(): void
  /** Aborts attempts in flight and waits for them. Idempotent. */
  stop(): Promise<void>
  /**
   * Starts (or joins) the delivery attempt of a stored message; resolves when that attempt ended (never rejects).
   * With `after` (the commit of the message itself), the attempt seals at once (sharing that commit) but
   * reports nothing and sends nothing before `after` resolves, and drops the attempt if it rejects.
   */
  run(id: string, peer: string, options?: RunOptions): Promise<void>
  /** Why the last direct attempt of a message failed, once (then forgotten). */
  takeError(id: string): Error | undefined
  /** Retries every pending message to `peer` now (it just came online). Never throws. */
  nudge(peer: string): void
  /** Starts every attempt that is due now (e.g. our own store takes writes again). */
  retryNow(): void
  /** Aborted when the outbox stops: for work that belongs to its lifetime. */
  readonly signal: AbortSignal
}

/** Creates the outbox scheduler. */
export function createOutbox (components: OutboxComponents, init: OutboxInit = {}): Outbox {
  const { messages, outbox, sealer, direct, mailbox, onState, log } = components
  const clock = components.clock ?? systemClock
  const random = components.random ?? Math.random
  const attemptTimeoutMs = init.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS
  const windowPerPeer = init.windowPerPeer ?? WINDOW_PER_PEER
  const retryInitialMs = init.retryInitialMs ?? RETRY_INITIAL_MS
  const retryMaxMs = init.retryMaxMs ?? RETRY_MAX_MS
  const expireAfterMs = init.expireAfterMs ?? EXPIRE_AFTER_MS
  const inFlight = new Map<string, Promise<void>>()
  const windows = new Map<string, ReturnType<typeof pLimit>>()
  const lastErrors = new Map<string, Error>()
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerAt: number | undefined
  let running = false

  function emit (id: string, peer: string, state: Message['state'], reason?: string): void {
    onState({ id, peer, state, reason, at: clock.now() })
  }

  const group = components.group ?? (<T>(fn: () => T): T => fn())

  function setState (id: string, peer: string, state: Message['state'], reason?: string): void {
    if (group(() => messages.setState(id, state, { reason })).changed) {
      emit(id, peer, state, reason)
    }
  }

  function backoff (attempts: number): number {
    const delay = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempts, 20))
    return Math.round(delay * (0.75 + random() * 0.5))
  }

  function retryLater (id: string, at: number): void {
    outbox.scheduleRetry(id, at)
    schedule()
  }

  /** One delivery attempt for a stored outgoing message; records the outcome. Throws only our own store's passing faults (run retries later). */
  async function attempt (id: string, after?: Promise<void>): Promise<void> {
    trace('tx.attempt')
    const message = messages.get(id)
    if (message == null || message.direction !== 'out' || (message.state !== 'queued' && message.state !== 'sent')) {
      return
    }
    if (clock.now() - message.sentAt > expireAfterMs) {
      setState(id, message.peer, 'failed', 'expired')
      return
    }
    let envelope: Uint8Array
    try {
      envelope = await sealer.envelopeFor(message)
      trace('tx.sealed')
    } catch (err) {
      if (after != null && !await after.then(() => true, () => false)) {
        return
      }
      if (isTransientStoreError(err)) {
        // our own store (disk full, busy), not the message: it stays queued and is tried again (run's catch)
        throw err
      }
      if (err instanceof IdentityKeyChangedError) {
        // held, still queued, until the user accepts the contact's new key (which nudges it)
        lastErrors.set(id, err)
        emit(id, message.peer, 'queued', err.message)
        retryLater(id, clock.now() + retryMaxMs)
        return
      }
      setState(id, message.peer, 'failed', `cannot seal: ${(err as Error).message}`)
      return
    }
    if (after != null && !await after.then(() => true, () => false)) {
      // the message itself was not stored (its commit failed): there is nothing to deliver
      return
    }
    let hinted: number | undefined
    try {
      await direct.deliver(message, envelope, controller.signal)
      trace('tx.acked')
      setState(id, message.peer, 'delivered')
      trace('tx.setDelivered')
      return
    } catch (err) {
      if (err instanceof DeliveryRefusedError && PERMANENT_REFUSALS.has(err.status)) {
        setState(id, message.peer, 'failed', err.message)
        return
      }
      lastErrors.set(id, err as Error)
      log('direct delivery of %s to %s failed: %s', id, message.peer, (err as Error).message)
      // the recipient may say when to come back (RATE_LIMITED, UNAVAILABLE: PROTOCOL.md §5)
      hinted = retryDelayAfterRefusal(err as Error & { retryAfterMs?: unknown })
    }
    if (controller.signal.aborted) {
      return
    }
    // not reachable now: leave it with mailbox peers (once), and keep retrying directly with backoff
    if (message.state === 'queued') {
      try {
        const copies = await mailbox.deposit(message, envelope, anySignal([controller.signal], attemptTimeoutMs))
        log('deposited %s with %d mailbox peers', id, copies)
        // the event says where it waits (issue 12); the store keeps the bare state
        setState(id, message.peer, 'sent', mailboxReason(copies))
      } catch (err) {
        log('mailbox deposit of %s failed: %s', id, (err as Error).message)
      }
    }
    retryLater(id, clock.now() + Math.max(backoff(outbox.attempts(id) ?? 0), hinted ?? 0))
  }

  function run (id: string, peer: string, options: RunOptions = {}): Promise<void> {
    let p = inFlight.get(id)
    if (p == null) {
      let limit = windows.get(peer)
      if (limit == null) {
        limit = pLimit(windowPerPeer)
        windows.set(peer, limit)
      }
      const window = limit
      p = window(async () => attempt(id, options.after))
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
  function pump (limit = PUMP_BATCH): void {
    clearTimeout(timer)
    timer = undefined
    timerAt = undefined
    if (!running) {
      return
    }
    for (const entry of outbox.due(clock.now(), { limit })) {
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
    const next = outbox.nextRetryAt()
    if (next == null) {
      return
    }
    // a retry already in flight keeps its past time until it finishes: poll gently meanwhile
    const now = clock.now()
    const at = Math.max(next, now + MIN_RETRY_POLL_MS)
    if (timerAt != null && timerAt <= at) {
      return
    }
    clearTimeout(timer)
    timerAt = at
    timer = setTimeout(guard(log, 'outbox retry', () => { pump() }), at - now)
  }

  return {
    signal: controller.signal,

    start () {
      if (running) {
        return
      }
      running = true
      // resume everything that was pending when the node last stopped (or crashed)
      pump(Number.MAX_SAFE_INTEGER)
    },

    async stop () {
      running = false
      clearTimeout(timer)
      timer = undefined
      timerAt = undefined
      controller.abort()
      await Promise.allSettled([...inFlight.values()])
    },

    run,

    takeError (id) {
      const err = lastErrors.get(id)
      lastErrors.delete(id)
      return err
    },

    retryNow () {
      pump()
    },

    nudge (peer) {
      try {
        for (const entry of outbox.pendingFor(peer)) {
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

/** What a `sent` state change says: the message waits in mailboxes, and in how many. */
export function mailboxReason (copies: number): string {
  return `in a mailbox (${copies} ${copies === 1 ? 'copy' : 'copies'})`
}
