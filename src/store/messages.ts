/**
 * Conversation history, both directions: inserting sent and received
 * messages (received ones exactly once), moving them through their delivery
 * states, paging history and spotting gaps in a sender's sequence.
 *
 * @module
 */

import { GAPS_LIMIT_DEFAULT, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX } from './constants.js'
import { InvalidMessageStateError, MessageIdConflictError, MessageNotFoundError } from './errors.js'
import { canTransition, isStateOf, messageColumns, messageOrder, toMessage } from './message-types.js'
import {
  assertBytes,
  assertInteger,
  assertMessageId,
  assertPeerKey,
  assertString,
  assertTimestamp,
  resolveLimit,
  toBytes
} from './validate.js'
import type { Db } from './database.js'
import type {
  IncomingMessage,
  Message,
  MessageDirection,
  MessageRow,
  MessageState,
  OutgoingMessage
} from './message-types.js'

/** A message this node is about to send. */
export interface NewOutgoingMessage {
  /** Fresh random id, lowercase hex. */
  id: string
  /** Recipient peer id. */
  peer: string
  /** The text. */
  text: string
  /** Send time, ms since the epoch. */
  sentAt: number
  /** The encrypted wire envelope, if already built (see {@link MessageStore.setEnvelope}). */
  envelope?: Uint8Array
}

/** A message that just arrived. */
export interface NewIncomingMessage {
  /** The sender's message id, lowercase hex. */
  id: string
  /** Sender peer id (authenticated by the transport). */
  peer: string
  /** The text. */
  text: string
  /** Send time by the sender's clock, ms since the epoch. */
  sentAt: number
  /** The sender's sequence number for this conversation, from 1. */
  seq: number
  /** Arrival time. @default now */
  receivedAt?: number
}

/** What {@link MessageStore.insertIncoming} did. */
export interface IncomingInsert {
  /** `false` when the message was already stored: a duplicate, not to be shown again. */
  readonly inserted: boolean
  /** Whether the conversation is accepted; `false` means the message sits in the requests inbox. */
  readonly accepted: boolean
  /** The stored message (the earlier copy, for a duplicate). */
  readonly message: IncomingMessage
}

/** What {@link MessageStore.setState} did. */
export interface StateChange {
  /** `false` when the move was not forward, so nothing changed. */
  readonly changed: boolean
  /** The message as stored after the call. */
  readonly message: Message
}

/** Options of {@link MessageStore.setState}. */
export interface SetStateOptions {
  /** Why it failed; kept only with state `failed`. */
  reason?: string
  /** When the state was reached. @default now */
  at?: number
}

/** A position in a conversation's order: pass a message (or these fields of one). */
export interface HistoryCursor {
  readonly sentAt: number
  readonly direction: MessageDirection
  readonly seq: number
  readonly id: string
}

/** Options of {@link MessageStore.history}. */
export interface HistoryOptions {
  /**
   * Return only messages before this point. A number is a `sentAt` time:
   * messages sent strictly earlier. A {@link HistoryCursor} (typically the
   * first message of the previous page) is a position in the order: messages
   * strictly before it, so paging never skips or repeats messages that share
   * a timestamp. @default the end of the conversation
   */
  before?: number | HistoryCursor
  /** Page size, clamped to 1000. @default 50 */
  limit?: number
}

/** One line of the conversation list. */
export interface ConversationSummary {
  /** The other party. */
  readonly peer: string
  /** The latest message, by the history order. */
  readonly lastMessage: Message
  /** Received messages not yet read. */
  readonly unread: number
}

/**
 * Stored messages. Incoming messages are stored whoever sent them; the
 * messenger core filters blocked peers before calling
 * {@link MessageStore.insertIncoming}.
 */
