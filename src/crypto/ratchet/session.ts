/**
 * Sessions: X3DH setup plus the Double Ratchet behind one small object, and the wire shape of the
 * messages they exchange.
 *
 * @module
 */

import { ByteReader, bytesEqual, concat, wipe } from './bytes.js'
import { FORMAT_VERSION, HEADER_LENGTH, INITIAL_HEADER_LENGTH, KEY_LENGTH, TAG_LENGTH } from './constants.js'
import { RatchetMessageError, InvalidStateError, SessionMismatchError } from './errors.js'
import {
  decodeHeader,
  decrypt as ratchetDecrypt,
  deserializeState,
  encodeHeader,
  encrypt as ratchetEncrypt,
  initReceiver,
  initSender,
  serializeState
} from './double-ratchet.js'
import { defaultRandom } from './keys.js'
import { consumeOneTimePrekey } from './prekeys.js'
import { decodeInitialHeader, encodeInitialHeader, initialHeadersEqual, x3dhInitiate, x3dhRespond } from './x3dh.js'
import type { MessageHeader, RatchetInit, RatchetState } from './double-ratchet.js'
import type { IdentityKeyPair, RandomSource } from './keys.js'
import type { PrekeyBundle, PrekeyStore } from './prekeys.js'
import type { InitialHeader, X3dhInitiateInit } from './x3dh.js'

/**
 * One encrypted message on the wire. The initiator attaches `x3dh` to every message it sends
 * until it has received a reply, so that whichever arrives first lets the responder set up the
 * session.
 */
export interface RatchetMessage {
  /** The X3DH initial header, on the initiator's messages until its session is confirmed. */
  x3dh?: InitialHeader
  /** The Double Ratchet header. */
  header: MessageHeader
  /** ChaCha20-Poly1305 ciphertext ‖ 16-byte tag. */
  ciphertext: Uint8Array
}

/** Options of {@link Session.encrypt} and {@link Session.decrypt}. */
export interface SessionMessageOptions {
  /**
   * Application data to authenticate with the message without encrypting it (e.g. envelope
   * fields). The receiver must pass the same bytes.
   *
   * @default empty
   */
  associatedData?: Uint8Array
}

/** A forward-secret session with one peer. Mutated by `encrypt`/`decrypt`: persist with `serialize()` after each call. */
export interface Session {
  /** Whether this side started the session from a bundle or accepted it from an initial message. */
  readonly role: 'initiator' | 'responder'
  /** Own Ed25519 identity public key. */
  readonly localIdentityKey: Uint8Array
  /**
   * The peer's Ed25519 identity public key. For a responder it comes from the initial header and
   * is authenticated by X3DH once a message decrypts; check it is the peer you expect.
   */
  readonly remoteIdentityKey: Uint8Array
  /** The X3DH initial header that set up this session. */
  readonly initialHeader: InitialHeader
  /** Initiator: whether a reply has been received (after which `x3dh` is no longer attached). Always `true` for a responder. */
  readonly confirmed: boolean
  /**
   * Encrypt one message.
   *
   * @throws {CounterExhaustedError} 2^32 - 1 messages sent without a reply
   */
  encrypt(plaintext: Uint8Array, options?: SessionMessageOptions): RatchetMessage
  /**
   * Decrypt one message. On any error the session is unchanged.
   *
   * @throws {SessionMismatchError} the message carries an X3DH header of another session: hand it to `acceptSession`
   * @throws {RatchetDecryptError | DuplicateMessageError | TooManySkippedMessagesError} see `decrypt` of the Double Ratchet
   */
  decrypt(message: RatchetMessage, options?: SessionMessageOptions): Uint8Array
  /** Serialize the session (versioned; contains secrets). */
  serialize(): Uint8Array
}

