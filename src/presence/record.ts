/**
 * Signed presence records (PROTOCOL.md §3): encoding, signing and the
 * validation rules every subscriber applies before accepting one.
 */
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { InvalidArgumentError, InvalidMessageError, MessageTooLargeError } from '../base-errors.js'
import { wireUint } from '../util/wire-int.js'
import { PresenceRecord, SignedPresence } from '../pb/presence.js'
import { peerFromBytes } from '../crypto/peer.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

import { PRESENCE_TOPIC, MAX_PRESENCE_BYTES, MAX_NOTE_BYTES, MAX_PRESENCE_TTL_MS, MAX_PRESENCE_SKEW_MS } from './constants.js'

export { PresenceRecord, SignedPresence }
export { PRESENCE_TOPIC, MAX_PRESENCE_BYTES, MAX_NOTE_BYTES, MAX_PRESENCE_TTL_MS, MAX_PRESENCE_SKEW_MS }

const SIGNATURE_DOMAIN = uint8ArrayFromString('natter-presence-v1')
/** The signature domain of a record inside a v2 sealed record (PROTOCOL.md §3.6). */
export const SIGNATURE_DOMAIN_V2 = uint8ArrayFromString('natter-presence-v2')

/** A status a user can choose. */
export type Status = 'online' | 'away' | 'busy'
/** A status as seen by others, including `offline`. */
export type PresenceStatus = Status | 'offline'

const TO_WIRE: Record<PresenceStatus, PresenceRecord.Status> = {
  online: PresenceRecord.Status.ONLINE,
  away: PresenceRecord.Status.AWAY,
  busy: PresenceRecord.Status.BUSY,
  offline: PresenceRecord.Status.OFFLINE
}

const FROM_WIRE = new Map<PresenceRecord.Status, PresenceStatus>(
  Object.entries(TO_WIRE).map(([k, v]) => [v, k as PresenceStatus])
)

/** Checks a user-supplied status and note; throws {@link InvalidArgumentError} / {@link MessageTooLargeError}. */
export function checkPresenceInput (status: string, note: string): asserts status is PresenceStatus {
  if (!(status in TO_WIRE)) {
    throw new InvalidArgumentError(`status must be one of online, away, busy (got "${status}")`)
  }
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
    throw new MessageTooLargeError(`presence note exceeds ${MAX_NOTE_BYTES} bytes`)
  }
}

/** The content of a presence record, in natter's terms. */
export interface PresenceFields {
  status: PresenceStatus
  note: string
  seq: bigint
  issuedAt: number
  expiresAt: number
}

/** Encodes and signs a presence record. */
export async function signPresence (key: Ed25519PrivateKey, peer: Uint8Array, fields: PresenceFields, domain: Uint8Array = SIGNATURE_DOMAIN): Promise<Uint8Array> {
  checkPresenceInput(fields.status, fields.note)
  const record = PresenceRecord.encode({
    peerId: peer,
    status: TO_WIRE[fields.status],
    note: fields.note,
    seq: fields.seq,
    issuedAt: BigInt(fields.issuedAt),
    expiresAt: BigInt(fields.expiresAt)
  })
  const signature = await key.sign(uint8ArrayConcat([domain, record]))
  return SignedPresence.encode({ record, signature })
}

/** A presence record whose signature and bounds have been checked. */
export interface VerifiedPresence extends PresenceFields {
  peer: Ed25519Peer
}

/**
 * Decodes a SignedPresence and applies the validation rules of PROTOCOL.md
 * §3.3: size, signature, note length, a sane lifetime, not expired, not from
 * the future. (The older-than-known rule needs state; the caller applies it.)
 * Throws {@link InvalidMessageError}.
 */
export async function verifyPresence (bytes: Uint8Array, now = Date.now(), domain: Uint8Array = SIGNATURE_DOMAIN): Promise<VerifiedPresence> {
  if (bytes.byteLength > MAX_PRESENCE_BYTES) {
    throw new InvalidMessageError(`presence record of ${bytes.byteLength} bytes exceeds ${MAX_PRESENCE_BYTES}`, { reason: 'too-large' })
  }
  let signed: SignedPresence
  let record: PresenceRecord
  try {
    signed = SignedPresence.decode(bytes)
    record = PresenceRecord.decode(signed.record)
  } catch (err) {
    throw new InvalidMessageError('malformed presence record', { cause: err, reason: 'malformed' })
  }
  const peer = peerFromBytes(record.peerId, 'presence peer id')
  const valid = await peer.publicKey.verify(uint8ArrayConcat([domain, signed.record]), signed.signature)
  if (!valid) {
    throw new InvalidMessageError('presence signature does not match its peer id', { reason: 'bad-signature' })
  }
  const status = FROM_WIRE.get(record.status)
  if (status == null) {
    throw new InvalidMessageError(`unknown presence status ${String(record.status)}`, { reason: 'malformed' })
  }
  if (Buffer.byteLength(record.note, 'utf8') > MAX_NOTE_BYTES) {
    throw new InvalidMessageError('presence note is too long', { reason: 'too-large' })
  }
  // bigints until bounded: a uint64 above 2^53 - 1 is no conforming peer's and would not survive Number()
  const seq = wireUint(record.seq, 'presence seq')
  const issuedAt = wireUint(record.issuedAt, 'presence issued_at')
  const expiresAt = wireUint(record.expiresAt, 'presence expires_at')
  if (expiresAt <= issuedAt || expiresAt - issuedAt > MAX_PRESENCE_TTL_MS) {
    throw new InvalidMessageError('presence record lifetime is out of bounds', { reason: 'malformed' })
  }
  if (issuedAt > now + MAX_PRESENCE_SKEW_MS) {
    throw new InvalidMessageError('presence record is dated in the future', { reason: 'future' })
  }
  if (expiresAt <= now) {
    throw new InvalidMessageError('presence record has expired', { reason: 'expired' })
  }
  return { peer, status, note: record.note, seq: BigInt(seq), issuedAt, expiresAt }
}
