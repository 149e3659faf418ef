/**
 * Presence keys travel forward secret (issue 13, PROTOCOL.md §3.6.2): two
 * contacts that never exchanged a message hand each other their presence keys
 * in a ratchet session started from the other's prekey bundle (X3DH, as a
 * first message), not SEALED to the identity key — so a later theft of an
 * identity key does not open the presence keys, nor the records under them.
 */
import { join } from 'node:path'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { Natter } from '../../src/index.js'

async function published (node: Natter): Promise<void> {
  await pWaitFor(async () => (await node.publishPrekeys()) > 0, { interval: 200, timeout: 20_000 })
}

describe('presence keys in forward-secret sessions', () => {
  const nodes = nodeFactory({ presenceTtlMs: 6000, presenceRepublishMs: 2000 })
  afterEach(async () => { await nodes.cleanup() })

  it('contacts that never wrote to each other exchange keys in ratchet sessions started from their bundles', async () => {
    const m = await nodes.create()
    const aDir = await nodes.tempDir()
    const bDir = await nodes.tempDir()
    const a = await nodes.create({ dataDir: aDir, bootstrap: [m.addresses[0]!] })
    const b = await nodes.create({ dataDir: bDir, bootstrap: [m.addresses[0]!] })
    await Promise.all([published(a), published(b)])
    await a.contacts.add('bob', b.peerId)
    await b.contacts.add('alice', a.peerId)
    // each sees the other's presence: each holds the other's presence key (v2, the default visibility)
    await pWaitFor(() => a.presence.get(b.peerId)?.status === 'online' && b.presence.get(a.peerId)?.status === 'online', { timeout: 30_000 })
    expect(a.messages.history(b.peerId)).toEqual([])
    await a.stop()
    await b.stop()
    for (const [dir, peer] of [[aDir, b.peerId], [bDir, a.peerId]] as const) {
      const store = openStore({ path: join(dir, 'natter.db') })
      try {
        // a session exists only if a key went RATCHET (SEALED creates none; no message was ever sent)
        expect(store.ratchetSessions.get(peer)).toBeDefined()
      } finally {
        store.close()
      }
    }
  })
})
