/**
 * Delivery strategy 2, mailbox: the envelope left with the peers closest to
 * the recipient's key in the DHT, for it to fetch when it comes online
 * (PROTOCOL.md §9). The sender keeps retrying directly meanwhile.
 *
 * @module
 */
import { parsePeerId } from '../../crypto/peer.js'
import type { MailboxClientService } from '../../mailbox/client.js'
import type { OutgoingMessage } from '../../store/index.js'

/** What mailbox delivery needs. */
export interface MailboxDeliveryComponents {
  mailboxes: Pick<MailboxClientService, 'deposit'>
}

/** Leaves messages with mailbox peers. */
export interface MailboxDelivery {
  /** Deposits `envelope`; resolves with how many mailbox peers took it, throws when none did. */
  deposit(message: OutgoingMessage, envelope: Uint8Array, signal: AbortSignal): Promise<number>
}

/** Creates the mailbox delivery strategy. */
export function mailboxDelivery ({ mailboxes }: MailboxDeliveryComponents): MailboxDelivery {
  return {
    deposit: async (message, envelope, signal) => mailboxes.deposit(parsePeerId(message.peer), envelope, { signal })
  }
}
