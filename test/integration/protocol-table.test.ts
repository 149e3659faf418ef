/**
 * PROTOCOL.md §2: the protocol table lists exactly what a natter node speaks,
 * as another node learns it through identify (libp2p's registrar).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { lightProbe } from '../../src/conformance/probe.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { IdentifyResult, Libp2p } from '@libp2p/interface'

/** The "natter speaks" column of the §2 table (identify, ping, DHT, pubsub, DM, mailbox). */
const SPEC_TABLE = [
  '/floodsub/1.0.0',
  '/ipfs/id/1.0.0',
  '/ipfs/ping/1.0.0',
  '/meshsub/1.0.0',
  '/meshsub/1.1.0',
  '/meshsub/1.2.0',
  '/natter/dm/1.0.0',
  // 1.3: DM without per-message signatures in established sessions (§5.2)
  '/natter/dm/1.3.0',
  '/natter/kad/1.0.0',
  '/natter/mailbox/1.0.0',
  // 1.2: presence v2 (§3.6)
  '/natter/presence/2/direct',
  '/natter/presence/2/meshsub'
]

describe('the §2 protocol table', () => {
  const nodes = nodeFactory()
  const probes: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(probes.splice(0).map(async p => { await p.stop() }))
    await nodes.cleanup()
  })

  it('is exactly what a running natter node announces through identify', async () => {
    const natter = await nodes.create()
    const probe = await lightProbe()
    probes.push(probe.libp2p)
    // identify runs by itself on the new connection: take its result
    const identified = new Promise<IdentifyResult>(resolve => {
      const onIdentify = (e: CustomEvent<IdentifyResult>): void => {
        if (e.detail.peerId.toString() === natter.peerId) {
          probe.libp2p.removeEventListener('peer:identify', onIdentify)
          resolve(e.detail)
        }
      }
      probe.libp2p.addEventListener('peer:identify', onIdentify)
    })
    await probe.libp2p.dial(multiaddr(natter.addresses[0]!))
    const result = await identified
    expect([...result.protocols].sort()).toEqual(SPEC_TABLE)
    expect(result.protocols).not.toContain('/ipfs/id/push/1.0.0')
  })
})
