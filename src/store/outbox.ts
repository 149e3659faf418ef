/**
 * The retry queue over outgoing messages that are not yet delivered, so
 * sending resumes after a restart. It reads and schedules; the messenger core
 * decides the backoff and moves messages through their states.
 *
 * @module
 */

import { MessageNotFoundError } from './errors.js'
import { messageColumns, toMessage } from './message-types.js'
import { assertTimestamp, resolveLimit, toBytesOrNull } from './validate.js'
import type { Db } from './database.js'
import type { MessageRow, OutgoingMessage } from './message-types.js'

/** An outgoing message awaiting delivery, with its retry bookkeeping. */
export interface OutboxEntry {
  /** The message; its state is `queued` or `sent`. */
  readonly message: OutgoingMessage
  /** How many retries were scheduled so far. */
  readonly attempts: number
  /** When the next try is due, ms since the epoch; `null` means at once. */
  readonly nextAttemptAt: number | null
  /** The kept wire envelope, if one was stored. */
  readonly envelope: Uint8Array | null
}

/** Outgoing messages still to be delivered (state `queued`, or `sent` without a delivery receipt). */
export interface Outbox {
  /** Every pending message, oldest first. */
  pending(): OutboxEntry[]
  /**
   * Pending messages whose next try is due at `now` (never scheduled, or
   * scheduled at or before `now`), soonest first.
   */
  due(now?: number, options?: { limit?: number }): OutboxEntry[]
  /**
   * Records a failed try: counts an attempt and sets when the next one is
   * due. Returns `false` when the message is no longer pending (delivered or
   * failed meanwhile), in which case nothing changes.
   *
   * @throws {MessageNotFoundError}
   */
  scheduleRetry(id: string, nextAttemptAt: number): boolean
  /** Pending messages to one peer, oldest first. */
  pendingFor(peer: string): OutboxEntry[]
  /** How many retries were scheduled for a pending message, or `undefined` if it is not pending. */
  attempts(id: string): number | undefined
  /** The earliest scheduled retry among pending messages (possibly past), or `undefined` if none is scheduled. */
  nextRetryAt(): number | undefined
}

/** What the outbox needs. */
export interface OutboxComponents {
  db: Db
  now(): number
}

interface OutboxRow extends MessageRow {
  attempts: number
  next_attempt_at: number | null
  envelope: Uint8Array | null
}

const PENDING = "direction = 'out' AND state IN ('queued', 'sent')"
const COLUMNS = `${messageColumns()}, attempts, next_attempt_at, envelope`

/** Creates the outbox over an open, migrated database. */
export function outbox (components: OutboxComponents): Outbox {
  const { db, now } = components

  const selectPending = db.prepare<[], OutboxRow>(`
    SELECT ${COLUMNS} FROM messages WHERE ${PENDING} ORDER BY sent_at, peer, seq`)
  const selectDue = db.prepare<[number, number], OutboxRow>(`
    SELECT ${COLUMNS} FROM messages
    WHERE ${PENDING} AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
    ORDER BY coalesce(next_attempt_at, 0), sent_at, peer, seq LIMIT ?`)
  const schedule = db.prepare(`
    UPDATE messages SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND ${PENDING}`)
  const exists = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM messages WHERE id = ?')
  const selectPendingFor = db.prepare<[string], OutboxRow>(`
    SELECT ${COLUMNS} FROM messages WHERE ${PENDING} AND peer = ? ORDER BY sent_at, seq`)
  const selectAttempts = db.prepare<[string], { attempts: number }>(`SELECT attempts FROM messages WHERE id = ? AND ${PENDING}`)
  const selectNextRetry = db.prepare<[], { at: number | null }>(`
    SELECT min(next_attempt_at) AS at FROM messages WHERE ${PENDING} AND next_attempt_at IS NOT NULL`)

  return {
    pending () {
      return selectPending.all().map(toEntry)
    },
    due (at = now(), options = {}) {
      assertTimestamp('now', at)
      const limit = resolveLimit('limit', options.limit, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
      return selectDue.all(at, limit).map(toEntry)
    },
    pendingFor (peer) {
      return selectPendingFor.all(peer).map(toEntry)
    },
    attempts (id) {
      return selectAttempts.get(id)?.attempts
    },
    nextRetryAt () {
      return selectNextRetry.get()?.at ?? undefined
    },
    scheduleRetry (id, nextAttemptAt) {
      assertTimestamp('nextAttemptAt', nextAttemptAt)
      if (schedule.run(nextAttemptAt, id).changes > 0) {
        return true
      }
      if (exists.get(id) === undefined) {
        throw new MessageNotFoundError(`no message with id ${id}`)
      }
      return false
    }
  }
}

function toEntry (row: OutboxRow): OutboxEntry {
  return {
    message: toMessage(row) as OutgoingMessage,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    envelope: toBytesOrNull(row.envelope)
  }
}
