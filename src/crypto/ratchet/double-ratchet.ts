/**
 * The Double Ratchet (Signal specification, revision 1), without header encryption.
 *
 * State is plain data mutated in place by {@link encrypt} and {@link decrypt}; persist it with
 * {@link serializeState}. `decrypt` computes on a draft and commits only when the message
 * authenticates, so a forged, corrupted or replayed message never changes the state.
 *
 * @module
 */

import { ByteReader, bytesEqual, concat, toHex, u32, wipe } from './bytes.js'
import {
  DEFAULT_MAX_SKIP,
  DEFAULT_MAX_SKIPPED_KEYS,
  FORMAT_VERSION,
  HEADER_LENGTH,
  KEY_LENGTH,
  MAX_UINT32,
  TAG_LENGTH
} from './constants.js'
import {
  CounterExhaustedError,
  DuplicateMessageError,
  InvalidKeyError,
  RatchetMessageError,
  InvalidStateError,
  RatchetDecryptError,
  RatchetNotReadyError,
  TooManySkippedMessagesError
} from './errors.js'
import { kdfChain, kdfRoot, open, seal } from './kdf.js'
import { assertKey, defaultRandom, dh, generateX25519KeyPair } from './keys.js'
import type { RandomSource, X25519KeyPair } from './keys.js'

/** Ratchet message header, sent in clear and authenticated as associated data. */
export interface MessageHeader {
  /** The sender's current ratchet public key (X25519), 32 bytes. */
  dh: Uint8Array
  /** PN: number of messages in the sender's previous sending chain. */
  pn: number
  /** N: number of this message in the current sending chain (from 0). */
  n: number
}

/** Result of {@link encrypt}. */
export interface EncryptedMessage {
  /** Header to send along. */
  header: MessageHeader
  /** ChaCha20-Poly1305 ciphertext ‖ 16-byte tag. */
  ciphertext: Uint8Array
}

/** A stored key for a message not yet received. */
export interface SkippedMessageKey {
  /** Remote ratchet public key of the chain the message belongs to. */
  dh: Uint8Array
  /** Message number within that chain. */
  n: number
  /** The message key. */
  mk: Uint8Array
}

/**
 * Double Ratchet state. Treat as opaque; fields are named as in the Signal specification.
 * Persist with {@link serializeState}.
 */
export interface RatchetState {
  /** DHs: own current ratchet key pair. */
  dhs: X25519KeyPair
  /** DHr: remote current ratchet public key, `null` before the first message is received (receiver). */
  dhr: Uint8Array | null
  /** RK: root key. */
  rk: Uint8Array
  /** CKs: sending chain key, `null` until the receiver's first DH ratchet step. */
  cks: Uint8Array | null
  /** CKr: receiving chain key, `null` until a message is received. */
  ckr: Uint8Array | null
  /** Ns: number of the next message to send. */
  ns: number
  /** Nr: number of the next message expected in the receiving chain. */
  nr: number
  /** PN: length of the previous sending chain. */
  pn: number
  /** Session associated data bound into every message (X3DH AD: both identity keys). */
  ad: Uint8Array
  /** MAX_SKIP: most message keys one message may skip in one chain. */
  maxSkip: number
  /** Most skipped message keys kept in total; the oldest are evicted beyond it. */
  maxSkippedKeys: number
  /** MKSKIPPED, in insertion order (oldest first), keyed by `hex(dh):n`. */
  skipped: Map<string, SkippedMessageKey>
}

