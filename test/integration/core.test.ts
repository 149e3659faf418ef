import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { pEvent } from 'p-event'
import { peerIdFromString } from '@libp2p/peer-id'
import { libp2pOf, nodeFactory } from '../helpers/nodes.js'
import type { IncomingMessage, Presence } from '../../src/index.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'
import type { PeerId } from '@libp2p/interface'

/** A DHT query event, as far as this test reads it (kad-dht's QueryEvent). */
interface QueryEvent { name: string, from?: PeerId, peer?: PeerId | { id: PeerId }, closer?: Array<{ id: PeerId }> }

/**
 * Records, for every DHT query a node makes (peer lookups, record gets,
 * closest-peer walks), the events that concern `target` (the query dialling
 * it, a server naming it among closer peers, it answering, or a lookup
 * ending on it) that came while the node had no connection to it.
 */
function watchDhtQueries (libp2p: NatterLibp2p, target: string): string[] {
  const seen: string[] = []
  const dht = libp2p.services.dht as unknown as Record<'get' | 'findPeer' | 'getClosestPeers', (...args: unknown[]) => AsyncIterable<QueryEvent>>
  for (const method of ['get', 'findPeer', 'getClosestPeers'] as const) {
    const original = dht[method].bind(dht)
    dht[method] = async function * (...args: unknown[]) {
      for await (const event of original(...args)) {
        const peer = event.peer == null ? undefined : 'id' in event.peer ? event.peer.id : event.peer
        const names = [event.from, peer, ...(event.closer ?? []).map(p => p.id)].some(id => id?.toString() === target)
        if (names && libp2p.getConnections(peerIdFromString(target)).length === 0) {
          seen.push(`${method}:${event.name}`)
        }
        yield event
      }
    }
  }
  return seen
}

describe('five nodes, each knowing one bootstrap peer', () => {
  const nodes = nodeFactory({ presenceTtlMs: 3000, presenceRepublishMs: 1000 })
  afterEach(async () => { await nodes.cleanup() })

  it('finds a never-connected peer through the DHT, delivers, and spreads presence', async () => {
    const boot = await nodes.create()
    const others = await Promise.all([1, 2, 3, 4].map(async () => nodes.create({ bootstrap: [boot.addresses[0]!] })))
    const [a, b, c, d] = others as [typeof boot, typeof boot, typeof boot, typeof boot]

    await pWaitFor(() => others.every(n => n.connectedPeers.includes(boot.peerId)), { timeout: 10_000 })
    expect(a.connectedPeers).not.toContain(d.peerId)

    // a knows d only through the DHT: forget what a's own DHT traffic put in its peer store so far,
    // and watch every query a makes (peer lookups, and the prekey bundle lookup of a first message)
    await libp2pOf(a).peerStore.delete(peerIdFromString(d.peerId))
    const queries = watchDhtQueries(libp2pOf(a), d.peerId)

    await d.contacts.add('alice', a.peerId)
    const received = pEvent(d, 'message') as Promise<CustomEvent<IncomingMessage>>
    const sent = await a.send(d.peerId, 'hello through the DHT')
    const msg = (await received).detail
    expect(msg).toMatchObject({ id: sent.id, from: a.peerId, text: 'hello through the DHT', seq: 1, via: 'direct' })
    expect(sent.state).toBe('delivered')
    expect(a.connectedPeers).toContain(d.peerId)
    // a's DHT queries found d while a had no connection to it: the DHT is how a reached d
    expect(queries.length).toBeGreaterThan(0)

    // presence of b reaches everyone, and changes propagate
    await b.setPresence({ status: 'away', note: 'lunch' })
    await pWaitFor(() => [boot, a, c, d].every(n => n.presenceOf(b.peerId)?.status === 'away'), { timeout: 10_000 })
    expect(c.presenceOf(b.peerId)?.note).toBe('lunch')
    await b.setPresence({ status: 'busy', note: 'in a meeting' })
    await pWaitFor(() => [boot, a, c, d].every(n => n.presenceOf(b.peerId)?.status === 'busy'), { timeout: 10_000 })
    expect(d.presenceOf(b.peerId)?.note).toBe('in a meeting')

    // a clean stop announces offline
    const offline = new Promise<Presence>(resolve => {
      c.addEventListener('presence', (e) => { if (e.detail.peerId === b.peerId && e.detail.status === 'offline') resolve(e.detail) })
    })
    await b.stop()
    await offline
  })
})
