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

interface Box { node: Libp2p, streams: number, deposits: number, open: number, maxOpen: number }

/**
 * A stock node that answers every DEPOSIT with `status` and counts streams and deposits. With `hold`, it
 * answers only once it has read `hold` requests on a stream (then one reply per request, in order): a
 * depositor that waits for each reply before the next request never gets one.
 */
async function stockMailbox (status: MailboxResponse.Status, hold = 1): Promise<Box> {
  const node = await stockLibp2p({})
  const box: Box = { node, streams: 0, deposits: 0, open: 0, maxOpen: 0 }
  await node.handle(MAILBOX_PROTOCOL, async (stream) => {
    box.streams++
    box.maxOpen = Math.max(box.maxOpen, ++box.open)
    const lp = lpStream(stream, { maxDataLength: 70_000 })
    let unanswered = 0
    try {
      while (true) {
        const request = MailboxRequest.decode(await lp.read())
        if (request.type === MailboxRequest.Type.DEPOSIT && status === MailboxResponse.Status.OK) box.deposits++
        if (++unanswered < hold) continue
        for (; unanswered > 0; unanswered--) {
          await lp.write(MailboxResponse.encode({ status, error: '', nonce: new Uint8Array(0), envelopes: [], more: false, requiredDifficulty: 0, retryAfterMs: 0 }))
        }
      }
    } catch {
      await stream.close().catch(() => {})
    } finally {
      box.open--
    }
  }, { maxInboundStreams: 64 })
  return box
}

describe('batched mailbox deposits', () => {
  const nodes: Libp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  async function setup (statuses: MailboxResponse.Status[], hold = 1): Promise<{ boxes: Box[], deposit: (n: number) => Promise<number[]>, depositOneByOne: (n: number) => Promise<number[]> }> {
    const boxes = await Promise.all(statuses.map(async status => stockMailbox(status, hold)))
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
      },
      depositOneByOne: async (n) => {
        const envelopes = await Promise.all(Array.from({ length: n }, async (_, i) => envelope(i)))
        // each asked for in its own turn of the event loop, as an outbox hands them over
        const stored: Array<Promise<number>> = []
        for (const e of envelopes) {
          stored.push(client.deposit(recipient, e))
          await new Promise(resolve => setImmediate(resolve))
        }
        return Promise.all(stored)
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

  it('pipelines a batch: the requests are written before the first reply is read', async () => {
    // these mailboxes answer only after reading 10 requests on a stream
    const { boxes, deposit } = await setup([MailboxResponse.Status.OK, MailboxResponse.Status.OK, MailboxResponse.Status.OK], 10)
    const stored = await deposit(10)
    expect(stored).toEqual(new Array(10).fill(3))
    expect(boxes.map(b => b.deposits)).toEqual([10, 10, 10])
  }, 30_000)

  it('deposits asked for one at a time share one stream per mailbox at a time', async () => {
    const { boxes, depositOneByOne } = await setup([MailboxResponse.Status.OK, MailboxResponse.Status.OK, MailboxResponse.Status.OK])
    const stored = await depositOneByOne(60)
    expect(stored).toEqual(new Array(60).fill(3))
    expect(boxes.map(b => b.deposits)).toEqual([60, 60, 60])
    // never more than one deposit stream open to a mailbox (a natter mailbox takes 4 per connection)
    expect(boxes.map(b => b.maxOpen)).toEqual([1, 1, 1])
  })
})
