/**
 * Issue 9, Sybil connections: throwaway identities from one address fill a
 * node's connection slots, and its contacts must still reach it both ways.
 * A real natter node with a small `maxConnections`; the flood is stock libp2p
 * nodes (TCP, Noise, yamux, identify) dialling from loopback.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeFactory } from '../helpers/nodes.js'
import type { Libp2p } from '@libp2p/interface'

const SLOTS = 8
const FLOOD = SLOTS + 6

async function throwaway (): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}

describe('Sybil connection flood', () => {
  const nodes = nodeFactory()
  const flood: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(flood.splice(0).map(async n => { await n.stop() }))
    await nodes.cleanup()
  })

  it('throwaway identities from loopback fill the shared slots; a contact still gets through both ways', async () => {
    const bob = await nodes.create({ maxConnections: SLOTS, connectionLimits: { reserve: 4 } })
    const alice = await nodes.create()
    await bob.contacts.add('alice', alice.peerId)
    await alice.contacts.add('bob', bob.peerId)

    // the flood: each identity dials and stays connected (idle connections are only closed after 30 s)
    for (let i = 0; i < FLOOD; i++) {
      flood.push(await throwaway())
    }
    await Promise.allSettled(flood.map(async n => n.dial(multiaddr(bob.addresses[0]!))))
    const held = (): number => flood.filter(n => n.getConnections().some(c => c.remotePeer.toString() === bob.peerId)).length
    await pWaitFor(() => bob.connectedPeers.length >= SLOTS, { timeout: 10_000 })
    // every shared slot is taken, and no more than that
    await pWaitFor(() => held() <= SLOTS, { timeout: 10_000 })
    expect(held()).toBe(SLOTS)
    // a newcomer stranger is refused now
    const late = await throwaway()
    flood.push(late)
    await late.dial(multiaddr(bob.addresses[0]!)).catch(() => {})
    await pWaitFor(() => late.getConnections().every(c => c.status !== 'open'), { timeout: 5_000 })

    // the contact connects in, and messages go both ways
    await alice.connect(bob.addresses[0]!)
    const there = await alice.send(bob.peerId, 'through the flood')
    expect(there.state).toBe('delivered')
    const back = await bob.send(alice.peerId, 'and back')
    expect(back.state).toBe('delivered')
    expect(held()).toBe(SLOTS)
  })

  it('with per-address limits on loopback too, one address holds at most maxPerIp unknown peers', async () => {
    const bob = await nodes.create({ maxConnections: 50, connectionLimits: { limitPrivate: true, maxPerIp: 3 } })
    for (let i = 0; i < 6; i++) {
      flood.push(await throwaway())
    }
    await Promise.allSettled(flood.map(async n => n.dial(multiaddr(bob.addresses[0]!))))
    const held = (): number => flood.filter(n => n.getConnections().some(c => c.status === 'open' && c.remotePeer.toString() === bob.peerId)).length
    await pWaitFor(() => held() <= 3, { timeout: 10_000 })
    expect(held()).toBe(3)
  })

  it('when the shared slots are full, an idle unknown peer makes room for a newcomer', async () => {
    const idleMs = 300
    const bob = await nodes.create({ maxConnections: 4, connectionLimits: { idleMs } })
    for (let i = 0; i < 4; i++) {
      flood.push(await throwaway())
    }
    await Promise.all(flood.map(async n => n.dial(multiaddr(bob.addresses[0]!))))
    const open = (n: Libp2p): boolean => n.getConnections().some(c => c.status === 'open' && c.remotePeer.toString() === bob.peerId)
    await pWaitFor(() => flood.every(open), { timeout: 10_000 })
    const first = Date.now()
    // identify's stream closes soon after connecting; after idleMs without a stream a connection is idle
    await pWaitFor(() => Date.now() - first > idleMs * 2, { interval: 50 })

    const newcomer = await throwaway()
    flood.push(newcomer)
    await newcomer.dial(multiaddr(bob.addresses[0]!))
    await pWaitFor(() => open(newcomer) && flood.filter(open).length === 4, { timeout: 10_000 })
    expect(flood.slice(0, 4).filter(open)).toHaveLength(3)
  })
})
