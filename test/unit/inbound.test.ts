/**
 * The inbound pipeline, stage by stage and end to end, with stand-ins for
 * the session layer and the rate limiter, real signed envelopes, and a real
 * in-memory store.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createReplayCache, encodeStamp, mintStamp } from '../../src/abuse/index.js'
import { Payload, sealEnvelope, openSealed } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DmResponse } from '../../src/pb/dm.js'
import { admitStage } from '../../src/messaging/inbound/admit.js'
import { authorizeStage } from '../../src/messaging/inbound/authorize.js'
import { dedupeStage } from '../../src/messaging/inbound/dedupe.js'
import { createInboundPipeline } from '../../src/messaging/inbound/pipeline.js'
import { verifyStage } from '../../src/messaging/inbound/verify.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { VerifiedEnvelope } from '../../src/crypto/envelope.js'
import type { Ed25519Peer } from '../../src/crypto/peer.js'
import type { Mock } from 'vitest'
import type { IncomingMessage, MessageStateChange } from '../../src/messaging/types.js'
import type { RequestUsage, Store } from '../../src/store/index.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

interface Party { key: Ed25519PrivateKey, peer: Ed25519Peer }

async function party (): Promise<Party> {
  const key = await generateKeyPair('Ed25519')
  return { key, peer: parsePeerId(key.publicKey.toString()) }
}

const text = (t: string, seq = 1): Payload => ({ type: Payload.Type.TEXT, text: t, seq: BigInt(seq), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

async function envelope (from: Party, to: Party, payload: Payload, stamp?: Uint8Array): Promise<Uint8Array> {
  return (await sealEnvelope({ senderKey: from.key, sender: from.peer.bytes, recipient: to.peer, payload, stamp })).bytes
}

describe('inbound stages', () => {
  let alice: Party
  let bob: Party
  beforeEach(async () => { alice = await party(); bob = await party() })

  it('admit refuses a connection over its rate limit before any work, and only direct ones', () => {
    const tryConsume = vi.fn(() => false)
    const admit = admitStage({ rateLimiter: { tryConsume }, isTrusted: (p) => p === 'friend' })
    expect(admit({ bytes: new Uint8Array(), via: 'direct', connectedPeer: 'friend' })).toMatchObject({ status: DmResponse.Status.RATE_LIMITED })
    expect(tryConsume).toHaveBeenCalledWith('friend', 'dm', { isContact: true })
    expect(admit({ bytes: new Uint8Array(), via: 'mailbox' })).toBeUndefined()
    tryConsume.mockReturnValue(true)
    expect(admit({ bytes: new Uint8Array(), via: 'direct', connectedPeer: 'x' })).toBeUndefined()
  })

  it('verify names the sender and id of a signed envelope, and throws on a forged one', async () => {
    const bytes = await envelope(alice, bob, text('hi'))
    const verified = await verifyStage({ bytes, via: 'direct' })
    expect(verified.from).toBe(alice.peer.peerId.toString())
    expect(verified.hexId).toMatch(/^[0-9a-f]{32}$/)
    const forged = bytes.slice()
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1
    await expect(verifyStage({ bytes: forged, via: 'direct' })).rejects.toMatchObject({ name: 'InvalidMessageError' })
  })

  it('dedupe acknowledges a message already stored from the same sender only', async () => {
    const verified = await verifyStage({ bytes: await envelope(alice, bob, text('hi')), via: 'direct' })
    const stored = new Map([[verified.hexId, { peer: alice.peer.peerId.toString() }]])
    const dedupe = dedupeStage({ messages: { get: (id: string) => stored.get(id) as never } })
    expect(dedupe(verified)).toMatchObject({ status: DmResponse.Status.OK })
    stored.set(verified.hexId, { peer: 'someone else' })
    expect(dedupe(verified)).toBeUndefined()
  })

  describe('authorize', () => {
    const stamps = createReplayCache()
    const usage = (peerMessages = 0): RequestUsage => ({ peerMessages, peerBytes: 0, totalMessages: peerMessages, totalBytes: 0 })
    const gate = (over: { blocked?: boolean, knows?: boolean, limited?: boolean, difficulty?: number, held?: number } = {}) => authorizeStage({
      self: bob.peer,
      isBlocked: () => over.blocked === true,
      isTrusted: () => over.knows === true,
      usage: () => usage(over.held),
      rateLimiter: { tryConsume: () => over.limited !== true }
    }, { powDifficulty: over.difficulty ?? 4, mailboxStampMaxAgeMs: 60_000 })
    const make = (over: Parameters<typeof gate>[0] = {}) => {
      const check = gate(over)
      return (v: Parameters<typeof check>[0]) => check(v, stamps)
    }

    it('drops a blocked sender without telling it', async () => {
      const v = await verifyStage({ bytes: await envelope(alice, bob, text('hi')), via: 'direct' })
      expect(make({ blocked: true, knows: true })(v)).toEqual({ status: DmResponse.Status.OK, id: v.id })
    })

    it('leaves a mailbox copy over the sender\'s limit in the mailbox for later', async () => {
      const v = await verifyStage({ bytes: await envelope(alice, bob, text('hi')), via: 'mailbox' })
      expect(make({ knows: true, limited: true })(v)).toMatchObject({ status: DmResponse.Status.RATE_LIMITED, keep: true, retryAfterMs: 1000 })
    })

    it('lets a known sender through without proof of work', async () => {
      const v = await verifyStage({ bytes: await envelope(alice, bob, text('hi')), via: 'direct' })
      expect(make({ knows: true })(v)).toBeUndefined()
    })

    it('asks a stranger for proof of work, accepts a good stamp once, and lets the mailbox drop a replayed one', async () => {
      const gate = make()
      const bare = await verifyStage({ bytes: await envelope(alice, bob, text('hi')), via: 'direct' })
      expect(gate(bare)).toMatchObject({ status: DmResponse.Status.POW_REQUIRED, requiredDifficulty: 4 })
      const stamp = encodeStamp(await mintStamp({ sender: alice.peer.bytes, recipient: bob.peer.bytes, difficulty: 4 }))
      const stamped = await verifyStage({ bytes: await envelope(alice, bob, text('hi'), stamp), via: 'mailbox' })
      expect(gate(stamped)).toBeUndefined()
      const again = await verifyStage({ bytes: await envelope(alice, bob, text('again'), stamp), via: 'mailbox' })
      // a replayed stamp never becomes good: no keep, so the mailbox drops that copy
      expect(gate(again)).toMatchObject({ status: DmResponse.Status.POW_REQUIRED })
      expect(gate(again)?.keep).toBeUndefined()
    })

    it('refuses a stamp minted for someone else', async () => {
      // 16 bits, so that the work done for carol passes for bob only by a 1-in-65536 chance
      const carol = await party()
      const stamp = encodeStamp(await mintStamp({ sender: alice.peer.bytes, recipient: carol.peer.bytes, difficulty: 16 }))
      const v = await verifyStage({ bytes: await envelope(alice, bob, text('hi'), stamp), via: 'direct' })
      expect(make({ difficulty: 16 })(v)).toMatchObject({ status: DmResponse.Status.POW_REQUIRED })
    })
  })
})

describe('inbound pipeline', () => {
  let alice: Party
  let bob: Party
  let store: Store
  let events: { message: IncomingMessage[], request: IncomingMessage[], state: MessageStateChange[] }
  let receipts: Array<{ peer: string, ids: string[], state: Payload.ReceiptState }>
  let open: Mock<(envelope: VerifiedEnvelope) => Promise<Payload>>

  beforeEach(async () => {
    alice = await party()
    bob = await party()
    store = openStore({ path: MEMORY_PATH })
    events = { message: [], request: [], state: [] }
    receipts = []
    // the session layer's stand-in: SEALED envelopes opened with bob's identity key
    open = vi.fn(async (env: VerifiedEnvelope) => openSealed(env, bob.key, bob.peer.bytes))
  })
  afterEach(() => { store.close() })

  function pipeline (init: { powDifficulty?: number } = {}) {
    return createInboundPipeline({
      self: bob.peer,
      messages: store.messages,
      requests: store.requests,
      goneMessages: store.goneMessages,
      stampReplay: store.stampReplay,
      transaction: (fn) => store.transaction(fn),
      isRunning: () => true,
      sessions: { open },
      events: { message: (m) => events.message.push(m), request: (m) => events.request.push(m), state: (c) => events.state.push(c) },
      receipts: { send: (peer, ids, state) => { receipts.push({ peer, ids, state }) } },
      logger: recordingLogger(),
      clock: { now: () => 1_700_000_000_000 }
    }, { powDifficulty: init.powDifficulty ?? 4 })
  }

  it('stores a contact\'s message once, announces it once, and acknowledges a retransmission without opening it again', async () => {
    store.contacts.add('alice', alice.peer.peerId.toString(), { identityKey: alice.peer.publicKey.raw })
    const p = pipeline()
    const bytes = await envelope(alice, bob, text('hello'))
    expect(await p.receiveDirect(bytes, alice.peer.peerId.toString())).toMatchObject({ status: DmResponse.Status.OK })
    expect(await p.receiveDirect(bytes, alice.peer.peerId.toString())).toMatchObject({ status: DmResponse.Status.OK })
    expect(open).toHaveBeenCalledTimes(1)
    expect(events.message).toMatchObject([{ from: alice.peer.peerId.toString(), text: 'hello', via: 'direct', receivedAt: 1_700_000_000_000 }])
    expect(events.request).toEqual([])
    expect(receipts).toEqual([])
  })

  it('puts a stranger\'s stamped first message in the requests inbox and receipts a mailbox copy', async () => {
    const p = pipeline()
    const stamp = encodeStamp(await mintStamp({ sender: alice.peer.bytes, recipient: bob.peer.bytes, difficulty: 4 }))
    const bytes = await envelope(alice, bob, text('hi, we have not met'), stamp)
    const id = await p.receiveFromMailbox(bytes)
    expect(id).toBeInstanceOf(Uint8Array)
    expect(events.request).toMatchObject([{ text: 'hi, we have not met', via: 'mailbox' }])
    expect(store.requests.list()).toMatchObject([{ peer: alice.peer.peerId.toString(), count: 1 }])
    expect(receipts).toMatchObject([{ peer: alice.peer.peerId.toString(), state: Payload.ReceiptState.DELIVERED }])
  })

  it('lets the mailbox drop a stranger\'s unstamped copy (it can never be taken), and never opens it', async () => {
    const p = pipeline()
    const bytes = await envelope(alice, bob, text('spam'))
    expect(await p.receive(bytes, 'mailbox')).toMatchObject({ status: DmResponse.Status.POW_REQUIRED })
    expect(await p.receiveFromMailbox(bytes)).toBeInstanceOf(Uint8Array)
    expect(open).not.toHaveBeenCalled()
    expect(store.requests.list()).toEqual([])
  })

  it('applies a receipt to this node\'s own sent message, from its recipient only', async () => {
    store.contacts.add('alice', alice.peer.peerId.toString(), { identityKey: alice.peer.publicKey.raw })
    const sent = store.messages.insertOutgoing({ id: 'cd'.repeat(16), peer: alice.peer.peerId.toString(), text: 'x', sentAt: 1 })
    const receipt: Payload = { type: Payload.Type.RECEIPT, text: '', seq: 0n, receiptIds: [Uint8Array.from(Buffer.from(sent.id, 'hex'))], receiptState: Payload.ReceiptState.READ }
    const mallory = await party()
    store.contacts.add('mallory', mallory.peer.peerId.toString(), { identityKey: mallory.peer.publicKey.raw })
    const p = pipeline()
    await p.receiveDirect(await envelope(mallory, bob, receipt), mallory.peer.peerId.toString())
    expect(store.messages.get(sent.id)?.state).toBe('queued')
    await p.receiveDirect(await envelope(alice, bob, receipt), alice.peer.peerId.toString())
    expect(store.messages.get(sent.id)?.state).toBe('read')
    expect(events.state).toMatchObject([{ id: sent.id, state: 'read' }])
  })

  it('answers garbage with INVALID and an oversized envelope with TOO_LARGE, never throwing', async () => {
    const p = pipeline()
    expect(await p.receiveDirect(new Uint8Array([1, 2, 3]), 'x')).toMatchObject({ status: DmResponse.Status.INVALID })
    expect(await p.receiveDirect(new Uint8Array(70 * 1024), 'x')).toMatchObject({ status: DmResponse.Status.TOO_LARGE })
  })
})