/** Options shared by the session factories. */
export interface SessionInit {
  /**
   * MAX_SKIP per chain.
   *
   * @default 1000
   */
  maxSkip?: number
  /**
   * Bound on stored skipped message keys.
   *
   * @default 2000
   */
  maxSkippedKeys?: number
  /**
   * Random source for ephemeral and ratchet keys.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
}

/** Options of {@link startSession}. */
export interface StartSessionInit extends SessionInit, Omit<X3dhInitiateInit, 'random'> {}

/** Options of {@link acceptSession}. */
export interface AcceptSessionInit extends SessionInit, SessionMessageOptions {
  /**
   * Current time in milliseconds since the Unix epoch, to refuse retired signed prekeys past
   * their grace period.
   *
   * @default Date.now()
   */
  now?: number
}

/** Result of {@link acceptSession}. */
export interface AcceptedSession {
  /** The new responder session. */
  session: Session
  /** The decrypted first message. */
  plaintext: Uint8Array
}

const FLAG_X3DH = 0x01

/** The bytes preceding the ratchet header: `0x01 ‖ flags ‖ [initial header]`. Authenticated as AD. */
function messagePrefix (x3dh: InitialHeader | undefined): Uint8Array {
  if (x3dh === undefined) return Uint8Array.of(FORMAT_VERSION, 0)
  return concat(Uint8Array.of(FORMAT_VERSION, FLAG_X3DH), encodeInitialHeader(x3dh))
}

/** Per-message AD handed to the Double Ratchet: message prefix ‖ application AD. */
function ratchetAssociatedData (x3dh: InitialHeader | undefined, options: SessionMessageOptions | undefined): Uint8Array {
  return concat(messagePrefix(x3dh), options?.associatedData ?? new Uint8Array(0))
}

/**
 * Encode a message: `0x01 ‖ flags (u8, bit0 = initial header present) ‖ [initial header (73)]
 * ‖ ratchet header (40) ‖ ciphertext (≥ 16)`.
 */
export function encodeRatchetMessage (message: RatchetMessage): Uint8Array {
  if (!(message.ciphertext instanceof Uint8Array) || message.ciphertext.length < TAG_LENGTH) {
    throw new RatchetMessageError(`ciphertext must be at least ${TAG_LENGTH} bytes`)
  }
  return concat(messagePrefix(message.x3dh), encodeHeader(message.header), message.ciphertext)
}

/**
 * Decode a message encoded by {@link encodeRatchetMessage}. Bound the input size before calling.
 *
 * @throws {RatchetMessageError} malformed bytes or unknown version
 */
export function decodeRatchetMessage (bytes: Uint8Array): RatchetMessage {
  const reader = new ByteReader(bytes, (why) => new RatchetMessageError(`invalid ratchet message: ${why}`))
  const version = reader.u8()
  if (version !== FORMAT_VERSION) throw new RatchetMessageError(`unsupported ratchet message version ${version}`)
  const flags = reader.u8()
  if ((flags & ~FLAG_X3DH) !== 0) throw new RatchetMessageError('invalid ratchet message: unknown flags')
  const x3dh = (flags & FLAG_X3DH) !== 0 ? decodeInitialHeader(reader.bytesOf(INITIAL_HEADER_LENGTH)) : undefined
  const header = decodeHeader(reader.bytesOf(HEADER_LENGTH))
  if (reader.remaining < TAG_LENGTH) throw new RatchetMessageError(`invalid ratchet message: ciphertext shorter than ${TAG_LENGTH} bytes`)
  const ciphertext = reader.rest()
  return x3dh === undefined ? { header, ciphertext } : { x3dh, header, ciphertext }
}

interface SessionData {
  role: 'initiator' | 'responder'
  localIdentityKey: Uint8Array
  remoteIdentityKey: Uint8Array
  initialHeader: InitialHeader
  confirmed: boolean
  state: RatchetState
}

class RatchetSession implements Session {
  readonly role: 'initiator' | 'responder'
  readonly localIdentityKey: Uint8Array
  readonly remoteIdentityKey: Uint8Array
  readonly initialHeader: InitialHeader
  private isConfirmed: boolean
  private readonly state: RatchetState
  private readonly random: RandomSource

