/**
 * PROTOCOL.md §8.5.2 (1.1, erratum 1): receipts never need a stamp, but a 1.0
 * peer reading the old rule literally answers POW_REQUIRED to one. natter then
 * mints a stamp and sends the receipt again, instead of leaving it unstamped in
 * mailboxes where such a peer would never read it.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { Payload, openSealed, sealEnvelope, verifyEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DM_PROTOCOL, DmChannel, handleDmStream } from '../../src/dm/protocol.js'
import { createNetwork } from '../../src/network/libp2p.js'
import { DmResponse } from '../../src/pb/dm.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'

describe('receipts to a peer that demands proof of work', () => {
  const nodes = nodeFactory()
  let raw: NatterLibp2p | undefined
  afterEach(async () => {
    await raw?.stop()
    raw = undefined
    await nodes.cleanup()
  })

  it('get a stamp when asked, and are delivered directly', async () => {
    const bob = await nodes.create({ readReceipts: true })
    const key = await generateKeyPair('Ed25519')
    raw = await createNetwork({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 10 })
    await raw.start()
    const self = raw.peerId.toMultihash().bytes
    // a 1.0 peer following "stamp unless accepted before" literally: every unstamped envelope gets POW_REQUIRED
    const seen: Array<{ stamped: boolean, payload: Payload }> = []
    await raw.handle(DM_PROTOCOL, (stream, connection) => handleDmStream(stream, connection, {
      onEnvelope: async (bytes) => {
        const envelope = await verifyEnvelope(bytes)
        const payload = openSealed(envelope, key, self)
        seen.push({ stamped: envelope.body.stamp.byteLength > 0, payload })
        return envelope.body.stamp.byteLength === 0
          ? { status: DmResponse.Status.POW_REQUIRED, id: envelope.body.id, requiredDifficulty: 8, error: 'stamp required' }
          : { status: DmResponse.Status.OK, id: envelope.body.id }
      }
    }))
    await bob.contacts.add('raw', raw.peerId.toString())
    const sealed = await sealEnvelope({ senderKey: key, sender: self, recipient: parsePeerId(bob.peerId), payload: { type: Payload.Type.TEXT, text: 'read me', seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED } })
    await new DmChannel(await raw.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL)).send(sealed.id, sealed.bytes)
    await pWaitFor(() => bob.messages.history('raw').length === 1)

    await bob.messages.markRead('raw')
    await pWaitFor(() => seen.some(s => s.stamped), { timeout: 15_000 })
    const receipts = seen.filter(s => s.payload.type === Payload.Type.RECEIPT)
    expect(receipts.map(r => r.stamped)).toEqual([false, true])
    expect(receipts[1]!.payload.receiptState).toBe(Payload.ReceiptState.READ)
    expect(Buffer.from(receipts[1]!.payload.receiptIds[0]!).toString('hex')).toBe(Buffer.from(sealed.id).toString('hex'))
  })
})
