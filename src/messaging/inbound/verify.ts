/**
 * Stage 2, verify: the envelope decodes, is within bounds and its signature
 * matches its sender (PROTOCOL.md §4.1). Throws `InvalidMessageError` or
 * `MessageTooLargeError`, which the pipeline turns into the reply.
 *
 * @module
 */
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { InvalidMessageError } from '../../base-errors.js'
import { EnvelopeBody, verifyEnvelope } from '../../crypto/envelope.js'
import type { ArrivedEnvelope, VerifiedInbound } from './types.js'

/**
 * Verifies an arrived envelope. 1.3 (§5.2): an unsigned one is let through
 * only when it came directly on `/natter/dm/1.3.0` from its sender (the Noise
 * connection authenticated that peer's identity key) and is a RATCHET
 * envelope; the open stage then requires an established session (no initial
 * header), whose AEAD authenticates it. Anything else unsigned is refused
 * with reason `unsigned`.
 */
export async function verifyStage (arrived: ArrivedEnvelope): Promise<VerifiedInbound> {
  const envelope = await verifyEnvelope(arrived.bytes, { allowUnsigned: arrived.unsignedAllowed === true })
  const id = envelope.body.id
  const from = envelope.sender.peerId.toString()
  if (envelope.signed === false) {
    if (arrived.connectedPeer !== from) {
      throw new InvalidMessageError('an unsigned envelope is taken only from its sender itself, not relayed', { reason: 'unsigned' })
    }
    if (envelope.body.scheme !== EnvelopeBody.Scheme.RATCHET) {
      throw new InvalidMessageError('an unsigned envelope must be a RATCHET envelope', { reason: 'unsigned' })
    }
  }
  return { ...arrived, envelope, from, id, hexId: uint8ArrayToString(id, 'base16') }
}
