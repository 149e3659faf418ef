/**
 * Forged, replayed, expired and oversized inputs, sent on the wire by bare
 * libp2p peers: each is refused with its named status (the sender sees a
 * named error), nothing of it is stored, and the node keeps serving.
 * (The envelope and stamp checks themselves are unit-tested in
 * test/unit/envelope.test.ts and test/unit/abuse.test.ts.)
 */
import { lpStream } from '@libp2p/utils'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { EnvelopeBody, MAX_ENVELOPE_AGE_MS, MAX_ENVELOPE_BYTES, Payload, SignedEnvelope, envelopeSigningBytes, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DM_PROTOCOL, DmChannel, MAX_DM_FRAME_BYTES } from '../../src/dm/protocol.js'
import { MAILBOX_PROTOCOL, MailboxClient } from '../../src/mailbox/protocol.js'
import { MAX_PRESENCE_BYTES, MAX_PRESENCE_TTL_MS, PRESENCE_TOPIC, PresenceRecord, SignedPresence, signPresence, verifyPresence } from '../../src/presence/record.js'
import { DmRequest, DmResponse } from '../../src/pb/dm.js'
import { concat, presenceValidatorOf, rawPeerFactory, varint } from '../helpers/fuzz.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { Natter, IncomingMessage } from '../../src/index.js'
import type { RawPeer } from '../helpers/fuzz.js'
import type { Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { payer } from '../helpers/mailbox.js'

const text = (t: string, seq = 1n): Payload => ({ type: Payload.Type.TEXT, text: t, seq, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })
const DAY = 24 * 60 * 60 * 1000

function flipByte (bytes: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(bytes)
  copy[at] = (copy[at] as number) ^ 1
  return copy
}

/** Re-signs an envelope after changing its body: the signature is valid, so the later checks are what refuse it. */
async function resign (from: RawPeer, envelope: Uint8Array, change: (body: EnvelopeBody) => EnvelopeBody): Promise<Uint8Array> {
  const body = EnvelopeBody.encode(change(EnvelopeBody.decode(SignedEnvelope.decode(envelope).body)))
  return SignedEnvelope.encode({ body, signature: await from.key.sign(envelopeSigningBytes(body)) })
}

describe('forged, replayed, expired and oversized inputs on the wire', () => {
  const nodes = nodeFactory()
  const raws = rawPeerFactory()
  afterEach(async () => {
    await raws.cleanup()
    await nodes.cleanup()
  })

  /** bob, and alice: a raw peer bob has as a contact (so no proof of work is in the way). */
  async function setup (): Promise<{ bob: Natter, alice: RawPeer, seal: (t: string, options?: { sentAt?: number, seq?: bigint }) => Promise<{ id: Uint8Array, bytes: Uint8Array }> }> {
    const bob = await nodes.create()
    const alice = await raws.create()
    await bob.contacts.add('alice', alice.libp2p.peerId.toString())
    const seal = async (t: string, options: { sentAt?: number, seq?: bigint } = {}): Promise<{ id: Uint8Array, bytes: Uint8Array }> =>
      sealEnvelope({ senderKey: alice.key, sender: alice.bytes, recipient: parsePeerId(bob.peerId), payload: text(t, options.seq), sentAt: options.sentAt })
    return { bob, alice, seal }
  }

  it('DM envelopes that are forged, tampered, misaddressed, expired or from the future are refused INVALID and never stored', async () => {
    const { bob, alice, seal } = await setup()
    const mallory = await raws.create()
    const carol = await nodes.create()
    const received: IncomingMessage[] = []
    bob.addEventListener('message', (e) => received.push(e.detail))
    const dm = new DmChannel(await alice.libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL))

    const valid = await seal('valid')
    const cases: Array<[string, { id: Uint8Array, bytes: Uint8Array }]> = [
      ['forged sender (signed by mallory)', await sealEnvelope({ senderKey: mallory.key, sender: alice.bytes, recipient: parsePeerId(bob.peerId), payload: text('forged') })],
      ['tampered ciphertext', { id: valid.id, bytes: flipByte(valid.bytes, valid.bytes.length - 80) }],
      ['tampered, then re-signed by its sender', { id: valid.id, bytes: await resign(alice, valid.bytes, body => ({ ...body, ciphertext: body.ciphertext.map((x, i) => i === 0 ? x ^ 1 : x) })) }],
      ['addressed to carol', await sealEnvelope({ senderKey: alice.key, sender: alice.bytes, recipient: parsePeerId(carol.peerId), payload: text('misaddressed') })],
      ['expired (31 days old)', await seal('expired', { sentAt: Date.now() - MAX_ENVELOPE_AGE_MS - DAY })],
      ['from the future (10 min ahead)', await seal('future', { sentAt: Date.now() + 10 * 60 * 1000 })],
      ['an unknown envelope version', { id: valid.id, bytes: await resign(alice, valid.bytes, body => ({ ...body, version: 2 })) }]
    ]
    for (const [what, e] of cases) {
      await expect(dm.send(e.id, e.bytes), what).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'INVALID' })
    }
    // the stream stayed usable: the valid one goes through, and only it is stored
    await dm.send(valid.id, valid.bytes)
    expect(bob.messages.history('alice').map(m => m.text)).toEqual(['valid'])
    expect(received.map(m => m.text)).toEqual(['valid'])
    expect(bob.messages.history(carol.peerId)).toEqual([])
  })

  it('an oversized DM envelope is refused TOO_LARGE on an open stream; an oversized frame or length prefix ends only that stream', async () => {
    const { bob, alice, seal } = await setup()
    const open = async (): Promise<{ stream: Stream, lp: LengthPrefixedStream<Stream> }> => {
      const stream = await alice.libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL)
      return { stream, lp: lpStream(stream) }
    }
    const reply = async (lp: LengthPrefixedStream<Stream>): Promise<DmResponse> => DmResponse.decode(await lp.read())

    // the channel refuses to send it at all, with a named error
    const big = new Uint8Array(MAX_ENVELOPE_BYTES + 1)
    await expect(new DmChannel((await open()).stream).send(new Uint8Array(16), big)).rejects.toMatchObject({ name: 'MessageTooLargeError' })

    // an envelope over its limit inside a frame within the frame limit, whose id still decodes: TOO_LARGE with
    // the id, and the stream goes on
    const padded = await seal('padded past the limit')
    const oversized = concat([padded.bytes, Uint8Array.of(0x7a), varint(MAX_ENVELOPE_BYTES - padded.bytes.byteLength), new Uint8Array(MAX_ENVELOPE_BYTES - padded.bytes.byteLength)])
    expect(oversized.byteLength).toBeGreaterThan(MAX_ENVELOPE_BYTES)
    const { lp } = await open()
    await lp.write(DmRequest.encode({ envelope: oversized }))
    const refused = await reply(lp)
    expect({ status: refused.status, id: Buffer.from(refused.id).toString('hex') }).toEqual({ status: DmResponse.Status.TOO_LARGE, id: Buffer.from(padded.id).toString('hex') })
    const after = await seal('after the oversized envelope')
    await lp.write(DmRequest.encode({ envelope: after.bytes }))
    const ok = await reply(lp)
    expect({ status: ok.status, id: Buffer.from(ok.id).toString('hex') }).toEqual({ status: DmResponse.Status.OK, id: Buffer.from(after.id).toString('hex') })

    // an oversized envelope that does not decode at all (zeros): TOO_LARGE with an empty id, then the stream is
    // closed, not reset, so the reply is not lost (PROTOCOL.md §5)
    const zeros = await open()
    await zeros.lp.write(DmRequest.encode({ envelope: big }))
    const zeroReply = await reply(zeros.lp)
    expect({ status: zeroReply.status, id: zeroReply.id.byteLength }).toEqual({ status: DmResponse.Status.TOO_LARGE, id: 0 })
    await expect(zeros.lp.read()).rejects.toMatchObject({ name: 'UnexpectedEOFError' })

    // a frame over the frame limit (as its length prefix says): TOO_LARGE, then the stream ends
    const tooBig = await open()
    tooBig.stream.send(concat([varint(MAX_DM_FRAME_BYTES + 1), new Uint8Array(64)]))
    expect(await reply(tooBig.lp)).toMatchObject({ status: DmResponse.Status.TOO_LARGE })
    await expect(tooBig.lp.read()).rejects.toMatchObject({ name: 'UnexpectedEOFError' })

    // a length prefix longer than any frame within the limit needs, or one that never ends: the stream ends, without a reply
    for (const prefix of [varint(2 ** 21), new Uint8Array(64 * 1024).fill(0x80)]) {
      const { stream, lp: ended } = await open()
      stream.send(prefix)
      await expect(ended.read()).rejects.toThrow()
    }

    // the node still serves
    const last = await seal('still up', { seq: 2n })
    await new DmChannel(await alice.libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL)).send(last.id, last.bytes)
    expect(bob.messages.history('alice').map(m => m.text)).toEqual(['after the oversized envelope', 'still up'])
  })

  it('a replayed envelope is shown once, whether it comes again directly or through a mailbox', async () => {
    const { bob, alice, seal } = await setup()
    const mbox = await nodes.create()
    const received: IncomingMessage[] = []
    bob.addEventListener('message', (e) => received.push(e.detail))
    const e = await seal('once only')
    const dm = new DmChannel(await alice.libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL))
    await dm.send(e.id, e.bytes)
    await dm.send(e.id, e.bytes)

    // the same envelope left at a mailbox bob fetches from: acknowledged (deleted there), not shown again
    const deposit = new MailboxClient(await alice.libp2p.dialProtocol(multiaddr(mbox.addresses[0]!), MAILBOX_PROTOCOL), payer(alice, mbox))
    await deposit.deposit(e.bytes)
    await deposit.close()
    await bob.connect(mbox.addresses[0]!)
    // the copy is fetched by this call or by the fetch bob starts on his own when a contact or mailbox peer
    // connects (§9.5), whichever runs first; either way it is then acknowledged and gone from the mailbox
    expect(await bob.mailbox.fetch()).toBeLessThanOrEqual(1)
    await pWaitFor(async () => await bob.mailbox.fetch() === 0, { timeout: 10_000 })
    expect(received.map(m => m.text)).toEqual(['once only'])
    expect(bob.messages.history('alice')).toHaveLength(1)
  })

  it('mailbox deposits that are forged, expired, from the future or malformed are refused INVALID and not held', async () => {
    const mbox = await nodes.create()
    const alice = await raws.create()
    const mallory = await raws.create()
    const recipient = await raws.create()
    const to = parsePeerId(recipient.libp2p.peerId.toString())
    const client = new MailboxClient(await alice.libp2p.dialProtocol(multiaddr(mbox.addresses[0]!), MAILBOX_PROTOCOL), payer(alice, mbox))
    const cases: Array<[string, Uint8Array]> = [
      ['forged sender', (await sealEnvelope({ senderKey: mallory.key, sender: alice.bytes, recipient: to, payload: text('forged') })).bytes],
      ['expired', (await sealEnvelope({ senderKey: alice.key, sender: alice.bytes, recipient: to, payload: text('old'), sentAt: Date.now() - MAX_ENVELOPE_AGE_MS - DAY })).bytes],
      ['from the future', (await sealEnvelope({ senderKey: alice.key, sender: alice.bytes, recipient: to, payload: text('future'), sentAt: Date.now() + 10 * 60 * 1000 })).bytes],
      ['not an envelope', new Uint8Array([1, 2, 3, 4])],
      ['empty', new Uint8Array(0)]
    ]
    for (const [what, envelope] of cases) {
      await expect(client.deposit(envelope), what).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'INVALID' })
    }
    await client.deposit((await sealEnvelope({ senderKey: alice.key, sender: alice.bytes, recipient: to, payload: text('fine') })).bytes)
    await client.close()
    const fetcher = new MailboxClient(await recipient.libp2p.dialProtocol(multiaddr(mbox.addresses[0]!), MAILBOX_PROTOCOL), payer(recipient, mbox))
    expect(await fetcher.fetchAll(recipient.key, recipient.bytes, parsePeerId(mbox.peerId).bytes, async () => [])).toBe(1)
  })

  it('presence records that are forged, expired, from the future, too long-lived or oversized are rejected with named reasons', async () => {
    const bob = await nodes.create()
    const alice = await raws.create()
    const mallory = await raws.create()
    const validate = presenceValidatorOf(bob)
    const now = Date.now()
    const record = (fields: Partial<PresenceRecord>): Uint8Array => PresenceRecord.encode({ peerId: alice.bytes, status: PresenceRecord.Status.ONLINE, note: '', seq: 1n, issuedAt: BigInt(now), expiresAt: BigInt(now + 60_000), ...fields })
    const signed = async (bytes: Uint8Array, key = alice.key): Promise<Uint8Array> =>
      SignedPresence.encode({ record: bytes, signature: await key.sign(concat([new TextEncoder().encode('natter-presence-v1'), bytes])) })
    const valid = await signPresence(alice.key, alice.bytes, { status: 'online', note: '', seq: 1n, issuedAt: now, expiresAt: now + 60_000 })

    const cases: Array<[string, Uint8Array, string]> = [
      ['forged (alice\'s record signed by mallory)', await signed(record({}), mallory.key), 'bad-signature'],
      ['expired', await signed(record({ issuedAt: BigInt(now - 120_000), expiresAt: BigInt(now - 1000) })), 'expired'],
      ['from the future', await signed(record({ issuedAt: BigInt(now + 10 * 60_000), expiresAt: BigInt(now + 11 * 60_000) })), 'future'],
      ['too long-lived', await signed(record({ expiresAt: BigInt(now + MAX_PRESENCE_TTL_MS + 1) })), 'malformed'],
      ['a note over 140 bytes', await signed(record({ note: 'x'.repeat(141) })), 'too-large'],
      ['oversized', concat([valid, varint(15 * 8 + 2), varint(MAX_PRESENCE_BYTES), new Uint8Array(MAX_PRESENCE_BYTES)]), 'too-large'],
      ['not a record', new Uint8Array([0xff, 0x01]), 'malformed']
    ]
    for (const [what, data, reason] of cases) {
      await expect(verifyPresence(data), what).rejects.toMatchObject({ name: 'InvalidMessageError', reason })
      expect(await validate(alice.libp2p.peerId, { type: 'unsigned', topic: PRESENCE_TOPIC, data }), what).toBe(TopicValidatorResult.Reject)
    }
    expect(await validate(alice.libp2p.peerId, { type: 'unsigned', topic: PRESENCE_TOPIC, data: valid })).toBe(TopicValidatorResult.Accept)
  })
})