  constructor (data: SessionData, random: RandomSource) {
    this.role = data.role
    this.localIdentityKey = data.localIdentityKey
    this.remoteIdentityKey = data.remoteIdentityKey
    this.initialHeader = data.initialHeader
    this.isConfirmed = data.confirmed
    this.state = data.state
    this.random = random
  }

  get confirmed (): boolean {
    return this.isConfirmed
  }

  encrypt (plaintext: Uint8Array, options?: SessionMessageOptions): RatchetMessage {
    const x3dh = this.isConfirmed ? undefined : this.initialHeader
    const { header, ciphertext } = ratchetEncrypt(this.state, plaintext, ratchetAssociatedData(x3dh, options))
    return x3dh === undefined ? { header, ciphertext } : { x3dh, header, ciphertext }
  }

  decrypt (message: RatchetMessage, options?: SessionMessageOptions): Uint8Array {
    if (message.x3dh !== undefined && (this.role === 'initiator' || !initialHeadersEqual(message.x3dh, this.initialHeader))) {
      throw new SessionMismatchError('message carries the initial header of another session')
    }
    const plaintext = ratchetDecrypt(this.state, message.header, message.ciphertext, ratchetAssociatedData(message.x3dh, options), { random: this.random })
    this.isConfirmed = true
    return plaintext
  }