/** Options of {@link initSender} and {@link initReceiver}. */
export interface RatchetInit {
  /**
   * MAX_SKIP: the most message keys a single received message may make us derive and store per
   * chain. Larger tolerates more loss/reordering; smaller bounds work done for a forged header.
   *
   * @default 1000
   */
  maxSkip?: number
  /**
   * Bound on stored skipped message keys over all chains; the oldest are evicted first.
   * Must be at least `maxSkip`.
   *
   * @default 2000
   */
  maxSkippedKeys?: number
  /**
   * Random source for the sender's first ratchet key pair.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
}

/** Options of {@link decrypt}. */
export interface DecryptOptions {
  /**
   * Random source for the new ratchet key pair generated at a DH ratchet step.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
}

const EMPTY = new Uint8Array(0)

function resolveLimits (init: RatchetInit): { maxSkip: number, maxSkippedKeys: number } {
  const maxSkip = init.maxSkip ?? DEFAULT_MAX_SKIP
  const maxSkippedKeys = init.maxSkippedKeys ?? Math.max(DEFAULT_MAX_SKIPPED_KEYS, maxSkip)
  assertLimits(maxSkip, maxSkippedKeys, (why) => new RangeError(why))
  return { maxSkip, maxSkippedKeys }
}

function assertLimits (maxSkip: number, maxSkippedKeys: number, fail: (why: string) => Error): void {
  const isU32 = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
  if (!isU32(maxSkip)) throw fail('maxSkip must be an integer in [0, 2^32 - 1]')
  if (!isU32(maxSkippedKeys) || maxSkippedKeys < maxSkip) throw fail('maxSkippedKeys must be an integer in [maxSkip, 2^32 - 1]')
}

/**
 * RatchetInitAlice: the initiator's state, from the X3DH shared key and the responder's signed
 * prekey (its initial ratchet public key). Draws the first own ratchet key pair.
 *
 * @param sharedKey - SK from X3DH, 32 bytes
 * @param responderRatchetKey - the responder's signed prekey public key
 * @param associatedData - session AD bound into every message (X3DH AD)
 */
export function initSender (sharedKey: Uint8Array, responderRatchetKey: Uint8Array, associatedData: Uint8Array, init: RatchetInit = {}): RatchetState {
  assertKey(sharedKey, KEY_LENGTH, 'shared key')
  assertKey(responderRatchetKey, KEY_LENGTH, 'responder ratchet key')
  const limits = resolveLimits(init)
  const dhs = generateX25519KeyPair(init.random ?? defaultRandom)
  const dhr = Uint8Array.from(responderRatchetKey)
  const output = dh(dhs.secretKey, dhr)
  const { rootKey, chainKey } = kdfRoot(sharedKey, output)
  wipe(output)
  return {
    dhs,
    dhr,
    rk: rootKey,
    cks: chainKey,
    ckr: null,
    ns: 0,
    nr: 0,
    pn: 0,
    ad: Uint8Array.from(associatedData),
    ...limits,
    skipped: new Map()
  }
}

/**
 * RatchetInitBob: the responder's state, from the X3DH shared key and its signed prekey pair
 * (its initial ratchet key pair). It can send only after receiving a first message.
 *
 * @param sharedKey - SK from X3DH, 32 bytes
 * @param ratchetKeyPair - the signed prekey pair named by the initial message (copied)
 * @param associatedData - session AD bound into every message (X3DH AD)
 */
export function initReceiver (sharedKey: Uint8Array, ratchetKeyPair: X25519KeyPair, associatedData: Uint8Array, init: RatchetInit = {}): RatchetState {
  assertKey(sharedKey, KEY_LENGTH, 'shared key')
  assertKey(ratchetKeyPair.secretKey, KEY_LENGTH, 'ratchet private key')
  assertKey(ratchetKeyPair.publicKey, KEY_LENGTH, 'ratchet public key')
  return {
    dhs: { publicKey: Uint8Array.from(ratchetKeyPair.publicKey), secretKey: Uint8Array.from(ratchetKeyPair.secretKey) },
    dhr: null,
    rk: Uint8Array.from(sharedKey),
    cks: null,
    ckr: null,
    ns: 0,
    nr: 0,
    pn: 0,
    ad: Uint8Array.from(associatedData),
    ...resolveLimits(init),
    skipped: new Map()
  }
}

/** Encode a header: `dh (32) ‖ pn (u32 BE) ‖ n (u32 BE)`, 40 bytes. */
export function encodeHeader (header: MessageHeader): Uint8Array {
  assertHeader(header)
  return concat(header.dh, u32(header.pn), u32(header.n))
}

/**
 * Decode a 40-byte header.
 *
 * @throws {RatchetMessageError} wrong length
 */
export function decodeHeader (bytes: Uint8Array): MessageHeader {
  if (bytes.length !== HEADER_LENGTH) throw new RatchetMessageError(`ratchet header must be ${HEADER_LENGTH} bytes`)
  const reader = new ByteReader(bytes, (why) => new RatchetMessageError(`invalid ratchet header: ${why}`))
  return { dh: reader.bytesOf(KEY_LENGTH), pn: reader.u32(), n: reader.u32() }
}

function assertHeader (header: MessageHeader): void {
  const isU32 = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
  if (!(header.dh instanceof Uint8Array) || header.dh.length !== KEY_LENGTH) throw new RatchetMessageError('header ratchet key must be 32 bytes')
  if (!isU32(header.pn) || !isU32(header.n)) throw new RatchetMessageError('header counters must be u32')
}

/** AEAD associated data: `len(AD) (u32 BE) ‖ AD ‖ header (40) ‖ extra`. */
function aeadAssociatedData (state: RatchetState, header: MessageHeader, extra: Uint8Array): Uint8Array {
  return concat(u32(state.ad.length), state.ad, encodeHeader(header), extra)
}

/**
 * RatchetEncrypt: one symmetric-key ratchet step and AEAD encryption.
 *
 * @param associatedData - optional per-message data authenticated (not encrypted) along with the
 * session AD and header; the receiver must pass the same bytes
 * @throws {RatchetNotReadyError} a receiver that has not received a message yet
 * @throws {CounterExhaustedError} 2^32 - 1 messages in one sending chain
 */
export function encrypt (state: RatchetState, plaintext: Uint8Array, associatedData: Uint8Array = EMPTY): EncryptedMessage {
  if (state.cks === null) throw new RatchetNotReadyError()
  if (state.ns >= MAX_UINT32) throw new CounterExhaustedError('sending chain exhausted')
  const header: MessageHeader = { dh: Uint8Array.from(state.dhs.publicKey), pn: state.pn, n: state.ns }
  const { chainKey, messageKey } = kdfChain(state.cks)
  try {
    const ciphertext = seal(messageKey, plaintext, aeadAssociatedData(state, header, associatedData))
    wipe(state.cks)
    state.cks = chainKey
    state.ns += 1
    return { header, ciphertext }
  } finally {
    wipe(messageKey)
  }
}

/** The chain-related part of the state that `decrypt` drafts before committing. */
interface Chains {
  dhs: X25519KeyPair
  dhr: Uint8Array | null
  rk: Uint8Array
  cks: Uint8Array | null
  ckr: Uint8Array | null
  ns: number
  nr: number
  pn: number
}

function slotOf (dhPublic: Uint8Array, n: number): string {
  return `${toHex(dhPublic)}:${n}`
}

/** SkipMessageKeys on the draft: derive keys for messages nr..until-1 of the receiving chain. */
function skipMessageKeys (draft: Chains, original: Chains, until: number, maxSkip: number, found: SkippedMessageKey[]): void {
  if (draft.nr + maxSkip < until) {
    throw new TooManySkippedMessagesError(`message ${until} would skip ${until - draft.nr} keys (max ${maxSkip})`)
  }
  if (draft.ckr === null || draft.dhr === null) return
  while (draft.nr < until) {
    const { chainKey, messageKey } = kdfChain(draft.ckr)
    if (draft.ckr !== original.ckr) wipe(draft.ckr)
    found.push({ dh: draft.dhr, n: draft.nr, mk: messageKey })
    draft.ckr = chainKey
    draft.nr += 1
  }
}

/** X25519 with the (unauthenticated) remote ratchet key: a bad key is a message that does not decrypt. */
function remoteDh (secretKey: Uint8Array, remoteKey: Uint8Array): Uint8Array {
  try {
    return dh(secretKey, remoteKey)
  } catch (err) {
    if (err instanceof InvalidKeyError) throw new RatchetDecryptError('header ratchet key rejected', { cause: err })
    throw err
  }
}

/** DHRatchet on the draft: receiving chain for the new remote key, then a new own key pair and sending chain. */
function dhRatchet (draft: Chains, original: Chains, remoteKey: Uint8Array, random: RandomSource): void {
  if (draft.ckr !== original.ckr) wipe(draft.ckr)
  draft.pn = draft.ns
  draft.ns = 0
  draft.nr = 0
  draft.dhr = Uint8Array.from(remoteKey)
  const receiveOutput = remoteDh(draft.dhs.secretKey, draft.dhr)
  const receiving = kdfRoot(draft.rk, receiveOutput)
  wipe(receiveOutput)
  draft.ckr = receiving.chainKey
  draft.dhs = generateX25519KeyPair(random)
  const sendOutput = remoteDh(draft.dhs.secretKey, draft.dhr)
  const sending = kdfRoot(receiving.rootKey, sendOutput)
  wipe(sendOutput, receiving.rootKey)
  draft.rk = sending.rootKey
  draft.cks = sending.chainKey
}

/** Wipe every secret of `draft` that is not shared with `original`. */
function discardDraft (draft: Chains, original: Chains, found: SkippedMessageKey[]): void {
  if (draft.rk !== original.rk) wipe(draft.rk)
  if (draft.cks !== original.cks) wipe(draft.cks)
  if (draft.ckr !== original.ckr) wipe(draft.ckr)
  if (draft.dhs !== original.dhs) wipe(draft.dhs.secretKey)
  for (const entry of found) wipe(entry.mk)
}

function storeSkipped (state: RatchetState, entries: SkippedMessageKey[]): void {
  for (const entry of entries) {
    state.skipped.set(slotOf(entry.dh, entry.n), entry)
  }
  // Map iteration order is insertion order: evict the oldest first.
  for (const [slot, entry] of state.skipped) {
    if (state.skipped.size <= state.maxSkippedKeys) break
    state.skipped.delete(slot)
    wipe(entry.mk)
  }
}

/**
 * RatchetDecrypt: decrypt a message, handling out-of-order delivery with stored skipped keys and
 * performing a DH ratchet step when the header carries a new remote ratchet key. Commits the new
 * state only if the message authenticates; on any error `state` is unchanged.
 *
 * @param associatedData - the per-message data the sender passed to {@link encrypt}
 * @throws {DuplicateMessageError} the message's key was already used (replay) or evicted
 * @throws {TooManySkippedMessagesError} the message would skip more than `maxSkip` keys in a chain
 * @throws {RatchetDecryptError} authentication failed or no receiving chain exists for the header
 * @throws {RatchetMessageError} the header is malformed
 */
export function decrypt (state: RatchetState, header: MessageHeader, ciphertext: Uint8Array, associatedData: Uint8Array = EMPTY, options: DecryptOptions = {}): Uint8Array {
  assertHeader(header)
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < TAG_LENGTH) {
    throw new RatchetMessageError(`ciphertext must be at least ${TAG_LENGTH} bytes`)
  }
  const aad = aeadAssociatedData(state, header, associatedData)

