/**
 * PROTOCOL.md §2 (erratum 5 of protocol 1.1): a brand-new connection is usable at
 * once for every protocol. natter's DHT pings every new contact over
 * `/ipfs/ping/1.0.0`; with libp2p's default of one outbound ping stream per
 * connection, a user's ping racing it failed with
 * TooManyOutboundProtocolStreamsError "/ipfs/ping/1.0.0 - 2/1".
 */
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeFactory } from '../helpers/nodes.js'
import { stockLibp2p } from '../helpers/stock-libp2p.js'
import type { Libp2p } from '@libp2p/interface'

/** A stock js-libp2p node speaking what PROTOCOL.md §2 requires of a peer (no natter code). */
async function stockPeer (): Promise<Libp2p> {
  return stockLibp2p({
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ protocol: '/natter/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper })
  })
}

describe('a brand-new connection', () => {
  const nodes = nodeFactory()
  const stock: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(stock.splice(0).map(async n => { await n.stop() }))
    await nodes.cleanup()
  })

  it('carries a ping at once, to stock js-libp2p peers, every time', async () => {
    const natter = await nodes.create()
    const failures: string[] = []
    for (let i = 0; i < 8; i++) {
      const peer = await stockPeer()
      stock.push(peer)
      const address = peer.getMultiaddrs()[0]!.toString()
      // connect and ping straight away, while the DHT's own ping of the new contact is in flight
      await natter.connect(address)
      try {
        // two at once stand for the user's ping and the DHT's ping of the new contact, whichever comes first
        const rtts = await Promise.all([natter.ping(peer.peerId.toString()), natter.ping(peer.peerId.toString())])
        expect(rtts.every(rtt => rtt >= 0)).toBe(true)
      } catch (err) {
        failures.push(`${(err as Error).name}: ${(err as Error).message}`)
      }
    }
    expect(failures).toEqual([])
  })

})
