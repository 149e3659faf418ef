import { afterEach, describe, expect, it } from 'vitest'
import pWaitFor from 'p-wait-for'
import { nodeFactory } from '../helpers/nodes.js'
import type { IncomingMessage, MessageStateChange } from '../../src/index.js'

describe('offline delivery through mailbox peers', () => {
  const nodes = nodeFactory({ sendTimeoutMs: 3000, retryInitialMs: 200, retryMaxMs: 2000 })
  afterEach(async () => { await nodes.cleanup() })

  it('A sends while B is offline and stops; B comes online and gets it; A returns and sees it delivered', async () => {
    const m1 = await nodes.create()
    const m2 = await nodes.create({ bootstrap: [m1.addresses[0]!] })
    const m3 = await nodes.create({ bootstrap: [m1.addresses[0]!] })
    const aDir = await nodes.tempDir()
    const bDir = await nodes.tempDir()

    // B exists (has an identity and knows A), then goes offline
    let b = await nodes.create({ dataDir: bDir, bootstrap: [m1.addresses[0]!] })
    const bId = b.peerId
    await b.stop()

    let a = await nodes.create({ dataDir: aDir, bootstrap: [m1.addresses[0]!] })
    const aId = a.peerId
    await pWaitFor(() => a.connectedPeers.includes(m1.peerId))

    const states: MessageStateChange[] = []
    a.addEventListener('message:state', (e) => states.push(e.detail))
    const queued = await a.send(bId, 'are you there?', { wait: 'queued' })
    expect(queued.state).toBe('queued')
    await pWaitFor(() => a.messages.get(queued.id)?.state === 'sent', { timeout: 20_000 })
    expect(states.map(s => s.state)).toEqual(['queued', 'sent'])
    await a.stop()

    // B comes back: it fetches from its mailbox peers on connecting
    b = await nodes.create({ dataDir: bDir, bootstrap: [m2.addresses[0]!] })
    const received: IncomingMessage[] = []
    b.addEventListener('request', (e) => received.push(e.detail))
    b.addEventListener('message', (e) => received.push(e.detail))
    await pWaitFor(() => received.length > 0, { timeout: 20_000 })
    expect(received[0]).toMatchObject({ id: queued.id, from: aId, text: 'are you there?', via: 'mailbox' })
    expect(b.messages.history(aId).map(m => m.text)).toEqual(['are you there?'])
    // a later fetch finds nothing more (acknowledged envelopes were deleted), and no duplicate appears
    await b.mailbox.fetch()
    expect(b.messages.history(aId)).toHaveLength(1)

    // A returns: B's delivery receipt waits in A's mailboxes
    a = await nodes.create({ dataDir: aDir, bootstrap: [m3.addresses[0]!] })
    await pWaitFor(() => a.messages.get(queued.id)?.state === 'delivered', { timeout: 20_000 })
    expect(a.messages.history(bId).map(m => [m.text, m.state])).toEqual([['are you there?', 'delivered']])
  })
})
