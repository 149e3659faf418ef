/**
 * Peers the user blocked, contacts or not. The store only records the list;
 * the messenger core decides what a block means (drop their messages, hide
 * their presence).
 *
 * @module
 */

import { assertPeerKey, assertTimestamp } from './validate.js'
import type { Db } from './database.js'

/** A blocked peer. */
export interface BlockedPeer {
  /** The blocked peer id. */
  readonly peerId: string
  /** When it was blocked, ms since the epoch. */
  readonly blockedAt: number
}

/** The block list. */
export interface BlockList {
  /** Blocks a peer; returns `false` if it was already blocked (the first time is kept). */
  block(peerId: string, options?: { at?: number }): boolean
  /** Unblocks a peer; returns `false` if it was not blocked. */
  unblock(peerId: string): boolean
  /** Whether the peer is blocked. */
  isBlocked(peerId: string): boolean
  /** Every blocked peer, most recently blocked first. */
  list(): BlockedPeer[]
}

/** What the block list needs. */
export interface BlockListComponents {
  db: Db
  now(): number
}

interface BlockedRow {
  peer_id: string
  blocked_at: number
}

/** Creates the block list over an open, migrated database. */
export function blockList (components: BlockListComponents): BlockList {
  const { db, now } = components
  const insert = db.prepare('INSERT INTO blocked_peers (peer_id, blocked_at) VALUES (?, ?) ON CONFLICT (peer_id) DO NOTHING')
  const remove = db.prepare('DELETE FROM blocked_peers WHERE peer_id = ?')
  const exists = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM blocked_peers WHERE peer_id = ?')
  const selectAll = db.prepare<[], BlockedRow>('SELECT peer_id, blocked_at FROM blocked_peers ORDER BY blocked_at DESC, peer_id')

  return {
    block (peerId, options = {}) {
      assertPeerKey('peerId', peerId)
      const at = options.at ?? now()
      assertTimestamp('at', at)
      return insert.run(peerId, at).changes > 0
    },
    unblock (peerId) {
      return remove.run(peerId).changes > 0
    },
    isBlocked (peerId) {
      return exists.get(peerId) !== undefined
    },
    list () {
      return selectAll.all().map(row => ({ peerId: row.peer_id, blockedAt: row.blocked_at }))
    }
  }
}
