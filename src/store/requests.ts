/**
 * Message requests: conversations opened by peers who are not contacts. Their
 * messages are stored but held apart until the user accepts (the conversation
 * joins the inbox) or declines (the messages are deleted, the peer optionally
 * blocked).
 *
 * @module
 */

import { RequestNotFoundError } from './errors.js'
import { messageColumns, messageOrder, toMessage } from './message-types.js'
import { assertTimestamp } from './validate.js'
import type { Db } from './database.js'
import type { IncomingMessage, MessageRow } from './message-types.js'

/** A pending request from one peer. */
export interface MessageRequest {
  /** The peer asking to talk. */
  readonly peer: string
  /** How many messages it sent. */
  readonly count: number
  /** Its first message, in history order. */
  readonly first: IncomingMessage
  /** Its latest message, in history order. */
  readonly last: IncomingMessage
}

/** What pending requests hold: messages and text bytes. */
export interface RequestUsage {
  /** Messages in the pending request from the peer asked about. */
  readonly peerMessages: number
  /** Text bytes (UTF-8) of those messages. */
  readonly peerBytes: number
  /** Messages in all pending requests. */
  readonly totalMessages: number
  /** Text bytes of all pending requests. */
  readonly totalBytes: number
}

/** Options of {@link RequestInbox.decline}. */
export interface DeclineOptions {
  /** Also block the peer. @default false */
  block?: boolean
  /** Block time. @default now */
  at?: number
}

/** The requests inbox. */
export interface RequestInbox {
  /** Pending requests from peers that are not blocked, the most recent first. */
  list(): MessageRequest[]
  /**
   * Whether messages from `peer` belong in the inbox: the conversation was
   * accepted, or the peer is a contact.
   */
  isAccepted(peer: string): boolean
  /**
   * Accepts the request: the conversation and its messages join the inbox.
   *
   * @throws {RequestNotFoundError} no pending request from this peer
   */
  accept(peer: string): void
  /**
   * Declines the request: deletes the conversation and its messages, and
   * blocks the peer if asked. Returns how many messages were deleted.
   *
   * @throws {RequestNotFoundError} no pending request from this peer
   */
  decline(peer: string, options?: DeclineOptions): number
  /** How much the pending request from `peer`, and all pending requests together, hold (for the inbox caps). */
  usage(peer: string): RequestUsage
}

/** What the requests inbox needs. */
export interface RequestInboxComponents {
  db: Db
  now(): number
}

interface PendingRow {
  peer: string
  count: number
}

/** Creates the requests inbox over an open, migrated database. */
export function requestInbox (components: RequestInboxComponents): RequestInbox {
  const { db, now } = components

  const selectPending = db.prepare<[], PendingRow>(`
    SELECT c.peer, COUNT(*) AS count
    FROM conversations c JOIN messages m ON m.peer = c.peer AND m.direction = 'in'
    WHERE c.accepted = 0 AND NOT EXISTS (SELECT 1 FROM blocked_peers b WHERE b.peer_id = c.peer)
    GROUP BY c.peer
    ORDER BY MAX(m.sent_at) DESC, c.peer`)
  const selectFirst = db.prepare<[string], MessageRow>(`
    SELECT ${messageColumns()} FROM messages WHERE peer = ? AND direction = 'in'
    ORDER BY ${messageOrder()} LIMIT 1`)
  const selectLast = db.prepare<[string], MessageRow>(`
    SELECT ${messageColumns()} FROM messages WHERE peer = ? AND direction = 'in'
    ORDER BY ${messageOrder({ descending: true })} LIMIT 1`)
  const selectAccepted = db.prepare<[{ peer: string }], { accepted: number }>(`
    SELECT max(
      coalesce((SELECT accepted FROM conversations WHERE peer = @peer), 0),
      EXISTS (SELECT 1 FROM contacts WHERE peer_id = @peer)
    ) AS accepted`)
  const accept = db.prepare('UPDATE conversations SET accepted = 1 WHERE peer = ? AND accepted = 0')
  const countIncoming = db.prepare<[string], { count: number }>(`
    SELECT COUNT(*) AS count FROM messages WHERE peer = ? AND direction = 'in'`)
  const isPending = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM conversations WHERE peer = ? AND accepted = 0')
  // Messages go with the conversation (ON DELETE CASCADE).
  const deleteConversation = db.prepare('DELETE FROM conversations WHERE peer = ? AND accepted = 0')
  const peerUsage = db.prepare<[string], { messages: number, bytes: number }>(`
    SELECT COUNT(*) AS messages, coalesce(SUM(length(CAST(m.text AS BLOB))), 0) AS bytes
    FROM conversations c JOIN messages m ON m.peer = c.peer AND m.direction = 'in'
    WHERE c.peer = ? AND c.accepted = 0`)
  const totalUsage = db.prepare<[], { messages: number, bytes: number }>(`
    SELECT COUNT(*) AS messages, coalesce(SUM(length(CAST(m.text AS BLOB))), 0) AS bytes
    FROM conversations c JOIN messages m ON m.peer = c.peer AND m.direction = 'in'
    WHERE c.accepted = 0`)
  const block = db.prepare('INSERT INTO blocked_peers (peer_id, blocked_at) VALUES (?, ?) ON CONFLICT (peer_id) DO NOTHING')

  const decline = db.transaction((peer: string, shouldBlock: boolean, at: number): number => {
    if (isPending.get(peer) === undefined) {
      throw new RequestNotFoundError(`no pending message request from ${peer}`)
    }
    const count = countIncoming.get(peer)?.count ?? 0
    deleteConversation.run(peer)
    if (shouldBlock) {
      block.run(peer, at)
    }
    return count
  })

  return {
    list () {
      const requests: MessageRequest[] = []
      for (const { peer, count } of selectPending.all()) {
        const first = selectFirst.get(peer)
        const last = selectLast.get(peer)
        if (first !== undefined && last !== undefined) {
          requests.push({ peer, count, first: toMessage(first) as IncomingMessage, last: toMessage(last) as IncomingMessage })
        }
      }
      return requests
    },
    isAccepted (peer) {
      return selectAccepted.get({ peer })?.accepted === 1
    },
    accept (peer) {
      if (accept.run(peer).changes === 0) {
        throw new RequestNotFoundError(`no pending message request from ${peer}`)
      }
    },
    decline (peer, options = {}) {
      const at = options.at ?? now()
      assertTimestamp('at', at)
      return decline.immediate(peer, options.block === true, at)
    },
    usage (peer) {
      const one = peerUsage.get(peer) ?? { messages: 0, bytes: 0 }
      const all = totalUsage.get() ?? { messages: 0, bytes: 0 }
      return { peerMessages: one.messages, peerBytes: one.bytes, totalMessages: all.messages, totalBytes: all.bytes }
    }
  }
}
