/**
 * Stage 2, verify: the envelope decodes, is within bounds and its signature
 * matches its sender (PROTOCOL.md §4.1). Throws `InvalidMessageError` or
 * `MessageTooLargeError`, which the pipeline turns into the reply.
 *
 * @module
 */
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { verifyEnvelope } from '../../crypto/envelope.js'
import type { ArrivedEnvelope, VerifiedInbound } from './types.js'

/** Verifies an arrived envelope. */
export async function verifyStage (arrived: ArrivedEnvelope): Promise<VerifiedInbound> {
  const envelope = await verifyEnvelope(arrived.bytes)
  const id = envelope.body.id
  return { ...arrived, envelope, from: envelope.sender.peerId.toString(), id, hexId: uint8ArrayToString(id, 'base16') }
}
