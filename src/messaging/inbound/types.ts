/**
 * The shapes an inbound envelope takes through the pipeline, and the verdict
 * that ends it.
 *
 * @module
 */
import type { Payload, VerifiedEnvelope } from '../../crypto/envelope.js'
import type { DmVerdict } from '../../dm/protocol.js'
import type { Via } from '../types.js'

/** The answer to an envelope: the DM reply, and for a mailbox copy whether to leave it there. */
export interface Verdict extends DmVerdict {
  /** The mailbox should keep the envelope (it may be processed by a later fetch). */
  keep?: boolean
}

/** An envelope as it arrived, before any check. */
export interface ArrivedEnvelope {
  bytes: Uint8Array
  via: Via
  /** The remote peer of the connection it came on (direct only; a mailbox copy has none). */
  connectedPeer?: string
  /** It came directly on `/natter/dm/1.3.0`: it may be unsigned if it is from `connectedPeer` in a session (§5.2). */
  unsignedAllowed?: boolean
}

/** An envelope whose signature verified. */
export interface VerifiedInbound extends ArrivedEnvelope {
  envelope: VerifiedEnvelope
  /** The sender's peer id. */
  from: string
  /** The envelope id, raw and as 32 hex characters. */
  id: Uint8Array
  hexId: string
}

/** An envelope that was authorized and decrypted. */
export interface OpenedInbound extends VerifiedInbound {
  payload: Payload
}

/** A stage that either lets the envelope go on (`undefined`) or ends it with a verdict. */
export type Gate<T> = (message: T) => Verdict | undefined | Promise<Verdict | undefined>
