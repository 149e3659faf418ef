/**
 * X3DH key agreement (Signal's "Extended Triple Diffie-Hellman", revision 1) with Ed25519 identity
 * keys used for DH through their X25519 (Montgomery) form.
 *
 *     DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   [DH4 = DH(EK_A, OPK_B)]
 *     SK  = HKDF-SHA256(salt = 32 × 0x00, IKM = 32 × 0xFF ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4], info = "natter-x3dh-v1", L = 32)
 *     AD  = IK_A (Ed25519, 32) ‖ IK_B (Ed25519, 32)
 *
 * @module
 */

import { ByteReader, bytesEqual, concat, u32, wipe } from './bytes.js'
import { INITIAL_HEADER_LENGTH, KEY_LENGTH, MAX_UINT32 } from './constants.js'
import { IdentityMismatchError, RatchetMessageError, UnknownPrekeyError } from './errors.js'
import { kdfX3dh } from './kdf.js'
import {
  assertKey,
  defaultRandom,
  dh,
  drawRandom,
  generateX25519KeyPair,
  identityPublicToX25519,
  identitySecretToX25519
} from './keys.js'
import { consumeOneTimePrekey, findOneTimePrekey, findSignedPrekey, verifyBundle } from './prekeys.js'
import type { IdentityKeyPair, RandomSource, X25519KeyPair } from './keys.js'
import type { PrekeyBundle, PrekeyStore } from './prekeys.js'

/**
 * What the initiator sends in front of its first messages so the responder can run X3DH:
 * who it is, its ephemeral key, and which of the responder's prekeys it used.
 */
export interface InitialHeader {
  /** The initiator's Ed25519 identity public key, 32 bytes. */
  identityKey: Uint8Array
  /** The initiator's ephemeral X25519 public key EK_A, 32 bytes. */
  ephemeralKey: Uint8Array
  /** Id of the responder's signed prekey used. */
  signedPrekeyId: number
  /** Id of the responder's one-time prekey used, absent when none was. */
  oneTimePrekeyId?: number
}

/** Result of {@link x3dhInitiate}. */
export interface X3dhInitiatorResult {
  /** The shared secret SK, 32 bytes: the Double Ratchet's initial root key. */
  sharedKey: Uint8Array
  /** Session associated data: initiator identity key ‖ responder identity key. */
  associatedData: Uint8Array
  /** The header to send with the first message(s). */
  header: InitialHeader
  /** The responder's signed prekey: the Double Ratchet's initial remote ratchet key. */
  responderRatchetKey: Uint8Array
}

/** Options of {@link x3dhInitiate}. */
export interface X3dhInitiateInit {
  /**
   * The identity the caller means to reach. The bundle is refused unless its identity key is
   * this one.
   *
   * @default the bundle's own identity key (only the signature is then checked: the caller must
   * have established whose bundle it is)
   */
  expectedIdentityKey?: Uint8Array
  /**
   * Which one-time prekey of the bundle to use: an id, or `null` for none.
   *
   * @default one picked at random from the bundle, none if the bundle has none
   */
  oneTimePrekeyId?: number | null
  /**
   * Random source for the ephemeral key (and the one-time prekey pick).
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
  /**
   * Refuse a signed prekey older than this many milliseconds.
   *
   * @default no age limit
   */
  maxBundleAgeMs?: number
  /**
   * Current time in milliseconds since the Unix epoch, for `maxBundleAgeMs`.
   *
   * @default Date.now()
   */
  now?: number
}

/** Result of {@link x3dhRespond}. */
export interface X3dhResponderResult {
  /** The shared secret SK, 32 bytes. */
  sharedKey: Uint8Array
  /** Session associated data: initiator identity key ‖ responder identity key. */
  associatedData: Uint8Array
  /** Copy of the signed prekey pair used: the Double Ratchet's initial local ratchet key pair. */
  signedPrekey: X25519KeyPair
  /** The one-time prekey used, if any. */
  oneTimePrekeyId?: number
}

/** Options of {@link x3dhRespond}. */
export interface X3dhRespondInit {
  /**
   * Delete the one-time prekey from the store now. Pass `false` to consume it yourself with
   * `consumeOneTimePrekey` only once the first message has authenticated (what `acceptSession`
   * does, so that forged initial headers cannot burn one-time prekeys).
   *
   * @default true
   */
  consume?: boolean
  /**
   * Current time in milliseconds since the Unix epoch, to refuse retired signed prekeys past
   * their grace period.
   *
   * @default Date.now()
   */
  now?: number
}