export interface MessageStore {
  /**
   * Stores a message to send in state `queued`, assigning the next sequence
   * number of the conversation atomically. Sending to a peer accepts the
   * conversation with it.
   *
   * @throws {MessageIdConflictError} the id is already used
   */
  insertOutgoing(message: NewOutgoingMessage): OutgoingMessage
  /**
   * Stores a received message in state `received`, exactly once: the same
   * `peer` and `id` again returns `{ inserted: false }` with the stored copy.
   * A message from a peer that is not a contact opens a message request.
   *
   * @throws {MessageIdConflictError} the id is used by another peer's message or by an outgoing one
   */
  insertIncoming(message: NewIncomingMessage): IncomingInsert
  /**
   * Moves a message forward to `state` (see the ordering in
   * `canTransition`); a backward or sideways move leaves it unchanged and
   * returns `changed: false`. Reaching `delivered` or `read` drops the kept
   * envelope and any scheduled retry.
   *
   * @throws {MessageNotFoundError}
   * @throws {InvalidMessageStateError} the state does not exist for the message's direction
   */
  setState(id: string, state: MessageState, options?: SetStateOptions): StateChange
  /**
   * Puts a `failed` outgoing message back in the queue for another try, with
   * its attempt count reset and due at once.
   *
   * @throws {MessageNotFoundError}
   * @throws {InvalidMessageStateError} the message is not an outgoing message in state `failed`
   */
  requeue(id: string, options?: { at?: number }): OutgoingMessage
  /** Marks every unread received message from `peer` as read; returns how many. */
  markRead(peer: string, options?: { at?: number }): number
  /**
   * Keeps (or, with `null`, drops) the encrypted envelope of an outgoing
   * message so it can be re-sent or deposited after a restart.
   *
   * @throws {MessageNotFoundError} no outgoing message has this id
   */
  setEnvelope(id: string, envelope: Uint8Array | null): void
  /** The kept envelope of a message, if any. */
  getEnvelope(id: string): Uint8Array | undefined
  /** The message with this id, if any. */
  get(id: string): Message | undefined
  /**
   * One page of a conversation, oldest first: the `limit` messages just
   * before `options.before`, in the order `sentAt`, direction (`in` before
   * `out`), `seq`, `id`. To page back, pass the page's first message as the
   * next `before`.
   */
  history(peer: string, options?: HistoryOptions): Message[]
  /** Whether `peer` ever wrote to this node (a message from it is stored): one index lookup. */
  hasIncoming(peer: string): boolean
  /** Accepted conversations that have messages, the most recent first. */
  conversations(): ConversationSummary[]
  /**
   * Sequence numbers of `peer`'s messages to this node that are missing
   * between 1 and the highest one received, ascending, at most
   * `options.limit` (default 1000).
   */
  gaps(peer: string, options?: { limit?: number }): number[]
}

/** What the message store needs. */
export interface MessageStoreComponents {
  db: Db
  now(): number
}

interface SummaryRow extends MessageRow {
  unread: number
}

