/**
 * The direct-message envelope (PROTOCOL.md §4): a signed, end-to-end
 * encrypted container that any peer may carry or store without being able to
 * read or alter it.
 *
 * Signature: Ed25519 by the sender over `"natter-envelope-v1" || body`, where
 * `body` is the encoded {@link EnvelopeBody} exactly as transmitted.
 *
 * SEALED scheme: ephemeral-static X25519 to the recipient's identity key
 * (converted from Ed25519), HKDF-SHA256, XChaCha20-Poly1305 with a random
 * 24-byte nonce and associated data binding sender, recipient and id.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { InvalidMessageError, MessageTooLargeError } from '../base-errors.js'
import { EnvelopeBody, Payload, SignedEnvelope } from '../pb/envelope.js'
import { ed25519Sign, ed25519Verify, hkdfSha256, x25519SharedSecret } from './native.js'
import { peerFromBytes } from './peer.js'
import { wireUint } from '../util/wire-int.js'
import { protobufBytesField, protobufWireError } from '../util/protobuf-wire.js'
import { checkControlPayload } from '../messaging/control-payload.js'
import type { Ed25519Peer } from './peer.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

export { EnvelopeBody, Payload, SignedEnvelope }

/** Envelope format version. */
export const ENVELOPE_VERSION = 1
/** Largest encoded SignedEnvelope accepted, in bytes. */
export const MAX_ENVELOPE_BYTES = 64 * 1024
/** Largest message text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 16 * 1024
/** Length of a message id in bytes. */
export const MESSAGE_ID_BYTES = 16
/** How far in the future a sender's clock may be. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000
/** Oldest envelope accepted (offline delivery keeps them up to 14 days; leave slack). */
export const MAX_ENVELOPE_AGE_MS = 30 * 24 * 60 * 60 * 1000

const SIGNATURE_DOMAIN = uint8ArrayFromString('natter-envelope-v1')
const SEALED_INFO = uint8ArrayFromString('natter-sealed-v1')
const AD_DOMAIN = uint8ArrayFromString('natter-envelope-ad-v1')

/** The bytes the sender signs: domain string followed by the encoded body. */
export function envelopeSigningBytes (body: Uint8Array): Uint8Array {
  return uint8ArrayConcat([SIGNATURE_DOMAIN, body])
}

/**
 * Associated data for the envelope's AEAD:
 * `"natter-envelope-ad-v1" || len(sender) || sender || len(recipient) || recipient || id`
 * with one-byte lengths.
 */
export function envelopeAssociatedData (sender: Uint8Array, recipient: Uint8Array, id: Uint8Array): Uint8Array {
  return uint8ArrayConcat([AD_DOMAIN, Uint8Array.of(sender.length), sender, Uint8Array.of(recipient.length), recipient, id])
}

