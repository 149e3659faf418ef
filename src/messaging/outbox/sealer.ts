/**
 * Sealing of outgoing messages: the envelope kept for retries, sealed once
 * (with the same id, seq and time) and sealed again only when the recipient
 * asks for proof of work or could not read the session. A first message to a
 * peer that never wrote to us carries a proof-of-work stamp (PROTOCOL.md §8.4).
 *
 * @module
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { encodeStamp, mintStamp } from '../../abuse/index.js'
import { Payload } from '../../crypto/envelope.js'
import { parsePeerId } from '../../crypto/peer.js'
import type { Ed25519Peer } from '../../crypto/peer.js'
import type { SessionManager } from '../../sessions/manager.js'
import type { MessageStore, OutgoingMessage } from '../../store/index.js'

/** What the sealer needs. */
export interface SealerComponents {
  self: Ed25519Peer
  sessions: Pick<SessionManager, 'seal' | 'assertSendable'>
  messages: Pick<MessageStore, 'getEnvelope' | 'setEnvelope' | 'hasIncoming'>
}

/** Options of {@link createSealer}. */
export interface SealerInit {
  /** Proof-of-work difficulty spent on a first message to a peer. */
  powDifficulty: number
  /** Aborts minting when the node stops. */
  signal?: AbortSignal
}

/** How to seal a message that was already sealed once. */
export interface ResealOptions {
  /** Mint a stamp of this difficulty (the recipient asked for proof of work). */
  difficulty?: number
}

/** Seals outgoing messages. */
export interface Sealer {
  /**
   * The envelope of a stored outgoing message: the kept one, or a new one
   * (kept in the same transaction as the advanced session). With `reseal`,
   * always a new one. Throws `IdentityKeyChangedError` while the recipient's
   * new key awaits the user's decision.
   */
  envelopeFor(message: OutgoingMessage, reseal?: ResealOptions): Promise<Uint8Array>
  /** Forgets the kept envelope (the recipient could not read it). */
  discard(id: string): void
}

/** Creates the sealer. */
export function createSealer (components: SealerComponents, init: SealerInit): Sealer {
  const { self, sessions, messages } = components

  /** A proof-of-work stamp for a first message to `recipient`, when it has never written to us (or `force`). */
  async function stampFor (recipient: Ed25519Peer, difficulty: number, force: boolean): Promise<Uint8Array | undefined> {
    if (!force && messages.hasIncoming(recipient.peerId.toString())) {
      return undefined
    }
    return encodeStamp(await mintStamp({ sender: self.bytes, recipient: recipient.bytes, difficulty, signal: init.signal }))
  }

  return {
    async envelopeFor (message, reseal) {
      const recipient = parsePeerId(message.peer)
      // held (IdentityKeyChangedError) while the contact's new identity key awaits the user's acceptance
      sessions.assertSendable(recipient)
      const kept = reseal == null ? messages.getEnvelope(message.id) : undefined
      if (kept != null) {
        return kept
      }
      // persisted but not yet sealed (or crashed in between), or the recipient wants proof of work or
      // could not read the session: seal now, with the same id, seq and time
      const stamp = reseal?.difficulty != null
        ? await stampFor(recipient, reseal.difficulty, true)
        : message.seq === 1 ? await stampFor(recipient, init.powDifficulty, false) : undefined
      const sealed = await sessions.seal(recipient, textPayload(message.text, message.seq), {
        id: uint8ArrayFromString(message.id, 'base16'),
        sentAt: message.sentAt,
        stamp,
        // the advanced session state and the kept envelope are written in one transaction
        keep: (bytes) => { messages.setEnvelope(message.id, bytes) }
      })
      return sealed.bytes
    },

    discard (id) {
      messages.setEnvelope(id, null)
    }
  }
}

/** The payload of a text message. */
export function textPayload (text: string, seq: number): Payload {
  return { type: Payload.Type.TEXT, text, seq: BigInt(seq), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
}
