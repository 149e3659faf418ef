/**
 * Receipts: "delivered" for a message fetched from a mailbox (its sender may
 * be offline) and "read" when the user reads a conversation (if enabled).
 * A receipt is sealed in the peer's session if there is one (never looking up
 * a bundle for it), sent directly, or left in the peer's mailboxes.
 *
 * @module
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { Payload } from '../crypto/envelope.js'
import { parsePeerId } from '../crypto/peer.js'
import { DEFAULT_DIFFICULTY, encodeStamp, mintStamp } from '../abuse/index.js'
import { anySignal } from '../util/signals.js'
import { ATTEMPT_TIMEOUT_MS } from './constants.js'
import type { ReceiptSink } from './inbound/store.js'
import type { DmSender } from '../dm/sender.js'
import type { MailboxClientService } from '../mailbox/client.js'
import type { SessionManager } from '../sessions/manager.js'
import type { Logger } from '@libp2p/interface'

/** What the receipt sender needs. */
export interface ReceiptsComponents {
  /** This node's peer id bytes (the stamp's sender). */
  self: Uint8Array
  sessions: Pick<SessionManager, 'seal'>
  sender: Pick<DmSender, 'deliver'>
  mailboxes: Pick<MailboxClientService, 'deposit'>
  log: Logger
  /** Aborted when the node stops. */
  signal: AbortSignal
}

/** Options of {@link createReceipts}. */
export interface ReceiptsInit {
  /** Time allowed for each try, in ms. @default ATTEMPT_TIMEOUT_MS (15 s) */
  attemptTimeoutMs?: number
  /** Least difficulty of a stamp minted when a peer asks for one. @default DEFAULT_DIFFICULTY (20) */
  powDifficulty?: number
}

/** Creates the receipt sender. */
export function createReceipts (components: ReceiptsComponents, init: ReceiptsInit = {}): ReceiptSink {
  const { sessions, sender, mailboxes, log, signal } = components
  const attemptTimeoutMs = init.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS

  async function deliver (peer: string, payload: Payload): Promise<void> {
    const recipient = parsePeerId(peer)
    let sealed = await sessions.seal(recipient, payload, { newSession: false })
    try {
      try {
        await sender.deliver(recipient, sealed.id, sealed.bytes, anySignal([signal], attemptTimeoutMs))
      } catch (err) {
        const e = err as Error & { status?: string, requiredDifficulty?: number }
        if (e.name !== 'DeliveryRefusedError' || e.status !== 'POW_REQUIRED') {
          throw err
        }
        // PROTOCOL.md §8.5.2 (1.1): a receipt never needs a stamp, but a 1.0 peer reading the old rule literally
        // may ask; pay once rather than leave an unstamped receipt in mailboxes where it would stay unread
        const difficulty = Math.max(init.powDifficulty ?? DEFAULT_DIFFICULTY, e.requiredDifficulty ?? 0)
        const stamp = encodeStamp(await mintStamp({ sender: components.self, recipient: recipient.bytes, difficulty, signal }))
        sealed = await sessions.seal(recipient, payload, { newSession: false, id: sealed.id, stamp })
        await sender.deliver(recipient, sealed.id, sealed.bytes, anySignal([signal], attemptTimeoutMs))
      }
    } catch {
      await mailboxes.deposit(recipient, sealed.bytes, { signal: anySignal([signal], attemptTimeoutMs) })
    }
  }

  return {
    send (peer, ids, state) {
      if (ids.length === 0) {
        return
      }
      const payload: Payload = { type: Payload.Type.RECEIPT, text: '', seq: 0n, receiptIds: ids.map(id => uint8ArrayFromString(id, 'base16')), receiptState: state }
      deliver(peer, payload).catch(err => {
        log('receipt to %s could not be sent: %s', peer, (err as Error).message)
      })
    }
  }
}