/** Session associated data: `initiatorIdentityKey (32) ‖ responderIdentityKey (32)`, Ed25519 encodings. */
export function x3dhAssociatedData (initiatorIdentityKey: Uint8Array, responderIdentityKey: Uint8Array): Uint8Array {
  return concat(initiatorIdentityKey, responderIdentityKey)
}

function pickOneTimePrekey (bundle: PrekeyBundle, choice: number | null | undefined, random: RandomSource): { id: number, publicKey: Uint8Array } | undefined {
  if (choice === null) return undefined
  if (choice === undefined) {
    if (bundle.oneTimePrekeys.length === 0) return undefined
    // Concurrent initiators share one published stock; a random pick makes collisions (which the
    // responder must refuse) unlikely. Modulo bias is irrelevant here.
    const draw = drawRandom(random, 4)
    const index = new DataView(draw.buffer).getUint32(0) % bundle.oneTimePrekeys.length
    return bundle.oneTimePrekeys[index]
  }
  const key = bundle.oneTimePrekeys.find((candidate) => candidate.id === choice)
  if (key === undefined) throw new UnknownPrekeyError(`bundle has no one-time prekey ${choice}`)
  return key
}

/**
 * Initiator side of X3DH: verify `bundle`, draw an ephemeral key, derive SK.
 *
 * @throws {InvalidBundleError | InvalidSignatureError | IdentityMismatchError | ExpiredBundleError} bad bundle
 * @throws {InvalidKeyError} a key is malformed or low-order
 * @throws {UnknownPrekeyError} `oneTimePrekeyId` is not in the bundle
 */
export function x3dhInitiate (ownIdentity: IdentityKeyPair, bundle: PrekeyBundle, init: X3dhInitiateInit = {}): X3dhInitiatorResult {
  verifyBundle(bundle, init.expectedIdentityKey ?? bundle.identityKey, { maxAgeMs: init.maxBundleAgeMs, now: init.now })
  const random = init.random ?? defaultRandom
  const identitySecret = identitySecretToX25519(ownIdentity)
  const remoteIdentity = identityPublicToX25519(bundle.identityKey)
  const signedPrekey = bundle.signedPrekey.publicKey
  const ephemeral = generateX25519KeyPair(random)
  const oneTime = pickOneTimePrekey(bundle, init.oneTimePrekeyId, random)

  const outputs: Uint8Array[] = []
  try {
    outputs.push(
      dh(identitySecret, signedPrekey),
      dh(ephemeral.secretKey, remoteIdentity),
      dh(ephemeral.secretKey, signedPrekey)
    )
    if (oneTime !== undefined) outputs.push(dh(ephemeral.secretKey, oneTime.publicKey))
    const header: InitialHeader = {
      identityKey: Uint8Array.from(ownIdentity.publicKey),
      ephemeralKey: ephemeral.publicKey,
      signedPrekeyId: bundle.signedPrekey.id
    }
    if (oneTime !== undefined) header.oneTimePrekeyId = oneTime.id
    return {
      sharedKey: kdfX3dh(outputs),
      associatedData: x3dhAssociatedData(ownIdentity.publicKey, bundle.identityKey),
      header,
      responderRatchetKey: Uint8Array.from(signedPrekey)
    }
  } finally {
    // X3DH §3.3: the initiator deletes its ephemeral private key and the DH outputs.
    wipe(identitySecret, ephemeral.secretKey, ...outputs)
  }
}

/**
 * Responder side of X3DH: derive SK from `header` and the private prekeys in `store`.
 *
 * Note the SK is not yet authenticated: only a successfully decrypted first message proves the
 * initiator holds its identity key.
 *
 * @throws {IdentityMismatchError} `store` belongs to another identity than `ownIdentity`
 * @throws {UnknownPrekeyError} the signed prekey is unknown or expired, or the one-time prekey is unknown or used
 * @throws {InvalidKeyError} a key in the header is malformed or low-order
 */
