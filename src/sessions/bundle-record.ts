/**
 * The prekey bundle as a DHT record (PROTOCOL.md §6.3): how it is keyed,
 * signed, validated by every DHT node that stores or returns it, and which of
 * several records wins.
 *
 * ```
 * key       = "/natter-prekeys/" ‖ owner peer id bytes
 * value     = SignedPrekeyRecord { record, signature }
 * signature = Ed25519(owner identity, "natter-prekeys-v1" ‖ record)
 * ```
 *
 * The bundle inside carries its own signed-prekey signature; the outer
 * signature also covers the one-time prekeys and the publication time, so no
 * storing peer can swap, strip or reorder them, and the newest record wins.
 *
 * @module
 */
import { MAX_PREKEY_RECORD_AGE_MS, MAX_PREKEY_RECORD_BYTES, MAX_PREKEY_RECORD_SKEW_MS, PREKEY_NAMESPACE } from './constants.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { decodeBundle, verifyBundle } from '../crypto/ratchet/index.js'
import { peerFromBytes } from '../crypto/peer.js'
import { InvalidMessageError } from '../base-errors.js'
import { PrekeyRecord, SignedPrekeyRecord } from '../pb/prekeys.js'
import { wireUint } from '../util/wire-int.js'
import type { PrekeyBundle } from '../crypto/ratchet/index.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { AbortOptions, Ed25519PrivateKey } from '@libp2p/interface'

export { PrekeyRecord, SignedPrekeyRecord }

/** Prefix of every prekey record key. */
export const PREKEY_KEY_PREFIX = uint8ArrayFromString(`/${PREKEY_NAMESPACE}/`)
export { PREKEY_NAMESPACE, MAX_PREKEY_RECORD_BYTES, MAX_PREKEY_RECORD_AGE_MS, MAX_PREKEY_RECORD_SKEW_MS }

const SIGNATURE_DOMAIN = uint8ArrayFromString('natter-prekeys-v1')

/** A record whose every check passed. */
export interface VerifiedPrekeyRecord {
  /** The owner. */
  peer: Ed25519Peer
  /** The bundle, its signed prekey verified under the owner's identity key. */
  bundle: PrekeyBundle
  /** Publication time, ms since the epoch. */
  publishedAt: number
}

/** The DHT key of `peer`'s prekey record. */
export function prekeyRecordKey (peer: Pick<Ed25519Peer, 'bytes'>): Uint8Array {
  return uint8ArrayConcat([PREKEY_KEY_PREFIX, peer.bytes])
}

/** The bytes the owner signs: domain string followed by the encoded record. */
export function prekeyRecordSigningBytes (record: Uint8Array): Uint8Array {
  return uint8ArrayConcat([SIGNATURE_DOMAIN, record])
}

/** Builds and signs the record of `bundle`; returns the encoded SignedPrekeyRecord (the DHT value). */
export async function signPrekeyRecord (key: Ed25519PrivateKey, owner: Pick<Ed25519Peer, 'bytes'>, bundleBytes: Uint8Array, publishedAt: number): Promise<Uint8Array> {
  const record = PrekeyRecord.encode({ peerId: owner.bytes, bundle: bundleBytes, publishedAt: BigInt(publishedAt) })
  const signature = await key.sign(prekeyRecordSigningBytes(record))
  const value = SignedPrekeyRecord.encode({ record, signature })
  if (value.byteLength > MAX_PREKEY_RECORD_BYTES) {
    throw new InvalidMessageError(`prekey record of ${value.byteLength} bytes exceeds ${MAX_PREKEY_RECORD_BYTES}`, { reason: 'too-large' })
  }
  return value
}

/** Options of {@link verifyPrekeyRecord}. */
export interface VerifyPrekeyRecordOptions {
  /** @default Date.now() */
  now?: number
}

/**
 * Checks a record found under `key`: size, encoding, that the key names the
 * record's owner, the owner's signature, the bundle (its identity key is the
 * owner's, its signed prekey signature verifies) and the publication time.
 * Throws {@link InvalidMessageError} with a `reason`.
 */
export async function verifyPrekeyRecord (key: Uint8Array, value: Uint8Array, options: VerifyPrekeyRecordOptions = {}): Promise<VerifiedPrekeyRecord> {
  if (value.byteLength > MAX_PREKEY_RECORD_BYTES) {
    throw new InvalidMessageError(`prekey record of ${value.byteLength} bytes exceeds ${MAX_PREKEY_RECORD_BYTES}`, { reason: 'too-large' })
  }
  if (key.byteLength <= PREKEY_KEY_PREFIX.byteLength || !uint8ArrayEquals(key.subarray(0, PREKEY_KEY_PREFIX.byteLength), PREKEY_KEY_PREFIX)) {
    throw new InvalidMessageError('not a prekey record key', { reason: 'malformed' })
  }
  const owner = peerFromBytes(key.subarray(PREKEY_KEY_PREFIX.byteLength), 'prekey record key')
  let signed: SignedPrekeyRecord
  let record: PrekeyRecord
  try {
    signed = SignedPrekeyRecord.decode(value)
    record = PrekeyRecord.decode(signed.record)
  } catch (err) {
    throw new InvalidMessageError('malformed prekey record', { cause: err, reason: 'malformed' })
  }
  if (!uint8ArrayEquals(record.peerId, owner.bytes)) {
    throw new InvalidMessageError('prekey record belongs to another peer than its key names', { reason: 'malformed' })
  }
  if (!(await owner.publicKey.verify(prekeyRecordSigningBytes(signed.record), signed.signature))) {
    throw new InvalidMessageError('prekey record signature does not match its owner', { reason: 'bad-signature' })
  }
  let bundle: PrekeyBundle
  try {
    bundle = decodeBundle(record.bundle)
    verifyBundle(bundle, owner.publicKey.raw)
  } catch (err) {
    throw new InvalidMessageError(`invalid prekey bundle: ${(err as Error).message}`, { cause: err, reason: 'malformed' })
  }
  const now = options.now ?? Date.now()
  const publishedAt = wireUint(record.publishedAt, 'prekey record published_at')
  if (publishedAt > now + MAX_PREKEY_RECORD_SKEW_MS) {
    throw new InvalidMessageError('prekey record is dated in the future', { reason: 'future' })
  }
  if (publishedAt < now - MAX_PREKEY_RECORD_AGE_MS) {
    throw new InvalidMessageError('prekey record has expired', { reason: 'expired' })
  }
  return { peer: owner, bundle, publishedAt }
}

/** kad-dht validator for the `natter-prekeys` namespace: throws unless {@link verifyPrekeyRecord} passes. */
export async function validatePrekeyRecord (key: Uint8Array, value: Uint8Array, _options?: AbortOptions): Promise<void> {
  await verifyPrekeyRecord(key, value)
}

/**
 * kad-dht selector for the `natter-prekeys` namespace: the index of the record
 * with the latest `published_at` (the first of equals). Records that do not
 * decode lose.
 */
export function selectPrekeyRecord (_key: Uint8Array, records: Uint8Array[]): number {
  let best = 0
  let bestAt = -1n
  records.forEach((value, index) => {
    const at = publishedAtOf(value)
    if (at > bestAt) {
      best = index
      bestAt = at
    }
  })
  return best
}

function publishedAtOf (value: Uint8Array): bigint {
  try {
    return PrekeyRecord.decode(SignedPrekeyRecord.decode(value).record).publishedAt
  } catch {
    return -1n
  }
}