/** Signs an envelope body and returns the encoded SignedEnvelope. */
export async function signEnvelope (body: EnvelopeBody, key: Ed25519PrivateKey): Promise<Uint8Array> {
  const bodyBytes = EnvelopeBody.encode(body)
  const signature = ed25519Sign(key, envelopeSigningBytes(bodyBytes))
  const bytes = SignedEnvelope.encode({ body: bodyBytes, signature })
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MessageTooLargeError(`envelope of ${bytes.byteLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  }
  return bytes
}

/**
 * 1.3 (PROTOCOL.md §5.2): a RATCHET envelope in an established session,
 * encoded without its signature (the `signature` field empty). It goes only
 * directly to its recipient on `/natter/dm/1.3.0`; {@link signUnsigned} adds
 * the signature (over the same body) wherever a third party must check it.
 */
export function encodeUnsignedEnvelope (body: EnvelopeBody): Uint8Array {
  const bytes = SignedEnvelope.encode({ body: EnvelopeBody.encode(body), signature: new Uint8Array(0) })
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MessageTooLargeError(`envelope of ${bytes.byteLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  }
  return bytes
}

/** Whether an encoded SignedEnvelope carries no signature (1.3, §5.2); read from the wire, nothing decoded. */
export function isUnsignedEnvelope (bytes: Uint8Array): boolean {
  return (protobufBytesField(bytes, 2)?.byteLength ?? 0) === 0
}

/**
 * The envelope as anyone may check it: an unsigned one (§5.2) gets its
 * sender's signature over its body, unchanged (same id, same ciphertext);
 * a signed one is returned as it is. `key` must be the sender's.
 */
export function signUnsigned (bytes: Uint8Array, key: Ed25519PrivateKey): Uint8Array {
  if (!isUnsignedEnvelope(bytes)) {
    return bytes
  }
  const { body } = SignedEnvelope.decode(bytes)
  const signed = SignedEnvelope.encode({ body, signature: ed25519Sign(key, envelopeSigningBytes(body)) })
  if (signed.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MessageTooLargeError(`envelope of ${signed.byteLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  }
  return signed
}

/** An envelope whose signature has been checked (or, 1.3, that is unsigned and allowed to be), not yet decrypted. */
export interface VerifiedEnvelope {
  body: EnvelopeBody
  sender: Ed25519Peer
  recipient: Ed25519Peer
  /** The encoded SignedEnvelope, exactly as received. */
  bytes: Uint8Array
  /**
   * False for an unsigned envelope let through with `allowUnsigned` (1.3, §5.2): its sender is
   * only the claim of the connection it came on, and only a session's AEAD may authenticate it.
   * Absent or true: the signature verified.
   */
  signed?: boolean
}

/** Options of {@link verifyEnvelope}. */
export interface VerifyEnvelopeOptions {
  /** Current time in ms. @default Date.now() */
  now?: number
  /** Reject envelopes older than this. @default MAX_ENVELOPE_AGE_MS */
  maxAgeMs?: number
  /**
   * 1.3 (§5.2): let an envelope with an empty `signature` through, marked
   * `signed: false`; the caller must then check that it came directly from
   * its sender and opens in an established session. Otherwise an unsigned
   * envelope is refused with reason `unsigned`. @default false
   */
  allowUnsigned?: boolean
}

/**
 * Decodes a SignedEnvelope and checks everything that needs no secret key:
 * size, version, field lengths, the sender's signature and the timestamp.
 * Mailbox peers call this before storing; recipients before decrypting.
 * Throws {@link InvalidMessageError} (with a `reason`) or {@link MessageTooLargeError}.
 */
export async function verifyEnvelope (bytes: Uint8Array, options: VerifyEnvelopeOptions = {}): Promise<VerifiedEnvelope> {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MessageTooLargeError(`envelope of ${bytes.byteLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  }
  let signed: SignedEnvelope
  let body: EnvelopeBody
  try {
    // strict: a field numbered 0 or a truncated field is not an envelope (protons would skip it)
    const wireError = protobufWireError(bytes)
    if (wireError != null) {
      throw new Error(wireError)
    }
    signed = SignedEnvelope.decode(bytes)
    const bodyError = protobufWireError(signed.body)
    if (bodyError != null) {
      throw new Error(`body: ${bodyError}`)
    }
    body = EnvelopeBody.decode(signed.body)
  } catch (err) {
    throw new InvalidMessageError('malformed envelope', { cause: err, reason: 'malformed' })
  }
  if (body.version !== ENVELOPE_VERSION) {
    throw new InvalidMessageError(`unsupported envelope version ${body.version}`, { reason: 'unsupported-version' })
  }
  if (body.id.byteLength !== MESSAGE_ID_BYTES) {
    throw new InvalidMessageError('envelope id must be 16 bytes', { reason: 'malformed' })
  }
  const sender = peerFromBytes(body.sender, 'envelope sender')
  const recipient = peerFromBytes(body.recipient, 'envelope recipient')
  const unsigned = signed.signature.byteLength === 0
  if (unsigned) {
    if (options.allowUnsigned !== true) {
      throw new InvalidMessageError('envelope is not signed (1.3 sends an unsigned envelope only directly to its recipient, in an established session)', { reason: 'unsigned' })
    }
  } else if (!ed25519Verify(sender.publicKey, envelopeSigningBytes(signed.body), signed.signature)) {
    throw new InvalidMessageError('envelope signature does not match its sender', { reason: 'bad-signature' })
  }
  const now = options.now ?? Date.now()
  const sentAt = wireUint(body.sentAt, 'envelope sent_at')
  if (sentAt > now + MAX_CLOCK_SKEW_MS) {
    throw new InvalidMessageError('envelope is dated in the future', { reason: 'future' })
  }
  if (sentAt < now - (options.maxAgeMs ?? MAX_ENVELOPE_AGE_MS)) {
    throw new InvalidMessageError('envelope has expired', { reason: 'expired' })
  }
  return unsigned ? { body, sender, recipient, bytes, signed: false } : { body, sender, recipient, bytes }
}

/** Everything needed to build a SEALED envelope. */
export interface SealInit {
  /** The sender's identity key. */
  senderKey: Ed25519PrivateKey
  /** The sender's peer id bytes. */
  sender: Uint8Array
  recipient: Ed25519Peer
  /** 16 bytes; random when omitted. */
  id?: Uint8Array
  /** @default Date.now() */
  sentAt?: number
  payload: Payload
  /** Proof-of-work stamp bytes, if any. */
  stamp?: Uint8Array
  /** Test hook: fixed ephemeral X25519 secret and nonce for test vectors. */
  ephemeralSecret?: Uint8Array
  nonce?: Uint8Array
}

/** Builds, encrypts and signs a SEALED envelope; returns its id and encoded bytes. */
export async function sealEnvelope (init: SealInit): Promise<{ id: Uint8Array, bytes: Uint8Array, sentAt: number }> {
  const plaintext = Payload.encode(init.payload)
  checkPayload(init.payload)
  const id = init.id ?? randomBytes(MESSAGE_ID_BYTES)
  const sentAt = init.sentAt ?? Date.now()
  const ephemeralSecret = init.ephemeralSecret ?? x25519.utils.randomSecretKey()
  const ephemeralKey = x25519.getPublicKey(ephemeralSecret)
  const recipientX = ed25519.utils.toMontgomery(init.recipient.publicKey.raw)
  const key = sealedKey(x25519SharedSecret(ephemeralSecret, recipientX), ephemeralKey, recipientX)
  const nonce = init.nonce ?? randomBytes(24)
  const ad = envelopeAssociatedData(init.sender, init.recipient.bytes, id)
  const ciphertext = xchacha20poly1305(key, nonce, ad).encrypt(plaintext)
  const bytes = await signEnvelope({
    version: ENVELOPE_VERSION,
    id,
    sender: init.sender,
    recipient: init.recipient.bytes,
    sentAt: BigInt(sentAt),
    scheme: EnvelopeBody.Scheme.SEALED,
    ephemeralKey,
    nonce,
    ciphertext,
    stamp: init.stamp ?? new Uint8Array(0)
  }, init.senderKey)
  return { id, bytes, sentAt }
}

/**
 * Decrypts a verified SEALED envelope addressed to `ownKey`'s peer and returns
 * its payload. Throws {@link InvalidMessageError}.
 */
export function openSealed (envelope: VerifiedEnvelope, ownKey: Ed25519PrivateKey, ownPeer: Uint8Array): Payload {
  const { body } = envelope
  if (!uint8ArrayEquals(body.recipient, ownPeer)) {
    throw new InvalidMessageError('envelope is addressed to another peer', { reason: 'wrong-recipient' })
  }
  if (body.scheme !== EnvelopeBody.Scheme.SEALED) {
    throw new InvalidMessageError(`envelope scheme ${body.scheme} is not SEALED`, { reason: 'malformed' })
  }
  if (body.ephemeralKey.byteLength !== 32 || body.nonce.byteLength !== 24) {
    throw new InvalidMessageError('SEALED envelope needs a 32-byte ephemeral key and a 24-byte nonce', { reason: 'malformed' })
  }
  let plaintext: Uint8Array
  try {
    const own = montgomeryOf(ownKey)
    const key = sealedKey(x25519SharedSecret(own.secret, body.ephemeralKey), body.ephemeralKey, own.publicKey)
    const ad = envelopeAssociatedData(body.sender, body.recipient, body.id)
    plaintext = xchacha20poly1305(key, body.nonce, ad).decrypt(body.ciphertext)
  } catch (err) {
    throw new InvalidMessageError('envelope cannot be decrypted (tampered, or not for this key)', { cause: err, reason: 'decrypt-failed' })
  }
  return decodePayload(plaintext)
}

/** Decodes and bounds-checks a Payload. Throws {@link InvalidMessageError}. */
export function decodePayload (plaintext: Uint8Array): Payload {
  let payload: Payload
  try {
    payload = Payload.decode(plaintext, { limits: { receiptIds: 1024 } })
  } catch (err) {
    throw new InvalidMessageError('malformed payload', { cause: err, reason: 'malformed' })
  }
  checkPayload(payload)
  return payload
}

function checkPayload (payload: Payload): void {
  if (payload.type === Payload.Type.TEXT) {
    if (Buffer.byteLength(payload.text, 'utf8') > MAX_TEXT_BYTES) {
      throw new MessageTooLargeError(`message text exceeds ${MAX_TEXT_BYTES} bytes`)
    }
    if (payload.text.length === 0) {
      // §4.3: TEXT is 1..16384 bytes; natter 1.0 stored a blank message
      throw new InvalidMessageError('TEXT payload has no text', { reason: 'malformed' })
    }
    if (payload.seq < 1n) {
      throw new InvalidMessageError('TEXT payload needs a sequence number >= 1', { reason: 'malformed' })
    }
  } else if (payload.type === Payload.Type.RECEIPT) {
    if (payload.receiptIds.some(id => id.byteLength !== MESSAGE_ID_BYTES)) {
      throw new InvalidMessageError('receipt ids must be 16 bytes', { reason: 'malformed' })
    }
  } else if (payload.type === Payload.Type.CONTROL) {
    // 1.2 (PROTOCOL.md §4.4): bounds only; the kind is the control channel's business (src/messaging/control.ts)
    checkControlPayload(payload)
  } else {
    throw new InvalidMessageError(`unknown payload type ${String(payload.type)}`, { reason: 'malformed' })
  }
}

const montgomery = new WeakMap<Ed25519PrivateKey, { secret: Uint8Array, publicKey: Uint8Array }>()

/** The X25519 form of an identity key, computed once per key (a scalar multiplication saved per message). */
function montgomeryOf (key: Ed25519PrivateKey): { secret: Uint8Array, publicKey: Uint8Array } {
  let pair = montgomery.get(key)
  if (pair == null) {
    const secret = ed25519.utils.toMontgomerySecret(key.raw.subarray(0, 32))
    pair = { secret, publicKey: x25519.getPublicKey(secret) }
    montgomery.set(key, pair)
  }
  return pair
}

function sealedKey (shared: Uint8Array, ephemeralKey: Uint8Array, recipientX: Uint8Array): Uint8Array {
  return hkdfSha256(shared, uint8ArrayConcat([ephemeralKey, recipientX]), SEALED_INFO, 32)
}
