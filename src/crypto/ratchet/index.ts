/**
 * Forward-secret sessions for natter: X3DH-style session setup from a published prekey bundle,
 * then the Signal Double Ratchet. A pure library: no networking, no storage; every piece of state
 * serializes to bytes. The normative description is `SPEC.md` next to this file.
 *
 * @example
 * ```ts
 * // Bob, once: publish a bundle, keep the store private.
 * const store = createPrekeyStore(bob)
 * const bundleBytes = encodeBundle(exportBundle(store))
 *
 * // Alice, while Bob is offline:
 * const alice2bob = startSession(alice, decodeBundle(bundleBytes), { expectedIdentityKey: bob.publicKey })
 * const wire = encodeRatchetMessage(alice2bob.encrypt(new TextEncoder().encode('hi Bob')))
 *
 * // Bob, later, with only his store:
 * const { session: bob2alice, plaintext } = acceptSession(bob, store, decodeRatchetMessage(wire))
 * const reply = encodeRatchetMessage(bob2alice.encrypt(new TextEncoder().encode('hi Alice')))
 * alice2bob.decrypt(decodeRatchetMessage(reply))
 * ```
 *
 * @module
 */

export * from './errors.js'
export {
  DEFAULT_MAX_SKIP,
  DEFAULT_MAX_SKIPPED_KEYS,
  DEFAULT_ONE_TIME_PREKEYS,
  DEFAULT_SIGNED_PREKEY_GRACE_MS,
  FORMAT_VERSION,
  HEADER_LENGTH,
  INITIAL_HEADER_LENGTH,
  MAX_BUNDLE_ONE_TIME_PREKEYS
} from './constants.js'
export type { IdentityKeyPair, RandomSource, X25519KeyPair } from './keys.js'
export {
  consumeOneTimePrekey,
  createPrekeyStore,
  decodeBundle,
  deserializePrekeyStore,
  encodeBundle,
  exportBundle,
  findOneTimePrekey,
  findSignedPrekey,
  replenishOneTimePrekeys,
  rotateSignedPrekey,
  serializePrekeyStore,
  signedPrekeySignatureInput,
  verifyBundle
} from './prekeys.js'
export type {
  CreatePrekeyStoreInit,
  ExportBundleInit,
  OneTimePrekey,
  OneTimePrekeyRecord,
  PrekeyBundle,
  PrekeyStore,
  ReplenishOneTimePrekeysInit,
  RetiredSignedPrekeyRecord,
  RotateSignedPrekeyInit,
  SignedPrekey,
  SignedPrekeyRecord,
  VerifyBundleOptions
} from './prekeys.js'
export {
  decodeInitialHeader,
  encodeInitialHeader,
  initialHeadersEqual,
  x3dhAssociatedData,
  x3dhInitiate,
  x3dhRespond
} from './x3dh.js'
export type { InitialHeader, X3dhInitiateInit, X3dhInitiatorResult, X3dhRespondInit, X3dhResponderResult } from './x3dh.js'
export {
  decodeHeader,
  decrypt,
  deserializeState,
  encodeHeader,
  encrypt,
  initReceiver,
  initSender,
  serializeState
} from './double-ratchet.js'
export type { DecryptOptions, EncryptedMessage, MessageHeader, RatchetInit, RatchetState, SkippedMessageKey } from './double-ratchet.js'
export {
  acceptSession,
  decodeRatchetMessage,
  deserializeSession,
  encodeRatchetMessage,
  startSession
} from './session.js'
export type {
  AcceptSessionInit,
  AcceptedSession,
  DeserializeSessionInit,
  RatchetMessage,
  Session,
  SessionInit,
  SessionMessageOptions,
  StartSessionInit
} from './session.js'
