/**
 * What the messenger tells the world: a received message, and the states a
 * sent one goes through.
 *
 * @module
 */
import type { Message } from '../store/index.js'

/** A change in a sent message's delivery state. */
export interface MessageStateChange {
  id: string
  peer: string
  state: Message['state']
  /** Why it failed (`failed`), or where it waits (`sent`: "in a mailbox (3 copies)"). */
  reason?: string
  at: number
}

/** How an envelope reached this node. */
export type Via = 'direct' | 'mailbox'

/** A direct message received from a peer. */
export interface IncomingMessage {
  /** 32 hex characters, unique per message. */
  id: string
  /** Sender's peer id. */
  from: string
  text: string
  /** Sender's per-conversation sequence number (1, 2, …). */
  seq: number
  /** Sender's clock, ms since epoch. */
  sentAt: number
  /** Our clock, ms since epoch. */
  receivedAt: number
  /** How it arrived: straight from the sender, or fetched from a mailbox peer. */
  via: Via
}

/** Where the messenger reports what happened; the node turns these into its public events. */
export interface MessengerEvents {
  /** A new message from an accepted peer (a contact, or an accepted request). */
  message(message: IncomingMessage): void
  /** A new message from a stranger: it sits in the requests inbox. */
  request(message: IncomingMessage): void
  /** A sent message changed state. */
  state(change: MessageStateChange): void
}

/** The stored form of a received message, as the public {@link IncomingMessage}. */
export function toIncoming (m: Message, via: Via, now: number): IncomingMessage {
  return { id: m.id, from: m.peer, text: m.text, seq: m.seq, sentAt: m.sentAt, receivedAt: m.receivedAt ?? now, via }
}
