/**
 * The control channel and strangers (issue 16, PROTOCOL.md §4.4.1): why two
 * group members who learn of each other at once could stall for the 10-minute
 * stranger retry, reproduced deterministically on the channel with a fake
 * clock and a scripted transport:
 * - a nudge that lands while the refused attempt is still under way (the
 *   peer's own payload reached us before its refusal of ours did) was lost,
 *   and the slot waited STRANGER_RETRY_MS;
 * - an INVALID after the one re-seal (the peer could not open it: a one-time
 *   prekey another member took meanwhile) marked a 1.2 peer "unsupported" for
 *   good; only "unknown payload type" (a 1.1 peer) may;
 * - a receiver that refused a stranger asks it to resend once it knows it,
 *   and a RESEND nudges what waits for its sender.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeliveryRefusedError } from '../../src/base-errors.js'
import { Payload } from '../../src/crypto/envelope.js'
import { STRANGER_RETRY_MS, MAX_REFUSED_STRANGERS, createControlChannel } from '../../src/messaging/control.js'
import { ControlKind } from '../../src/messaging/control-payload.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { ControlChannel } from '../../src/messaging/control.js'
import type { Store } from '../../src/store/index.js'

const refusal = (status: string, detail: string): Error => new DeliveryRefusedError(`recipient refused the message: ${status} (${detail})`, status)
const flush = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise<void>(resolve => { setImmediate(resolve) }) }

describe('control channel: strangers, resends and "unsupported"', () => {
  let store: Store
  let now: number
  let peer: string
  /** Each delivery attempt: what the test answers it with. */
  let calls: Array<{ kind: number, settle: (err?: Error) => void }>
  let channel: ControlChannel
  beforeEach(async () => {
    store = openStore({ path: MEMORY_PATH })
    now = 1_000_000
    peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    calls = []
    const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    channel = createControlChannel({
      self: { bytes: self.toMultihash().bytes },
      sessions: {
        seal: async (_r: unknown, payload: Payload) => ({ id: new Uint8Array(16), bytes: Payload.encode(payload), sentAt: now, scheme: 'ratchet' as const }),
        refused: async () => true
      } as never,
      sender: {
        deliver: async (_r, _id, bytes) => new Promise<void>((resolve, reject) => {
          calls.push({ kind: Payload.decode(bytes).controlKind ?? 0, settle: (err) => { if (err != null) reject(err); else resolve() } })
        })
      },
      mailboxes: { deposit: async () => { throw new Error('no mailbox') } },
      settings: store.settings,
      pending: store.controlPending,
      logger: recordingLogger(),
      clock: { now: () => now }
    })
    channel.start()
  })
  afterEach(async () => { await channel.stop(); store.close() })

  it('a nudge during a refused attempt is kept: the slot goes again at once, not after the stranger delay', async () => {
    channel.send(peer, ControlKind.GROUP, new Uint8Array([1]))
    await flush()
    expect(calls).toHaveLength(1)
    // the peer's own payload reaches us (it knows us now) before its refusal of ours does
    channel.receive(peer, { type: Payload.Type.CONTROL, text: '', seq: 0n, receiptIds: [], receiptState: 0, controlKind: 99, controlBody: new Uint8Array() } as never)
    calls[0]!.settle(refusal('POW_REQUIRED', 'a first message needs a stamp'))
    await flush()
    // no clock movement: tried again now
    expect(calls).toHaveLength(2)
    calls[1]!.settle()
    await flush()
    expect(channel.pending(peer)).toBe(0)
  })

  it('INVALID from a peer that cannot open the payload, even after the re-seal, is retried later, never "unsupported"', async () => {
    channel.send(peer, ControlKind.GROUP, new Uint8Array([1]))
    await flush()
    calls[0]!.settle(refusal('INVALID', 'no session with the sender decrypts this message'))
    await flush()
    // the one re-seal
    expect(calls).toHaveLength(2)
    calls[1]!.settle(refusal('INVALID', 'the one-time prekey was already used'))
    await flush()
    expect(channel.unsupported(peer)).toBe(false)
    expect(channel.pending(peer)).toBe(1)
    // a newer key for the peer is still queued, and the slot is tried again once due
    channel.send(peer, ControlKind.GROUP, new Uint8Array([2]), { slot: 'k2' })
    await flush()
    expect(channel.pending(peer)).toBe(2)
  })

  it('INVALID "unknown payload type" (a 1.1 peer) marks the peer unsupported and drops its slots', async () => {
    channel.send(peer, ControlKind.GROUP, new Uint8Array([1]))
    await flush()
    calls[0]!.settle(refusal('INVALID', 'unknown payload type 2'))
    await flush()
    calls[1]!.settle(refusal('INVALID', 'unknown payload type 2'))
    await flush()
    expect(channel.unsupported(peer)).toBe(true)
    expect(channel.pending(peer)).toBe(0)
  })

  it('a refused stranger that becomes known is asked to resend; a RESEND nudges what waits for its sender and tells the kinds', async () => {
    channel.refusedStranger(peer)
    expect(channel.refusedStrangers()).toEqual([peer])
    channel.known(peer)
    await flush()
    expect(calls.map(c => c.kind)).toEqual([ControlKind.RESEND])
    expect(channel.refusedStrangers()).toEqual([])
    // a RESEND refused in turn (it does not know us either) is dropped, not kept for the stranger delay
    calls[0]!.settle(refusal('POW_REQUIRED', 'a first message needs a stamp'))
    await flush()
    expect(channel.pending(peer)).toBe(0)
    // known again without a refusal: nothing is sent
    channel.known(peer)
    await flush()
    expect(calls).toHaveLength(1)

    // the other side: our slot refused as a stranger's waits the stranger delay...
    const asked: string[] = []
    channel.onResend((p) => { asked.push(p) })
    channel.send(peer, ControlKind.GROUP, new Uint8Array([7]))
    await flush()
    calls[1]!.settle(refusal('POW_REQUIRED', 'a first message needs a stamp'))
    await flush()
    now += 60_000
    await flush()
    expect(calls).toHaveLength(2)
    // ...until the peer says it knows us now
    channel.receive(peer, { type: Payload.Type.CONTROL, text: '', seq: 0n, receiptIds: [], receiptState: 0, controlKind: ControlKind.RESEND, controlBody: new Uint8Array() } as never)
    await flush()
    expect(asked).toEqual([peer])
    expect(calls).toHaveLength(3)
    expect(calls[2]!.kind).toBe(ControlKind.GROUP)
    expect(now - 60_000 + STRANGER_RETRY_MS).toBeGreaterThan(now)
  })

  it('with a payload waiting for the refused stranger, knowing it nudges that payload instead of a RESEND', async () => {
    channel.send(peer, ControlKind.GROUP, new Uint8Array([1]))
    await flush()
    calls[0]!.settle(refusal('POW_REQUIRED', 'a first message needs a stamp'))
    await flush()
    channel.refusedStranger(peer)
    channel.known(peer)
    await flush()
    expect(calls.map(c => c.kind)).toEqual([ControlKind.GROUP, ControlKind.GROUP])
  })

  it(`remembers at most ${MAX_REFUSED_STRANGERS} refused strangers, the oldest forgotten first`, () => {
    for (let i = 0; i <= MAX_REFUSED_STRANGERS; i++) channel.refusedStranger(`p${i}`)
    const held = channel.refusedStrangers()
    expect(held).toHaveLength(MAX_REFUSED_STRANGERS)
    expect(held[0]).toBe('p1')
    expect(held.at(-1)).toBe(`p${MAX_REFUSED_STRANGERS}`)
  })
})
