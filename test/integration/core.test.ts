import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { pEvent } from 'p-event'
import { nodeFactory } from '../helpers/nodes.js'
import type { IncomingMessage, Presence } from '../../src/index.js'

describe('five nodes, each knowing one bootstrap peer', () => {
  const nodes = nodeFactory({ presenceTtlMs: 3000, presenceRepublishMs: 1000 })
  afterEach(async () => { await nodes.cleanup() })

  it('finds a never-connected peer through the DHT, delivers, and spreads presence', async () => {
    const boot = await nodes.create()
    const others = await Promise.all([1, 2, 3, 4].map(async () => nodes.create({ bootstrap: [boot.addresses[0]!] })))
    const [a, b, c, d] = others as [typeof boot, typeof boot, typeof boot, typeof boot]

    await pWaitFor(() => others.every(n => n.connectedPeers.includes(boot.peerId)), { timeout: 10_000 })
    expect(a.connectedPeers).not.toContain(d.peerId)

    await d.contacts.add('alice', a.peerId)
    const received = pEvent(d, 'message') as Promise<CustomEvent<IncomingMessage>>
    const sent = await a.send(d.peerId, 'hello through the DHT')
    const msg = (await received).detail
    expect(msg).toMatchObject({ id: sent.id, from: a.peerId, text: 'hello through the DHT', seq: 1, via: 'direct' })
    expect(sent.state).toBe('delivered')
    expect(a.connectedPeers).toContain(d.peerId)

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
