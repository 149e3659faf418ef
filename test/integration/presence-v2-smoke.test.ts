import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { nodeFactory } from '../helpers/nodes.js'

describe('presence v2 smoke', () => {
  const nodes = nodeFactory({ presenceTtlMs: 6000, presenceRepublishMs: 2000 })
  afterEach(async () => { await nodes.cleanup() })

  it('two contacts see each other; a third node does not', async () => {
    const a = await nodes.create()
    const b = await nodes.create({ bootstrap: [a.addresses[0]!] })
    const c = await nodes.create({ bootstrap: [a.addresses[0]!] })
    await a.contacts.add('bob', b.peerId)
    await b.contacts.add('alice', a.peerId)
    await pWaitFor(() => a.presence.get(b.peerId)?.status === 'online' && b.presence.get(a.peerId)?.status === 'online', { timeout: 20_000 })
    await a.presence.set({ status: 'away', note: 'lunch' })
    await pWaitFor(() => b.presence.get(a.peerId)?.note === 'lunch', { timeout: 10_000 })
    expect(c.presence.list()).toEqual([])
  })
})
