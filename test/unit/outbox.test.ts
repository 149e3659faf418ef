/**
 * The outbox scheduler with stand-in delivery strategies (a fake transport)
 * and vitest's fake clock: which state a message reaches, when it is retried,
 * and how many attempts run at once. The store is a real in-memory SQLite.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeliveryRefusedError, IdentityKeyChangedError, NoMailboxError, PeerUnreachableError } from '../../src/errors.js'
import { StoreBusyError } from '../../src/store/errors.js'
import { createOutbox } from '../../src/messaging/outbox/outbox.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { MessageStateChange } from '../../src/messaging/types.js'
import type { Outbox } from '../../src/messaging/outbox/outbox.js'
import type { Sealer } from '../../src/messaging/outbox/sealer.js'
import type { OutgoingMessage, Store } from '../../src/store/index.js'

const ENVELOPE = new Uint8Array([1, 2, 3])

interface Harness {
  store: Store
  outbox: Outbox
  states: MessageStateChange[]
  direct: ReturnType<typeof vi.fn>
  deposit: ReturnType<typeof vi.fn>
  seal: ReturnType<typeof vi.fn>
  send(text?: string): OutgoingMessage
}

let peer: string
let h: Harness

async function harness (init: { windowPerPeer?: number, expireAfterMs?: number } = {}): Promise<Harness> {
  const store = openStore({ path: MEMORY_PATH })
  const states: MessageStateChange[] = []
  const direct = vi.fn(async () => {})
  const deposit = vi.fn(async () => 3)
  const seal = vi.fn(async () => ENVELOPE)
  const sealer: Sealer = { envelopeFor: seal, discard: () => {} }
  const outbox = createOutbox({
    messages: store.messages,
    outbox: store.outbox,
    sealer,
    direct: { deliver: direct },
    mailbox: { deposit },
    onState: (c) => { states.push(c) },
    log: recordingLogger().forComponent('test'),
    clock: { now: () => Date.now() },
    random: () => 0.5
  }, { retryInitialMs: 1000, retryMaxMs: 60_000, attemptTimeoutMs: 5000, ...init })
  let n = 0
  return {
    store,
    outbox,
    states,
    direct,
    deposit,
    seal,
    send: (text = `m${++n}`) => store.messages.insertOutgoing({ id: (++n).toString(16).padStart(32, '0'), peer, text, sentAt: Date.now() })
  }
}

describe('outbox scheduler', () => {
  beforeEach(async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  })
  afterEach(async () => {
    await h?.outbox.stop()
    h?.store.close()
    vi.useRealTimers()
  })

  it('delivers directly and records the state', async () => {
    h = await harness()
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.direct).toHaveBeenCalledTimes(1)
    expect(h.deposit).not.toHaveBeenCalled()
    expect(h.store.messages.get(m.id)?.state).toBe('delivered')
    expect(h.states.map(s => s.state)).toEqual(['delivered'])
  })

  it('leaves an unreachable recipient\'s message with mailboxes once, then retries directly with backoff until delivered', async () => {
    h = await harness()
    h.direct.mockRejectedValue(new PeerUnreachableError('down'))
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.store.messages.get(m.id)?.state).toBe('sent')
    expect(h.deposit).toHaveBeenCalledTimes(1)
    expect(h.outbox.takeError(m.id)).toBeInstanceOf(PeerUnreachableError)
    // first retry after retryInitialMs (jitter fixed at 1×): not a moment before
    await vi.advanceTimersByTimeAsync(999)
    expect(h.direct).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(2)
    expect(h.direct).toHaveBeenCalledTimes(2)
    // still down: the deposit is not repeated, the delay doubles
    expect(h.deposit).toHaveBeenCalledTimes(1)
    h.direct.mockResolvedValue(undefined)
    // the second try ended at t = 1000 ms: the next is due at 3000 ms
    await vi.advanceTimersByTimeAsync(1998)
    expect(h.direct).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(2)
    expect(h.direct).toHaveBeenCalledTimes(3)
    expect(h.store.messages.get(m.id)?.state).toBe('delivered')
    expect(h.states.map(s => s.state)).toEqual(['sent', 'delivered'])
  })

  it('keeps a message queued when no mailbox takes it, and still retries', async () => {
    h = await harness()
    h.direct.mockRejectedValue(new PeerUnreachableError('down'))
    h.deposit.mockRejectedValue(new NoMailboxError('none'))
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.store.messages.get(m.id)?.state).toBe('queued')
    expect(h.store.outbox.nextRetryAt()).toBe(Date.now() + 1000)
  })

  it('fails a message the recipient refuses for good, and does not retry it', async () => {
    h = await harness()
    h.direct.mockRejectedValue(new DeliveryRefusedError('recipient refused the message: TOO_LARGE', 'TOO_LARGE'))
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.store.messages.get(m.id)).toMatchObject({ state: 'failed', failReason: 'recipient refused the message: TOO_LARGE' })
    expect(h.deposit).not.toHaveBeenCalled()
    expect(h.store.outbox.nextRetryAt()).toBeUndefined()
  })

  it('treats RATE_LIMITED as passing: deposited and retried', async () => {
    h = await harness()
    h.direct.mockRejectedValue(new DeliveryRefusedError('slow down', 'RATE_LIMITED'))
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.store.messages.get(m.id)?.state).toBe('sent')
    expect(h.store.outbox.nextRetryAt()).toBeDefined()
  })

  it('fails a message that stayed undelivered past its expiry, without trying it', async () => {
    h = await harness({ expireAfterMs: 10_000 })
    const m = h.send()
    vi.setSystemTime(Date.now() + 10_001)
    h.outbox.start()
    await h.outbox.run(m.id, peer)
    expect(h.direct).not.toHaveBeenCalled()
    expect(h.store.messages.get(m.id)).toMatchObject({ state: 'failed', failReason: 'expired' })
  })

  it('holds a message to a contact whose key changed: queued with the reason, retried only at the longest delay', async () => {
    h = await harness()
    h.seal.mockRejectedValue(new IdentityKeyChangedError('identity key changed: held', { contact: 'bob', peerId: peer, newPeerId: 'x' }))
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.direct).not.toHaveBeenCalled()
    expect(h.store.messages.get(m.id)?.state).toBe('queued')
    expect(h.states).toMatchObject([{ id: m.id, state: 'queued', reason: 'identity key changed: held' }])
    expect(h.store.outbox.nextRetryAt()).toBe(Date.now() + 60_000)
  })

  it('a nudge tries a waiting message at once instead of at its retry time', async () => {
    h = await harness()
    h.direct.mockRejectedValueOnce(new PeerUnreachableError('down'))
    h.outbox.start()
    const m = h.send()
    await h.outbox.run(m.id, peer)
    expect(h.direct).toHaveBeenCalledTimes(1)
    h.outbox.nudge(peer)
    await vi.advanceTimersByTimeAsync(0)
    expect(h.direct).toHaveBeenCalledTimes(2)
    expect(h.store.messages.get(m.id)?.state).toBe('delivered')
  })

  it('resumes what was pending at start, at most windowPerPeer attempts at once per recipient', async () => {
    h = await harness({ windowPerPeer: 2 })
    const gates: Array<() => void> = []
    let inFlight = 0
    let most = 0
    h.direct.mockImplementation(async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise<void>(resolve => gates.push(resolve))
      inFlight--
    })
    const ids = [h.send(), h.send(), h.send(), h.send(), h.send()].map(m => m.id)
    h.outbox.start()
    for (let i = 0; i < 10 && ids.some(id => h.store.messages.get(id)?.state !== 'delivered'); i++) {
      await vi.advanceTimersByTimeAsync(0)
      gates.splice(0).forEach(open => { open() })
    }
    expect(ids.map(id => h.store.messages.get(id)?.state)).toEqual(Array(5).fill('delivered'))
    expect(most).toBe(2)
  })

  it('stop aborts attempts in flight and arms no timer', async () => {
    h = await harness()
    let signal: AbortSignal | undefined
    h.direct.mockImplementation(async (_m: unknown, _e: unknown, s: AbortSignal) => {
      signal = s
      await new Promise((resolve, reject) => { s.addEventListener('abort', () => { reject(s.reason) }) })
    })
    h.outbox.start()
    const m = h.send()
    const attempt = h.outbox.run(m.id, peer)
    await vi.advanceTimersByTimeAsync(0)
    await h.outbox.stop()
    await attempt
    expect(signal?.aborted).toBe(true)
    expect(h.deposit).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('with `after`, seals at once but reports and sends nothing before it resolves, and drops out if it rejects', async () => {
    h = await harness()
    h.outbox.start()
    const m = h.send()
    const stored = Promise.withResolvers<void>()
    const done = h.outbox.run(m.id, peer, { after: stored.promise })
    await vi.advanceTimersByTimeAsync(0)
    expect(h.seal).toHaveBeenCalledTimes(1)
    expect(h.direct).not.toHaveBeenCalled()
    expect(h.states).toEqual([])
    stored.resolve()
    await done
    expect(h.direct).toHaveBeenCalledTimes(1)
    expect(h.states.map(s => s.state)).toEqual(['delivered'])

    // the message's own commit failed: no state change, no send, even when sealing failed too
    const other = h.send()
    h.seal.mockRejectedValueOnce(new Error('cannot seal'))
    await h.outbox.run(other.id, peer, { after: Promise.reject(new Error('commit failed')) })
    expect(h.direct).toHaveBeenCalledTimes(1)
    expect(h.states.map(s => s.state)).toEqual(['delivered'])
    expect(h.store.messages.get(other.id)?.state).toBe('queued')
  })

  it('a seal that fails on our own store\'s passing fault leaves the message queued', async () => {
    h = await harness()
    h.outbox.start()
    const m = h.send()
    h.seal.mockRejectedValueOnce(new StoreBusyError('database is locked'))
    await h.outbox.run(m.id, peer)
    expect(h.store.messages.get(m.id)?.state).toBe('queued')
    expect(h.states).toEqual([])
    expect(h.direct).not.toHaveBeenCalled()
  })
})

