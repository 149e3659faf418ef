/**
 * Delivery strategy 1, direct: the envelope over the DM protocol to the
 * recipient itself (found through the DHT if need be), acknowledged by it
 * (PROTOCOL.md §5). A recipient that asks for proof of work gets a stamped
 * copy; one that cannot read the session gets a newly sealed copy, once.
 *
 * @module
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { DeliveryRefusedError } from '../../base-errors.js'
import { parsePeerId } from '../../crypto/peer.js'
import { anySignal } from '../../util/signals.js'
import type { Sealer } from './sealer.js'
import type { DmSender } from '../../dm/sender.js'
import type { SessionManager } from '../../sessions/manager.js'
import type { OutgoingMessage } from '../../store/index.js'
import type { Logger } from '@libp2p/interface'

/** What direct delivery needs. */
export interface DirectDeliveryComponents {
  sender: Pick<DmSender, 'deliver'>
  sealer: Sealer
  sessions: Pick<SessionManager, 'refused'>
  log: Logger
}

/** Options of {@link directDelivery}. */
export interface DirectDeliveryInit {
  /** Time allowed for each try, in ms. */
  attemptTimeoutMs: number
  /** Least proof-of-work difficulty spent when the recipient asks for a stamp. */
  powDifficulty: number
}

/** Delivers a message straight to its recipient. */
export interface DirectDelivery {
  /**
   * Resolves once the recipient acknowledged `envelope` (or a resealed copy);
   * throws why not: `PeerNotFoundError`, `PeerUnreachableError`,
   * `DeliveryTimeoutError`, `DeliveryRefusedError`, or a stream error.
   */
  deliver(message: OutgoingMessage, envelope: Uint8Array, signal: AbortSignal): Promise<void>
}

/** Creates the direct delivery strategy. */
export function directDelivery (components: DirectDeliveryComponents, init: DirectDeliveryInit): DirectDelivery {
  const { sender, sealer, sessions, log } = components
  return {
    async deliver (message, envelope, signal) {
      const recipient = parsePeerId(message.peer)
      const id = uint8ArrayFromString(message.id, 'base16')
      let paid = false
      let resealed = false
      for (;;) {
        try {
          await sender.deliver(recipient, id, envelope, anySignal([signal], init.attemptTimeoutMs))
          return
        } catch (err) {
          if (!(err instanceof DeliveryRefusedError)) {
            throw err
          }
          if (err.status === 'POW_REQUIRED' && !paid) {
            // a stranger to the recipient: pay the proof of work it asks for, then try once more
            paid = true
            envelope = await sealer.envelopeFor(message, { difficulty: Math.max(init.powDifficulty, err.requiredDifficulty ?? 0) })
            continue
          }
          if (err.status === 'INVALID' && !resealed && await sessions.refused(envelope)) {
            // the recipient cannot read that session (its one-time prekey was taken, or it lost the session): seal again, once
            log('%s could not read %s; sealing it again', message.peer, message.id)
            resealed = true
            paid = false
            sealer.discard(message.id)
            envelope = await sealer.envelopeFor(message)
            continue
          }
          throw err
        }
      }
    }
  }
}
