/**
 * The last presence each peer announced, kept across restarts so contacts'
 * status shows before fresh announcements arrive.
 *
 * @module
 */

import { assertInteger, assertPeerKey, assertString, assertTimestamp } from './validate.js'
import type { Db } from './database.js'

/** A peer's announced presence. */
export interface PresenceRecord {
  /** The announcing peer. */
  readonly peerId: string
  /** Its status (the presence protocol defines the values, e.g. `online`, `away`). */
  readonly status: string
  /** Its free-text note, or `null`. */
  readonly note: string | null
  /** The announcement's sequence number; only a higher one replaces a record. */
  readonly seq: number
  /** When the peer made the announcement, ms since the epoch. */
  readonly updatedAt: number
  /** When the announcement lapses, ms since the epoch. */
  readonly expiresAt: number
}

/** Input of {@link PresenceCache.upsert}; `note` may be left out. */
export type PresenceInput = Omit<PresenceRecord, 'note'> & { readonly note?: string | null }

/** Cached presence, one record per peer. */
export interface PresenceCache {
  /**
   * Stores an announcement unless the cache already holds one with the same
   * or a higher `seq` (replayed or reordered gossip). Returns whether it was
   * stored.
   */
  upsert(record: PresenceInput): boolean
  /** The peer's cached record, lapsed or not, if any. */
  get(peerId: string): PresenceRecord | undefined
  /** Every cached record (lapsed ones too: check `expiresAt`), by peer id. */
  list(): PresenceRecord[]
  /** Deletes records that lapsed at or before `now`; returns how many. */
  prune(now?: number): number
  /** Deletes the peer's record; returns whether there was one. */
  delete(peerId: string): boolean
}

/** What the presence cache needs. */
export interface PresenceCacheComponents {
  db: Db
  now(): number
}

interface PresenceRow {
  peer_id: string
  status: string
  note: string | null
  seq: number
  updated_at: number
  expires_at: number
}

const COLUMNS = 'peer_id, status, note, seq, updated_at, expires_at'

/** Creates the presence cache over an open, migrated database. */
export function presenceCache (components: PresenceCacheComponents): PresenceCache {
  const { db, now } = components

  const upsert = db.prepare(`
    INSERT INTO presence (${COLUMNS}) VALUES (@peerId, @status, @note, @seq, @updatedAt, @expiresAt)
    ON CONFLICT (peer_id) DO UPDATE SET
      status = excluded.status, note = excluded.note, seq = excluded.seq,
      updated_at = excluded.updated_at, expires_at = excluded.expires_at
    WHERE excluded.seq > presence.seq`)
  const selectOne = db.prepare<[string], PresenceRow>(`SELECT ${COLUMNS} FROM presence WHERE peer_id = ?`)
  const selectAll = db.prepare<[], PresenceRow>(`SELECT ${COLUMNS} FROM presence ORDER BY peer_id`)
  const prune = db.prepare('DELETE FROM presence WHERE expires_at <= ?')
  const deleteOne = db.prepare('DELETE FROM presence WHERE peer_id = ?')

  return {
    upsert (record) {
      assertPeerKey('peerId', record.peerId)
      assertString('status', record.status)
      const note = record.note ?? null
      if (note !== null) {
        assertString('note', note)
      }
      assertInteger('seq', record.seq, 0)
      assertTimestamp('updatedAt', record.updatedAt)
      assertTimestamp('expiresAt', record.expiresAt)
      return upsert.run({
        peerId: record.peerId,
        status: record.status,
        note,
        seq: record.seq,
        updatedAt: record.updatedAt,
        expiresAt: record.expiresAt
      }).changes > 0
    },
    get (peerId) {
      const row = selectOne.get(peerId)
      return row === undefined ? undefined : toRecord(row)
    },
    list () {
      return selectAll.all().map(toRecord)
    },
    prune (at = now()) {
      assertTimestamp('now', at)
      return prune.run(at).changes
    },
    delete (peerId) {
      return deleteOne.run(peerId).changes > 0
    }
  }
}

function toRecord (row: PresenceRow): PresenceRecord {
  return {
    peerId: row.peer_id,
    status: row.status,
    note: row.note,
    seq: row.seq,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at
  }
}
