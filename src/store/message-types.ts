/**
 * Message rows as the store hands them out, and the delivery state machine
 * they follow. Shared by the message store, the outbox and the request inbox.
 *
 * @module
 */

/** Delivery states of a message this node sent. */
export type OutgoingState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed'

/** States of a message this node received. */
export type IncomingState = 'received' | 'read'

/** Any message state. */
export type MessageState = OutgoingState | IncomingState

/** Which way a message went: `out` from this node, `in` to it. */
export type MessageDirection = 'out' | 'in'

interface MessageBase {
  /** Globally unique message id, lowercase hex, chosen by the sender. */
  readonly id: string
  /** The other party's peer id. */
  readonly peer: string
  /** The message text. */
  readonly text: string
  /** When the sender sent it, by the sender's clock, ms since the epoch. */
  readonly sentAt: number
  /**
   * The sender's per-conversation sequence number, from 1: assigned by the
   * store for outgoing messages, taken from the sender for incoming ones.
   */
  readonly seq: number
  /** When `state` was last set, ms since the epoch. */
  readonly stateAt: number
}

/** A message this node sent. */
export interface OutgoingMessage extends MessageBase {
  readonly direction: 'out'
  /** Always `null`: the recipient's receipt time is not known. */
  readonly receivedAt: null
  /** Where delivery stands. */
  readonly state: OutgoingState
  /** Why delivery failed, when `state` is `failed` and a reason was given. */
  readonly failReason: string | null
}

/** A message this node received. */
export interface IncomingMessage extends MessageBase {
  readonly direction: 'in'
  /** When this node received it, ms since the epoch. */
  readonly receivedAt: number
  /** Whether the user has read it. */
  readonly state: IncomingState
  /** Always `null`. */
  readonly failReason: null
}

/** A stored message, either direction. */
export type Message = OutgoingMessage | IncomingMessage

/** The row shape selected by {@link messageColumns}. */
export interface MessageRow {
  id: string
  peer: string
  direction: MessageDirection
  text: string
  sent_at: number
  received_at: number | null
  seq: number
  state: MessageState
  state_at: number
  fail_reason: string | null
}

const COLUMNS = ['id', 'peer', 'direction', 'text', 'sent_at', 'received_at', 'seq', 'state', 'state_at', 'fail_reason']

/**
 * The column list every message query selects, in {@link MessageRow} shape,
 * qualified with a table alias when given (for joins).
 */
export function messageColumns (alias?: string): string {
  return COLUMNS.map(column => alias === undefined ? column : `${alias}.${column}`).join(', ')
}

/**
 * The order messages are shown in, within a conversation: by the sender's
 * `sentAt`, ties broken by direction (`in` before `out`), then `seq`, then
 * `id`. The key is total, so a cursor on it never skips or repeats a message.
 * Returns the `ORDER BY` list, columns qualified with `alias` when given.
 */
export function messageOrder (options: { alias?: string, descending?: boolean } = {}): string {
  const prefix = options.alias === undefined ? '' : `${options.alias}.`
  const suffix = options.descending === true ? ' DESC' : ''
  return ['sent_at', 'direction', 'seq', 'id'].map(column => `${prefix}${column}${suffix}`).join(', ')
}

const OUTGOING_STATES: ReadonlySet<string> = new Set<OutgoingState>(['queued', 'sent', 'delivered', 'read', 'failed'])
const INCOMING_STATES: ReadonlySet<string> = new Set<IncomingState>(['received', 'read'])

/** Whether `state` exists for messages going `direction`. */
export function isStateOf (direction: MessageDirection, state: string): state is MessageState {
  return (direction === 'out' ? OUTGOING_STATES : INCOMING_STATES).has(state)
}

const OUTGOING_RANK: Record<OutgoingState, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: -1 }

/**
 * Whether a message may move from `from` to `to`. States only move forward
 * (`queued < sent < delivered < read`, `received < read`), so late or
 * reordered receipts are harmless. `failed` is reachable from `queued` and
 * `sent`; from `failed` only proof of delivery (`delivered`, `read`) moves on,
 * and going back to `queued` takes an explicit requeue.
 */
export function canTransition (direction: MessageDirection, from: MessageState, to: MessageState): boolean {
  if (direction === 'in') {
    return from === 'received' && to === 'read'
  }
  const fromState = from as OutgoingState
  const toState = to as OutgoingState
  if (toState === 'failed') {
    return fromState === 'queued' || fromState === 'sent'
  }
  if (fromState === 'failed') {
    return toState === 'delivered' || toState === 'read'
  }
  return OUTGOING_RANK[toState] > OUTGOING_RANK[fromState]
}

/** Maps a selected row to the public message type. */
export function toMessage (row: MessageRow): Message {
  const base = {
    id: row.id,
    peer: row.peer,
    text: row.text,
    sentAt: row.sent_at,
    seq: row.seq,
    stateAt: row.state_at
  }
  if (row.direction === 'out') {
    return { ...base, direction: 'out', receivedAt: null, state: row.state as OutgoingState, failReason: row.fail_reason }
  }
  return { ...base, direction: 'in', receivedAt: row.received_at ?? row.state_at, state: row.state as IncomingState, failReason: null }
}
