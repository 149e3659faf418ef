/**
 * The persisted record of accepted proof-of-work stamps (PROTOCOL.md §8.5.1):
 * a stamp's digest is kept until the stamp could no longer pass the time
 * checks, so one stamp buys one message even across restarts. Bounded: when
 * full, the record closest to lapsing is dropped first, as in the in-memory
 * cache.
 *
 * @module
 */

import { STAMP_REPLAY_MAX_DEFAULT } from './constants.js'
import { assertBytes, assertTimestamp } from './validate.js'
import type { Db } from './database.js'

/** Digests of accepted stamps. */
export interface StampReplayStore {
  /**
   * Records `digest` until `expiresAt` unless it is already recorded (and not
   * lapsed at `now`). Returns `true` when it was new.
   */
  add(digest: Uint8Array, expiresAt: number, now?: number): boolean
  /** Whether `digest` is recorded and not lapsed at `now`. */
  has(digest: Uint8Array, now?: number): boolean
  /** Drops lapsed records; returns how many. */
  prune(now?: number): number
  /** How many records are held. */
  count(): number
}

/** What the part needs. */
export interface StampReplayComponents {
  db: Db
  now(): number
}

/** Creates the part over an open, migrated database; `maxEntries` bounds the table. */
export function stampReplayStore (components: StampReplayComponents, maxEntries = STAMP_REPLAY_MAX_DEFAULT): StampReplayStore {
  const { db, now } = components
  const select = db.prepare<[Uint8Array, number], { found: number }>('SELECT 1 AS found FROM stamp_replay WHERE digest = ? AND expires_at >= ?')
  const upsert = db.prepare('INSERT INTO stamp_replay (digest, expires_at) VALUES (?, ?) ON CONFLICT (digest) DO UPDATE SET expires_at = excluded.expires_at')
  const lapse = db.prepare('DELETE FROM stamp_replay WHERE expires_at < ?')
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM stamp_replay')
  const soonest = db.prepare<[], { digest: Uint8Array, expires_at: number }>('SELECT digest, expires_at FROM stamp_replay ORDER BY expires_at LIMIT 1')
  const dropOne = db.prepare('DELETE FROM stamp_replay WHERE digest = ?')
  let held = count.get()?.n ?? 0

  const add = db.transaction((digest: Uint8Array, expiresAt: number, at: number): boolean => {
    if (select.get(digest, at) !== undefined) {
      return false
    }
    if (expiresAt < at) {
      // already outside any acceptance window: nothing to guard
      return true
    }
    if (held >= maxEntries) {
      held -= lapse.run(at).changes
    }
    if (held >= maxEntries) {
      const first = soonest.get()
      if (first !== undefined) {
        if (expiresAt <= first.expires_at) {
          // the newcomer is itself the closest to lapsing: keep the others
          return true
        }
        held -= dropOne.run(first.digest).changes
      }
    }
    // a lapsed record of the same digest is overwritten, so it is not counted twice
    const before = select.get(digest, Number.MIN_SAFE_INTEGER) !== undefined
    upsert.run(digest, expiresAt)
    if (!before) {
      held++
    }
    return true
  })

  return {
    add (digest, expiresAt, at = now()) {
      assertBytes('digest', digest)
      assertTimestamp('expiresAt', expiresAt)
      return add.immediate(digest, expiresAt, at)
    },
    has (digest, at = now()) {
      return select.get(digest, at) !== undefined
    },
    prune (at = now()) {
      assertTimestamp('now', at)
      const dropped = lapse.run(at).changes
      held = count.get()?.n ?? 0
      return dropped
    },
    count () {
      return count.get()?.n ?? 0
    }
  }
}
