import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { pEvent } from 'p-event'
import { peerIdFromString } from '@libp2p/peer-id'
import { libp2pOf, nodeFactory } from '../helpers/nodes.js'
import type { IncomingMessage, Presence } from '../../src/index.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'
import type { PeerInfo } from '@libp2p/interface'

/**
 * Watches how two nodes first connect: each node's DHT reports ('peer'
 * events of the kad-dht service) every peer a DHT response named, with its
 * addresses; `first` is the first connection either opened to the other,
 * and whether its opener had learnt the other's address from its DHT before.
 */
function watchFirstConnection (x: { name: string, libp2p: NatterLibp2p, peerId: string }, y: { name: string, libp2p: NatterLibp2p, peerId: string }): { first?: { opener: string, learntFromDht: boolean } } {
  const watch: { first?: { opener: string, learntFromDht: boolean } } = {}
  for (const [self, other] of [[x, y], [y, x]] as const) {
    let learnt = false
    // KadDHT is an event target; its type does not say so
    ;(self.libp2p.services.dht as unknown as EventTarget).addEventListener('peer', (e) => {
      const peer = (e as CustomEvent<PeerInfo>).detail
      if (peer.id.toString() === other.peerId && peer.multiaddrs.length > 0) {
        learnt = true
      }
    })
    self.libp2p.addEventListener('connection:open', (e) => {
      if (watch.first == null && e.detail.remotePeer.toString() === other.peerId && e.detail.direction === 'outbound') {
        watch.first = { opener: self.name, learntFromDht: learnt }
      }
    })
  }
  return watch
}

describe('five nodes, each knowing one bootstrap peer', () => {
  const nodes = nodeFactory({ presenceTtlMs: 3000, presenceRepublishMs: 1000, presenceVisibility: 'public' })
  afterEach(async () => { await nodes.cleanup() })

  it('finds a never-connected peer through the DHT, delivers, and spreads presence', async () => {
    const boot = await nodes.create()
    const others = await Promise.all([1, 2, 3, 4].map(async () => nodes.create({ bootstrap: [boot.addresses[0]!] })))
    const [a, b, c, d] = others as [typeof boot, typeof boot, typeof boot, typeof boot]

    await pWaitFor(() => others.every(n => n.connectedPeers.includes(boot.peerId)), { timeout: 10_000 })
    expect(a.connectedPeers).not.toContain(d.peerId)

    // a and d can learn each other's address only from DHT responses: forget what their DHT traffic
    // taught them so far, then see who dials whom first and where it had the address from (a's
    // lookup for the first message, or either side's routing-table upkeep)
    await libp2pOf(a).peerStore.delete(peerIdFromString(d.peerId))
    await libp2pOf(d).peerStore.delete(peerIdFromString(a.peerId))
    const meeting = watchFirstConnection({ name: 'a', libp2p: libp2pOf(a), peerId: a.peerId }, { name: 'd', libp2p: libp2pOf(d), peerId: d.peerId })

    await d.contacts.add('alice', a.peerId)
    const received = pEvent(d, 'message') as Promise<CustomEvent<IncomingMessage>>
    const sent = await a.send(d.peerId, 'hello through the DHT')
    const msg = (await received).detail
    expect(msg).toMatchObject({ id: sent.id, from: a.peerId, text: 'hello through the DHT', seq: 1, via: 'direct' })
    expect(sent.state).toBe('delivered')
    expect(a.connectedPeers).toContain(d.peerId)
    // whoever dialled first had the other's address from a DHT response: the DHT is how they met
    expect(meeting.first).toMatchObject({ learntFromDht: true })

    // presence of b reaches everyone, and changes propagate
    await b.presence.set({ status: 'away', note: 'lunch' })
    await pWaitFor(() => [boot, a, c, d].every(n => n.presence.get(b.peerId)?.status === 'away'), { timeout: 10_000 })
    expect(c.presence.get(b.peerId)?.note).toBe('lunch')
    await b.presence.set({ status: 'busy', note: 'in a meeting' })
    await pWaitFor(() => [boot, a, c, d].every(n => n.presence.get(b.peerId)?.status === 'busy'), { timeout: 10_000 })
    expect(d.presence.get(b.peerId)?.note).toBe('in a meeting')

    // a clean stop announces offline
    const offline = new Promise<Presence>(resolve => {
      c.addEventListener('presence', (e) => { if (e.detail.peerId === b.peerId && e.detail.status === 'offline') resolve(e.detail) })
    })
    await b.stop()
    await offline
  })
})