  serialize (): Uint8Array {
    return concat(
      Uint8Array.of(FORMAT_VERSION, this.role === 'initiator' ? 0 : 1, this.isConfirmed ? 1 : 0),
      this.localIdentityKey,
      this.remoteIdentityKey,
      encodeInitialHeader(this.initialHeader),
      serializeState(this.state)
    )
  }
}

/**
 * Start a session with the owner of `bundle` (who may be offline). The bundle is verified; pass
 * `expectedIdentityKey` (the peer you mean to reach) so a substituted bundle is refused.
 * Messages from the returned session carry the X3DH header until the peer replies.
 *
 * @example
 * ```ts
 * const session = startSession(identity, decodeBundle(bundleBytes), { expectedIdentityKey: peerKey })
 * const wire = encodeRatchetMessage(session.encrypt(new TextEncoder().encode('hi')))
 * ```
 * @throws {InvalidBundleError | InvalidSignatureError | IdentityMismatchError | ExpiredBundleError} bad bundle
 * @throws {InvalidKeyError} malformed or low-order keys
 */
export function startSession (ownIdentity: IdentityKeyPair, bundle: PrekeyBundle, init: StartSessionInit = {}): Session {
  const random = init.random ?? defaultRandom
  const x3dh = x3dhInitiate(ownIdentity, bundle, {
    expectedIdentityKey: init.expectedIdentityKey,
    oneTimePrekeyId: init.oneTimePrekeyId,
    maxBundleAgeMs: init.maxBundleAgeMs,
    now: init.now,
    random
  })
  try {
    const state = initSender(x3dh.sharedKey, x3dh.responderRatchetKey, x3dh.associatedData, ratchetInit(init, random))
    return new RatchetSession({
      role: 'initiator',
      localIdentityKey: Uint8Array.from(ownIdentity.publicKey),
      remoteIdentityKey: Uint8Array.from(bundle.identityKey),
      initialHeader: x3dh.header,
      confirmed: false,
      state
    }, random)
  } finally {
    wipe(x3dh.sharedKey)
  }
}

/**
 * Accept a session from its initial message, using only the private prekeys in `store`. The
 * one-time prekey named by the message is deleted from `store` only once the message has
 * authenticated; persist `store` and the new session together.
 *
 * @example
 * ```ts
 * const message = decodeRatchetMessage(bytes)
 * const { session, plaintext } = acceptSession(identity, store, message)
 * // check session.remoteIdentityKey is the sender you expect, then persist both:
 * await db.transaction([serializePrekeyStore(store), session.serialize()])
 * ```
 * @throws {RatchetMessageError} the message carries no X3DH header
 * @throws {UnknownPrekeyError} unknown/expired signed prekey, or unknown/used one-time prekey
 * @throws {RatchetDecryptError} the message does not authenticate (nothing is consumed)
 */
export function acceptSession (ownIdentity: IdentityKeyPair, store: PrekeyStore, message: RatchetMessage, init: AcceptSessionInit = {}): AcceptedSession {
  if (message.x3dh === undefined) throw new RatchetMessageError('not an initial message: no X3DH header')
  const random = init.random ?? defaultRandom
  const x3dh = x3dhRespond(ownIdentity, store, message.x3dh, { consume: false, now: init.now })
  let state: RatchetState
  try {
    state = initReceiver(x3dh.sharedKey, x3dh.signedPrekey, x3dh.associatedData, ratchetInit(init, random))
  } finally {
    wipe(x3dh.sharedKey, x3dh.signedPrekey.secretKey)
  }
  let plaintext: Uint8Array
  try {
    plaintext = ratchetDecrypt(state, message.header, message.ciphertext, ratchetAssociatedData(message.x3dh, init), { random })
  } catch (err) {
    wipe(state.rk, state.dhs.secretKey)
    throw err
  }
  if (x3dh.oneTimePrekeyId !== undefined) consumeOneTimePrekey(store, x3dh.oneTimePrekeyId)
  const session = new RatchetSession({
    role: 'responder',
    localIdentityKey: Uint8Array.from(ownIdentity.publicKey),
    remoteIdentityKey: Uint8Array.from(message.x3dh.identityKey),
    initialHeader: message.x3dh,
    confirmed: true,
    state
  }, random)
  return { session, plaintext }
}

function ratchetInit (init: SessionInit, random: RandomSource): RatchetInit {
  return { maxSkip: init.maxSkip, maxSkippedKeys: init.maxSkippedKeys, random }
}

/** Options of {@link deserializeSession}. */
export interface DeserializeSessionInit {
  /**
   * Random source for future ratchet keys.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
}

/**
 * Restore a session from {@link Session.serialize} output: `0x01 ‖ role (u8: 0 initiator,
 * 1 responder) ‖ confirmed (u8: 0/1) ‖ localIdentityKey (32) ‖ remoteIdentityKey (32)
 * ‖ initial header (73) ‖ ratchet state`.
 *
 * @throws {InvalidStateError} malformed bytes or unknown version
 */
export function deserializeSession (bytes: Uint8Array, init: DeserializeSessionInit = {}): Session {
  const reader = new ByteReader(bytes, (why) => new InvalidStateError(`invalid session: ${why}`))
  const version = reader.u8()
  if (version !== FORMAT_VERSION) throw new InvalidStateError(`unsupported session version ${version}`)
  const role = reader.u8()
  const confirmed = reader.u8()
  if (role > 1 || confirmed > 1) throw new InvalidStateError('invalid session: bad role or confirmed flag')
  const localIdentityKey = reader.bytesOf(KEY_LENGTH)
  const remoteIdentityKey = reader.bytesOf(KEY_LENGTH)
  let initialHeader: InitialHeader
  try {
    initialHeader = decodeInitialHeader(reader.bytesOf(INITIAL_HEADER_LENGTH))
  } catch (err) {
    throw new InvalidStateError('invalid session: bad initial header', { cause: err })
  }
  const expectedInitiator = role === 0 ? localIdentityKey : remoteIdentityKey
  if (!bytesEqual(initialHeader.identityKey, expectedInitiator)) throw new InvalidStateError('invalid session: initial header identity does not match')
  const state = deserializeState(reader.rest())
  return new RatchetSession({
    role: role === 0 ? 'initiator' : 'responder',
    localIdentityKey,
    remoteIdentityKey,
    initialHeader,
    confirmed: confirmed === 1,
    state
  }, init.random ?? defaultRandom)
}
