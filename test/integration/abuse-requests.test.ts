/**
 * Unsolicited messages and hostile peers (issue 6): the requests inbox, the
 * block list, proof of work on first contact, and per-peer rate limits — as
 * seen through the public API, and on the wire from bare libp2p peers that do
 * not follow the library's rules.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { TopicValidatorResult, gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { pEvent } from 'p-event'
import { createLibp2p } from 'libp2p'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeStamp, encodeStamp, mintStamp, verifyStamp } from '../../src/abuse/index.js'
import { EnvelopeBody, Payload, SignedEnvelope, envelopeSigningBytes, sealEnvelope, verifyEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId, peerFromBytes } from '../../src/crypto/peer.js'
import { DM_PROTOCOL, DmChannel, handleDmStream } from '../../src/dm/protocol.js'
import { MAILBOX_PROTOCOL, MailboxClient } from '../../src/mailbox/protocol.js'
import { PRESENCE_TOPIC, PresenceRecord, SignedPresence, signPresence } from '../../src/presence/record.js'
import { DmResponse } from '../../src/pb/dm.js'
import { presenceValidatorOf, rawPeerFactory } from '../helpers/fuzz.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { Natter, IncomingMessage } from '../../src/index.js'
import type { RawPeer } from '../helpers/fuzz.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { depositStamp, payer } from '../helpers/mailbox.js'

/** The proof-of-work difficulty the recipients in these tests demand. */
const POW = 10