/** Creates the message store over an open, migrated database. */
export function messageStore (components: MessageStoreComponents): MessageStore {
  const { db, now } = components

  const selectById = db.prepare<[string], MessageRow>(`SELECT ${messageColumns()} FROM messages WHERE id = ?`)
  const nextOutSeq = db.prepare<[string, number], { last_out_seq: number }>(`
    INSERT INTO conversations (peer, accepted, last_out_seq, created_at) VALUES (?, 1, 1, ?)
    ON CONFLICT (peer) DO UPDATE SET accepted = 1, last_out_seq = last_out_seq + 1
    RETURNING last_out_seq`)
  const openConversation = db.prepare(`
    INSERT INTO conversations (peer, accepted, created_at)
    VALUES (@peer, EXISTS (SELECT 1 FROM contacts WHERE peer_id = @peer), @at)
    ON CONFLICT (peer) DO NOTHING`)
  const selectAccepted = db.prepare<[string], { accepted: number }>('SELECT accepted FROM conversations WHERE peer = ?')
  const insertMessage = db.prepare(`
    INSERT INTO messages (id, peer, direction, text, sent_at, received_at, seq, state, state_at, envelope)
    VALUES (@id, @peer, @direction, @text, @sentAt, @receivedAt, @seq, @state, @stateAt, @envelope)`)
  const updateState = db.prepare(`
    UPDATE messages SET
      state = @state,
      state_at = @at,
      fail_reason = @reason,
      envelope = CASE WHEN @state IN ('delivered', 'read') THEN NULL ELSE envelope END,
      next_attempt_at = CASE WHEN @state IN ('delivered', 'read', 'failed') THEN NULL ELSE next_attempt_at END
    WHERE id = @id`)
  const requeueFailed = db.prepare(`
    UPDATE messages SET state = 'queued', state_at = ?, fail_reason = NULL, attempts = 0, next_attempt_at = NULL
    WHERE id = ? AND direction = 'out' AND state = 'failed'`)
  const markAllRead = db.prepare(`
    UPDATE messages SET state = 'read', state_at = ?
    WHERE peer = ? AND direction = 'in' AND state = 'received'`)
  const updateEnvelope = db.prepare("UPDATE messages SET envelope = ? WHERE id = ? AND direction = 'out'")
  const selectEnvelope = db.prepare<[string], { envelope: Uint8Array | null }>('SELECT envelope FROM messages WHERE id = ?')
  const historyLatest = db.prepare<[string, number], MessageRow>(`
    SELECT ${messageColumns()} FROM messages WHERE peer = ?
    ORDER BY ${messageOrder({ descending: true })} LIMIT ?`)
  const historyBefore = db.prepare<[string, number, string, number, string, number], MessageRow>(`
    SELECT ${messageColumns()} FROM messages
    WHERE peer = ? AND (sent_at, direction, seq, id) < (?, ?, ?, ?)
    ORDER BY ${messageOrder({ descending: true })} LIMIT ?`)
  const summaries = db.prepare<[], SummaryRow>(`
    SELECT ${messageColumns('m')},
           (SELECT COUNT(*) FROM messages u WHERE u.peer = c.peer AND u.direction = 'in' AND u.state = 'received') AS unread
    FROM conversations c
    JOIN messages m ON m.rowid = (
      SELECT x.rowid FROM messages x WHERE x.peer = c.peer ORDER BY ${messageOrder({ alias: 'x', descending: true })} LIMIT 1
    )
    WHERE c.accepted = 1
    ORDER BY ${messageOrder({ alias: 'm', descending: true })}`)
  const incomingSeqs = db.prepare<[string], { seq: number }>(`
    SELECT DISTINCT seq FROM messages WHERE peer = ? AND direction = 'in' ORDER BY seq`)
  // messages_unread (peer, direction, state) answers it from the index
  const selectAnyIncoming = db.prepare<[string], { found: number }>("SELECT 1 AS found FROM messages WHERE peer = ? AND direction = 'in' LIMIT 1")

  const mustGet = (id: string): Message => {
    const row = selectById.get(id)
    if (row === undefined) {
      throw new MessageNotFoundError(`no message with id ${id}`)
    }
    return toMessage(row)
  }

  const insertOutgoing = db.transaction((message: NewOutgoingMessage): OutgoingMessage => {
    if (selectById.get(message.id) !== undefined) {
      throw new MessageIdConflictError(`message id ${message.id} is already used`)
    }
    const seq = nextOutSeq.get(message.peer, message.sentAt)?.last_out_seq
    insertMessage.run({
      id: message.id,
      peer: message.peer,
      direction: 'out',
      text: message.text,
      sentAt: message.sentAt,
      receivedAt: null,
      seq,
      state: 'queued',
      stateAt: now(),
      envelope: message.envelope ?? null
    })
    return mustGet(message.id) as OutgoingMessage
  })

  const insertIncoming = db.transaction((message: NewIncomingMessage, receivedAt: number): IncomingInsert => {
    const existing = selectById.get(message.id)
    if (existing !== undefined) {
      if (existing.peer !== message.peer || existing.direction !== 'in') {
        throw new MessageIdConflictError(`message id ${message.id} from ${message.peer} is already used by another message`)
      }
      return { inserted: false, accepted: isAccepted(message.peer), message: toMessage(existing) as IncomingMessage }
    }
    openConversation.run({ peer: message.peer, at: receivedAt })
    insertMessage.run({
      id: message.id,
      peer: message.peer,
      direction: 'in',
      text: message.text,
      sentAt: message.sentAt,
      receivedAt,
      seq: message.seq,
      state: 'received',
      stateAt: receivedAt,
      envelope: null
    })
    return { inserted: true, accepted: isAccepted(message.peer), message: mustGet(message.id) as IncomingMessage }
  })

  const isAccepted = (peer: string): boolean => selectAccepted.get(peer)?.accepted === 1

  const setState = db.transaction((id: string, state: MessageState, reason: string | null, at: number): StateChange => {
    const current = mustGet(id)
    if (!isStateOf(current.direction, state)) {
      throw new InvalidMessageStateError(`"${state}" is not a state of an ${current.direction === 'out' ? 'outgoing' : 'incoming'} message`)
    }
    if (!canTransition(current.direction, current.state, state)) {
      return { changed: false, message: current }
    }
    updateState.run({ id, state, at, reason: state === 'failed' ? reason : null })
    return { changed: true, message: mustGet(id) }
  })

  const requeue = db.transaction((id: string, at: number): OutgoingMessage => {
    if (requeueFailed.run(at, id).changes === 0) {
      const current = mustGet(id)
      throw new InvalidMessageStateError(`message ${id} is ${current.direction === 'out' ? `in state "${current.state}"` : 'incoming'}; only failed outgoing messages can be requeued`)
    }
    return mustGet(id) as OutgoingMessage
  })

  return {
    insertOutgoing (message) {
      assertMessageId('id', message.id)
      assertPeerKey('peer', message.peer)
      assertString('text', message.text)
      assertTimestamp('sentAt', message.sentAt)
      if (message.envelope !== undefined) {
        assertBytes('envelope', message.envelope)
      }
      return insertOutgoing.immediate(message)
    },
    insertIncoming (message) {
      assertMessageId('id', message.id)
      assertPeerKey('peer', message.peer)
      assertString('text', message.text)
      assertTimestamp('sentAt', message.sentAt)
      assertInteger('seq', message.seq, 1)
      const receivedAt = message.receivedAt ?? now()
      assertTimestamp('receivedAt', receivedAt)
      return insertIncoming.immediate(message, receivedAt)
    },
    setState (id, state, options = {}) {
      const at = options.at ?? now()
      assertTimestamp('at', at)
      return setState.immediate(id, state, options.reason ?? null, at)
    },
    requeue (id, options = {}) {
      const at = options.at ?? now()
      assertTimestamp('at', at)
      return requeue.immediate(id, at)
    },
    markRead (peer, options = {}) {
      const at = options.at ?? now()
      assertTimestamp('at', at)
      return markAllRead.run(at, peer).changes
    },
    setEnvelope (id, envelope) {
      if (envelope !== null) {
        assertBytes('envelope', envelope)
      }
      if (updateEnvelope.run(envelope, id).changes === 0) {
        throw new MessageNotFoundError(`no outgoing message with id ${id}`)
      }
    },
    getEnvelope (id) {
      const envelope = selectEnvelope.get(id)?.envelope
      return envelope == null ? undefined : toBytes(envelope)
    },
    get (id) {
      const row = selectById.get(id)
      return row === undefined ? undefined : toMessage(row)
    },
    history (peer, options = {}) {
      const limit = resolveLimit('limit', options.limit, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX)
      const before = options.before
      let rows: MessageRow[]
      if (before === undefined) {
        rows = historyLatest.all(peer, limit)
      } else if (typeof before === 'number') {
        assertTimestamp('before', before)
        // ('', 0, '') sorts below every real (direction, seq, id): "strictly before this time".
        rows = historyBefore.all(peer, before, '', 0, '', limit)
      } else {
        assertTimestamp('before.sentAt', before.sentAt)
        rows = historyBefore.all(peer, before.sentAt, before.direction, before.seq, before.id, limit)
      }
      return rows.reverse().map(toMessage)
    },
    conversations () {
      return summaries.all().map(row => ({ peer: row.peer, lastMessage: toMessage(row), unread: row.unread }))
    },
    hasIncoming (peer) {
      return selectAnyIncoming.get(peer) !== undefined
    },
    gaps (peer, options = {}) {
      const limit = resolveLimit('limit', options.limit, GAPS_LIMIT_DEFAULT, Number.MAX_SAFE_INTEGER)
      const missing: number[] = []
      let expected = 1
      for (const { seq } of incomingSeqs.iterate(peer)) {
        while (expected < seq && missing.length < limit) {
          missing.push(expected++)
        }
        if (missing.length >= limit) {
          break
        }
        expected = seq + 1
      }
      return missing
    }
  }
}