  const slot = slotOf(header.dh, header.n)
  const skipped = state.skipped.get(slot)
  if (skipped !== undefined) {
    const plaintext = authenticate(skipped.mk, ciphertext, aad)
    state.skipped.delete(slot)
    wipe(skipped.mk)
    return plaintext
  }
  if (state.dhr !== null && bytesEqual(header.dh, state.dhr) && header.n < state.nr) {
    throw new DuplicateMessageError(`message ${header.n} of the current chain was already received or its key evicted`)
  }

  const original: Chains = { dhs: state.dhs, dhr: state.dhr, rk: state.rk, cks: state.cks, ckr: state.ckr, ns: state.ns, nr: state.nr, pn: state.pn }
  const draft: Chains = { ...original }
  const found: SkippedMessageKey[] = []
  let plaintext: Uint8Array
  try {
    if (draft.dhr === null || !bytesEqual(header.dh, draft.dhr)) {
      skipMessageKeys(draft, original, header.pn, state.maxSkip, found)
      dhRatchet(draft, original, header.dh, options.random ?? defaultRandom)
    }
    skipMessageKeys(draft, original, header.n, state.maxSkip, found)
    if (draft.ckr === null) throw new RatchetDecryptError('no receiving chain for this ratchet key')
    const { chainKey, messageKey } = kdfChain(draft.ckr)
    if (draft.ckr !== original.ckr) wipe(draft.ckr)
    draft.ckr = chainKey
    draft.nr += 1
    try {
      plaintext = authenticate(messageKey, ciphertext, aad)
    } finally {
      wipe(messageKey)
    }
  } catch (err) {
    discardDraft(draft, original, found)
    throw err
  }

