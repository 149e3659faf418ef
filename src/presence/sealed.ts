/**
 * Presence v2 records (PROTOCOL.md §3.6): a signed presence record, padded to
 * a fixed size and sealed under a per-epoch key derived from the publisher's
 * presence key, published with a per-epoch tag derived from the same key.
 * Only holders of the presence key (the publisher's contacts) can tell whose
 * record it is, read it, or link two records of different epochs; everyone
 * else sees an epoch number, 16 random-looking bytes and a fixed-size
 * ciphertext.
 *
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { InvalidMessageError } from '../base-errors.js'
import { SealedPresence } from '../pb/presence.js'
import { wireUint } from '../util/wire-int.js'

/** Length of one presence epoch, in ms: tags and record keys change with it. */
export const PRESENCE_EPOCH_MS = 300_000
/** Number of shard topics. */
export const PRESENCE_SHARDS = 64
/** The shard topic of shard `n`. */
export const shardTopic = (n: number): string => `/natter/presence/2/shard/${n}`
/** Every shard topic. */
export const SHARD_TOPICS: readonly string[] = Array.from({ length: PRESENCE_SHARDS }, (_, n) => shardTopic(n))
/** Bytes of a presence key. */
export const PRESENCE_KEY_BYTES = 32
/** Bytes of a tag. */
export const TAG_BYTES = 16
/** Bytes of the padded plaintext: a u16 length, the SignedPresence, zeros. */
export const PADDED_BYTES = 512
/** Bytes of the ciphertext (padded plaintext and the Poly1305 tag). */
export const SEALED_CIPHERTEXT_BYTES = PADDED_BYTES + 16
/** Largest encoded SealedPresence accepted. */
export const MAX_SEALED_PRESENCE_BYTES = 640

const SALT = uint8ArrayFromString('natter-presence-v2')
const SHARD_INFO = uint8ArrayFromString('natter-presence-v2 shard')

/** The epoch a time falls in. */
export const epochOf = (ms: number): bigint => BigInt(Math.floor(ms / PRESENCE_EPOCH_MS))

function u64 (n: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n)
  return b
}

/** The keys of one epoch: the tag anyone sees and the record key only contacts can derive. */
export interface EpochKeys {
  tag: Uint8Array
  recordKey: Uint8Array
}

/** tag = HKDF-SHA256(key, salt, "tag" || u64be(epoch), 16); recordKey = HKDF-SHA256(key, salt, "record" || u64be(epoch), 32). */
export function epochKeys (presenceKey: Uint8Array, epoch: bigint): EpochKeys {
  const e = u64(epoch)
  return {
    tag: hkdf(sha256, presenceKey, SALT, uint8ArrayConcat([uint8ArrayFromString('tag'), e]), TAG_BYTES),
    recordKey: hkdf(sha256, presenceKey, SALT, uint8ArrayConcat([uint8ArrayFromString('record'), e]), 32)
  }
}

/** shard = u16be(HKDF-SHA256(key, salt, "natter-presence-v2 shard", 2)) mod PRESENCE_SHARDS: fixed for a key's lifetime. */
export function shardOf (presenceKey: Uint8Array): number {
  const h = hkdf(sha256, presenceKey, SALT, SHARD_INFO, 2)
  return (((h[0] ?? 0) << 8) | (h[1] ?? 0)) % PRESENCE_SHARDS
}

function associatedData (epoch: bigint, tag: Uint8Array): Uint8Array {
  return uint8ArrayConcat([SALT, u64(epoch), tag])
}

/** Seals an encoded SignedPresence (signed over the v2 domain) for `epoch`. */
export function sealPresence (presenceKey: Uint8Array, epoch: bigint, signed: Uint8Array, nonce: Uint8Array = randomBytes(24)): Uint8Array {
  if (signed.byteLength > PADDED_BYTES - 2) {
    throw new InvalidMessageError(`signed presence of ${signed.byteLength} bytes does not fit the padding`, { reason: 'too-large' })
  }
  const { tag, recordKey } = epochKeys(presenceKey, epoch)
  const padded = new Uint8Array(PADDED_BYTES)
  padded[0] = signed.byteLength >> 8
  padded[1] = signed.byteLength & 0xff
  padded.set(signed, 2)
  const ciphertext = xchacha20poly1305(recordKey, nonce, associatedData(epoch, tag)).encrypt(padded)
  return SealedPresence.encode({ epoch, tag, nonce, ciphertext })
}

/** What any subscriber can check of a sealed record without its key. */
export interface SealedFrame {
  epoch: bigint
  tag: Uint8Array
  nonce: Uint8Array
  ciphertext: Uint8Array
}

/**
 * Decodes a SealedPresence and checks its shape: size, field lengths, an
 * epoch within one of the receiver's (§3.6.4). Throws {@link InvalidMessageError}.
 */
export function decodeSealed (bytes: Uint8Array, now = Date.now()): SealedFrame {
  if (bytes.byteLength > MAX_SEALED_PRESENCE_BYTES) {
    throw new InvalidMessageError(`sealed presence of ${bytes.byteLength} bytes exceeds ${MAX_SEALED_PRESENCE_BYTES}`, { reason: 'too-large' })
  }
  let frame: SealedPresence
  try {
    frame = SealedPresence.decode(bytes)
  } catch (err) {
    throw new InvalidMessageError('malformed sealed presence', { cause: err, reason: 'malformed' })
  }
  if (frame.tag.byteLength !== TAG_BYTES || frame.nonce.byteLength !== 24 || frame.ciphertext.byteLength !== SEALED_CIPHERTEXT_BYTES) {
    throw new InvalidMessageError('sealed presence fields have the wrong lengths', { reason: 'malformed' })
  }
  const epoch = BigInt(wireUint(frame.epoch, 'presence epoch'))
  const current = epochOf(now)
  if (epoch < current - 1n || epoch > current + 1n) {
    throw new InvalidMessageError('sealed presence is from another epoch', { reason: epoch < current ? 'expired' : 'future' })
  }
  return { epoch, tag: frame.tag, nonce: frame.nonce, ciphertext: frame.ciphertext }
}

/** Opens a frame with the record key of its epoch; returns the encoded SignedPresence. Throws {@link InvalidMessageError}. */
export function openSealed (presenceKey: Uint8Array, frame: SealedFrame): Uint8Array {
  const { tag, recordKey } = epochKeys(presenceKey, frame.epoch)
  let padded: Uint8Array
  try {
    padded = xchacha20poly1305(recordKey, frame.nonce, associatedData(frame.epoch, tag)).decrypt(frame.ciphertext)
  } catch (err) {
    throw new InvalidMessageError('sealed presence cannot be opened with this key', { cause: err, reason: 'decrypt-failed' })
  }
  const length = ((padded[0] ?? 0) << 8) | (padded[1] ?? 0)
  if (length > PADDED_BYTES - 2 || padded.subarray(2 + length).some(b => b !== 0)) {
    throw new InvalidMessageError('sealed presence padding is malformed', { reason: 'malformed' })
  }
  return padded.slice(2, 2 + length)
}
