/**
 * Serialized Double Ratchet sessions, one per peer. The store keeps the bytes
 * opaque; the ratchet owns the format. Persist the new state in the same
 * `store.transaction` as the message it produced or consumed, so a crash
 * cannot leave the two out of step.
 *
 * @module
 */

import { assertBytes, assertPeerKey, assertTimestamp, toBytes } from './validate.js'
import type { Db } from './database.js'

/** A stored ratchet session. */
export interface RatchetSession {
  /** The peer the session is with. */
  readonly peer: string
  /** The serialized state. */
  readonly state: Uint8Array
  /** When it was last written, ms since the epoch. */
  readonly updatedAt: number
}

/** Ratchet session persistence. */
export interface RatchetSessionStore {
  /** The session with `peer`, if any. */
  get(peer: string): RatchetSession | undefined
  /** Stores (replacing) the session with `peer`. */
  put(peer: string, state: Uint8Array, options?: { at?: number }): void
  /** Deletes the session with `peer`; returns whether there was one. */
  delete(peer: string): boolean
  /** Peers with a stored session, sorted. */
  peers(): string[]
  /**
   * Calls `listener(peer)` after every `put` or `delete` of a peer's row (so a
   * cache of decrypted sessions learns of writes it did not make). Returns the
   * function that removes the listener.
   */
  onChange(listener: (peer: string) => void): () => void
}

/** What the ratchet session store needs. */
export interface RatchetSessionStoreComponents {
  db: Db
  now(): number
}

interface SessionRow {
  peer: string
  state: Uint8Array
  updated_at: number
}

/** Creates the ratchet session store over an open, migrated database. */
export function ratchetSessionStore (components: RatchetSessionStoreComponents): RatchetSessionStore {
  const { db, now } = components
  const select = db.prepare<[string], SessionRow>('SELECT peer, state, updated_at FROM ratchet_sessions WHERE peer = ?')
  const upsert = db.prepare(`
    INSERT INTO ratchet_sessions (peer, state, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (peer) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`)
  const remove = db.prepare('DELETE FROM ratchet_sessions WHERE peer = ?')
  const selectPeers = db.prepare<[], { peer: string }>('SELECT peer FROM ratchet_sessions ORDER BY peer')
  const listeners = new Set<(peer: string) => void>()
  const changed = (peer: string): void => {
    for (const listener of listeners) {
      try {
        listener(peer)
      } catch {
        // a listener's failure is its own; the write stands
      }
    }
  }

  return {
    get (peer) {
      const row = select.get(peer)
      return row === undefined ? undefined : { peer: row.peer, state: toBytes(row.state), updatedAt: row.updated_at }
    },
    put (peer, state, options = {}) {
      assertPeerKey('peer', peer)
      assertBytes('state', state)
      const at = options.at ?? now()
      assertTimestamp('at', at)
      upsert.run(peer, state, at)
      changed(peer)
    },
    delete (peer) {
      const deleted = remove.run(peer).changes > 0
      changed(peer)
      return deleted
    },
    peers () {
      return selectPeers.all().map(row => row.peer)
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
