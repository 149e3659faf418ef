/**
 * Pipelined deposits (PROTOCOL.md §9.2, 1.3) against a real natter mailbox:
 * many DEPOSIT requests written ahead of their replies are each checked on
 * their own. A batch buys nothing a single deposit would not: a stranger still
 * pays a stamp per credit, the rate limit still counts envelopes, and a batch
 * over one credit pays again.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DEPOSIT_CREDIT_ENVELOPES } from '../../src/mailbox/deposit-credit.js'
import { MAILBOX_PROTOCOL, MAX_DEPOSIT_PIPELINE, MailboxClient } from '../../src/mailbox/protocol.js'
import { rawPeerFactory } from '../helpers/fuzz.js'
import { payer } from '../helpers/mailbox.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { Natter } from '../../src/index.js'
import type { RawPeer } from '../helpers/fuzz.js'

const POW = 8

async function envelopes (from: RawPeer, to: string, n: number, tag: string): Promise<Uint8Array[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => (await sealEnvelope({
    senderKey: from.key,
    sender: from.bytes,
    recipient: parsePeerId(to),
    payload: { type: Payload.Type.TEXT, text: `${tag} ${i}`, seq: BigInt(i + 1), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
  })).bytes))
}

/** Deposit stamps the mailbox node has accepted (its persisted replay record; read through the node's private components). */
function stampsSpent (node: Natter): number {
  return (node as unknown as { components: { store: { stampReplay: { count(): number } } } }).components.store.stampReplay.count()
}

async function client (from: RawPeer, at: Natter, pay: boolean): Promise<MailboxClient> {
  return new MailboxClient(await from.libp2p.dialProtocol(multiaddr(at.addresses[0]!), MAILBOX_PROTOCOL), pay ? payer(from, at) : {})
}

describe('pipelined mailbox deposits', () => {
  const nodes = nodeFactory({ powDifficulty: POW })
  const raws = rawPeerFactory()
  afterEach(async () => {
    await raws.cleanup()
    await nodes.cleanup()
  })

  it('a stranger pays one stamp per credit, even when its deposits are pipelined', async () => {
    const mbox = await nodes.create({ rateLimits: { mailbox: { stranger: { rate: 1000, burst: 10_000 } } } })
    const mallory = await raws.create()
    const recipient = (await raws.create()).libp2p.peerId.toString()

    // without a stamp, every envelope of a batch is refused: the batch did not buy a credit
    const unpaid = await client(mallory, mbox, false)
    const refused = await unpaid.depositMany(await envelopes(mallory, recipient, MAX_DEPOSIT_PIPELINE, 'unpaid'))
    expect(refused.map(r => r?.status)).toEqual(new Array(MAX_DEPOSIT_PIPELINE).fill('STAMP_REQUIRED'))
    expect(mbox.mailbox.usage(recipient).envelopes).toBe(0)
    await unpaid.close()

    // paying: batches over more than one credit's worth of envelopes, all stored, one stamp per credit
    const stampsBefore = stampsSpent(mbox)
    const paying = await client(mallory, mbox, true)
    const batches = Math.ceil((DEPOSIT_CREDIT_ENVELOPES + 1) / MAX_DEPOSIT_PIPELINE)
    for (let b = 0; b < batches; b++) {
      const results = await paying.depositMany(await envelopes(mallory, recipient, MAX_DEPOSIT_PIPELINE, `paid ${b}`))
      expect(results.filter(r => r != null)).toEqual([])
    }
    await paying.close()
    const total = batches * MAX_DEPOSIT_PIPELINE
    expect(mbox.mailbox.usage(recipient).envelopes).toBe(total)
    expect(stampsSpent(mbox) - stampsBefore).toBe(Math.ceil(total / DEPOSIT_CREDIT_ENVELOPES))
  })

  it('the rate limit counts every pipelined envelope', async () => {
    const burst = 5
    const mbox = await nodes.create({ rateLimits: { mailbox: { contact: { rate: 0.001, burst } } } })
    const friend = await raws.create()
    // a contact of the mailbox: no stamps, so every request is a deposit
    await mbox.contacts.add('friend', friend.libp2p.peerId.toString())
    const recipient = (await raws.create()).libp2p.peerId.toString()
    const deposits = await client(friend, mbox, false)
    const results = await deposits.depositMany(await envelopes(friend, recipient, 20, 'burst'))
    await deposits.close()
    expect(results.slice(0, burst)).toEqual(new Array(burst).fill(undefined))
    expect(results.slice(burst).map(r => r?.status)).toEqual(new Array(20 - burst).fill('RATE_LIMITED'))
    expect(mbox.mailbox.usage(recipient).envelopes).toBe(burst)
  })
})
