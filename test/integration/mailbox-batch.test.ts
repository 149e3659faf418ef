/**
 * Batched mailbox deposits (src/mailbox/client.ts): deposits asked for in the
 * same tick for one recipient go over one stream per mailbox peer (PROTOCOL.md
 * §9.2: a stream carries any number of requests), each envelope to
 * `replication` mailboxes, and what one mailbox refuses goes to the next
 * candidate. The mailboxes are stock libp2p nodes answering the wire format.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createMailboxClient } from '../../src/mailbox/client.js'
import { MAILBOX_PROTOCOL } from '../../src/mailbox/protocol.js'
import { MailboxRequest, MailboxResponse } from '../../src/pb/mailbox.js'
import { recordingLogger } from '../helpers/logger.js'
import { stockLibp2p } from '../helpers/stock-libp2p.js'
import type { Libp2p } from '@libp2p/interface'

interface Box { node: Libp2p, streams: number, deposits: number }

/** A stock node that answers every DEPOSIT with `status` and counts streams and deposits. */
async function stockMailbox (status: MailboxResponse.Status): Promise<Box> {
  const node = await stockLibp2p({})
  const box: Box = { node, streams: 0, deposits: 0 }
  await node.handle(MAILBOX_PROTOCOL, async (stream) => {
    box.streams++
    const lp = lpStream(stream, { maxDataLength: 70_000 })
    try {
      while (true) {
        const request = MailboxRequest.decode(await lp.read())
        if (request.type === MailboxRequest.Type.DEPOSIT && status === MailboxResponse.Status.OK) box.deposits++
        await lp.write(MailboxResponse.encode({ status, error: '', nonce: new Uint8Array(0), envelopes: [], more: false, requiredDifficulty: 0, retryAfterMs: 0 }))
      }
    } catch {
      await stream.close().catch(() => {})
    }
  })
  return box
}

describe('batched mailbox deposits', () => {
  const nodes: Libp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  async function setup (statuses: MailboxResponse.Status[]): Promise<{ boxes: Box[], deposit: (n: number) => Promise<number[]> }> {
    const boxes = await Promise.all(statuses.map(stockMailbox))
    const depositor = await stockLibp2p({})
    nodes.push(depositor, ...boxes.map(b => b.node))
    // connected peers are the mailbox candidates (the DHT lookup finds nothing in this tiny network), in dial order
    for (const b of boxes) await depositor.dial(b.node.getMultiaddrs()[0]!)
    const key = await generateKeyPair('Ed25519')
    const self = parsePeerId(key.publicKey.toString())
    const recipient = parsePeerId((await generateKeyPair('Ed25519')).publicKey.toString())
    const client = createMailboxClient({
      libp2p: {
        peerId: depositor.peerId,
        dialProtocol: depositor.dialProtocol.bind(depositor),
        getConnections: depositor.getConnections.bind(depositor),
        services: { dht: { getClosestPeers: async function * () {} } }
      },
      key,
      self,
      log: recordingLogger().forComponent('test')
    }, { replication: 3 })
    const envelope = async (i: number): Promise<Uint8Array> => (await sealEnvelope({
      senderKey: key, sender: self.bytes, recipient, payload: { type: Payload.Type.TEXT, text: `note ${i}`, seq: BigInt(i + 1), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })).bytes
    return {
      boxes,
      deposit: async (n) => {
        const envelopes = await Promise.all(Array.from({ length: n }, async (_, i) => envelope(i)))
        // all asked for in the same tick
        return Promise.all(envelopes.map(async e => client.deposit(recipient, e)))
      }
    }
  }

  it('sends a burst for one recipient over one stream per mailbox, each envelope to three of them', async () => {
    const { boxes, deposit } = await setup([MailboxResponse.Status.OK, MailboxResponse.Status.OK, MailboxResponse.Status.OK])
    const stored = await deposit(50)
    expect(stored).toEqual(new Array(50).fill(3))
    expect(boxes.map(b => b.deposits)).toEqual([50, 50, 50])
    expect(boxes.map(b => b.streams)).toEqual([1, 1, 1])
  })

  it('offers what one mailbox refused to the next candidate', async () => {
    const { boxes, deposit } = await setup([MailboxResponse.Status.QUOTA_EXCEEDED, MailboxResponse.Status.OK, MailboxResponse.Status.OK, MailboxResponse.Status.OK])
    const stored = await deposit(20)
    expect(stored).toEqual(new Array(20).fill(3))
    expect(boxes.map(b => b.deposits)).toEqual([0, 20, 20, 20])
    expect(boxes.every(b => b.streams === 1)).toBe(true)
  })
})
