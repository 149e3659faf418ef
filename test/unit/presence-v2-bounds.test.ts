/**
 * The bounds and the logic of presence v2 and of the control channel, over
 * stand-ins for gossipsub, the DM sender and the sessions (unit tests of
 * logic; the integration tests run them over real libp2p):
 * - records a node cannot open are counted per (peer, tag) in a bounded,
 *   expiring cache, and rejected past the per-tag rate;
 * - malformed frames and frames of another epoch are rejected;
 * - a contact's record is opened, a forged one (another signer under the
 *   contact's key) rejected; a stranger's key is never stored;
 * - the control channel keeps one slot per (peer, kind, slot), at most
 *   `maxPending`, survives a restart, drops a peer that answers INVALID
 *   (no endless retries), and acknowledges unknown kinds.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { randomBytes } from '@noble/hashes/utils.js'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeliveryRefusedError } from '../../src/base-errors.js'
import { Payload } from '../../src/crypto/envelope.js'
import { createControlChannel } from '../../src/messaging/control.js'
import { ControlKind } from '../../src/messaging/control-payload.js'
import { SIGNATURE_DOMAIN_V2, signPresence } from '../../src/presence/record.js'
import { SealedPresence } from '../../src/pb/presence.js'
import { epochOf, sealPresence, shardOf, shardTopic } from '../../src/presence/sealed.js'
import { encodePresenceKey, presenceKeys } from '../../src/presence/keys.js'
import { CONTACT_REDIAL_MS, MAX_RECORDS_PER_TAG_PER_EPOCH, MAX_UNDECODABLE_TAGS, createPresenceV2 } from '../../src/presence/service-v2.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { Store } from '../../src/store/index.js'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'

type Validator = (from: PeerId, msg: { type: 'unsigned', topic: string, data: Uint8Array }) => Promise<TopicValidatorResult>

function fakeGossip () {
  const validators = new Map<string, Validator>()
  return {
    topicValidators: validators,
    published: [] as Array<{ topic: string, data: Uint8Array }>,
    subscribe: vi.fn(),
    unsubscribe: vi.fn(),
    getSubscribers: () => [],
    addEventListener: vi.fn(),
    removeEventListener: vi.fn(),
    async publish (topic: string, data: Uint8Array) { this.published.push({ topic, data }); return { recipients: [] } }
  }
}

const fakeLibp2p = () => ({ handle: vi.fn(), unhandle: vi.fn(async () => {}), addEventListener: vi.fn(), removeEventListener: vi.fn(), getConnections: () => [], dial: vi.fn(async (_peer: unknown) => {}) })

describe('presence v2 validation and bounds', () => {
  let store: Store
  let key: Ed25519PrivateKey
  let bobKey: Ed25519PrivateKey
  let bob: string
  let relay: PeerId
  let gossip: ReturnType<typeof fakeGossip>
  let handlers: Map<number, (from: string, body: Uint8Array) => void>
  let contacts: string[]
  let lp: ReturnType<typeof fakeLibp2p>

  beforeEach(async () => {
    store = openStore({ path: MEMORY_PATH })
    key = await generateKeyPair('Ed25519')
    bobKey = await generateKeyPair('Ed25519')
    bob = peerIdFromPrivateKey(bobKey).toString()
    relay = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    gossip = fakeGossip()
    handlers = new Map()
    contacts = [bob]
    lp = fakeLibp2p()
  })
  afterEach(() => { store.close() })

  async function make () {
    const v2 = createPresenceV2({
      pubsub: gossip as never,
      libp2p: lp as never,
      key,
      peerId: peerIdFromPrivateKey(key),
      keys: presenceKeys(store.settings),
      control: { send: vi.fn(), handle: (kind, h) => { handlers.set(kind, h as never) }, unsupported: () => false },
      contacts: () => contacts,
      isContact: (p) => contacts.includes(p),
      logger: recordingLogger()
    }, { rendezvous: false })
    await v2.start()
    return v2
  }

  const validate = async (topic: string, data: Uint8Array, from: PeerId = relay): Promise<TopicValidatorResult> =>
    gossip.topicValidators.get(topic)!(from, { type: 'unsigned', topic, data })

  function strangerFrame (tag = randomBytes(16)): Uint8Array {
    return SealedPresence.encode({ epoch: epochOf(Date.now()), tag, nonce: randomBytes(24), ciphertext: randomBytes(528) })
  }

  it('accepts and forwards what it cannot open, up to the per-tag rate, then rejects that tag from that peer', async () => {
    const v2 = await make()
    const topic = gossip.subscribe.mock.calls[0]![0] as string
    const tag = randomBytes(16)
    for (let i = 0; i < MAX_RECORDS_PER_TAG_PER_EPOCH; i++) {
      expect(await validate(topic, strangerFrame(tag))).toBe(TopicValidatorResult.Accept)
    }
    expect(await validate(topic, strangerFrame(tag))).toBe(TopicValidatorResult.Reject)
    // another relay forwarding the same tag has its own count
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    expect(await validate(topic, strangerFrame(tag), other)).toBe(TopicValidatorResult.Accept)
    await v2.stop({ announce: false })
  })

  it('keeps at most MAX_UNDECODABLE_TAGS counters however many tags arrive', async () => {
    const v2 = await make()
    const topic = gossip.subscribe.mock.calls[0]![0] as string
    for (let i = 0; i < MAX_UNDECODABLE_TAGS + 500; i++) {
      await validate(topic, strangerFrame())
    }
    expect(v2.stats().undecodableTags).toBe(MAX_UNDECODABLE_TAGS)
    await v2.stop({ announce: false })
  })

  it('rejects malformed frames, wrong lengths and other epochs', async () => {
    const v2 = await make()
    const topic = gossip.subscribe.mock.calls[0]![0] as string
    const now = Date.now()
    expect(await validate(topic, randomBytes(100))).toBe(TopicValidatorResult.Reject)
    expect(await validate(topic, randomBytes(700))).toBe(TopicValidatorResult.Reject)
    expect(await validate(topic, SealedPresence.encode({ epoch: epochOf(now), tag: randomBytes(15), nonce: randomBytes(24), ciphertext: randomBytes(528) }))).toBe(TopicValidatorResult.Reject)
    expect(await validate(topic, SealedPresence.encode({ epoch: epochOf(now), tag: randomBytes(16), nonce: randomBytes(24), ciphertext: randomBytes(400) }))).toBe(TopicValidatorResult.Reject)
    expect(await validate(topic, SealedPresence.encode({ epoch: epochOf(now) - 5n, tag: randomBytes(16), nonce: randomBytes(24), ciphertext: randomBytes(528) }))).toBe(TopicValidatorResult.Reject)
    expect(await validate(topic, SealedPresence.encode({ epoch: epochOf(now) + 5n, tag: randomBytes(16), nonce: randomBytes(24), ciphertext: randomBytes(528) }))).toBe(TopicValidatorResult.Reject)
    await v2.stop({ announce: false })
  })

  it('opens a contact\'s record; rejects one signed by someone else under the contact\'s key, and garbage under its tag', async () => {
    const v2 = await make()
    const bobPresenceKey = randomBytes(32)
    handlers.get(ControlKind.PRESENCE_KEY)!(bob, encodePresenceKey({ key: bobPresenceKey, generation: 1n }, false))
    const topic = shardTopic(shardOf(bobPresenceKey))
    expect(v2.shards()).toContain(shardOf(bobPresenceKey))
    const now = Date.now()
    const fields = { status: 'away' as const, note: 'hi', seq: BigInt(now), issuedAt: now, expiresAt: now + 60_000 }
    const good = sealPresence(bobPresenceKey, epochOf(now), await signPresence(bobKey, peerIdFromPrivateKey(bobKey).toMultihash().bytes, fields, SIGNATURE_DOMAIN_V2))
    expect(await validate(topic, good)).toBe(TopicValidatorResult.Accept)
    // a third party (another contact of bob's holding the same key) signs a record for itself under bob's key
    const mallory = await generateKeyPair('Ed25519')
    const forged = sealPresence(bobPresenceKey, epochOf(now), await signPresence(mallory, peerIdFromPrivateKey(mallory).toMultihash().bytes, { ...fields, seq: fields.seq + 1n }, SIGNATURE_DOMAIN_V2))
    expect(await validate(topic, forged)).toBe(TopicValidatorResult.Reject)
    // a v1-domain signature inside the envelope
    const v1 = sealPresence(bobPresenceKey, epochOf(now), await signPresence(bobKey, peerIdFromPrivateKey(bobKey).toMultihash().bytes, { ...fields, seq: fields.seq + 2n }))
    expect(await validate(topic, v1)).toBe(TopicValidatorResult.Reject)
    // bob's tag with a ciphertext that does not open
    const frame = SealedPresence.decode(good)
    expect(await validate(topic, SealedPresence.encode({ ...frame, ciphertext: randomBytes(528) }))).toBe(TopicValidatorResult.Reject)
    await v2.stop({ announce: false })
  })

  it('dials a contact seen online by gossip while not connected, at most once per CONTACT_REDIAL_MS', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] })
    try {
      const v2 = await make()
      const bobPresenceKey = randomBytes(32)
      handlers.get(ControlKind.PRESENCE_KEY)!(bob, encodePresenceKey({ key: bobPresenceKey, generation: 1n }, false))
      const topic = shardTopic(shardOf(bobPresenceKey))
      // (taking the key dials bob for his shard's mesh at once: not what this test counts)
      await vi.waitFor(() => { expect(lp.dial).toHaveBeenCalled() })
      lp.dial.mockClear()
      const onMessage = gossip.addEventListener.mock.calls.find(c => c[0] === 'message')![1] as (e: CustomEvent) => void
      const gossiped = async (seqOffset: number, status: 'online' | 'offline' = 'online'): Promise<void> => {
        const now = Date.now()
        const fields = { status, note: '', seq: BigInt(now + seqOffset), issuedAt: now, expiresAt: now + 60_000 }
        const msg = { type: 'unsigned' as const, topic, data: sealPresence(bobPresenceKey, epochOf(now), await signPresence(bobKey, peerIdFromPrivateKey(bobKey).toMultihash().bytes, fields, SIGNATURE_DOMAIN_V2)) }
        expect(await gossip.topicValidators.get(topic)!(relay, msg)).toBe(TopicValidatorResult.Accept)
        onMessage(new CustomEvent('message', { detail: msg }))
      }
      await gossiped(0)
      expect(v2.get(bob)?.status).toBe('online')
      expect(lp.dial).toHaveBeenCalledTimes(1)
      expect(String(lp.dial.mock.calls[0]![0])).toBe(bob)
      await gossiped(1)
      expect(lp.dial).toHaveBeenCalledTimes(1)
      vi.setSystemTime(Date.now() + CONTACT_REDIAL_MS)
      await gossiped(2, 'offline')
      expect(lp.dial).toHaveBeenCalledTimes(1)
      await gossiped(3)
      expect(lp.dial).toHaveBeenCalledTimes(2)
      await v2.stop({ announce: false })
    } finally {
      vi.useRealTimers()
    }
  })

  it('stores no key from a stranger, and drops a removed contact\'s key (rotating its own)', async () => {
    const v2 = await make()
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    handlers.get(ControlKind.PRESENCE_KEY)!(stranger, encodePresenceKey({ key: randomBytes(32), generation: 1n }, true))
    expect(v2.stats().contactsWithKey).toBe(0)
    handlers.get(ControlKind.PRESENCE_KEY)!(bob, encodePresenceKey({ key: randomBytes(32), generation: 1n }, false))
    expect(v2.stats().contactsWithKey).toBe(1)
    const before = presenceKeys(store.settings).own()
    contacts = []
    v2.syncContacts()
    expect(v2.stats().contactsWithKey).toBe(0)
    expect(v2.stats().rotations).toBe(1)
    const after = presenceKeys(store.settings).own()
    expect(after.generation).toBe(before.generation + 1n)
    expect(Buffer.from(after.key).equals(Buffer.from(before.key))).toBe(false)
    await v2.stop({ announce: false })
  })
})

describe('control channel', () => {
  let store: Store
  beforeEach(() => { store = openStore({ path: MEMORY_PATH }) })
  afterEach(() => { store.close() })

  async function channel (deliver: (peer: string) => Promise<void>, maxPending?: number) {
    const self = await generateKeyPair('Ed25519')
    return createControlChannel({
      self: { bytes: peerIdFromPrivateKey(self).toMultihash().bytes },
      sessions: { seal: vi.fn(async () => ({ id: randomBytes(16), bytes: randomBytes(64), sentAt: Date.now(), scheme: 'sealed' as const })), refused: vi.fn(async () => false) },
      sender: { deliver: vi.fn(async (recipient: { peerId: { toString: () => string } }) => { await deliver(recipient.peerId.toString()) }) as never },
      mailboxes: { deposit: vi.fn(async () => { throw new Error('no mailbox') }) },
      settings: store.settings,
      pending: store.controlPending,
      logger: recordingLogger()
    }, { maxPending })
  }
  const peer = async (): Promise<string> => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

  it('a peer answering INVALID (a 1.1 peer) is marked unsupported: its payloads are dropped, not retried', async () => {
    let tries = 0
    const c = await channel(async () => { tries++; throw new DeliveryRefusedError('unknown payload type 2', 'INVALID') })
    c.start()
    const p = await peer()
    c.send(p, ControlKind.PRESENCE_KEY, new Uint8Array([1]))
    await vi.waitFor(() => { expect(c.unsupported(p)).toBe(true) })
    expect(c.pending(p)).toBe(0)
    c.send(p, ControlKind.PRESENCE_KEY, new Uint8Array([2]))
    c.nudge(p)
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(tries).toBe(1)
    // until it sends us a control payload itself (it upgraded)
    c.receive(p, { type: Payload.Type.CONTROL, text: '', seq: 0n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED, controlKind: 99, controlBody: new Uint8Array() })
    expect(c.unsupported(p)).toBe(false)
    await c.stop()
  })

  it('keeps one slot per (peer, kind, slot), at most maxPending, across a restart; delivered slots are gone', async () => {
    let reachable = false
    const c = await channel(async () => { if (!reachable) throw new Error('unreachable') }, 10)
    c.start()
    const peers = await Promise.all(Array.from({ length: 15 }, peer))
    for (const p of peers) {
      c.send(p, ControlKind.PRESENCE_KEY, new Uint8Array([1]))
      c.send(p, ControlKind.PRESENCE_KEY, new Uint8Array([2]))
    }
    expect(c.pending()).toBe(10)
    await c.stop()
    const again = await channel(async () => { if (!reachable) throw new Error('unreachable') }, 10)
    expect(again.pending()).toBe(10)
    reachable = true
    again.start()
    await vi.waitFor(() => { expect(again.pending()).toBe(0) }, { timeout: 5_000 })
    await again.stop()
  })

  it('hands known kinds to their handler and acknowledges unknown ones without failing', async () => {
    const c = await channel(async () => {})
    const got: Array<[string, Uint8Array]> = []
    c.handle(ControlKind.PRESENCE_KEY, (from, body) => { got.push([from, body]) })
    const p = await peer()
    c.receive(p, { type: Payload.Type.CONTROL, text: '', seq: 0n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED, controlKind: 1, controlBody: new Uint8Array([7]) })
    c.receive(p, { type: Payload.Type.CONTROL, text: '', seq: 0n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED, controlKind: 42, controlBody: new Uint8Array([7]) })
    c.handle(ControlKind.PRESENCE_KEY, () => { throw new Error('handler bug') })
    c.receive(p, { type: Payload.Type.CONTROL, text: '', seq: 0n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED, controlKind: 1, controlBody: new Uint8Array([8]) })
    expect(got).toEqual([[p, new Uint8Array([7])]])
  })
})
