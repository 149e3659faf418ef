/**
 * The control channel's pending payloads (PROTOCOL.md §4.4), one row per
 * (peer, kind, slot), so that queueing, retrying or delivering one payload
 * writes one row — not the whole queue, as the single settings value of 1.2's
 * first cut did (a key rotation to n contacts wrote O(n²) bytes). Rows keep
 * their queueing order (`seq`): a replaced slot moves to the end, and past
 * the bound the oldest go first.
 *
 * @module
 */

import { assertBytes, assertString, assertTimestamp } from './validate.js'
import type { Db } from './database.js'

/** One pending control payload. */
export interface ControlPendingRow {
  peer: string
  kind: number
  slot: string
  body: Uint8Array
  /** Failed tries so far. */
  attempts: number
  /** When it is next tried (ms since epoch). */
  due: number
}

/** The pending control payloads. */
export interface ControlPendingStore {
  /** Every row, oldest queued first. */
  list(): ControlPendingRow[]
  /**
   * Stores `row`, replacing the one in its (peer, kind, slot) (it becomes the
   * newest), then drops the oldest rows beyond `max`; returns the slots dropped.
   */
  put(row: ControlPendingRow, max: number): Array<Pick<ControlPendingRow, 'peer' | 'kind' | 'slot'>>
  /** Records a failed try: `attempts` and the next `due`. */
  retry(peer: string, kind: number, slot: string, attempts: number, due: number): void
  /** Drops one slot; returns whether it existed. */
  delete(peer: string, kind: number, slot: string): boolean
  /** Drops every slot of `peer`; returns how many. */
  deletePeer(peer: string): number
  /** How many rows are held. */
  count(): number
}

/** What the part needs. */
export interface ControlPendingComponents {
  db: Db
}

interface Row { peer: string, kind: number, slot: string, body: Uint8Array, attempts: number, due: number }

function checkKind (kind: number): void {
  if (!Number.isSafeInteger(kind) || kind < 0 || kind > 0xffffffff) {
    throw new RangeError(`control kind must be a uint32 (got ${kind})`)
  }
}

/** Creates the part over an open, migrated database. */
export function controlPending (components: ControlPendingComponents): ControlPendingStore {
  const { db } = components
  const all = db.prepare<[], Row>('SELECT peer, kind, slot, body, attempts, due FROM control_pending ORDER BY seq')
  const remove = db.prepare('DELETE FROM control_pending WHERE peer = ? AND kind = ? AND slot = ?')
  const insert = db.prepare('INSERT INTO control_pending (peer, kind, slot, body, attempts, due) VALUES (?, ?, ?, ?, ?, ?)')
  const oldest = db.prepare<[number], { peer: string, kind: number, slot: string }>('SELECT peer, kind, slot FROM control_pending ORDER BY seq LIMIT ?')
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM control_pending')
  const retry = db.prepare('UPDATE control_pending SET attempts = ?, due = ? WHERE peer = ? AND kind = ? AND slot = ?')
  const removePeer = db.prepare('DELETE FROM control_pending WHERE peer = ?')
  const put = db.transaction((row: ControlPendingRow, max: number) => {
    remove.run(row.peer, row.kind, row.slot)
    insert.run(row.peer, row.kind, row.slot, row.body, row.attempts, row.due)
    const over = (count.get()?.n ?? 0) - max
    if (over <= 0) return []
    const dropped = oldest.all(over)
    for (const d of dropped) remove.run(d.peer, d.kind, d.slot)
    return dropped
  })
  return {
    list () {
      return all.all().map(r => ({ ...r, body: new Uint8Array(r.body) }))
    },
    put (row, max) {
      assertString('peer', row.peer)
      assertString('slot', row.slot)
      assertBytes('body', row.body)
      assertTimestamp('due', row.due)
      checkKind(row.kind)
      if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be a positive integer (got ${max})`)
      return put.immediate(row, max)
    },
    retry (peer, kind, slot, attempts, due) {
      assertTimestamp('due', due)
      retry.run(attempts, due, peer, kind, slot)
    },
    delete (peer, kind, slot) {
      return remove.run(peer, kind, slot).changes > 0
    },
    deletePeer (peer) {
      return removePeer.run(peer).changes
    },
    count () {
      return count.get()?.n ?? 0
    }
  }
}

/**
 * Migration step: the table, and the slots 1.2's first cut kept as one JSON
 * value in settings (`control.outbox`, bodies in base64) moved into it, in
 * their order; malformed entries are dropped, the settings value deleted.
 */
export function migrateControlPending (db: Db): void {
  db.exec(`
CREATE TABLE control_pending (
  seq INTEGER PRIMARY KEY,
  peer TEXT NOT NULL,
  kind INTEGER NOT NULL CHECK (kind >= 0),
  slot TEXT NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  due INTEGER NOT NULL,
  UNIQUE (peer, kind, slot)
) STRICT;
CREATE INDEX control_pending_peer ON control_pending (peer);
`)
  const old = db.prepare<[string], { json: string | null }>('SELECT json FROM settings WHERE key = ?').get('control.outbox')
  let slots: unknown = []
  try {
    slots = JSON.parse(old?.json ?? '[]')
  } catch {
    slots = []
  }
  const insert = db.prepare('INSERT OR REPLACE INTO control_pending (peer, kind, slot, body, attempts, due) VALUES (?, ?, ?, ?, ?, ?)')
  for (const s of Array.isArray(slots) ? slots as Array<Record<string, unknown>> : []) {
    if (s == null || typeof s.peer !== 'string' || typeof s.body !== 'string' || !Number.isSafeInteger(s.kind) || (s.kind as number) < 0) continue
    const slot = typeof s.slot === 'string' ? s.slot : ''
    const attempts = Number.isSafeInteger(s.attempts) && (s.attempts as number) >= 0 ? s.attempts as number : 0
    const due = Number.isSafeInteger(s.due) && (s.due as number) >= 0 ? s.due as number : 0
    insert.run(s.peer, s.kind, slot, Buffer.from(s.body, 'base64'), attempts, due)
  }
  db.prepare('DELETE FROM settings WHERE key = ?').run('control.outbox')
}
