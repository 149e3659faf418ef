/**
 * Group commit (src/store/group-commit.ts): the grouped writes of one
 * event-loop turn share one SQLite commit at the end of the turn; nothing
 * that waits on `committed()` runs before that commit is on disk; any other
 * write commits the group first; and the inbound pipeline answers only after
 * the commit of what it stored.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Payload, openSealed, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createInboundPipeline } from '../../src/messaging/inbound/pipeline.js'
import { DmResponse } from '../../src/pb/dm.js'
import { createGroupCommit } from '../../src/store/group-commit.js'
import { openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { Store } from '../../src/store/index.js'

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

describe('group commit', () => {
  let dir: string
  let store: Store
  let other: Database.Database
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-group-'))
    store = openStore({ path: join(dir, 'natter.db') })
    // a second connection sees only what is committed
    other = new Database(join(dir, 'natter.db'), { readonly: true })
  })
  afterEach(() => {
    other.close()
    store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const committedCount = (): number => (other.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
  const dataVersion = (): number => other.pragma('data_version', { simple: true }) as number
  const outgoing = (n: number): { id: string, peer: string, text: string, sentAt: number } =>
    ({ id: n.toString(16).padStart(32, '0'), peer: PEER, text: `message ${n}`, sentAt: 1_700_000_000_000 + n })

  it('commits every grouped write of a turn in one commit, before committed() resolves', async () => {
    const before = dataVersion()
    for (let n = 1; n <= 20; n++) {
      store.group(() => store.messages.insertOutgoing(outgoing(n)))
    }
    // visible to this connection at once, to nobody else until the commit
    expect(store.messages.get(outgoing(20).id)).toBeDefined()
    expect(committedCount()).toBe(0)
    await store.committed()
    expect(committedCount()).toBe(20)
    // one commit for all twenty (data_version moves once per commit by another connection)
    expect(dataVersion()).toBe(before + 1)
  })

  it('a write outside the group commits the group first', () => {
    store.group(() => store.messages.insertOutgoing(outgoing(1)))
    expect(committedCount()).toBe(0)
    store.messages.insertOutgoing(outgoing(2))
    expect(committedCount()).toBe(2)
  })

  it('a grouped write that throws undoes only its own writes', async () => {
    store.group(() => store.messages.insertOutgoing(outgoing(1)))
    expect(() => store.group(() => {
      store.messages.insertOutgoing(outgoing(2))
      throw new Error('boom')
    })).toThrow('boom')
    store.group(() => store.messages.insertOutgoing(outgoing(3)))
    await store.committed()
    expect(store.messages.get(outgoing(2).id)).toBeUndefined()
    expect(committedCount()).toBe(2)
  })

  it('the inbound pipeline acknowledges only once what it stored is committed', async () => {
    const [aliceKey, bobKey] = [await generateKeyPair('Ed25519'), await generateKeyPair('Ed25519')]
    const alice = parsePeerId(aliceKey.publicKey.toString())
    const bob = parsePeerId(bobKey.publicKey.toString())
    store.contacts.add('alice', alice.peerId.toString(), { identityKey: alice.publicKey.raw })
    const seenAtReply: number[] = []
    const pipeline = createInboundPipeline({
      self: bob,
      messages: store.messages,
      requests: store.requests,
      goneMessages: store.goneMessages,
      stampReplay: store.stampReplay,
      transaction: (fn) => store.group(fn),
      committed: async () => store.committed(),
      isRunning: () => true,
      sessions: { open: async (env) => openSealed(env, bobKey, bob.bytes) },
      events: { message: () => {}, request: () => {}, state: () => {} },
      receipts: { send: () => {} },
      logger: recordingLogger()
    })
    const envelopes = await Promise.all([1, 2, 3].map(async seq => (await sealEnvelope({
      senderKey: aliceKey, sender: alice.bytes, recipient: bob, payload: { type: Payload.Type.TEXT, text: `hi ${seq}`, seq: BigInt(seq), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })).bytes))
    const verdicts = await Promise.all(envelopes.map(async e => {
      const verdict = await pipeline.receiveDirect(e, alice.peerId.toString())
      // what another process would find on disk when this acknowledgement goes out
      seenAtReply.push(committedCount())
      return verdict
    }))
    expect(verdicts.map(v => v.status)).toEqual([DmResponse.Status.OK, DmResponse.Status.OK, DmResponse.Status.OK])
    expect(seenAtReply.every(n => n === 3)).toBe(true)
  })

  it('a failed commit rolls the group back and tells the rollback listeners before any waiter', async () => {
    const db = new Database(join(dir, 'deferred.db'))
    try {
      db.pragma('foreign_keys = ON')
      db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)')
      const group = createGroupCommit(db, (err) => err)
      const heard: string[] = []
      const remove = group.onRollback(() => { heard.push('rollback') })
      // a deferred foreign key is checked at COMMIT: the commit itself fails
      group.run(() => db.prepare('INSERT INTO child (id, parent) VALUES (1, 42)').run())
      const waited = group.committed().then(() => { heard.push('committed') }, () => { heard.push('rejected') })
      await waited
      expect(heard).toEqual(['rollback', 'rejected'])
      expect((db.prepare('SELECT count(*) AS n FROM child').get() as { n: number }).n).toBe(0)
      remove()
      group.run(() => db.prepare('INSERT INTO child (id, parent) VALUES (2, 43)').run())
      await expect(group.committed()).rejects.toThrow()
      expect(heard).toEqual(['rollback', 'rejected'])
    } finally {
      db.close()
    }
  })
})
