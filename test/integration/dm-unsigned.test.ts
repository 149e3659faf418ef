/**
 * 1.3 (PROTOCOL.md §5.2): no per-message Ed25519 signature inside an
 * established ratchet session, negotiated per DM stream. Between two 1.3
 * nodes the envelopes of an established session travel unsigned on
 * `/natter/dm/1.3.0`; first-contact messages stay signed; an unsigned
 * envelope that is forged, tampered with, relayed by another peer, sent on
 * `/natter/dm/1.0.0` or a first-contact one is refused with reason
 * `unsigned` or `decrypt-failed`; a 1.2 node (only `/natter/dm/1.0.0`, every
 * envelope signed) and a 1.3 node talk both ways.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeliveryTimeoutError } from '../../src/errors.js'
import { EnvelopeBody, SignedEnvelope, isUnsignedEnvelope, verifyEnvelope } from '../../src/crypto/envelope.js'
import { peerFromBytes } from '../../src/crypto/peer.js'
import { decodeRatchetMessage } from '../../src/crypto/ratchet/index.js'
import { DM_PROTOCOL, DM_PROTOCOL_13, DmChannel } from '../../src/dm/protocol.js'
import { createNetwork } from '../../src/network/libp2p.js'
import { natterServicePolicies } from '../../src/policies.js'
import { openStore } from '../../src/store/index.js'
import { join } from 'node:path'
import { libp2pOf, nodeFactory } from '../helpers/nodes.js'
import type { Natter } from '../../src/index.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'

const body = (bytes: Uint8Array): EnvelopeBody => EnvelopeBody.decode(SignedEnvelope.decode(bytes).body)
/** `envelope` with another body (and no signature). */
const unsignedWith = (envelope: Uint8Array, change: Partial<EnvelopeBody>): Uint8Array =>
  SignedEnvelope.encode({ body: EnvelopeBody.encode({ ...body(envelope), ...change }), signature: new Uint8Array(0) })
const freshId = (): Uint8Array => crypto.getRandomValues(new Uint8Array(16))

interface Sent { envelope: Uint8Array, protocol: string, from: string }

