/**
 * Mailboxes against strangers (issue 9; issue 11 erratum 8): deposit stamps
 * and per-depositor quotas, a single-use FETCH nonce, `limit = 0`, paging past
 * envelopes the recipient leaves in place, junk that cannot hide mail, and the
 * stamp record surviving a restart.
 */
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeStamp, mintStamp } from '../../src/abuse/index.js'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DM_PROTOCOL, DmChannel } from '../../src/dm/protocol.js'
import { MAILBOX_PROTOCOL, MailboxClient, fetchSigningBytes } from '../../src/mailbox/protocol.js'
import { MailboxRequest, MailboxResponse } from '../../src/pb/mailbox.js'
import { rawPeerFactory } from '../helpers/fuzz.js'
import { depositStamp, payer } from '../helpers/mailbox.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { Natter } from '../../src/index.js'
import type { RawPeer } from '../helpers/fuzz.js'

const POW = 8
const text = (t: string, seq = 1n): Payload => ({ type: Payload.Type.TEXT, text: t, seq, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })
let stampClock = Date.now()

async function seal (from: RawPeer, to: string, body: string, options: { stamp?: boolean } = {}): Promise<{ id: Uint8Array, bytes: Uint8Array }> {
  const now = Math.max(Date.now(), ++stampClock)
  stampClock = now
  const stamp = options.stamp === true ? encodeStamp(await mintStamp({ sender: from.bytes, recipient: parsePeerId(to).bytes, difficulty: POW, now })) : undefined
  return sealEnvelope({ senderKey: from.key, sender: from.bytes, recipient: parsePeerId(to), payload: text(body), stamp })
}

async function client (from: RawPeer, at: Natter, pay = true): Promise<MailboxClient> {
  return new MailboxClient(await from.libp2p.dialProtocol(multiaddr(at.addresses[0]!), MAILBOX_PROTOCOL), pay ? payer(from, at) : {})
}

const empty = { type: MailboxRequest.Type.DEPOSIT, envelope: new Uint8Array(0), recipient: new Uint8Array(0), signature: new Uint8Array(0), limit: 0, ids: [], stamp: new Uint8Array(0), after: new Uint8Array(0) }

