import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import Database from 'better-sqlite3'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { runMigrations, schemaVersion } from '../../src/store/migrations.js'
import { MIGRATIONS, SCHEMA_VERSION, openStore } from '../../src/store/index.js'
import type { Migration } from '../../src/store/migrations.js'
import type { HistoryCursor, Message, Store, StoreInit } from '../../src/store/index.js'

/** Asserts that `fn` throws an error whose `name` is `name`, and returns it for further checks. */
function thrown (fn: () => unknown, name: string): Error & Record<string, unknown> {
  try {
    fn()
  } catch (err) {
    expect((err as Error).name).toBe(name)
    return err as Error & Record<string, unknown>
  }
  throw new Error(`expected ${name} to be thrown`)
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)
const hexId = (n: number): string => n.toString(16).padStart(32, '0')

describe('store', () => {
  // Real peer ids: contacts validate them.
  let alice: string
  let bob: string
  let carol: string
  let mallory: string

  beforeAll(async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    ;[alice, bob, carol, mallory] = ids as [string, string, string, string]
  })

  let dir: string
  let dbPath: string
  let clock: number
  const open: Store[] = []

  const openAt = (init: Partial<StoreInit> = {}): Store => {
    const store = openStore({ path: dbPath, now: () => clock, ...init })
    open.push(store)
    return store
  }
  const reopen = (store: Store): Store => {
    store.close()
    return openAt()
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-store-'))
    dbPath = join(dir, 'nested', 'natter.db')
    clock = 1_700_000_000_000
  })

  afterEach(() => {
    for (const store of open.splice(0)) {
      store.close()
    }
    rmSync(dir, { recursive: true, force: true })
  })

  describe('opening', () => {
    it('creates the parent directory and a 0600 file at the current schema version', () => {
      const store = openAt()
      expect(statSync(dbPath).mode & 0o777).toBe(0o600)
      expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700)
      store.close()
      const db = new Database(dbPath, { readonly: true })
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      db.close()
    })

    it('narrows an existing world-readable file to 0600', () => {
      openAt().close()
      chmodSync(dbPath, 0o644)
      openAt()
      expect(statSync(dbPath).mode & 0o777).toBe(0o600)
    })

    it('is idempotent on reopen: migrations do not rerun and data survives', () => {
      const first = openAt()
      first.contacts.add('Alice', alice)
      first.settings.set('k', { a: 1 })
      const second = reopen(first)
      const db = new Database(dbPath, { readonly: true })
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
      db.close()
      expect(second.contacts.list().map(c => c.name)).toEqual(['Alice'])
      expect(second.settings.get('k')).toEqual({ a: 1 })
      const third = reopen(second)
      expect(third.contacts.list()).toHaveLength(1)
    })

    it('close is idempotent and later calls throw StoreClosedError', () => {
      const store = openAt()
      store.close()
      store.close()
      expect(store.isOpen).toBe(false)
      thrown(() => store.contacts.list(), 'StoreClosedError')
      thrown(() => store.transaction(() => 1), 'StoreClosedError')
    })

    it('refuses a file of garbage bytes with StoreCorruptError and leaves it untouched', () => {
      const garbage = Buffer.alloc(8192, 0x5a)
      mkdirSync(join(dir, 'nested'))
      writeFileSync(dbPath, garbage)
      const err = thrown(() => openAt(), 'StoreCorruptError')
      expect(err.path).toBe(dbPath)
      expect(readFileSync(dbPath).equals(garbage)).toBe(true)
    })

    it('refuses a tiny non-database file that SQLite itself would overwrite', () => {
      mkdirSync(join(dir, 'nested'))
      writeFileSync(dbPath, 'not a db')
      thrown(() => openAt(), 'StoreCorruptError')
      expect(readFileSync(dbPath, 'utf8')).toBe('not a db')
    })

    it('refuses a database whose pages are damaged with StoreCorruptError', () => {
      const store = openAt()
      for (let i = 0; i < 500; i++) {
        store.messages.insertOutgoing({ id: hexId(i), peer: alice, text: 'x'.repeat(200), sentAt: clock + i })
      }
      store.close()
      const file = readFileSync(dbPath)
      expect(file.length).toBeGreaterThan(4096 * 8)
      // Keep the valid header page, scribble over b-tree pages.
      file.fill(0xab, 4096 * 5, 4096 * 8)
      writeFileSync(dbPath, file)
      thrown(() => openAt(), 'StoreCorruptError')
    })

    it('refuses a file from a newer schema with StoreVersionError', () => {
      openAt().close()
      const db = new Database(dbPath)
      db.pragma(`user_version = ${SCHEMA_VERSION + 5}`)
      db.close()
      const err = thrown(() => openAt(), 'StoreVersionError')
      expect(err.found).toBe(SCHEMA_VERSION + 5)
      expect(err.supported).toBe(SCHEMA_VERSION)
    })

    it('works in memory', () => {
      const store = openStore({ path: ':memory:' })
      open.push(store)
      store.settings.set('x', 1)
      expect(store.settings.get('x')).toBe(1)
    })
  })

  describe('migrations', () => {
    const extra = (up: Migration['up']): Migration[] => [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'test step', up }]

    it('runs each pending step once and records the version', () => {
      const db = new Database(':memory:')
      expect(runMigrations(db)).toEqual({ from: 0, to: SCHEMA_VERSION })
      expect(runMigrations(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION })
      let runs = 0
      const steps = extra(d => { runs++; d.exec('CREATE TABLE extra (x INTEGER) STRICT') })
      expect(runMigrations(db, steps)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 })
      expect(runMigrations(db, steps)).toEqual({ from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 })
      expect(runs).toBe(1)
      db.close()
    })

    it('rolls a failed step back whole and throws MigrationError', () => {
      const db = new Database(':memory:')
      runMigrations(db)
      const steps = extra(d => {
        d.exec('CREATE TABLE half_done (x INTEGER)')
        throw new Error('boom')
      })
      const err = thrown(() => runMigrations(db, steps), 'MigrationError')
      expect(err.from).toBe(SCHEMA_VERSION)
      expect(err.to).toBe(SCHEMA_VERSION + 1)
      expect((err.cause as Error).message).toBe('boom')
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined()
      db.close()
    })
  })

  describe('contacts', () => {
    it('adds, looks up by name (any case) and peer id, and persists', () => {
      const store = openAt()
      const key = bytes(1, 2, 3)
      const added = store.contacts.add('Alice', alice, { identityKey: key, addresses: ['/ip4/127.0.0.1/tcp/1'] })
      expect(added).toEqual({
        name: 'Alice',
        peerId: alice,
        addedAt: clock,
        verified: false,
        identityKey: key,
        pendingIdentityKey: null,
        blocked: false,
        addresses: ['/ip4/127.0.0.1/tcp/1']
      })
      store.contacts.add('bob', bob)
      const again = reopen(store)
      expect(again.contacts.getByName('ALICE')?.peerId).toBe(alice)
      expect(again.contacts.get(bob)?.name).toBe('bob')
      expect(again.contacts.resolve('alice').peerId).toBe(alice)
      expect(again.contacts.resolve(bob).name).toBe('bob')
      expect(again.contacts.list().map(c => c.name)).toEqual(['Alice', 'bob'])
      expect(again.contacts.get(alice)?.identityKey).toEqual(key)
      thrown(() => again.contacts.resolve('nobody'), 'ContactNotFoundError')
    })

    it('refuses clashing names (case-insensitively) and peer ids with ContactExistsError', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      expect(thrown(() => store.contacts.add('aLiCe', bob), 'ContactExistsError').field).toBe('name')
      expect(thrown(() => store.contacts.add('Other', alice), 'ContactExistsError').field).toBe('peerId')
      expect(store.contacts.list()).toHaveLength(1)
    })

    it('validates names and peer ids', () => {
      const store = openAt()
      thrown(() => store.contacts.add('x', 'not-a-peer-id'), 'InvalidPeerIdError')
      thrown(() => store.contacts.add('   ', alice), 'InvalidContactNameError')
      thrown(() => store.contacts.add('a\u0007b', alice), 'InvalidContactNameError')
      thrown(() => store.contacts.add('x'.repeat(65), alice), 'InvalidContactNameError')
      thrown(() => store.contacts.add(bob, alice), 'InvalidContactNameError')
      expect(store.contacts.add('  Alice  ', alice).name).toBe('Alice')
    })

    it('renames (a case change is allowed), refuses a taken name, and removes', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      store.contacts.add('Bob', bob)
      expect(store.contacts.rename('alice', 'ALICE').name).toBe('ALICE')
      expect(thrown(() => store.contacts.rename(alice, 'bob'), 'ContactExistsError').field).toBe('name')
      expect(store.contacts.rename(alice, 'Ally').name).toBe('Ally')
      expect(store.contacts.getByName('alice')).toBeUndefined()
      expect(store.contacts.remove('ally').peerId).toBe(alice)
      expect(store.contacts.get(alice)).toBeUndefined()
      thrown(() => store.contacts.remove('ally'), 'ContactNotFoundError')
      thrown(() => store.contacts.rename('ally', 'x'), 'ContactNotFoundError')
    })

    it('pins the first identity key, keeps a changed one pending until accepted', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      const k1 = bytes(1)
      const k2 = bytes(2)
      expect(store.contacts.observeIdentityKey(carol, k1)).toBe('not-contact')
      expect(store.contacts.observeIdentityKey(alice, k1)).toBe('pinned')
      expect(store.contacts.observeIdentityKey(alice, k1)).toBe('match')
      store.contacts.setVerified('Alice', true)
      expect(store.contacts.observeIdentityKey(alice, k2)).toBe('changed')
      const pending = store.contacts.get(alice)
      expect(pending?.identityKey).toEqual(k1)
      expect(pending?.pendingIdentityKey).toEqual(k2)
      expect(pending?.verified).toBe(true)

      const again = reopen(store)
      const accepted = again.contacts.acceptIdentityKey('alice')
      expect(accepted.identityKey).toEqual(k2)
      expect(accepted.pendingIdentityKey).toBeNull()
      expect(accepted.verified).toBe(false)
      thrown(() => again.contacts.acceptIdentityKey('alice'), 'NoPendingIdentityKeyError')

      // Seeing the pinned key again drops a stale pending one.
      expect(again.contacts.observeIdentityKey(alice, k1)).toBe('changed')
      expect(again.contacts.observeIdentityKey(alice, k2)).toBe('match')
      expect(again.contacts.get(alice)?.pendingIdentityKey).toBeNull()
    })

    it('stores addresses and reflects the block list', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      expect(store.contacts.setAddresses(alice, ['/ip4/1.2.3.4/tcp/4001'])).toBe(true)
      expect(store.contacts.setAddresses(carol, [])).toBe(false)
      store.blocklist.block(alice)
      expect(store.contacts.get(alice)).toMatchObject({ blocked: true, addresses: ['/ip4/1.2.3.4/tcp/4001'] })
    })
  })

  describe('block list', () => {
    it('blocks contacts and strangers alike, and persists', () => {
      const store = openAt()
      expect(store.blocklist.block(mallory)).toBe(true)
      expect(store.blocklist.block(mallory)).toBe(false)
      clock += 10
      store.blocklist.block(carol)
      const again = reopen(store)
      expect(again.blocklist.isBlocked(mallory)).toBe(true)
      expect(again.blocklist.list()).toEqual([
        { peerId: carol, blockedAt: clock },
        { peerId: mallory, blockedAt: clock - 10 }
      ])
      expect(again.blocklist.unblock(mallory)).toBe(true)
      expect(again.blocklist.unblock(mallory)).toBe(false)
      expect(again.blocklist.isBlocked(mallory)).toBe(false)
    })
  })

  describe('messages', () => {
    let nextId = 0x10000
    const incoming = (peer: string, seq: number, extra: { id?: string, sentAt?: number, text?: string } = {}) => ({
      id: extra.id ?? hexId(nextId++),
      peer,
      text: extra.text ?? `msg ${seq}`,
      sentAt: extra.sentAt ?? clock,
      seq
    })

    it('assigns outgoing sequence numbers per peer, continuing across restarts', () => {
      const store = openAt()
      const a1 = store.messages.insertOutgoing({ id: hexId(1), peer: alice, text: 'one', sentAt: clock })
      const a2 = store.messages.insertOutgoing({ id: hexId(2), peer: alice, text: 'two', sentAt: clock })
      const b1 = store.messages.insertOutgoing({ id: hexId(3), peer: bob, text: 'hi', sentAt: clock })
      expect([a1.seq, a2.seq, b1.seq]).toEqual([1, 2, 1])
      expect(a1).toMatchObject({ direction: 'out', state: 'queued', receivedAt: null, failReason: null })
      const again = reopen(store)
      expect(again.messages.insertOutgoing({ id: hexId(4), peer: alice, text: 'three', sentAt: clock }).seq).toBe(3)
      expect(again.messages.get(hexId(2))).toEqual(a2)
      thrown(() => again.messages.insertOutgoing({ id: hexId(4), peer: bob, text: 'dup', sentAt: clock }), 'MessageIdConflictError')
    })

    it('stores an incoming message exactly once', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      const message = { ...incoming(alice, 1), receivedAt: clock + 5 }
      const first = store.messages.insertIncoming(message)
      expect(first.inserted).toBe(true)
      expect(first.accepted).toBe(true)
      expect(first.message).toMatchObject({ direction: 'in', state: 'received', receivedAt: clock + 5, seq: 1 })

      const again = reopen(store)
      const second = again.messages.insertIncoming({ ...message, text: 'replayed', receivedAt: clock + 99 })
      expect(second.inserted).toBe(false)
      expect(second.message).toEqual(first.message)
      expect(again.messages.history(alice)).toHaveLength(1)
    })

    it('hasIncoming: whether a peer ever wrote, however many messages went out since', () => {
      const store = openAt()
      expect(store.messages.hasIncoming(alice)).toBe(false)
      store.messages.insertOutgoing({ id: hexId(1), peer: alice, text: 'hello?', sentAt: clock })
      expect(store.messages.hasIncoming(alice)).toBe(false)
      store.messages.insertIncoming(incoming(alice, 1, { id: 'aa' }))
      store.transaction(() => {
        for (let i = 2; i <= 1100; i++) {
          store.messages.insertOutgoing({ id: hexId(i), peer: alice, text: 'x', sentAt: clock + i })
        }
      })
      // further back than the last 1000 messages, still known
      expect(store.messages.hasIncoming(alice)).toBe(true)
      expect(store.messages.hasIncoming(bob)).toBe(false)
    })

    it('refuses an id already used by another peer or by an outgoing message', () => {
      const store = openAt()
      store.messages.insertIncoming(incoming(alice, 1, { id: 'aa' }))
      store.messages.insertOutgoing({ id: 'bb', peer: bob, text: 'x', sentAt: clock })
      thrown(() => store.messages.insertIncoming(incoming(carol, 1, { id: 'aa' })), 'MessageIdConflictError')
      thrown(() => store.messages.insertIncoming(incoming(bob, 1, { id: 'bb' })), 'MessageIdConflictError')
      expect(store.messages.history(carol)).toEqual([])
    })

    it('validates input', () => {
      const store = openAt()
      thrown(() => store.messages.insertOutgoing({ id: 'XYZ', peer: alice, text: 'x', sentAt: clock }), 'InvalidArgumentError')
      thrown(() => store.messages.insertOutgoing({ id: 'ab', peer: alice, text: 'x', sentAt: -1 }), 'InvalidArgumentError')
      thrown(() => store.messages.insertIncoming(incoming(alice, 0)), 'InvalidArgumentError')
      thrown(() => store.messages.insertIncoming(incoming(alice, 1.5)), 'InvalidArgumentError')
      thrown(() => store.messages.insertOutgoing({ id: 'ab', peer: 'has space', text: 'x', sentAt: clock }), 'InvalidArgumentError')
    })

    it('only moves outgoing states forward', () => {
      const store = openAt()
      const { id } = store.messages.insertOutgoing({ id: 'a1', peer: alice, text: 'x', sentAt: clock, envelope: bytes(9) })
      expect(store.messages.setState(id, 'sent', { at: clock + 1 }).changed).toBe(true)
      expect(store.messages.setState(id, 'queued').changed).toBe(false)
      expect(store.messages.setState(id, 'read', { at: clock + 3 }).message).toMatchObject({ state: 'read', stateAt: clock + 3 })
      // A late delivery receipt after the read receipt changes nothing.
      const late = store.messages.setState(id, 'delivered', { at: clock + 4 })
      expect(late.changed).toBe(false)
      expect(late.message).toMatchObject({ state: 'read', stateAt: clock + 3 })
      expect(store.messages.setState(id, 'failed', { reason: 'x' }).changed).toBe(false)
      // The envelope is dropped once delivered.
      expect(store.messages.getEnvelope(id)).toBeUndefined()

      const again = reopen(store)
      expect(again.messages.get(id)?.state).toBe('read')
      thrown(() => again.messages.setState(id, 'received'), 'InvalidMessageStateError')
      thrown(() => again.messages.setState('ffff', 'sent'), 'MessageNotFoundError')
    })

    it('fails with a reason and is retried only through requeue', () => {
      const store = openAt()
      const { id } = store.messages.insertOutgoing({ id: 'a1', peer: alice, text: 'x', sentAt: clock, envelope: bytes(7, 7) })
      store.outbox.scheduleRetry(id, clock + 1000)
      const failed = store.messages.setState(id, 'failed', { reason: 'peer unreachable' })
      expect(failed.message).toMatchObject({ state: 'failed', failReason: 'peer unreachable' })
      expect(store.messages.setState(id, 'sent').changed).toBe(false)
      expect(store.messages.setState(id, 'queued').changed).toBe(false)
      expect(store.outbox.pending()).toEqual([])
      // The envelope is kept so a retry can re-send it.
      expect(store.messages.getEnvelope(id)).toEqual(bytes(7, 7))

      const requeued = store.messages.requeue(id, { at: clock + 5 })
      expect(requeued).toMatchObject({ state: 'queued', failReason: null, stateAt: clock + 5 })
      expect(store.outbox.pending()).toMatchObject([{ attempts: 0, nextAttemptAt: null, envelope: bytes(7, 7) }])
      thrown(() => store.messages.requeue(id), 'InvalidMessageStateError')

      // Proof of delivery moves a failed message on.
      store.messages.setState(id, 'failed')
      expect(store.messages.setState(id, 'delivered').message.state).toBe('delivered')
    })

    it('moves incoming messages from received to read', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      const { message } = store.messages.insertIncoming(incoming(alice, 1))
      store.messages.insertIncoming(incoming(alice, 2))
      thrown(() => store.messages.setState(message.id, 'delivered'), 'InvalidMessageStateError')
      expect(store.messages.setState(message.id, 'read').changed).toBe(true)
      expect(store.messages.setState(message.id, 'read').changed).toBe(false)
      expect(store.messages.conversations()[0]?.unread).toBe(1)
      expect(store.messages.markRead(alice)).toBe(1)
      expect(store.messages.conversations()[0]?.unread).toBe(0)
    })

    it('keeps and replaces envelopes of outgoing messages only', () => {
      const store = openAt()
      store.messages.insertOutgoing({ id: 'a1', peer: alice, text: 'x', sentAt: clock })
      store.messages.insertIncoming(incoming(bob, 1, { id: 'b1' }))
      expect(store.messages.getEnvelope('a1')).toBeUndefined()
      store.messages.setEnvelope('a1', bytes(1, 2))
      expect(reopen(store).messages.getEnvelope('a1')).toEqual(bytes(1, 2))
      const again = open[open.length - 1] as Store
      again.messages.setEnvelope('a1', null)
      expect(again.messages.getEnvelope('a1')).toBeUndefined()
      thrown(() => again.messages.setEnvelope('b1', bytes(1)), 'MessageNotFoundError')
    })

    it('pages history back with a cursor, in ascending order, without skipping ties', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      const all: Message[] = []
      // Three messages per millisecond, both directions, so ties on sentAt are everywhere.
      for (let i = 0; i < 120; i++) {
        const sentAt = clock + Math.floor(i / 3)
        if (i % 2 === 0) {
          all.push(store.messages.insertOutgoing({ id: hexId(1000 + i), peer: alice, text: `out ${i}`, sentAt }))
        } else {
          all.push(store.messages.insertIncoming({ ...incoming(alice, i, { id: hexId(5000 + i), sentAt }) }).message)
        }
      }
      store.messages.insertOutgoing({ id: hexId(9999), peer: bob, text: 'other conversation', sentAt: clock })

      const again = reopen(store)
      const pages: Message[][] = []
      let before: HistoryCursor | undefined
      for (;;) {
        const page = again.messages.history(alice, { limit: 25, ...(before === undefined ? {} : { before }) })
        if (page.length === 0) {
          break
        }
        pages.push(page)
        before = page[0]
      }
      expect(pages.map(page => page.length)).toEqual([25, 25, 25, 25, 20])
      const seen = pages.reverse().flat()
      expect(new Set(seen.map(m => m.id)).size).toBe(120)
      const key = (m: Message): string => `${String(m.sentAt).padStart(15, '0')}|${m.direction}|${String(m.seq).padStart(6, '0')}|${m.id}`
      expect(seen.map(key)).toEqual(all.map(key).sort())
      expect(seen.map(m => m.id).sort()).toEqual(all.map(m => m.id).sort())

      // Default page is the newest 50; a numeric cursor means "sent strictly before".
      expect(again.messages.history(alice)).toEqual(seen.slice(-50))
      const beforeTime = again.messages.history(alice, { before: clock + 10, limit: 1000 })
      expect(beforeTime).toHaveLength(30)
      expect(beforeTime.every(m => m.sentAt < clock + 10)).toBe(true)
      expect(again.messages.history(alice, { limit: 5000 })).toHaveLength(120)
      thrown(() => again.messages.history(alice, { limit: 0 }), 'InvalidArgumentError')
    })

    it('lists accepted conversations with the last message and unread count', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      store.contacts.add('Bob', bob)
      store.messages.insertIncoming(incoming(alice, 1, { sentAt: clock }))
      store.messages.insertIncoming(incoming(alice, 2, { sentAt: clock + 1 }))
      store.messages.insertOutgoing({ id: 'b0', peer: bob, text: 'yo', sentAt: clock + 5 })
      store.messages.insertIncoming(incoming(mallory, 1, { sentAt: clock + 9 })) // a request, not listed
      const list = store.messages.conversations()
      expect(list.map(c => [c.peer, c.unread, c.lastMessage.text])).toEqual([
        [bob, 0, 'yo'],
        [alice, 2, 'msg 2']
      ])
    })

    it('reports gaps in a sender\'s sequence', () => {
      const store = openAt()
      for (const seq of [1, 2, 5, 7, 7]) {
        store.messages.insertIncoming(incoming(alice, seq, { id: hexId(seq) }))
      }
      expect(store.messages.gaps(alice)).toEqual([3, 4, 6])
      expect(store.messages.gaps(bob)).toEqual([])
      store.messages.insertIncoming(incoming(alice, 4))
      expect(reopen(store).messages.gaps(alice)).toEqual([3, 6])

      const again = open[open.length - 1] as Store
      // A hostile huge seq does not make the list unbounded.
      again.messages.insertIncoming(incoming(alice, 1_000_000_000, { id: 'ff' }))
      const gaps = again.messages.gaps(alice, { limit: 10 })
      expect(gaps).toEqual([3, 6, 8, 9, 10, 11, 12, 13, 14, 15])
    })
  })

  describe('outbox', () => {
    it('lists pending messages, schedules retries and survives a restart', () => {
      const store = openAt()
      store.messages.insertOutgoing({ id: 'a1', peer: alice, text: 'one', sentAt: clock, envelope: bytes(1) })
      store.messages.insertOutgoing({ id: 'a2', peer: alice, text: 'two', sentAt: clock + 1 })
      store.messages.insertOutgoing({ id: 'b1', peer: bob, text: 'three', sentAt: clock + 2 })
      store.messages.setState('a2', 'sent')
      store.messages.setState('b1', 'delivered')

      expect(store.outbox.pending().map(e => e.message.id)).toEqual(['a1', 'a2'])
      expect(store.outbox.scheduleRetry('a1', clock + 1_000)).toBe(true)
      expect(store.outbox.scheduleRetry('a1', clock + 5_000)).toBe(true)
      expect(store.outbox.scheduleRetry('b1', clock + 5_000)).toBe(false)
      thrown(() => store.outbox.scheduleRetry('cc', clock), 'MessageNotFoundError')

      const again = reopen(store)
      expect(again.outbox.pending()).toMatchObject([
        { message: { id: 'a1', state: 'queued' }, attempts: 2, nextAttemptAt: clock + 5_000, envelope: bytes(1) },
        { message: { id: 'a2', state: 'sent' }, attempts: 0, nextAttemptAt: null, envelope: null }
      ])
      expect(again.outbox.due(clock).map(e => e.message.id)).toEqual(['a2'])
      expect(again.outbox.due(clock + 5_000).map(e => e.message.id)).toEqual(['a2', 'a1'])
      expect(again.outbox.due(clock + 5_000, { limit: 1 })).toHaveLength(1)
      again.messages.setState('a1', 'delivered')
      expect(again.outbox.pending().map(e => e.message.id)).toEqual(['a2'])
    })

    it('answers per-peer, per-message and next-retry questions without scanning the outbox', () => {
      const store = openAt()
      store.messages.insertOutgoing({ id: 'a1', peer: alice, text: 'one', sentAt: clock })
      store.messages.insertOutgoing({ id: 'a2', peer: alice, text: 'two', sentAt: clock + 1 })
      store.messages.insertOutgoing({ id: 'b1', peer: bob, text: 'three', sentAt: clock + 2 })
      expect(store.outbox.pendingFor(alice).map(e => e.message.id)).toEqual(['a1', 'a2'])
      expect(store.outbox.pendingFor(bob).map(e => e.message.id)).toEqual(['b1'])
      expect(store.outbox.nextRetryAt()).toBeUndefined()
      store.outbox.scheduleRetry('a2', clock + 9_000)
      store.outbox.scheduleRetry('b1', clock + 3_000)
      store.outbox.scheduleRetry('b1', clock + 4_000)
      expect(store.outbox.attempts('b1')).toBe(2)
      expect(store.outbox.attempts('a1')).toBe(0)
      expect(store.outbox.nextRetryAt()).toBe(clock + 4_000)
      store.messages.setState('b1', 'delivered')
      expect(store.outbox.attempts('b1')).toBeUndefined()
      expect(store.outbox.nextRetryAt()).toBe(clock + 9_000)
      expect(store.outbox.pendingFor(bob)).toEqual([])
    })
  })

  describe('message requests', () => {
    it('holds messages from strangers apart until accepted', () => {
      const store = openAt()
      const first = store.messages.insertIncoming({ id: 'c1', peer: carol, text: 'hello?', sentAt: clock, seq: 1 })
      expect(first.accepted).toBe(false)
      store.messages.insertIncoming({ id: 'c2', peer: carol, text: 'anyone?', sentAt: clock + 1, seq: 2 })
      expect(store.requests.isAccepted(carol)).toBe(false)
      expect(store.messages.conversations()).toEqual([])

      const again = reopen(store)
      expect(again.requests.list()).toMatchObject([
        { peer: carol, count: 2, first: { id: 'c1' }, last: { id: 'c2' } }
      ])
      again.requests.accept(carol)
      expect(again.requests.isAccepted(carol)).toBe(true)
      expect(again.requests.list()).toEqual([])
      expect(again.messages.conversations().map(c => c.peer)).toEqual([carol])
      thrown(() => again.requests.accept(carol), 'RequestNotFoundError')
      expect(again.messages.insertIncoming({ id: 'c3', peer: carol, text: 'thanks', sentAt: clock + 2, seq: 3 }).accepted).toBe(true)
    })

    it('accepts a stranger\'s conversation when they are added as a contact or messaged', () => {
      const store = openAt()
      store.messages.insertIncoming({ id: 'c1', peer: carol, text: 'hi', sentAt: clock, seq: 1 })
      store.messages.insertIncoming({ id: 'd1', peer: mallory, text: 'hi', sentAt: clock, seq: 1 })
      store.contacts.add('Carol', carol)
      store.messages.insertOutgoing({ id: 'd2', peer: mallory, text: 'who is this?', sentAt: clock + 1 })
      expect(store.requests.list()).toEqual([])
      expect(store.requests.isAccepted(carol)).toBe(true)
    })

    it('declines: deletes the messages and blocks on request', () => {
      const store = openAt()
      store.messages.insertIncoming({ id: 'c1', peer: carol, text: 'spam', sentAt: clock, seq: 1 })
      store.messages.insertIncoming({ id: 'd1', peer: mallory, text: 'spam', sentAt: clock, seq: 1 })
      store.messages.insertIncoming({ id: 'd2', peer: mallory, text: 'spam', sentAt: clock, seq: 2 })
      expect(store.requests.decline(carol)).toBe(1)
      expect(store.blocklist.isBlocked(carol)).toBe(false)
      expect(store.requests.decline(mallory, { block: true })).toBe(2)
      expect(store.blocklist.isBlocked(mallory)).toBe(true)
      expect(store.messages.get('d1')).toBeUndefined()
      expect(store.messages.history(mallory)).toEqual([])
      expect(store.requests.list()).toEqual([])
      thrown(() => store.requests.decline(mallory), 'RequestNotFoundError')

      // A declined (not blocked) stranger can ask again; a blocked one is hidden from the list.
      store.messages.insertIncoming({ id: 'c2', peer: carol, text: 'again', sentAt: clock + 1, seq: 2 })
      store.messages.insertIncoming({ id: 'd3', peer: mallory, text: 'again', sentAt: clock + 1, seq: 3 })
      expect(store.requests.list().map(r => r.peer)).toEqual([carol])
    })

    it('will not decline an accepted conversation', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      store.messages.insertIncoming({ id: 'a1', peer: alice, text: 'hi', sentAt: clock, seq: 1 })
      thrown(() => store.requests.decline(alice), 'RequestNotFoundError')
      expect(store.messages.get('a1')).toBeDefined()
    })
  })

  describe('presence cache', () => {
    it('keeps the announcement with the highest seq and prunes lapsed ones', () => {
      const store = openAt()
      expect(store.presence.upsert({ peerId: alice, status: 'online', seq: 5, updatedAt: clock, expiresAt: clock + 100 })).toBe(true)
      expect(store.presence.upsert({ peerId: alice, status: 'away', note: 'old', seq: 4, updatedAt: clock, expiresAt: clock + 100 })).toBe(false)
      expect(store.presence.upsert({ peerId: alice, status: 'away', note: 'lunch', seq: 6, updatedAt: clock + 1, expiresAt: clock + 200 })).toBe(true)
      store.presence.upsert({ peerId: bob, status: 'online', seq: 1, updatedAt: clock, expiresAt: clock + 50 })
      const again = reopen(store)
      expect(again.presence.get(alice)).toEqual({ peerId: alice, status: 'away', note: 'lunch', seq: 6, updatedAt: clock + 1, expiresAt: clock + 200 })
      expect(again.presence.list()).toHaveLength(2)
      expect(again.presence.prune(clock + 50)).toBe(1)
      expect(again.presence.get(bob)).toBeUndefined()
    })
  })

  describe('mailbox', () => {
    const deposit = (store: Store, id: string, size: number, over: { recipient?: string, depositor?: string, expiresAt?: number } = {}) =>
      store.mailbox.deposit({
        recipient: over.recipient ?? alice,
        depositor: over.depositor ?? bob,
        id,
        envelope: new Uint8Array(size).fill(size % 256),
        expiresAt: over.expiresAt ?? clock + 60_000
      })

    it('holds, fetches, acks and persists envelopes', () => {
      const store = openAt()
      expect(deposit(store, 'a1', 10).stored).toBe(true)
      clock += 1
      deposit(store, 'a2', 20)
      deposit(store, 'c1', 5, { recipient: carol })
      const again = reopen(store)
      const fetched = again.mailbox.fetchFor(alice)
      expect(fetched.map(e => [e.id, e.size, e.depositor])).toEqual([['a1', 10, bob], ['a2', 20, bob]])
      expect(fetched[0]?.envelope).toEqual(new Uint8Array(10).fill(10))
      expect(again.mailbox.fetchFor(alice, { limit: 1 })).toHaveLength(1)
      expect(again.mailbox.usage()).toMatchObject({ envelopes: 3, bytes: 35, recipients: 2 })
      expect(again.mailbox.ack(alice, ['a1', 'a2', 'zz'])).toBe(2)
      expect(again.mailbox.ack(carol, ['a1'])).toBe(0)
      expect(again.mailbox.usage()).toMatchObject({ envelopes: 1, bytes: 5, recipients: 1 })
      expect(again.mailbox.usageOf(carol)).toEqual({ envelopes: 1, bytes: 5 })
    })

    it('treats a repeated id as already held, without counting it twice', () => {
      const store = openAt({ mailbox: { maxEnvelopesPerRecipient: 1 } })
      deposit(store, 'a1', 10)
      const repeat = deposit(store, 'a1', 99, { depositor: carol })
      expect(repeat.stored).toBe(false)
      expect(repeat.entry).toMatchObject({ depositor: bob, size: 10 })
      expect(store.mailbox.usage()).toMatchObject({ envelopes: 1, bytes: 10 })
    })

    it.each([
      ['envelopeBytes', { maxEnvelopeBytes: 64 }, () => ({ id: 'ff', size: 65 })],
      ['recipientEnvelopes', { maxEnvelopesPerRecipient: 2 }, () => ({ id: 'ff', size: 1 })],
      ['recipientBytes', { maxBytesPerRecipient: 40 }, () => ({ id: 'ff', size: 11 })],
      ['depositorEnvelopes', { maxEnvelopesPerDepositor: 3 }, () => ({ id: 'ff', size: 1, recipient: carol })],
      ['totalBytes', { maxTotalBytes: 45 }, () => ({ id: 'ff', size: 6, recipient: carol, depositor: mallory })]
    ] as const)('throws MailboxQuotaExceededError for %s and leaves prior data intact', (quota, quotas, next) => {
      const store = openAt({ mailbox: quotas })
      // Prior data: alice holds 2 envelopes (30 bytes) from bob; carol holds 1 (10 bytes) from bob.
      deposit(store, 'a1', 10)
      deposit(store, 'a2', 20)
      deposit(store, 'c1', 10, { recipient: carol })
      // If the quota was already the binding one, there must be room for the above: check the setup.
      const before = store.mailbox.usage()
      const snapshot = [store.mailbox.fetchFor(alice), store.mailbox.fetchFor(carol)]
      const { id, size, ...over } = next()
      const err = thrown(() => deposit(store, id, size, over), 'MailboxQuotaExceededError')
      expect(err.quota).toBe(quota)
      expect(typeof err.limit).toBe('number')
      expect(store.mailbox.usage()).toEqual(before)
      expect([store.mailbox.fetchFor(alice), store.mailbox.fetchFor(carol)]).toEqual(snapshot)
      expect(reopen(store).mailbox.usage()).toMatchObject({ envelopes: before.envelopes, bytes: before.bytes, recipients: before.recipients })
    })

    it('takes per-call quotas over the store\'s', () => {
      const store = openAt({ mailbox: { maxEnvelopesPerRecipient: 1 } })
      deposit(store, 'a1', 1)
      expect(store.mailbox.deposit({ recipient: alice, depositor: bob, id: 'a2', envelope: bytes(1), expiresAt: clock + 1 }, { quotas: { maxEnvelopesPerRecipient: 5 } }).stored).toBe(true)
      const err = thrown(() => store.mailbox.deposit({ recipient: carol, depositor: bob, id: 'c1', envelope: bytes(1, 2), expiresAt: clock + 1 }, { quotas: { maxEnvelopeBytes: 1 } }), 'MailboxQuotaExceededError')
      expect(err).toMatchObject({ quota: 'envelopeBytes', limit: 1 })
    })

    it('expires lapsed envelopes, clamps long lifetimes and frees their quota', () => {
      const store = openAt({ mailbox: { maxTtl: 1_000, maxEnvelopesPerRecipient: 1 } })
      expect(deposit(store, 'a1', 5, { expiresAt: clock + 10_000 }).entry.expiresAt).toBe(clock + 1_000)
      thrown(() => deposit(store, 'a2', 5), 'MailboxQuotaExceededError')
      thrown(() => deposit(store, 'a3', 5, { expiresAt: clock }), 'InvalidArgumentError')
      clock += 1_000
      expect(store.mailbox.fetchFor(alice)).toEqual([])
      // The lapsed envelope no longer counts: depositing sweeps it first.
      expect(deposit(store, 'a2', 5).stored).toBe(true)
      expect(store.mailbox.usage().envelopes).toBe(1)
      clock += 1_000
      expect(store.mailbox.expire()).toBe(1)
      expect(store.mailbox.usage()).toMatchObject({ envelopes: 0, bytes: 0, recipients: 0 })
    })
  })

  describe('settings and ratchet sessions', () => {
    it('round-trips JSON and bytes across a restart', () => {
      const store = openAt()
      store.settings.set('presence', { seq: 3, status: 'online' })
      store.settings.setBytes('salt', bytes(1, 2, 3))
      store.settings.set('flag', false)
      const again = reopen(store)
      expect(again.settings.get('presence')).toEqual({ seq: 3, status: 'online' })
      expect(again.settings.get('flag')).toBe(false)
      expect(again.settings.getBytes('salt')).toEqual(bytes(1, 2, 3))
      expect(again.settings.get('missing')).toBeUndefined()
      thrown(() => again.settings.get('salt'), 'SettingTypeError')
      thrown(() => again.settings.getBytes('presence'), 'SettingTypeError')
      thrown(() => again.settings.set('bad', undefined), 'InvalidArgumentError')
      again.settings.setBytes('presence', bytes(0))
      expect(again.settings.getBytes('presence')).toEqual(bytes(0))
      expect(again.settings.delete('presence')).toBe(true)
      expect(again.settings.delete('presence')).toBe(false)
    })

    it('stores one ratchet session per peer', () => {
      const store = openAt()
      store.ratchetSessions.put(alice, bytes(1), { at: 5 })
      store.ratchetSessions.put(alice, bytes(2))
      store.ratchetSessions.put(bob, bytes(3))
      const again = reopen(store)
      expect(again.ratchetSessions.get(alice)).toEqual({ peer: alice, state: bytes(2), updatedAt: clock })
      expect(again.ratchetSessions.peers()).toEqual([alice, bob].sort())
      expect(again.ratchetSessions.delete(alice)).toBe(true)
      expect(again.ratchetSessions.get(alice)).toBeUndefined()
    })
  })

  describe('transactions', () => {
    it('commits several parts together or not at all', () => {
      const store = openAt()
      expect(() => store.transaction(() => {
        store.ratchetSessions.put(alice, bytes(1))
        store.messages.insertIncoming({ id: 'a1', peer: alice, text: 'hi', sentAt: clock, seq: 1 })
        throw new Error('crash before commit')
      })).toThrow('crash before commit')
      expect(store.ratchetSessions.get(alice)).toBeUndefined()
      expect(store.messages.get('a1')).toBeUndefined()

      const result = store.transaction(() => {
        store.ratchetSessions.put(alice, bytes(1))
        return store.messages.insertIncoming({ id: 'a1', peer: alice, text: 'hi', sentAt: clock, seq: 1 })
      })
      expect(result.inserted).toBe(true)
      const again = reopen(store)
      expect(again.ratchetSessions.get(alice)?.state).toEqual(bytes(1))
      expect(again.messages.get('a1')?.text).toBe('hi')
    })

    it('keeps the rest of a transaction when an inner call fails and the error is handled', () => {
      const store = openAt()
      store.contacts.add('Alice', alice)
      store.transaction(() => {
        store.settings.set('kept', 1)
        expect(() => store.contacts.add('alice', bob)).toThrow(expect.objectContaining({ name: 'ContactExistsError' }))
        store.contacts.add('Bob', bob)
      })
      expect(store.settings.get('kept')).toBe(1)
      expect(store.contacts.list().map(c => c.name)).toEqual(['Alice', 'Bob'])
    })
  })
})