const text = (t: string, seq = 1n): Payload => ({ type: Payload.Type.TEXT, text: t, seq, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

/** A stamp minted by `from` for `to` (peer id strings or raw peers). */
async function stamp (from: RawPeer, to: string, options: { difficulty?: number, now?: number } = {}): Promise<Uint8Array> {
  return encodeStamp(await mintStamp({ sender: from.bytes, recipient: parsePeerId(to).bytes, difficulty: options.difficulty ?? POW, now: options.now }))
}

/** An envelope from a raw peer to a node. */
async function envelope (from: RawPeer, to: string, body: string, options: { stamp?: Uint8Array, seq?: bigint } = {}): Promise<{ id: Uint8Array, bytes: Uint8Array, hex: string }> {
  const sealed = await sealEnvelope({ senderKey: from.key, sender: from.bytes, recipient: parsePeerId(to), payload: text(body, options.seq), stamp: options.stamp })
  return { id: sealed.id, bytes: sealed.bytes, hex: Buffer.from(sealed.id).toString('hex') }
}

/** A DM channel from a raw peer to a node. */
async function channel (from: RawPeer, to: Natter): Promise<DmChannel> {
  return new DmChannel(await from.libp2p.dialProtocol(multiaddr(to.addresses[0]!), DM_PROTOCOL))
}

/** A mailbox session from a raw peer with a node. */
async function mailbox (from: RawPeer, at: Natter): Promise<MailboxClient> {
  return new MailboxClient(await from.libp2p.dialProtocol(multiaddr(at.addresses[0]!), MAILBOX_PROTOCOL), payer(from, at))
}

/** Everything a mailbox holds for a raw peer (fetched, not acknowledged). */
async function held (who: RawPeer, at: Natter): Promise<number> {
  const client = await mailbox(who, at)
  try {
    return await client.fetchAll(who.key, who.bytes, parsePeerId(at.peerId).bytes, async () => [])
  } finally {
    await client.close()
  }
}

/** Collects a node's `message` and `request` events. */
function inbox (node: Natter): { messages: IncomingMessage[], requests: IncomingMessage[] } {
  const box = { messages: [] as IncomingMessage[], requests: [] as IncomingMessage[] }
  node.addEventListener('message', (e) => box.messages.push(e.detail))
  node.addEventListener('request', (e) => box.requests.push(e.detail))
  return box
}

describe('hostile peers and unsolicited messages', () => {
  const nodes = nodeFactory({ powDifficulty: POW, bundleTimeoutMs: 1000, presenceVisibility: 'public' })
  const raws = rawPeerFactory()
  const gossipers: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(gossipers.splice(0).map(async g => { await g.stop() }))
    await raws.cleanup()
    await nodes.cleanup()
  })

  /** A libp2p peer with gossipsub and nothing else (no DHT: it meets only the peers it dials). */
  async function gossipOnlyPeer (): Promise<Libp2p<{ identify: Identify, pubsub: GossipSub }>> {
    const peer = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign' }) }
    })
    gossipers.push(peer)
    return peer
  }

  describe('message requests', () => {
    it('a stranger\'s message waits in the requests inbox, apart from the conversations, until accepted', async () => {
      const bob = await nodes.create()
      const stranger = await nodes.create()
      const box = inbox(bob)
      await stranger.connect(bob.addresses[0]!)

      const request = pEvent(bob, 'request') as Promise<CustomEvent<IncomingMessage>>
      const first = await stranger.send(bob.peerId, 'hi, we have not met')
      expect((await request).detail).toMatchObject({ id: first.id, from: stranger.peerId, text: 'hi, we have not met' })
      expect(box.messages).toEqual([])
      expect(bob.requests.list()).toMatchObject([{ peer: stranger.peerId, count: 1, first: { id: first.id }, last: { id: first.id } }])
      expect(bob.messages.conversations().map(c => c.peer)).not.toContain(stranger.peerId)

      // a second message joins the same request
      await stranger.send(bob.peerId, 'are you there?')
      expect(bob.requests.list()).toMatchObject([{ peer: stranger.peerId, count: 2 }])
      expect(box.requests).toHaveLength(2)

      // accepted: the conversation moves to the inbox, and what follows arrives as messages
      bob.requests.accept(stranger.peerId)
      expect(bob.requests.list()).toEqual([])
      expect(bob.messages.conversations().map(c => c.peer)).toContain(stranger.peerId)
      expect(bob.messages.history(stranger.peerId).map(m => m.text)).toEqual(['hi, we have not met', 'are you there?'])
      const message = pEvent(bob, 'message') as Promise<CustomEvent<IncomingMessage>>
      await stranger.send(bob.peerId, 'thanks')
      expect((await message).detail.text).toBe('thanks')
      expect(box.requests).toHaveLength(2)
    })

    it('declining deletes the request; declining with block blocks the peer, which cannot tell', async () => {
      const bob = await nodes.create()
      const polite = await nodes.create()
      const pest = await nodes.create()
      await polite.connect(bob.addresses[0]!)
      await pest.connect(bob.addresses[0]!)
      const box = inbox(bob)

      await polite.send(bob.peerId, 'hello?')
      await pest.send(bob.peerId, 'buy now')
      await pest.send(bob.peerId, 'last chance')
      expect(bob.requests.list().map(r => r.peer).sort()).toEqual([polite.peerId, pest.peerId].sort())

      // declined without a block: deleted, but the peer may ask again
      expect(bob.requests.decline(polite.peerId)).toBe(1)
      expect(bob.messages.history(polite.peerId)).toEqual([])
      expect(bob.requests.list().map(r => r.peer)).toEqual([pest.peerId])
      await polite.send(bob.peerId, 'sorry to insist')
      expect(bob.requests.list().find(r => r.peer === polite.peerId)).toMatchObject({ count: 1, first: { text: 'sorry to insist' } })

      // declined with a block: deleted and blocked; the pest's next message is acknowledged to it and dropped
      expect(bob.requests.decline(pest.peerId, { block: true })).toBe(2)
      expect(bob.blocklist.list().map(b => b.peerId)).toEqual([pest.peerId])
      const events = box.requests.length
      const dropped = await pest.send(bob.peerId, 'you cannot ignore me')
      expect(dropped.state).toBe('delivered')
      expect(bob.messages.history(pest.peerId)).toEqual([])
      expect(bob.requests.list().map(r => r.peer)).toEqual([polite.peerId])
      expect(bob.messages.get(dropped.id)).toBeUndefined()
      expect(box.requests).toHaveLength(events)
    })
  })

  describe('the block list', () => {
    it('a blocked peer\'s messages are acknowledged to it but never stored or shown, whether direct or from a mailbox', async () => {
      const bob = await nodes.create()
      const alice = await nodes.create()
      await bob.contacts.add('alice', alice.peerId)
      await alice.contacts.add('bob', bob.peerId)
      await alice.connect(bob.addresses[0]!)
      await alice.send(bob.peerId, 'before the block')
      const box = inbox(bob)

      bob.blocklist.block('alice')
      const sent = await alice.send(bob.peerId, 'after the block')
      expect(sent.state).toBe('delivered')
      expect(bob.messages.history('alice').map(m => m.text)).toEqual(['before the block'])
      expect(bob.messages.get(sent.id)).toBeUndefined()

      // the same through a mailbox: a raw blocked peer leaves a message for bob with a mailbox bob fetches from
      const mallory = await raws.create()
      bob.blocklist.block(mallory.libp2p.peerId.toString())
      const mbox = await nodes.create()
      const left = await envelope(mallory, bob.peerId, 'left at the mailbox', { stamp: await stamp(mallory, bob.peerId) })
      await (await mailbox(mallory, mbox)).deposit(left.bytes)
      await bob.connect(mbox.addresses[0]!)
      // fetched by this call or by a fetch bob starts on his own (a contact's presence, §9.5), whichever runs first
      expect(await bob.mailbox.fetch()).toBeLessThanOrEqual(1)
      // and bob acknowledged it, so the mailbox no longer holds it
      await pWaitFor(async () => await bob.mailbox.fetch() === 0, { timeout: 10_000 })
      expect(bob.messages.history(mallory.libp2p.peerId.toString())).toEqual([])
      expect(bob.requests.list()).toEqual([])
      expect(box.messages).toEqual([])
      expect(box.requests).toEqual([])

      // unblocked, alice is heard again
      bob.blocklist.unblock('alice')
      const message = pEvent(bob, 'message') as Promise<CustomEvent<IncomingMessage>>
      await alice.send(bob.peerId, 'unblocked')
      expect((await message).detail.text).toBe('unblocked')
    })

    it('a blocked peer\'s presence is not shown', async () => {
      const bob = await nodes.create({ presenceTtlMs: 5000, presenceRepublishMs: 1000 })
      const carol = await nodes.create({ presenceTtlMs: 5000, presenceRepublishMs: 1000, bootstrap: [bob.addresses[0]!] })
      await pWaitFor(() => bob.presence.get(carol.peerId)?.status === 'online', { timeout: 10_000 })
      // a witness that hears carol only through bob (gossip only, no DHT to find her by): bob forwards a record after his own checks
      const witness = await gossipOnlyPeer()
      const heard: string[] = []
      witness.services.pubsub.addEventListener('message', (e) => {
        if (e.detail.topic === PRESENCE_TOPIC) {
          const record = PresenceRecord.decode(SignedPresence.decode(e.detail.data).record)
          heard.push(`${peerFromBytes(record.peerId).peerId.toString()} ${record.note}`)
        }
      })
      witness.services.pubsub.subscribe(PRESENCE_TOPIC)
      await witness.dial(multiaddr(bob.addresses[0]!))
      await pWaitFor(() => witness.services.pubsub.getSubscribers(PRESENCE_TOPIC).some(p => p.toString() === bob.peerId), { timeout: 10_000 })

      bob.blocklist.block(carol.peerId)
      // what bob knew before the block is hidden as well
      expect(bob.presence.get(carol.peerId)).toBeUndefined()
      expect(bob.presence.list().map(p => p.peerId)).not.toContain(carol.peerId)
      const changes: string[] = []
      bob.addEventListener('presence', (e) => { if (e.detail.peerId === carol.peerId) changes.push(e.detail.status) })
      await carol.presence.set({ status: 'busy', note: 'blocked' })
      await pWaitFor(() => heard.includes(`${carol.peerId} blocked`), { timeout: 10_000 })
      expect(witness.getConnections().map(c => c.remotePeer.toString())).toEqual([bob.peerId])
      expect(bob.presence.get(carol.peerId)).toBeUndefined()
      expect(changes).toEqual([])

      bob.blocklist.unblock(carol.peerId)
      await carol.presence.set({ status: 'away', note: 'unblocked' })
      await pWaitFor(() => bob.presence.get(carol.peerId)?.status === 'away', { timeout: 10_000 })
    })

    it('a blocked peer\'s mailbox deposits are acknowledged to it and dropped', async () => {
      const mbox = await nodes.create()
      const mallory = await raws.create()
      const honest = await raws.create()
      const recipient = await raws.create()
      const to = recipient.libp2p.peerId.toString()
      mbox.blocklist.block(mallory.libp2p.peerId.toString())

      const fromMallory = await mailbox(mallory, mbox)
      for (let i = 0; i < 3; i++) {
        await fromMallory.deposit((await envelope(mallory, to, `spam ${i}`)).bytes)
      }
      await fromMallory.close()
      await (await mailbox(honest, mbox)).deposit((await envelope(honest, to, 'kept')).bytes)

      expect(await held(recipient, mbox)).toBe(1)
    })

    it('a blocked peer cannot come back under another encoding of its key', async () => {
      const bob = await nodes.create()
      const mallory = await raws.create()
      const malloryId = mallory.libp2p.peerId.toString()
      bob.blocklist.block(malloryId)
      const box = inbox(bob)

      // the same public key in a protobuf with another wire type for its type field: an alias peer id
      const alias = Uint8Array.from(mallory.bytes)
      expect(alias.subarray(0, 4)).toEqual(Uint8Array.of(0x00, 0x24, 0x08, 0x01))
      alias[2] = 0x0b
      const sealed = await envelope(mallory, bob.peerId, 'it is me again')
      const body = EnvelopeBody.decode(SignedEnvelope.decode(sealed.bytes).body)
      const aliasBody = EnvelopeBody.encode({ ...body, sender: alias, stamp: encodeStamp(await mintStamp({ sender: alias, recipient: parsePeerId(bob.peerId).bytes, difficulty: POW })) })
      const forged = SignedEnvelope.encode({ body: aliasBody, signature: await mallory.key.sign(envelopeSigningBytes(aliasBody)) })
      await expect(verifyEnvelope(forged)).rejects.toMatchObject({ name: 'InvalidMessageError', reason: 'malformed' })

      await expect((await channel(mallory, bob)).send(sealed.id, forged)).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'INVALID' })
      expect(bob.requests.list()).toEqual([])
      expect(box.requests).toEqual([])

      // nor can its presence: a record under the alias is rejected
      const record = await signPresence(mallory.key, alias, { status: 'online', note: '', seq: 1n, issuedAt: Date.now(), expiresAt: Date.now() + 60_000 })
      expect(await presenceValidatorOf(bob)(mallory.libp2p.peerId, { type: 'unsigned', topic: PRESENCE_TOPIC, data: record })).toBe(TopicValidatorResult.Reject)
    })
  })

  describe('first contact costs work', () => {
    it('a stranger\'s first message without a stamp is refused with POW_REQUIRED and the difficulty wanted', async () => {
      const bob = await nodes.create()
      const stranger = await raws.create()
      const dm = await channel(stranger, bob)
      const first = await envelope(stranger, bob.peerId, 'no work done')
      await expect(dm.send(first.id, first.bytes)).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'POW_REQUIRED', requiredDifficulty: POW })
      expect(bob.requests.list()).toEqual([])

      // with a stamp it lands in the requests inbox; after that no more work is asked
      const paid = await envelope(stranger, bob.peerId, 'work done', { stamp: await stamp(stranger, bob.peerId) })
      await dm.send(paid.id, paid.bytes)
      const second = await envelope(stranger, bob.peerId, 'and again', { seq: 2n })
      await dm.send(second.id, second.bytes)
      expect(bob.requests.list()).toMatchObject([{ peer: stranger.libp2p.peerId.toString(), count: 2 }])
    })

    it('refuses stamps bound to another recipient or sender, expired, too weak or replayed', async () => {
      // every refused try costs the stranger a token: a burst large enough for all of them
      const bob = await nodes.create({ rateLimits: { dm: { stranger: { rate: 0, burst: 20 } } } })
      const carol = await nodes.create()
      const stranger = await raws.create()
      const other = await raws.create()
      const dm = await channel(stranger, bob)
      const refused = { name: 'DeliveryRefusedError', status: 'POW_REQUIRED' }

      const cases: Array<[string, Uint8Array]> = [
        ['for another recipient', await stamp(stranger, carol.peerId)],
        ['by another sender', await stamp(other, bob.peerId)],
        ['expired (25 h old)', await stamp(stranger, bob.peerId, { now: Date.now() - 25 * 60 * 60 * 1000 })],
        ['from the future (1 h ahead)', await stamp(stranger, bob.peerId, { now: Date.now() + 60 * 60 * 1000 })],
        ['too weak', await stamp(stranger, bob.peerId, { difficulty: POW - 4 })],
        ['not a stamp', new Uint8Array(18).fill(1)]
      ]
      for (const [what, bad] of cases) {
        const e = await envelope(stranger, bob.peerId, `stamp ${what}`, { stamp: bad })
        await expect(dm.send(e.id, e.bytes), what).rejects.toMatchObject(refused)
      }
      expect(bob.requests.list()).toEqual([])

      // a valid stamp buys one message: declined, the stranger cannot replay it to ask again
      const good = await stamp(stranger, bob.peerId)
      const first = await envelope(stranger, bob.peerId, 'first contact', { stamp: good })
      await dm.send(first.id, first.bytes)
      expect(bob.requests.list()).toHaveLength(1)
      expect(bob.requests.decline(stranger.libp2p.peerId.toString())).toBe(1)
      const reused = await envelope(stranger, bob.peerId, 'a new message, the old stamp', { stamp: good })
      await expect(dm.send(reused.id, reused.bytes), 'the same stamp').rejects.toMatchObject(refused)
      expect(bob.requests.list()).toEqual([])
    })

    it('a declined message is still a duplicate: the same envelope, or the same id with a new stamp, is acknowledged and never shown again (issue 11 erratum 7)', async () => {
      const dataDir = await nodes.tempDir()
      const bob = await nodes.create({ dataDir, rateLimits: { dm: { stranger: { rate: 0, burst: 20 } } } })
      const stranger = await raws.create()
      const dm = await channel(stranger, bob)
      const first = await envelope(stranger, bob.peerId, 'first contact', { stamp: await stamp(stranger, bob.peerId) })
      await dm.send(first.id, first.bytes)
      expect(bob.requests.decline(stranger.libp2p.peerId.toString())).toBe(1)

      // the very same envelope (a retry, or a mailbox copy): OK, as for any duplicate (PROTOCOL.md §4.3)
      await dm.send(first.id, first.bytes)
      // a sender that follows §8.5.2 after a refusal: a new stamp, the same id — still the same message
      const again = await sealEnvelope({ senderKey: stranger.key, sender: stranger.bytes, recipient: parsePeerId(bob.peerId), payload: text('first contact'), id: first.id, stamp: await stamp(stranger, bob.peerId) })
      await dm.send(again.id, again.bytes)
      expect(bob.requests.list(), 'the declined message does not reappear').toEqual([])

      // and after a restart (the ids are persisted)
      await bob.stop()
      const bob2 = await nodes.create({ dataDir, rateLimits: { dm: { stranger: { rate: 0, burst: 20 } } } })
      const dm2 = await channel(stranger, bob2)
      await dm2.send(first.id, first.bytes)
      expect(bob2.requests.list()).toEqual([])
    })

    it('contacts need no stamp', async () => {
      const bob = await nodes.create()
      const friend = await raws.create()
      await bob.contacts.add('friend', friend.libp2p.peerId.toString())
      const message = pEvent(bob, 'message') as Promise<CustomEvent<IncomingMessage>>
      const e = await envelope(friend, bob.peerId, 'no stamp needed')
      await (await channel(friend, bob)).send(e.id, e.bytes)
      expect((await message).detail).toMatchObject({ from: friend.libp2p.peerId.toString(), text: 'no stamp needed' })
    })

    it('the library pays the work the recipient asks for on a first message, and only then', async () => {
      // a raw recipient that wants 12 bits and records the stamps it is shown
      const recipient = await raws.create()
      const seen: Array<{ difficulty: number, valid: boolean }> = []
      await recipient.libp2p.handle(DM_PROTOCOL, (stream, connection) => handleDmStream(stream, connection, {
        onEnvelope: async (bytes) => {
          const verified = await verifyEnvelope(bytes)
          const id = verified.body.id
          if (verified.body.stamp.byteLength === 0) {
            seen.push({ difficulty: 0, valid: false })
            return { status: DmResponse.Status.POW_REQUIRED, id, requiredDifficulty: 12 }
          }
          const s = decodeStamp(verified.body.stamp)
          try {
            verifyStamp(s, { sender: verified.body.sender, recipient: recipient.bytes, minDifficulty: 12 })
            seen.push({ difficulty: s.difficulty, valid: true })
            return { status: DmResponse.Status.OK, id }
          } catch {
            seen.push({ difficulty: s.difficulty, valid: false })
            return { status: DmResponse.Status.POW_REQUIRED, id, requiredDifficulty: 12 }
          }
        }
      }))
      const sender = await nodes.create({ powDifficulty: 4 })
      const to = recipient.libp2p.peerId.toString()
      const address = recipient.libp2p.getMultiaddrs()[0]!.toString()
      await sender.connect(address.includes('/p2p/') ? address : `${address}/p2p/${to}`)
      const first = await sender.send(to, 'hello, stranger')
      expect(first.state).toBe('delivered')
      // it stamped at its own difficulty first, was told 12, and paid 12
      expect(seen).toEqual([{ difficulty: 4, valid: false }, { difficulty: 12, valid: true }])

      // natter to natter: the first message carries a stamp the recipient accepts
      const bob = await nodes.create()
      const request = pEvent(bob, 'request') as Promise<CustomEvent<IncomingMessage>>
      await sender.connect(bob.addresses[0]!)
      await sender.send(bob.peerId, 'a first message to a natter node')
      expect((await request).detail.text).toBe('a first message to a natter node')
    })
  })

  describe('rate limits', () => {
    it('a stranger past its burst is refused RATE_LIMITED and nothing past the limit is stored; a contact is not limited', async () => {
      const bob = await nodes.create()
      const stranger = await nodes.create()
      const friend = await nodes.create()
      await bob.contacts.add('friend', friend.peerId)
      await stranger.connect(bob.addresses[0]!)
      await friend.connect(bob.addresses[0]!)

      // the default stranger rule for direct messages: a burst of 3, then one per 30 s
      for (let i = 0; i < 3; i++) {
        await stranger.send(bob.peerId, `within the burst ${i}`)
      }
      await expect(stranger.send(bob.peerId, 'one too many')).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'RATE_LIMITED' })
      expect(bob.messages.history(stranger.peerId).map(m => m.text)).toEqual(['within the burst 0', 'within the burst 1', 'within the burst 2'])
      expect(bob.requests.list()).toMatchObject([{ peer: stranger.peerId, count: 3 }])

      // a raw stranger on its own connection has its own bucket, and gets the same
      const raw = await raws.create()
      const dm = await channel(raw, bob)
      const statuses: string[] = []
      for (let i = 0; i < 6; i++) {
        const e = await envelope(raw, bob.peerId, `raw ${i}`, { stamp: await stamp(raw, bob.peerId), seq: BigInt(i + 1) })
        statuses.push(await dm.send(e.id, e.bytes).then(() => 'OK', (err: Error & { status?: string }) => err.status ?? err.name))
      }
      expect(statuses).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
      expect(bob.messages.history(raw.libp2p.peerId.toString())).toHaveLength(3)

      // a contact sends far more than a stranger's burst, unhindered
      for (let i = 0; i < 30; i++) {
        await friend.send(bob.peerId, `friend ${i}`)
      }
      expect(bob.messages.history(friend.peerId)).toHaveLength(30)
    })

    it('mailbox requests past a stranger\'s burst are refused RATE_LIMITED and not stored', async () => {
      const mbox = await nodes.create({ rateLimits: { mailbox: { stranger: { rate: 0, burst: 5 } } } })
      const stranger = await raws.create()
      const recipient = await raws.create()
      const to = recipient.libp2p.peerId.toString()
      const client = await mailbox(stranger, mbox)
      // the deposit stamp paid up front, so every request below is a deposit
      const paid = await depositStamp(stranger, mbox, POW)
      for (let i = 0; i < 5; i++) {
        await client.deposit((await envelope(stranger, to, `deposit ${i}`)).bytes, i === 0 ? { stamp: paid } : {})
      }
      await expect(client.deposit((await envelope(stranger, to, 'one too many')).bytes)).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'RATE_LIMITED' })
      await client.close()
      expect(await held(recipient, mbox)).toBe(5)
    })

    it('presence records past a stranger\'s burst are ignored, a contact\'s are not', async () => {
      const bob = await nodes.create({ rateLimits: { presence: { stranger: { rate: 0, burst: 2 }, contact: { rate: 0, burst: 4 } } } })
      const stranger = await raws.create()
      const friend = await raws.create()
      await bob.contacts.add('friend', friend.libp2p.peerId.toString())
      const validate = presenceValidatorOf(bob)
      const results = async (who: RawPeer, n: number): Promise<string[]> => {
        const out: string[] = []
        for (let i = 1; i <= n; i++) {
          const data = await signPresence(who.key, who.bytes, { status: 'online', note: `${i}`, seq: BigInt(i), issuedAt: Date.now(), expiresAt: Date.now() + 60_000 })
          out.push(await validate(who.libp2p.peerId, { type: 'unsigned', topic: PRESENCE_TOPIC, data }))
        }
        return out
      }
      const { Accept, Ignore } = TopicValidatorResult
      expect(await results(stranger, 4)).toEqual([Accept, Accept, Ignore, Ignore])
      expect(await results(friend, 5)).toEqual([Accept, Accept, Accept, Accept, Ignore])
    })
  })
})
