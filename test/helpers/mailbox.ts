/**
 * Mailbox helpers for tests whose raw peers deposit: the deposit stamp a
 * mailbox asks of a depositor it does not know (PROTOCOL.md §9.3) is paid as
 * the spec says, S = the depositor, R = the mailbox.
 */
import { encodeStamp, mintStamp } from '../../src/abuse/index.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import type { DepositPayer } from '../../src/mailbox/protocol.js'
import type { PeerId } from '@libp2p/interface'

/** The payer for deposits by `from` at the mailbox node `at`. */
export function payer (from: { bytes: Uint8Array } | { peerId: PeerId }, at: { peerId: string }): { payer: DepositPayer } {
  const self = 'bytes' in from ? from.bytes : from.peerId.toMultihash().bytes
  return { payer: { self, mailbox: parsePeerId(at.peerId).bytes } }
}

/** A deposit stamp by `from` for the mailbox node `at`, paid up front (the low difficulty test nodes want). */
export async function depositStamp (from: { bytes: Uint8Array }, at: { peerId: string }, difficulty = 10): Promise<Uint8Array> {
  return encodeStamp(await mintStamp({ sender: from.bytes, recipient: parsePeerId(at.peerId).bytes, difficulty }))
}
