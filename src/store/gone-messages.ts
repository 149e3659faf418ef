/**
 * Ids of received messages that are gone (the request was declined, the
 * message deleted), kept so that a duplicate of one is still recognised by
 * `(sender, id)` and acknowledged without being shown again (PROTOCOL.md §4.3).
 * A trigger on `messages` fills the table; entries lapse once the envelope
 * could no longer pass the age check of §4.1.
 *
 * @module
 */

import { GONE_MESSAGES_MAX_DEFAULT } from './constants.js'
import { assertTimestamp } from './validate.js'
import type { Db } from './database.js'

/** Remembered ids of gone incoming messages. */
export interface GoneMessages {
  /** Whether a message `id` from `peer` was received once and is gone since (and its record has not lapsed). */
  has(peer: string, id: string, now?: number): boolean
  /**
   * Drops lapsed records, then the ones closest to lapsing beyond `max`
   * (default {@link GONE_MESSAGES_MAX_DEFAULT}); returns how many went.
   */
  prune(now?: number, max?: number): number
  /** How many records are held. */
  count(): number
}

/** What the part needs. */
export interface GoneMessagesComponents {
  db: Db
  now(): number
}

/** Creates the part over an open, migrated database. */
export function goneMessages (components: GoneMessagesComponents): GoneMessages {
  const { db, now } = components
  const select = db.prepare<[string, string, number], { found: number }>('SELECT 1 AS found FROM gone_messages WHERE peer = ? AND id = ? AND expires_at > ?')
  const lapse = db.prepare('DELETE FROM gone_messages WHERE expires_at <= ?')
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM gone_messages')
  const trim = db.prepare(`DELETE FROM gone_messages WHERE (peer, id) IN (
    SELECT peer, id FROM gone_messages ORDER BY expires_at LIMIT ?)`)
  const prune = db.transaction((at: number, max: number): number => {
    let dropped = lapse.run(at).changes
    const over = (count.get()?.n ?? 0) - max
    if (over > 0) {
      dropped += trim.run(over).changes
    }
    return dropped
  })
  return {
    has (peer, id, at = now()) {
      return select.get(peer, id, at) !== undefined
    },
    prune (at = now(), max = GONE_MESSAGES_MAX_DEFAULT) {
      assertTimestamp('now', at)
      return prune.immediate(at, max)
    },
    count () {
      return count.get()?.n ?? 0
    }
  }
}