export function x3dhRespond (ownIdentity: IdentityKeyPair, store: PrekeyStore, header: InitialHeader, init: X3dhRespondInit = {}): X3dhResponderResult {
  assertInitialHeader(header)
  if (!bytesEqual(ownIdentity.publicKey, store.identityKey)) {
    throw new IdentityMismatchError('prekey store belongs to another identity')
  }
  const signed = findSignedPrekey(store, header.signedPrekeyId, init.now)
  const oneTime = header.oneTimePrekeyId === undefined ? undefined : findOneTimePrekey(store, header.oneTimePrekeyId)
  const remoteIdentity = identityPublicToX25519(header.identityKey)
  const identitySecret = identitySecretToX25519(ownIdentity)
  const outputs: Uint8Array[] = []
  try {
    outputs.push(
      dh(signed.secretKey, remoteIdentity),
      dh(identitySecret, header.ephemeralKey),
      dh(signed.secretKey, header.ephemeralKey)
    )
    if (oneTime !== undefined) outputs.push(dh(oneTime.secretKey, header.ephemeralKey))
    const result: X3dhResponderResult = {
      sharedKey: kdfX3dh(outputs),
      associatedData: x3dhAssociatedData(header.identityKey, ownIdentity.publicKey),
      signedPrekey: { publicKey: Uint8Array.from(signed.publicKey), secretKey: Uint8Array.from(signed.secretKey) }
    }
    if (oneTime !== undefined) {
      result.oneTimePrekeyId = oneTime.id
      if (init.consume ?? true) consumeOneTimePrekey(store, oneTime.id)
    }
    return result
  } finally {
    wipe(identitySecret, ...outputs)
  }
}

function assertInitialHeader (header: InitialHeader): void {
  assertKey(header.identityKey, KEY_LENGTH, 'initial header identity key')
  assertKey(header.ephemeralKey, KEY_LENGTH, 'initial header ephemeral key')
  const isU32 = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
  if (!isU32(header.signedPrekeyId)) throw new RatchetMessageError('signed prekey id must be a u32')
  if (header.oneTimePrekeyId !== undefined && !isU32(header.oneTimePrekeyId)) throw new RatchetMessageError('one-time prekey id must be a u32')
}

/**
 * Encode an initial header (73 bytes, big-endian):
 * `identityKey (32) ‖ ephemeralKey (32) ‖ signedPrekeyId (u32) ‖ hasOneTimePrekey (u8: 0 or 1) ‖ oneTimePrekeyId (u32, 0 when absent)`.
 */
export function encodeInitialHeader (header: InitialHeader): Uint8Array {
  assertInitialHeader(header)
  const hasOneTime = header.oneTimePrekeyId !== undefined
  return concat(
    header.identityKey,
    header.ephemeralKey,
    u32(header.signedPrekeyId),
    Uint8Array.of(hasOneTime ? 1 : 0),
    u32(header.oneTimePrekeyId ?? 0)
  )
}

/**
 * Decode an initial header encoded by {@link encodeInitialHeader}.
 *
 * @throws {RatchetMessageError} wrong length, flag not 0/1, or non-zero id with flag 0
 */
export function decodeInitialHeader (bytes: Uint8Array): InitialHeader {
  if (bytes.length !== INITIAL_HEADER_LENGTH) throw new RatchetMessageError(`initial header must be ${INITIAL_HEADER_LENGTH} bytes`)
  const reader = new ByteReader(bytes, (why) => new RatchetMessageError(`invalid initial header: ${why}`))
  const header: InitialHeader = {
    identityKey: reader.bytesOf(KEY_LENGTH),
    ephemeralKey: reader.bytesOf(KEY_LENGTH),
    signedPrekeyId: reader.u32()
  }
  const flag = reader.u8()
  const oneTimePrekeyId = reader.u32()
  if (flag === 1) header.oneTimePrekeyId = oneTimePrekeyId
  else if (flag !== 0 || oneTimePrekeyId !== 0) throw new RatchetMessageError('invalid initial header: bad one-time prekey flag')
  reader.end()
  return header
}

/** Whether two initial headers are identical (public data). */
export function initialHeadersEqual (a: InitialHeader, b: InitialHeader): boolean {
  return bytesEqual(a.identityKey, b.identityKey) &&
    bytesEqual(a.ephemeralKey, b.ephemeralKey) &&
    a.signedPrekeyId === b.signedPrekeyId &&
    a.oneTimePrekeyId === b.oneTimePrekeyId
}
