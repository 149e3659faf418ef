/**
 * Stage 5, open: decrypts the envelope in its forward-secret session (or
 * SEALED to the identity key), PROTOCOL.md §4.2 and §6.7. Throws
 * `InvalidMessageError`, which the pipeline turns into the reply.
 *
 * @module
 */
import type { OpenedInbound, VerifiedInbound } from './types.js'
import type { SessionManager } from '../../sessions/manager.js'

/** What {@link openStage} needs. */
export interface OpenComponents {
  sessions: Pick<SessionManager, 'open'>
}

/** Decrypts an authorized envelope. */
export function openStage ({ sessions }: OpenComponents): (message: VerifiedInbound) => Promise<OpenedInbound> {
  return async (message) => ({ ...message, payload: await sessions.open(message.envelope) })
}