describe('mailboxes against strangers', () => {
  const nodes = nodeFactory({ powDifficulty: POW })
  const raws = rawPeerFactory()
  afterEach(async () => {
    await raws.cleanup()
    await nodes.cleanup()
  })

  it('an unstamped deposit from a stranger is refused STAMP_REQUIRED; one stamp buys a credit; a key cannot fill a recipient\'s quota alone', async () => {
    const mbox = await nodes.create({ rateLimits: { mailbox: { stranger: { rate: 1000, burst: 10_000 } } } })
    const mallory = await raws.create()
    const recipient = (await raws.create()).libp2p.peerId.toString()

    const unpaid = await client(mallory, mbox, false)
    await expect(unpaid.deposit((await seal(mallory, recipient, 'junk')).bytes)).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'STAMP_REQUIRED', requiredDifficulty: POW })
    // a stamp minted for another mailbox, or too weak, buys nothing
    const elsewhere = await nodes.create()
    await expect(unpaid.deposit((await seal(mallory, recipient, 'junk')).bytes, { stamp: await depositStamp(mallory, elsewhere, POW) })).rejects.toMatchObject({ status: 'STAMP_REQUIRED' })
    await expect(unpaid.deposit((await seal(mallory, recipient, 'junk')).bytes, { stamp: await depositStamp(mallory, mbox, POW - 4) })).rejects.toMatchObject({ status: 'STAMP_REQUIRED' })
    // a good one buys a credit: the next deposits need none
    const stamp = await depositStamp(mallory, mbox, POW)
    await unpaid.deposit((await seal(mallory, recipient, 'paid')).bytes, { stamp })
    await unpaid.deposit((await seal(mallory, recipient, 'on credit')).bytes)
    // and the same stamp cannot buy a second credit (the record is shared with direct messages)
    await unpaid.close()

    // the figure: 256 × 64 KiB from one key filled a recipient's 16 MiB in 1.4 s; now one key stops at 2 MiB
    const paying = await client(mallory, mbox)
    let stored = 0
    let refused: unknown
    for (let i = 0; i < 256; i++) {
      const bytes = (await seal(mallory, recipient, 'y'.repeat(16 * 1024))).bytes
      try {
        await paying.deposit(bytes)
        stored++
      } catch (err) {
        refused = err
        break
      }
    }
    const held = mbox.mailbox.usage(recipient)
    console.log(`[mailbox] one stranger key, 16 KiB envelopes for one recipient: ${stored + 2} held (${(held.bytes / 1024).toFixed(0)} KiB) before QUOTA_EXCEEDED (before: 256 × 64 KiB, the whole 16 MiB)`)
    expect(refused).toMatchObject({ name: 'MailboxRefusedError', status: 'QUOTA_EXCEEDED' })
    expect(held.bytes).toBeLessThanOrEqual(2 * 1024 * 1024)
  })

  it('a FETCH nonce is good once; limit 0 means the mailbox\'s own cap', async () => {
    const mbox = await nodes.create()
    const depositor = await raws.create()
    const recipient = await raws.create()
    const to = recipient.libp2p.peerId.toString()
    const deposits = await client(depositor, mbox)
    for (let i = 0; i < 3; i++) {
      await deposits.deposit((await seal(depositor, to, `held ${i}`)).bytes)
    }
    await deposits.close()

    const stream = await recipient.libp2p.dialProtocol(multiaddr(mbox.addresses[0]!), MAILBOX_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: 2 * 1024 * 1024 })
    const call = async (request: Partial<MailboxRequest>): Promise<MailboxResponse> => {
      await lp.write(MailboxRequest.encode({ ...empty, ...request }))
      return MailboxResponse.decode((await lp.read()).subarray())
    }
    const { nonce } = await call({ type: MailboxRequest.Type.CHALLENGE })
    const signature = await recipient.key.sign(fetchSigningBytes(parsePeerId(mbox.peerId).bytes, nonce))
    const first = await call({ type: MailboxRequest.Type.FETCH, recipient: recipient.bytes, signature, limit: 0 })
    expect(first.status).toBe(MailboxResponse.Status.OK)
    expect(first.envelopes, 'limit 0: as many as the mailbox allows, not none').toHaveLength(3)
    const replayed = await call({ type: MailboxRequest.Type.FETCH, recipient: recipient.bytes, signature, limit: 0 })
    expect(replayed.status, 'the same signature over a used nonce').toBe(MailboxResponse.Status.UNAUTHORIZED)
    await stream.close()
  })

  it('fetching pages past envelopes the recipient leaves in place', async () => {
    const mbox = await nodes.create({ mailboxQuotas: { maxEnvelopesPerDepositorRecipient: 1000, maxEnvelopesPerDepositor: 1000 }, rateLimits: { mailbox: { stranger: { rate: 1000, burst: 10_000 } } } })
    const depositor = await raws.create()
    const recipient = await raws.create()
    const to = recipient.libp2p.peerId.toString()
    const deposits = await client(depositor, mbox)
    for (let i = 0; i < 300; i++) {
      await deposits.deposit((await seal(depositor, to, `kept ${i}`)).bytes)
    }
    await deposits.close()
    // the recipient takes none of them (as with envelopes it will only process later): before, fetchAll stopped
    // after the first page of 256; now it pages on with `after`
    const fetcher = await client(recipient, mbox)
    const seen = await fetcher.fetchAll(recipient.key, recipient.bytes, parsePeerId(mbox.peerId).bytes, async () => [])
    expect(seen).toBe(300)
  })

  it('300 junk envelopes ahead of a real one cannot hide it: the junk is deleted, the message fetched', async () => {
    const dataDir = await nodes.tempDir()
    const first = await nodes.create({ dataDir })
    const bobId = first.peerId
    await first.stop()
    const mbox = await nodes.create({ mailboxQuotas: { maxEnvelopesPerDepositorRecipient: 1000, maxEnvelopesPerDepositor: 1000 }, rateLimits: { mailbox: { stranger: { rate: 1000, burst: 10_000 } } } })
    const mallory = await raws.create()
    const friend = await raws.create()
    const junk = await client(mallory, mbox)
    for (let i = 0; i < 300; i++) {
      // unstamped envelopes from a stranger: bob can never take them
      await junk.deposit((await seal(mallory, bobId, `junk ${i}`)).bytes)
    }
    await junk.close()
    const real = await client(friend, mbox)
    await real.deposit((await seal(friend, bobId, 'the real one', { stamp: true })).bytes)
    await real.close()
    expect(mbox.mailbox.usage(bobId).envelopes).toBe(301)

    const bob = await nodes.create({ dataDir, mailboxFetchIntervalMs: 3_600_000 })
    await bob.connect(mbox.addresses[0]!)
    await bob.mailbox.fetch()
    const requests = bob.requests.list()
    expect(requests.map(r => r.peer)).toEqual([friend.libp2p.peerId.toString()])
    expect(requests[0]?.last.text).toBe('the real one')
    // the junk can never be taken: deleted, so it cannot fill bob's quota either
    expect(mbox.mailbox.usage(bobId).envelopes).toBe(0)
  })

  it('the stamp record survives a restart: a declined stranger\'s stamp cannot buy a message again, directly or through a mailbox', async () => {
    const dataDir = await nodes.tempDir()
    const bob = await nodes.create({ dataDir, rateLimits: { dm: { stranger: { rate: 1000, burst: 10_000 } } } })
    const mbox = await nodes.create()
    const stranger = await raws.create()
    const stamp = encodeStamp(await mintStamp({ sender: stranger.bytes, recipient: parsePeerId(bob.peerId).bytes, difficulty: POW }))
    const original = await sealEnvelope({ senderKey: stranger.key, sender: stranger.bytes, recipient: parsePeerId(bob.peerId), payload: text('hello?'), stamp })
    const dm = new DmChannel(await stranger.libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL))
    await dm.send(original.id, original.bytes)
    expect(bob.requests.decline(stranger.libp2p.peerId.toString())).toBe(1)
    await bob.stop()

    // meanwhile a mailbox peer holds the original and a new envelope reusing its stamp
    const reused = await sealEnvelope({ senderKey: stranger.key, sender: stranger.bytes, recipient: parsePeerId(bob.peerId), payload: text('hello again?'), stamp })
    const deposits = await client(stranger, mbox)
    await deposits.deposit(original.bytes)
    await deposits.deposit(reused.bytes)
    await deposits.close()

    const bob2 = await nodes.create({ dataDir, rateLimits: { dm: { stranger: { rate: 1000, burst: 10_000 } } }, mailboxFetchIntervalMs: 3_600_000 })
    await bob2.connect(mbox.addresses[0]!)
    await bob2.mailbox.fetch()
    expect(bob2.requests.list(), 'neither the declined message nor its stamp bought anything').toEqual([])
    const again = await sealEnvelope({ senderKey: stranger.key, sender: stranger.bytes, recipient: parsePeerId(bob2.peerId), payload: text('and directly?'), stamp })
    const dm2 = new DmChannel(await stranger.libp2p.dialProtocol(multiaddr(bob2.addresses[0]!), DM_PROTOCOL))
    await expect(dm2.send(again.id, again.bytes)).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'POW_REQUIRED' })
    expect(bob2.requests.list()).toEqual([])
  })
})
