/**
 * The control channel's pending payloads in their own table (issue 13):
 * one row per (peer, kind, slot), replaced in place and kept in queueing
 * order, the bound (MAX_CONTROL_PENDING) hit through the channel itself, each
 * change writing one row (not the whole queue), and the migration of 1.2's
 * first cut (one JSON value in settings) into the table.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_CONTROL_PENDING, createControlChannel } from '../../src/messaging/control.js'
import { ControlKind } from '../../src/messaging/control-payload.js'
import { runMigrations, MIGRATIONS } from '../../src/store/migrations.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { ControlPendingStore, Store } from '../../src/store/index.js'

const row = (peer: string, body: number[], slot = ''): Parameters<ControlPendingStore['put']>[0] =>
  ({ peer, kind: ControlKind.PRESENCE_KEY, slot, body: new Uint8Array(body), attempts: 0, due: 1000 })

describe('control_pending table', () => {
  let store: Store
  beforeEach(() => { store = openStore({ path: MEMORY_PATH }) })
  afterEach(() => { store.close() })

  it('replaces a slot in place (it becomes the newest), keeps queueing order, drops the oldest past max', () => {
    const t = store.controlPending
    t.put(row('a', [1]), 3)
    t.put(row('b', [2]), 3)
    t.put(row('a', [3]), 3)
    t.put(row('a', [4], 'other'), 3)
    expect(t.list().map(r => [r.peer, r.slot, [...r.body]])).toEqual([['b', '', [2]], ['a', '', [3]], ['a', 'other', [4]]])
    expect(t.put(row('c', [5]), 3)).toEqual([{ peer: 'b', kind: ControlKind.PRESENCE_KEY, slot: '' }])
    expect(t.count()).toBe(3)
    t.retry('a', ControlKind.PRESENCE_KEY, '', 2, 5000)
    expect(t.list().find(r => r.peer === 'a' && r.slot === '')).toMatchObject({ attempts: 2, due: 5000 })
    expect(t.deletePeer('a')).toBe(2)
    expect(t.delete('c', ControlKind.PRESENCE_KEY, '')).toBe(true)
    expect(t.delete('c', ControlKind.PRESENCE_KEY, '')).toBe(false)
    expect(t.count()).toBe(0)
    expect(() => { t.put({ ...row('a', [1]), kind: -1 }, 3) }).toThrow(RangeError)
  })

  it('the channel holds at most MAX_CONTROL_PENDING slots, in memory and on disk; each change writes one row', async () => {
    const self = await generateKeyPair('Ed25519')
    const t = store.controlPending
    const put = vi.fn((r: Parameters<ControlPendingStore['put']>[0], max: number) => t.put(r, max))
    const pending: ControlPendingStore = { list: () => t.list(), put, retry: (...a) => { t.retry(...a) }, delete: (...a) => t.delete(...a), deletePeer: (p) => t.deletePeer(p), count: () => t.count() }
    const make = () => createControlChannel({
      self: { bytes: peerIdFromPrivateKey(self).toMultihash().bytes },
      sessions: { seal: vi.fn(), refused: vi.fn(async () => false) } as never,
      sender: { deliver: vi.fn(async () => { throw new Error('unreachable') }) },
      mailboxes: { deposit: vi.fn(async () => { throw new Error('no mailbox') }) },
      settings: store.settings,
      pending,
      logger: recordingLogger()
    })
    const c = make()
    // not started: nothing is tried, the queue only fills
    for (let i = 0; i <= MAX_CONTROL_PENDING; i++) c.send(`peer-${i}`, ControlKind.PRESENCE_KEY, new Uint8Array([i & 0xff]))
    expect(c.pending()).toBe(MAX_CONTROL_PENDING)
    expect(store.controlPending.count()).toBe(MAX_CONTROL_PENDING)
    expect(c.pending('peer-0')).toBe(0)
    expect(c.pending(`peer-${MAX_CONTROL_PENDING}`)).toBe(1)
    // one row per send (a rotation to n contacts writes n rows, not n queues)
    expect(put).toHaveBeenCalledTimes(MAX_CONTROL_PENDING + 1)
    expect(store.settings.get('control.outbox')).toBeUndefined()
    // across a restart, the same slots, in order
    const again = make()
    expect(again.pending()).toBe(MAX_CONTROL_PENDING)
    expect(again.pending('peer-1')).toBe(1)
    expect(store.controlPending.list()[0]!.peer).toBe('peer-1')
  })
})

describe('migration of the settings value into control_pending', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'natter-control-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('moves every well-formed slot, in order, drops malformed ones, and deletes the settings value', () => {
    const path = join(dir, 'natter.db')
    const db = new Database(path)
    const version = MIGRATIONS.findIndex(m => m.description.startsWith('control channel pending payloads'))
    expect(version).toBeGreaterThan(0)
    runMigrations(db, MIGRATIONS.slice(0, version))
    const slots = [
      { peer: 'p1', kind: 1, slot: '', body: Buffer.from([1, 2]).toString('base64'), attempts: 3, due: 10 },
      { peer: 'p2', kind: 1, slot: 's', body: Buffer.from([3]).toString('base64'), attempts: 0, due: 20 },
      { peer: 42, kind: 1, body: 'AA==' },
      { peer: 'p3', kind: -1, body: 'AA==' },
      null,
      { peer: 'p4', kind: 7, body: Buffer.from([4]).toString('base64') }
    ]
    db.prepare('INSERT INTO settings (key, json, bytes, updated_at) VALUES (?, ?, NULL, 0)').run('control.outbox', JSON.stringify(slots))
    db.close()
    const store = openStore({ path })
    try {
      expect(store.controlPending.list()).toEqual([
        { peer: 'p1', kind: 1, slot: '', body: new Uint8Array([1, 2]), attempts: 3, due: 10 },
        { peer: 'p2', kind: 1, slot: 's', body: new Uint8Array([3]), attempts: 0, due: 20 },
        { peer: 'p4', kind: 7, slot: '', body: new Uint8Array([4]), attempts: 0, due: 0 }
      ])
      expect(store.settings.get('control.outbox')).toBeUndefined()
    } finally {
      store.close()
    }
  })
})