  // Commit: wipe the superseded secrets, install the draft, store the skipped keys.
  if (draft.rk !== original.rk) wipe(original.rk)
  if (draft.cks !== original.cks) wipe(original.cks)
  if (draft.ckr !== original.ckr) wipe(original.ckr)
  if (draft.dhs !== original.dhs) wipe(original.dhs.secretKey)
  Object.assign(state, draft)
  storeSkipped(state, found)
  return plaintext
}

function authenticate (messageKey: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  try {
    return open(messageKey, ciphertext, aad)
  } catch (err) {
    throw new RatchetDecryptError('message authentication failed', { cause: err })
  }
}

/*
 * State encoding, version 1 (big-endian), see SPEC.md §State:
 *   0x01 ‖ flags (u8: bit0 DHr, bit1 CKs, bit2 CKr present) ‖ DHs secret (32) ‖ DHs public (32)
 *   ‖ DHr (32) ‖ RK (32) ‖ CKs (32) ‖ CKr (32) ‖ Ns (u32) ‖ Nr (u32) ‖ PN (u32)
 *   ‖ maxSkip (u32) ‖ maxSkippedKeys (u32) ‖ len(AD) (u32) ‖ AD
 *   ‖ count (u32) ‖ count × (dh (32) ‖ n (u32) ‖ mk (32)), oldest first
 * Absent keys are written as 32 zero bytes.
 */

const FLAG_DHR = 0x01
const FLAG_CKS = 0x02
const FLAG_CKR = 0x04
const ZERO_KEY = new Uint8Array(KEY_LENGTH)
const SKIPPED_ENTRY_LENGTH = KEY_LENGTH + 4 + KEY_LENGTH

/**
 * Serialize a ratchet state (versioned; contains secrets: store it encrypted or with mode 0600).
 * Used message keys are never part of it.
 */
export function serializeState (state: RatchetState): Uint8Array {
  const flags = (state.dhr !== null ? FLAG_DHR : 0) | (state.cks !== null ? FLAG_CKS : 0) | (state.ckr !== null ? FLAG_CKR : 0)
  const parts: Uint8Array[] = [
    Uint8Array.of(FORMAT_VERSION, flags),
    state.dhs.secretKey,
    state.dhs.publicKey,
    state.dhr ?? ZERO_KEY,
    state.rk,
    state.cks ?? ZERO_KEY,
    state.ckr ?? ZERO_KEY,
    u32(state.ns),
    u32(state.nr),
    u32(state.pn),
    u32(state.maxSkip),
    u32(state.maxSkippedKeys),
    u32(state.ad.length),
    state.ad,
    u32(state.skipped.size)
  ]
  for (const entry of state.skipped.values()) parts.push(entry.dh, u32(entry.n), entry.mk)
  return concat(...parts)
}

/**
 * Inverse of {@link serializeState}.
 *
 * @throws {InvalidStateError} malformed bytes or unknown version
 */
export function deserializeState (bytes: Uint8Array): RatchetState {
  const fail = (why: string): InvalidStateError => new InvalidStateError(`invalid ratchet state: ${why}`)
  const reader = new ByteReader(bytes, fail)
  const version = reader.u8()
  if (version !== FORMAT_VERSION) throw new InvalidStateError(`unsupported ratchet state version ${version}`)
  const flags = reader.u8()
  if ((flags & ~(FLAG_DHR | FLAG_CKS | FLAG_CKR)) !== 0) throw fail('unknown flags')
  const optional = (flag: number): Uint8Array | null => {
    const key = reader.bytesOf(KEY_LENGTH)
    return (flags & flag) !== 0 ? key : null
  }
  const secretKey = reader.bytesOf(KEY_LENGTH)
  const publicKey = reader.bytesOf(KEY_LENGTH)
  const dhr = optional(FLAG_DHR)
  const rk = reader.bytesOf(KEY_LENGTH)
  const cks = optional(FLAG_CKS)
  const ckr = optional(FLAG_CKR)
  const ns = reader.u32()
  const nr = reader.u32()
  const pn = reader.u32()
  const maxSkip = reader.u32()
  const maxSkippedKeys = reader.u32()
  assertLimits(maxSkip, maxSkippedKeys, fail)
  const ad = reader.bytesOf(reader.u32())
  const count = reader.u32()
  if (count > maxSkippedKeys) throw fail('more skipped keys than maxSkippedKeys')
  if (count * SKIPPED_ENTRY_LENGTH !== reader.remaining) throw fail('skipped keys do not match the remaining length')
  const skipped = new Map<string, SkippedMessageKey>()
  for (let i = 0; i < count; i++) {
    const entry: SkippedMessageKey = { dh: reader.bytesOf(KEY_LENGTH), n: reader.u32(), mk: reader.bytesOf(KEY_LENGTH) }
    const slot = slotOf(entry.dh, entry.n)
    if (skipped.has(slot)) throw fail('duplicate skipped key')
    skipped.set(slot, entry)
  }
  reader.end()
  return { dhs: { secretKey, publicKey }, dhr, rk, cks, ckr, ns, nr, pn, ad, maxSkip, maxSkippedKeys, skipped }
}
