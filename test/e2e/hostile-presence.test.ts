/**
 * Issue "Hostile peers and faults, round two": one presence record must not
 * kill every node it reaches. Real daemons on loopback; the attacker is stock
 * js-libp2p publishing records made from the spec.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, harness } from './helpers.js'
import { forgePresence, stockAttacker } from '../helpers/stock-attacker.js'
import type { DaemonHandle } from './helpers.js'
import type { StockAttacker } from '../helpers/stock-attacker.js'
import type { Replies } from '../../node/api/contract/index.js'


describe('hostile presence records', () => {
  const h = harness()
  let attacker: StockAttacker | undefined
  afterEach(async () => {
    await attacker?.stop()
    attacker = undefined
    await h.cleanup()
  })

  async function seen (d: DaemonHandle, peerId: string): Promise<string | undefined> {
    const list = await h.json<Replies['presence']>(['presence', '--json'], { home: d.home })
    return list.peers.find(p => p.peerId === peerId)?.status
  }

  async function pair (): Promise<[DaemonHandle, DaemonHandle]> {
    // debug: the library's own log lines reach stderr, where the test waits on them
    const b = await h.startDaemon({ args: ['--log-level', 'debug'] })
    const c = await h.startDaemon({ args: ['--bootstrap', b.info.addresses[0]!] })
    // these records travel on the v1 topic (PROTOCOL.md §3.5): C publishes there only when its presence is public
    expect((await h.natter(['config', 'set', 'presenceVisibility', 'public'], { home: c.home })).code).toBe(0)
    await eventually(async () => await seen(b, c.info.peerId) === 'online', 20_000, 'the two daemons to see each other')
    return [b, c]
  }

  it('a signed record with seq above 2^53 is rejected; neither the receiver nor its neighbour dies, and honest records still flow', async () => {
    const [b, c] = await pair()
    attacker = await stockAttacker()
    await attacker.join(b.info.addresses[0]!, b.info.peerId)

    const evil = await generateKeyPair('Ed25519')
    await attacker.publish(await forgePresence(evil, { seq: 2n ** 53n + 2n }))
    await attacker.publish(await forgePresence(evil, { seq: 2n ** 64n - 1n }))
    // a record after them, from another fresh key, reaches B and, forwarded by B, C
    const honest = await generateKeyPair('Ed25519')
    await attacker.publish(await forgePresence(honest))
    const honestId = peerIdFromPrivateKey(honest).toString()
    await eventually(async () => await seen(c, honestId) === 'online', 20_000, 'the honest record to reach C through B')

    expect(b.proc.exitCode).toBeNull()
    expect(c.proc.exitCode).toBeNull()
    const evilId = peerIdFromPrivateKey(evil).toString()
    expect(await seen(b, evilId)).toBeUndefined()
    expect(await seen(c, evilId)).toBeUndefined()
  })

  it('a record that arrives while the database is write-locked by another process does not end the daemon', async () => {
    const [b] = await pair()
    attacker = await stockAttacker()
    await attacker.join(b.info.addresses[0]!, b.info.peerId)

    // only contacts' presence is written to the store (issue 9): the record comes from a contact
    const first = await generateKeyPair('Ed25519')
    const added = await h.natter(['contacts', 'add', 'first', peerIdFromPrivateKey(first).toString()], { home: b.home })
    expect(added.code).toBe(0)
    const locker = new Database(join(b.home, 'natter.db'), { timeout: 1000 })
    try {
      locker.exec('BEGIN EXCLUSIVE')
      await attacker.publish(await forgePresence(first))
      // the daemon waits out its busy timeout (5 s), fails to cache the record and must carry on
      await eventually(() => /presence of \S+ not cached: .*locked/.test(b.stderr()), 20_000, 'the daemon to report the locked store')
      expect(b.proc.exitCode).toBeNull()
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    const next = await generateKeyPair('Ed25519')
    await attacker.publish(await forgePresence(next))
    await eventually(async () => await seen(b, peerIdFromPrivateKey(next).toString()) === 'online', 20_000, 'a record after the lock to be shown')
    expect(b.proc.exitCode).toBeNull()
  })
})
