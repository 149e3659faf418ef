import { generateKeyPair } from '@libp2p/crypto/keys'
import { natterServicePolicies } from '../../src/policies.js'
import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DM_PROTOCOL, DmChannel } from '../../src/dm/protocol.js'
import { createNetwork } from '../../src/network/libp2p.js'
import { lpStream } from '@libp2p/utils'
import { DmResponse } from '../../src/pb/dm.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'
import type { IncomingMessage } from '../../src/index.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

describe('direct messages on the wire', () => {
  const nodes = nodeFactory()
  let raw: NatterLibp2p | undefined
  afterEach(async () => {
    await raw?.stop()
    raw = undefined
    await nodes.cleanup()
  })

  async function rawPeer (): Promise<{ libp2p: NatterLibp2p, key: Ed25519PrivateKey }> {
    const key = await generateKeyPair('Ed25519')
    raw = await createNetwork({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 10, ...natterServicePolicies() })
    await raw.start()
    return { libp2p: raw, key }
  }

  it('a replayed envelope is acknowledged but delivered once', async () => {
    const bob = await nodes.create()
    const { libp2p, key } = await rawPeer()
    const received: IncomingMessage[] = []
    // bob knows the raw peer (no proof of work needed); a stranger's messages would arrive as requests
    await bob.contacts.add('raw', libp2p.peerId.toString())
    bob.addEventListener('message', (e) => received.push(e.detail))
    const sealed = await sealEnvelope({
      senderKey: key,
      sender: libp2p.peerId.toMultihash().bytes,
      recipient: parsePeerId(bob.peerId),
      payload: { type: Payload.Type.TEXT, text: 'once', seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })
    const { multiaddr } = await import('@multiformats/multiaddr')
    const channel = new DmChannel(await libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL))
    await channel.send(sealed.id, sealed.bytes)
    await channel.send(sealed.id, sealed.bytes)
    const again = new DmChannel(await libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL))
    await again.send(sealed.id, sealed.bytes)
    await pWaitFor(() => received.length === 1)
    // one more round trip proves no late duplicate is on its way
    const next = await sealEnvelope({
      senderKey: key,
      sender: libp2p.peerId.toMultihash().bytes,
      recipient: parsePeerId(bob.peerId),
      payload: { type: Payload.Type.TEXT, text: 'twice', seq: 2n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })
    await again.send(next.id, next.bytes)
    expect(received.map(m => m.text)).toEqual(['once', 'twice'])
  })

  it('a garbage frame gets INVALID and closes only that stream; the node keeps serving', async () => {
    const bob = await nodes.create()
    const alice = await nodes.create()
    const { libp2p } = await rawPeer()
    const { multiaddr } = await import('@multiformats/multiaddr')
    const stream = await libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(Uint8Array.from([0xff, 0xff, 0xff, 0x01, 0x02]))
    const reply = DmResponse.decode(await lp.read())
    expect(reply.status).toBe(DmResponse.Status.INVALID)
    await expect(lp.read()).rejects.toThrow()
    // a forged envelope on a fresh stream is refused with a named error on the sender side
    const channel = new DmChannel(await libp2p.dialProtocol(multiaddr(bob.addresses[0]!), DM_PROTOCOL))
    const forged = await sealEnvelope({
      senderKey: (await generateKeyPair('Ed25519')),
      sender: parsePeerId(alice.peerId).bytes,
      recipient: parsePeerId(bob.peerId),
      payload: { type: Payload.Type.TEXT, text: 'forged', seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })
    await expect(channel.send(forged.id, forged.bytes)).rejects.toMatchObject({ name: 'DeliveryRefusedError', status: 'INVALID' })
    // the node still works for honest peers
    await alice.connect(bob.addresses[0]!)
    const sent = await alice.send(bob.peerId, 'still up')
    expect(sent.text).toBe('still up')
  })
})
