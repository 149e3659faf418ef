/**
 * Stage 3, dedupe: a message already stored (a retry, a replay, or the same
 * message by mailbox and directly), or one the user declined or deleted
 * since, is acknowledged and shown at most once (PROTOCOL.md §4.3).
 *
 * @module
 */
import { DmResponse } from '../../pb/dm.js'
import { textPayload } from '../outbox/sealer.js'
import type { Gate, VerifiedInbound } from './types.js'
import type { Payload } from '../../crypto/envelope.js'
import type { Message } from '../../store/index.js'

/** What {@link dedupeStage} needs. */
export interface DedupeComponents {
  messages: { get(id: string): Message | undefined }
  /** Messages declined or deleted lately. @default none */
  gone?: { has(peer: string, id: string): boolean }
}

/** Acknowledges, without further work, an envelope whose message is already stored. */
export function dedupeStage ({ messages, gone }: DedupeComponents): Gate<VerifiedInbound> {
  return ({ hexId, from, id }) => messages.get(hexId)?.peer === from || gone?.has(from, hexId) === true
    ? { status: DmResponse.Status.OK, id }
    : undefined
}

/**
 * The payload of a message from `peer` already stored, for the session
 * manager: an envelope retransmitted after its keys were spent is answered
 * from what was stored instead of refused (the manager keeps no history).
 */
export function storedPayload (messages: DedupeComponents['messages']): (peer: string, id: string) => Payload | undefined {
  return (peer, id) => {
    const stored = messages.get(id)
    return stored?.direction === 'in' && stored.peer === peer ? textPayload(stored.text, stored.seq) : undefined
  }
}