describe('DM 1.3: unsigned envelopes in established sessions', () => {
  const nodes = nodeFactory({ sendTimeoutMs: 5000, retryInitialMs: 200, retryMaxMs: 2000 })
  let raw: NatterLibp2p | undefined
  afterEach(async () => {
    vi.restoreAllMocks()
    await raw?.stop()
    raw = undefined
    await nodes.cleanup()
  })

  /** Every envelope handed to a DM channel, as the caller gave it, with the stream's protocol. */
  function tap (hold: () => boolean = () => false): Sent[] {
    const sent: Sent[] = []
    const original = DmChannel.prototype.send
    vi.spyOn(DmChannel.prototype, 'send').mockImplementation(async function (this: DmChannel, id, envelope, options) {
      if (!tests.has(this)) {
        sent.push({ envelope, protocol: this.stream.protocol, from: peerFromBytes(body(envelope).sender).peerId.toString() })
        if (hold()) {
          throw new DeliveryTimeoutError('held back by the test')
        }
      }
      return original.call(this, id, envelope, options)
    })
    return sent
  }
  /** Channels the test drives itself (not tapped). */
  const tests = new WeakSet<DmChannel>()
  const testChannel = (channel: DmChannel): DmChannel => { tests.add(channel); return channel }

  async function pair (bInit: Parameters<typeof nodes.create>[0] = {}): Promise<[Natter, Natter]> {
    const a = await nodes.create()
    const b = await nodes.create({ bootstrap: [a.addresses[0]!], ...bInit })
    await pWaitFor(() => a.connectedPeers.includes(b.peerId))
    await a.contacts.add('bob', b.peerId)
    await b.contacts.add('alice', a.peerId)
    await pWaitFor(async () => (await a.publishPrekeys()) > 0 && (await b.publishPrekeys()) > 0, { interval: 200, timeout: 20_000 })
    return [a, b]
  }

  it('between 1.3 nodes: first contact signed, the established session unsigned on /natter/dm/1.3.0', async () => {
    const [a, b] = await pair()
    const sent = tap()
    const received: string[] = []
    b.addEventListener('message', (e) => received.push(e.detail.text))
    a.addEventListener('message', (e) => received.push(e.detail.text))
    await a.send('bob', 'one')
    await b.send('alice', 'two')
    await a.send('bob', 'three')
    await b.send('alice', 'four')
    expect(received).toEqual(['one', 'two', 'three', 'four'])
    const texts = sent.filter(s => body(s.envelope).scheme === EnvelopeBody.Scheme.RATCHET)
    expect(texts.length).toBeGreaterThanOrEqual(4)
    expect(texts.every(s => s.protocol === DM_PROTOCOL_13)).toBe(true)
    for (const s of texts) {
      // signed exactly when it carries the X3DH initial header
      const initial = decodeRatchetMessage(body(s.envelope).ciphertext).x3dh != null
      expect(isUnsignedEnvelope(s.envelope)).toBe(!initial)
    }
    expect(texts.filter(s => isUnsignedEnvelope(s.envelope)).length).toBeGreaterThanOrEqual(2)
  })

  it('refuses an unsigned envelope that is relayed, on 1.0, tampered, re-addressed or a first contact, with a named reason', async () => {
    const [a, b] = await pair()
    let holding = false
    const sent = tap(() => holding)
    const received: string[] = []
    b.addEventListener('message', (e) => received.push(e.detail.text))
    await a.send('bob', 'one')
    await b.send('alice', 'two')
    // alice's next message is held back before it reaches bob: its message key is still unused
    holding = true
    const queued = await a.send('bob', 'three', { wait: 'queued' })
    await pWaitFor(() => sent.some(s => s.from === a.peerId && body(s.envelope).ciphertext.byteLength > 0 && isUnsignedEnvelope(s.envelope)))
    const first = sent.find(s => s.from === a.peerId && !isUnsignedEnvelope(s.envelope))!.envelope
    const genuine = sent.find(s => s.from === a.peerId && isUnsignedEnvelope(s.envelope))!.envelope
    expect(decodeRatchetMessage(body(first).ciphertext).x3dh).toBeDefined()
    expect(decodeRatchetMessage(body(genuine).ciphertext).x3dh).toBeUndefined()
    // a mailbox (or anyone verifying for a third party) never takes an unsigned envelope
    await expect(verifyEnvelope(genuine)).rejects.toMatchObject({ name: 'InvalidMessageError', reason: 'unsigned' })

    // mallory, a stock libp2p peer and bob's contact, relays alice's unsigned envelope
    const key = await generateKeyPair('Ed25519')
    raw = await createNetwork({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 10, ...natterServicePolicies() })
    await raw.start()
    await b.contacts.add('mallory', raw.peerId.toString())
    const mallory = testChannel(new DmChannel(await raw.dialProtocol(multiaddr(b.addresses[0]!), DM_PROTOCOL_13)))
    await expect(mallory.send(body(genuine).id, genuine)).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'INVALID', message: expect.stringContaining('only from its sender itself') })

    // alice's own connection: the same bytes are refused on /natter/dm/1.0.0; tampered ones by the session's AEAD
    const own = async (protocol: string): Promise<DmChannel> => testChannel(new DmChannel(await libp2pOf(a).dialProtocol(multiaddr(b.addresses[0]!), protocol)))
    await expect((await own(DM_PROTOCOL)).send(body(genuine).id, genuine)).rejects.toMatchObject({ status: 'INVALID', message: expect.stringContaining('not signed') })
    const channel = await own(DM_PROTOCOL_13)
    const ciphertext = body(genuine).ciphertext.slice()
    ciphertext[ciphertext.length - 1] = (ciphertext[ciphertext.length - 1] ?? 0) ^ 1
    const tampered = unsignedWith(genuine, { ciphertext })
    await expect(channel.send(body(tampered).id, tampered)).rejects.toMatchObject({ status: 'INVALID', message: expect.stringContaining('decrypt') })
    // the ciphertext is bound to its id (the AEAD's associated data): a copy under another id does not open
    const reIded = unsignedWith(genuine, { id: freshId() })
    await expect(channel.send(body(reIded).id, reIded)).rejects.toMatchObject({ status: 'INVALID', message: expect.stringContaining('decrypt') })
    // a first-contact (X3DH) message without its signature
    const bareFirst = unsignedWith(first, { id: freshId() })
    await expect(channel.send(body(bareFirst).id, bareFirst)).rejects.toMatchObject({ status: 'INVALID', message: expect.stringContaining('established session') })
    // a SEALED envelope without its signature
    const bareSealed = unsignedWith(genuine, { id: freshId(), scheme: EnvelopeBody.Scheme.SEALED })
    await expect(channel.send(body(bareSealed).id, bareSealed)).rejects.toMatchObject({ status: 'INVALID', message: expect.stringContaining('RATCHET') })
    expect(received).toEqual(['one'])

    // none of it changed bob's session: the genuine envelope still opens, and alice's retry is a duplicate
    await channel.send(body(genuine).id, genuine)
    holding = false
    await pWaitFor(() => a.messages.get(queued.id)?.state === 'delivered', { timeout: 20_000 })
    await a.send('bob', 'four')
    expect(received).toEqual(['one', 'three', 'four'])
    expect(b.messages.history('alice').map(m => m.text)).toEqual(['one', 'two', 'three', 'four'])
  })

  it('an established-session message left in a mailbox is signed on the way out and opened from there', async () => {
    const m = await nodes.create()
    const aDir = await nodes.tempDir()
    const a = await nodes.create({ dataDir: aDir, bootstrap: [m.addresses[0]!] })
    const bDir = await nodes.tempDir()
    let b = await nodes.create({ dataDir: bDir, bootstrap: [m.addresses[0]!] })
    await pWaitFor(() => a.connectedPeers.includes(m.peerId) && b.connectedPeers.includes(m.peerId))
    await a.contacts.add('bob', b.peerId)
    await b.contacts.add('alice', a.peerId)
    await pWaitFor(async () => (await a.publishPrekeys()) > 0 && (await b.publishPrekeys()) > 0, { interval: 200, timeout: 20_000 })
    await a.send('bob', 'one')
    await b.send('alice', 'two')
    const bId = b.peerId
    await b.stop()
    // bob is offline: alice's next message, of the established session, is sealed unsigned and goes to m's mailbox
    const queued = await a.send('bob', 'left with m', { wait: 'queued' })
    await pWaitFor(() => a.messages.get(queued.id)?.state === 'sent', { timeout: 20_000 })
    await a.stop()
    const aStore = openStore({ path: join(aDir, 'natter.db') })
    const kept = aStore.messages.getEnvelope(queued.id)
    aStore.close()
    expect(kept != null && isUnsignedEnvelope(kept)).toBe(true)
    b = await nodes.create({ dataDir: bDir, bootstrap: [m.addresses[0]!] })
    expect(b.peerId).toBe(bId)
    const received: Array<{ text: string, via: string }> = []
    b.addEventListener('message', (e) => received.push({ text: e.detail.text, via: e.detail.via }))
    await pWaitFor(() => received.length > 0, { timeout: 30_000 })
    expect(received).toEqual([{ text: 'left with m', via: 'mailbox' }])
  })

  it('a 1.2 node (only /natter/dm/1.0.0) and a 1.3 node talk both ways, every envelope signed', async () => {
    const [a, b] = await pair({ dmVersion: '1.2' })
    expect(libp2pOf(b).getProtocols()).toContain(DM_PROTOCOL)
    expect(libp2pOf(b).getProtocols()).not.toContain(DM_PROTOCOL_13)
    const sent = tap()
    const received: string[] = []
    b.addEventListener('message', (e) => received.push(e.detail.text))
    a.addEventListener('message', (e) => received.push(e.detail.text))
    for (let i = 0; i < 3; i++) {
      await a.send('bob', `a${i}`)
      await b.send('alice', `b${i}`)
    }
    expect(received).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2'])
    // every stream between them is 1.0; the 1.3 node's established-session envelopes were signed on the way out
    // (the 1.2 node verifies every signature: an unsigned one would have been refused and the send would fail)
    expect(sent.every(s => s.protocol === DM_PROTOCOL)).toBe(true)
    expect(sent.some(s => s.from === a.peerId && isUnsignedEnvelope(s.envelope))).toBe(true)
    expect(sent.some(s => s.from === b.peerId && isUnsignedEnvelope(s.envelope))).toBe(false)
    // and none was refused: a refused session envelope would have been sealed again in a new session (a second X3DH header)
    const initial = (s: Sent): boolean => body(s.envelope).scheme === EnvelopeBody.Scheme.RATCHET && decodeRatchetMessage(body(s.envelope).ciphertext).x3dh != null
    expect(sent.filter(s => s.from === a.peerId && initial(s))).toHaveLength(1)
  })
})
