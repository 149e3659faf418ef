/**
 * Issue 9, "State that grows without bound" (presence): records from many
 * fresh keys leave a bounded cache in memory and nothing on disk; contacts'
 * presence is kept and persisted. Volume goes through the node's own topic
 * validator and message handler in-process; a few records arrive over real
 * gossip from a stock attacker.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { PRESENCE_TOPIC } from '../../src/presence/record.js'
import { PRESENCE_MAX_STRANGERS, PRESENCE_MAX_STRANGERS_LISTED } from '../../src/presence/constants.js'
import { presenceValidatorOf } from '../helpers/fuzz.js'
import { libp2pOf, nodeFactory } from '../helpers/nodes.js'
import { forgePresence, stockAttacker } from '../helpers/stock-attacker.js'
import type { Natter } from '../../src/index.js'
import type { StockAttacker } from '../helpers/stock-attacker.js'

function storedPresence (dataDir: string): string[] {
  const db = new Database(join(dataDir, 'natter.db'), { readonly: true })
  try {
    return (db.prepare('SELECT peer_id FROM presence').all() as Array<{ peer_id: string }>).map(r => r.peer_id)
  } finally {
    db.close()
  }
}

/** Feeds a record through the node's validator and, when accepted, its message handler, as gossipsub would. */
async function deliver (node: Natter, data: Uint8Array): Promise<boolean> {
  const validate = presenceValidatorOf(node)
  const libp2p = libp2pOf(node)
  const msg = { type: 'unsigned' as const, topic: PRESENCE_TOPIC, data }
  if (await validate(libp2p.peerId, msg) !== TopicValidatorResult.Accept) {
    return false
  }
  libp2p.services.pubsub.dispatchEvent(new CustomEvent('message', { detail: msg }))
  return true
}

describe('presence state bounds', () => {
  const nodes = nodeFactory()
  let attacker: StockAttacker | undefined
  afterEach(async () => {
    await attacker?.stop()
    attacker = undefined
    await nodes.cleanup()
  })

  it('records from many fresh keys stay in a bounded cache, none on disk; a contact’s presence is kept and persisted', async () => {
    const dataDir = await nodes.tempDir()
    let bob = await nodes.create({ dataDir })
    // carol publishes v1 (public) presence: this test is about the v1 topic's stranger cache (PROTOCOL.md §3.5)
    const carol = await nodes.create({ bootstrap: [bob.addresses[0]!], presenceVisibility: 'public' })
    await bob.contacts.add('carol', carol.peerId)
    await pWaitFor(() => bob.presence.get(carol.peerId)?.status === 'online', { timeout: 15_000 })

    const flood = PRESENCE_MAX_STRANGERS + 500
    const ids: string[] = []
    for (let i = 0; i < flood; i++) {
      const key = await generateKeyPair('Ed25519')
      ids.push(peerIdFromPrivateKey(key).toString())
      expect(await deliver(bob, await forgePresence(key))).toBe(true)
    }
    // a few over real gossip, from a stock libp2p peer
    attacker = await stockAttacker()
    await attacker.join(bob.addresses[0]!, bob.peerId)
    const gossiped: string[] = []
    for (let i = 0; i < 3; i++) {
      const key = await generateKeyPair('Ed25519')
      gossiped.push(peerIdFromPrivateKey(key).toString())
      await attacker.publish(await forgePresence(key))
    }
    await pWaitFor(() => gossiped.every(id => bob.presence.get(id)?.status === 'online'), { timeout: 15_000 })

    // the oldest strangers were dropped, the newest are kept; the answer is bounded
    expect(bob.presence.get(ids[0]!)).toBeUndefined()
    expect(bob.presence.get(ids.at(-1)!)?.status).toBe('online')
    const known = ids.filter(id => bob.presence.get(id) != null).length
    expect(known).toBeLessThanOrEqual(PRESENCE_MAX_STRANGERS)
    expect(bob.presence.list().length).toBe(1 + PRESENCE_MAX_STRANGERS_LISTED)
    expect(bob.presence.get(carol.peerId)?.status).toBe('online')

    // on disk: the contact only
    expect(storedPresence(dataDir)).toEqual([carol.peerId])

    // and after a restart, the contact's presence is back, no stranger's
    await bob.stop()
    bob = await nodes.create({ dataDir })
    expect(bob.presence.get(carol.peerId)).toBeDefined()
    expect(bob.presence.get(ids.at(-1)!)).toBeUndefined()
    expect(bob.presence.list().map(p => p.peerId)).toEqual([carol.peerId])
  })
})
