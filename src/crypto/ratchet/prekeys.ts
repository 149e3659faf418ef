/**
 * Prekeys: the public bundle a user publishes so others can start a session while the user is
 * offline, and the private `PrekeyStore` behind it.
 *
 * The store is plain data, mutated in place by the functions here; persist it with
 * {@link serializePrekeyStore} after every change (and atomically with the session created when a
 * one-time prekey is consumed).
 *
 * @module
 */

import { ed25519 } from '@noble/curves/ed25519.js'
import { ByteReader, bytesEqual, concat, u16, u32, u64, wipe } from './bytes.js'
import {
  DEFAULT_ONE_TIME_PREKEYS,
  DEFAULT_SIGNED_PREKEY_GRACE_MS,
  FORMAT_VERSION,
  KEY_LENGTH,
  MAX_BUNDLE_ONE_TIME_PREKEYS,
  MAX_UINT32,
  SIGNATURE_LENGTH,
  SIGNED_PREKEY_CONTEXT
} from './constants.js'
import {
  CounterExhaustedError,
  ExpiredBundleError,
  IdentityMismatchError,
  InvalidBundleError,
  InvalidSignatureError,
  InvalidStateError,
  UnknownPrekeyError
} from './errors.js'
import { assertKey, defaultRandom, generateX25519KeyPair, identitySeed } from './keys.js'
import type { IdentityKeyPair, RandomSource } from './keys.js'

/** The public part of a signed prekey, as published in a bundle. */
export interface SignedPrekey {
  /** Identifier, unique within the owner's store (u32). */
  id: number
  /** X25519 public key, 32 bytes. */
  publicKey: Uint8Array
  /** Creation time, milliseconds since the Unix epoch (covered by the signature). */
  createdAt: number
  /** Ed25519 signature by the identity key over {@link signedPrekeySignatureInput}, 64 bytes. */
  signature: Uint8Array
}

/** The public part of a one-time prekey. */
export interface OneTimePrekey {
  /** Identifier, unique within the owner's store (u32). */
  id: number
  /** X25519 public key, 32 bytes. */
  publicKey: Uint8Array
}

/** What a user publishes so that others can open a session with them while they are offline. */
export interface PrekeyBundle {
  /** The owner's Ed25519 identity public key (their libp2p identity), 32 bytes. */
  identityKey: Uint8Array
  /** The current signed prekey. */
  signedPrekey: SignedPrekey
  /** One-time prekeys, in ascending id order; may be empty. */
  oneTimePrekeys: OneTimePrekey[]
}

/** A signed prekey with its private key, as kept in a {@link PrekeyStore}. */
export interface SignedPrekeyRecord extends SignedPrekey {
  /** X25519 private key, 32 bytes. */
  secretKey: Uint8Array
}

/** A signed prekey rotated out but still accepted until `expiresAt`. */
export interface RetiredSignedPrekeyRecord extends SignedPrekeyRecord {
  /** Milliseconds since the Unix epoch after which initial messages naming it are refused. */
  expiresAt: number
}

/** A one-time prekey with its private key. Deleted when consumed. */
export interface OneTimePrekeyRecord extends OneTimePrekey {
  /** X25519 private key, 32 bytes. */
  secretKey: Uint8Array
}

/**
 * The private side of a user's prekeys. Plain data; persist with {@link serializePrekeyStore}.
 * It holds no identity private key: functions that sign take the identity as an argument.
 */
export interface PrekeyStore {
  /** The owner's Ed25519 identity public key. */
  identityKey: Uint8Array
  /** The current signed prekey, published in bundles. */
  signedPrekey: SignedPrekeyRecord
  /** Rotated-out signed prekeys still inside their grace period, newest first. */
  previousSignedPrekeys: RetiredSignedPrekeyRecord[]
  /** Unused one-time prekeys in ascending id order. */
  oneTimePrekeys: OneTimePrekeyRecord[]
  /** Id the next signed prekey will get. */
  nextSignedPrekeyId: number
  /** Id the next one-time prekey will get. */
  nextOneTimePrekeyId: number
}

/** Options of {@link createPrekeyStore}. */
export interface CreatePrekeyStoreInit {
  /**
   * Number of one-time prekeys to create.
   *
   * @default 100
   */
  oneTimePrekeys?: number
  /**
   * Random source for the prekeys' private keys.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
  /**
   * Current time in milliseconds since the Unix epoch (the signed prekey's `createdAt`).
   *
   * @default Date.now()
   */
  now?: number
}

/** Options of {@link rotateSignedPrekey}. */
export interface RotateSignedPrekeyInit {
  /**
   * Random source for the new private key.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
  /**
   * Current time in milliseconds since the Unix epoch.
   *
   * @default Date.now()
   */
  now?: number
  /**
   * How long the replaced signed prekey keeps being accepted, in milliseconds. Covers initial
   * messages built from a bundle fetched before the rotation.
   *
   * @default 2_592_000_000 (30 days)
   */
  gracePeriodMs?: number
}

/** Options of {@link replenishOneTimePrekeys}. */
export interface ReplenishOneTimePrekeysInit {
  /**
   * Random source for the new private keys.
   *
   * @default the platform CSPRNG
   */
  random?: RandomSource
}

/** Options of {@link exportBundle}. */
export interface ExportBundleInit {
  /**
   * Publish at most this many one-time prekeys (the lowest ids), e.g. to fit a DHT record.
   *
   * @default all of them (the decoder accepts at most 1024)
   */
  maxOneTimePrekeys?: number
}

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions {
  /**
   * Refuse signed prekeys created longer ago than this, in milliseconds.
   *
   * @default no age limit
   */
  maxAgeMs?: number
  /**
   * Current time in milliseconds since the Unix epoch, for `maxAgeMs`.
   *
   * @default Date.now()
   */
  now?: number
}

/**
 * The exact bytes the identity key signs for a signed prekey:
 * `"natter-signed-prekey-v1" ‖ 0x00 ‖ identityKey (32) ‖ id (u32 BE) ‖ createdAt (u64 BE) ‖ publicKey (32)`
 * (100 bytes).
 */
export function signedPrekeySignatureInput (identityKey: Uint8Array, id: number, createdAt: number, publicKey: Uint8Array): Uint8Array {
  return concat(SIGNED_PREKEY_CONTEXT, Uint8Array.of(0), identityKey, u32(id), u64(createdAt), publicKey)
}

function isU32 (value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
}

function isTimestamp (value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}

function nowOr (now: number | undefined): number {
  const value = now ?? Date.now()
  if (!isTimestamp(value)) throw new RangeError('now must be a non-negative safe integer (milliseconds)')
  return value
}

function allocateId (store: PrekeyStore, field: 'nextSignedPrekeyId' | 'nextOneTimePrekeyId'): number {
  const id = store[field]
  // The last u32 value is never handed out, so the counter itself always fits in a u32.
  if (id >= MAX_UINT32) throw new CounterExhaustedError(`${field} exhausted`)
  store[field] = id + 1
  return id
}

function assertStoreIdentity (store: PrekeyStore, identity: IdentityKeyPair): Uint8Array {
  const seed = identitySeed(identity)
  if (!bytesEqual(store.identityKey, identity.publicKey)) {
    throw new IdentityMismatchError('prekey store belongs to another identity')
  }
  return seed
}

function signPrekey (identityKey: Uint8Array, id: number, seed: Uint8Array, random: RandomSource, now: number): SignedPrekeyRecord {
  const { publicKey, secretKey } = generateX25519KeyPair(random)
  const signature = ed25519.sign(signedPrekeySignatureInput(identityKey, id, now, publicKey), seed)
  return { id, publicKey, secretKey, createdAt: now, signature }
}

function addOneTimePrekeys (store: PrekeyStore, count: number, random: RandomSource): void {
  for (let i = 0; i < count; i++) {
    const id = allocateId(store, 'nextOneTimePrekeyId')
    store.oneTimePrekeys.push({ id, ...generateX25519KeyPair(random) })
  }
}

function assertCount (value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer`)
}

/**
 * Create a prekey store for `identity`: one signed prekey and a stock of one-time prekeys.
 *
 * @example
 * ```ts
 * const store = createPrekeyStore(identity)
 * const bytes = encodeBundle(exportBundle(store)) // publish these
 * await db.put('prekeys', serializePrekeyStore(store)) // keep these private
 * ```
 */
export function createPrekeyStore (identity: IdentityKeyPair, init: CreatePrekeyStoreInit = {}): PrekeyStore {
  const seed = identitySeed(identity)
  const random = init.random ?? defaultRandom
  const now = nowOr(init.now)
  const count = init.oneTimePrekeys ?? DEFAULT_ONE_TIME_PREKEYS
  assertCount(count, 'oneTimePrekeys')
  const identityKey = Uint8Array.from(identity.publicKey)
  const store: PrekeyStore = {
    identityKey,
    signedPrekey: signPrekey(identityKey, 1, seed, random, now),
    previousSignedPrekeys: [],
    oneTimePrekeys: [],
    nextSignedPrekeyId: 2,
    nextOneTimePrekeyId: 1
  }
  addOneTimePrekeys(store, count, random)
  return store
}

/**
 * Replace the current signed prekey with a fresh one. The old one stays usable for
 * `gracePeriodMs`; retired keys past their grace period are deleted. Mutates `store`.
 *
 * @returns the new signed prekey (public part)
 */
export function rotateSignedPrekey (store: PrekeyStore, identity: IdentityKeyPair, init: RotateSignedPrekeyInit = {}): SignedPrekey {
  const seed = assertStoreIdentity(store, identity)
  const now = nowOr(init.now)
  const grace = init.gracePeriodMs ?? DEFAULT_SIGNED_PREKEY_GRACE_MS
  assertCount(grace, 'gracePeriodMs')
  const next = signPrekey(store.identityKey, allocateId(store, 'nextSignedPrekeyId'), seed, init.random ?? defaultRandom, now)
  const retired: RetiredSignedPrekeyRecord = { ...store.signedPrekey, expiresAt: now + grace }
  const kept: RetiredSignedPrekeyRecord[] = []
  for (const record of [retired, ...store.previousSignedPrekeys]) {
    if (record.expiresAt > now) kept.push(record)
    else wipe(record.secretKey)
  }
  store.signedPrekey = next
  store.previousSignedPrekeys = kept
  const { secretKey: _secret, ...published } = next
  return published
}

/**
 * Top the stock of one-time prekeys up to `target`. Mutates `store`; republish the bundle after.
 *
 * @returns how many one-time prekeys were added
 */
export function replenishOneTimePrekeys (store: PrekeyStore, target: number, init: ReplenishOneTimePrekeysInit = {}): number {
  assertCount(target, 'target')
  const missing = Math.max(0, target - store.oneTimePrekeys.length)
  addOneTimePrekeys(store, missing, init.random ?? defaultRandom)
  return missing
}

/** The public bundle for `store`: identity key, current signed prekey, one-time prekeys. */
export function exportBundle (store: PrekeyStore, init: ExportBundleInit = {}): PrekeyBundle {
  const limit = init.maxOneTimePrekeys ?? MAX_BUNDLE_ONE_TIME_PREKEYS
  assertCount(limit, 'maxOneTimePrekeys')
  const { id, publicKey, createdAt, signature } = store.signedPrekey
  return {
    identityKey: Uint8Array.from(store.identityKey),
    signedPrekey: { id, publicKey: Uint8Array.from(publicKey), createdAt, signature: Uint8Array.from(signature) },
    oneTimePrekeys: [...store.oneTimePrekeys]
      .sort((a, b) => a.id - b.id)
      .slice(0, Math.min(limit, MAX_BUNDLE_ONE_TIME_PREKEYS))
      .map((key) => ({ id: key.id, publicKey: Uint8Array.from(key.publicKey) }))
  }
}

function assertBundleShape (bundle: PrekeyBundle): void {
  const fail = (why: string): never => { throw new InvalidBundleError(`invalid prekey bundle: ${why}`) }
  const isKey = (bytes: unknown, length: number): boolean => bytes instanceof Uint8Array && bytes.length === length
  if (!isKey(bundle.identityKey, KEY_LENGTH)) fail('identity key must be 32 bytes')
  const spk = bundle.signedPrekey
  if (spk == null) fail('missing signed prekey')
  if (!isU32(spk.id)) fail('signed prekey id must be a u32')
  if (!isKey(spk.publicKey, KEY_LENGTH)) fail('signed prekey must be 32 bytes')
  if (!isTimestamp(spk.createdAt)) fail('signed prekey createdAt must be a non-negative safe integer')
  if (!isKey(spk.signature, SIGNATURE_LENGTH)) fail('signature must be 64 bytes')
  if (!Array.isArray(bundle.oneTimePrekeys)) fail('oneTimePrekeys must be an array')
  if (bundle.oneTimePrekeys.length > MAX_BUNDLE_ONE_TIME_PREKEYS) fail(`more than ${MAX_BUNDLE_ONE_TIME_PREKEYS} one-time prekeys`)
  let previous = -1
  for (const key of bundle.oneTimePrekeys) {
    if (!isU32(key.id)) fail('one-time prekey id must be a u32')
    if (key.id <= previous) fail('one-time prekey ids must be strictly ascending')
    if (!isKey(key.publicKey, KEY_LENGTH)) fail('one-time prekey must be 32 bytes')
    previous = key.id
  }
}

/**
 * Encode a bundle (version 1, big-endian integers, 143 + 36·n bytes):
 * `0x01 ‖ identityKey (32) ‖ spkId (u32) ‖ spkCreatedAt (u64) ‖ spkPublic (32) ‖ spkSignature (64)
 * ‖ n (u16) ‖ n × (opkId (u32) ‖ opkPublic (32))`. One-time prekey ids must be strictly ascending,
 * which makes the encoding canonical.
 *
 * @throws {InvalidBundleError} if the bundle is malformed
 */
export function encodeBundle (bundle: PrekeyBundle): Uint8Array {
  assertBundleShape(bundle)
  const spk = bundle.signedPrekey
  return concat(
    Uint8Array.of(FORMAT_VERSION),
    bundle.identityKey,
    u32(spk.id),
    u64(spk.createdAt),
    spk.publicKey,
    spk.signature,
    u16(bundle.oneTimePrekeys.length),
    ...bundle.oneTimePrekeys.flatMap((key) => [u32(key.id), key.publicKey])
  )
}

/**
 * Decode a bundle encoded by {@link encodeBundle}. Checks structure only: call
 * {@link verifyBundle} before use.
 *
 * @throws {InvalidBundleError} if the bytes are not a canonical version-1 bundle
 */
export function decodeBundle (bytes: Uint8Array): PrekeyBundle {
  const reader = new ByteReader(bytes, (why) => new InvalidBundleError(`invalid prekey bundle encoding: ${why}`))
  const version = reader.u8()
  if (version !== FORMAT_VERSION) throw new InvalidBundleError(`unsupported prekey bundle version ${version}`)
  const identityKey = reader.bytesOf(KEY_LENGTH)
  const id = reader.u32()
  const createdAt = reader.u64()
  const publicKey = reader.bytesOf(KEY_LENGTH)
  const signature = reader.bytesOf(SIGNATURE_LENGTH)
  const count = reader.u16()
  if (count > MAX_BUNDLE_ONE_TIME_PREKEYS) throw new InvalidBundleError(`more than ${MAX_BUNDLE_ONE_TIME_PREKEYS} one-time prekeys`)
  const oneTimePrekeys: OneTimePrekey[] = []
  for (let i = 0; i < count; i++) {
    oneTimePrekeys.push({ id: reader.u32(), publicKey: reader.bytesOf(KEY_LENGTH) })
  }
  reader.end()
  const bundle: PrekeyBundle = { identityKey, signedPrekey: { id, createdAt, publicKey, signature }, oneTimePrekeys }
  assertBundleShape(bundle)
  return bundle
}

/**
 * Check that `bundle` belongs to `expectedIdentityKey` (the Ed25519 key of the peer you mean to
 * talk to, e.g. from its libp2p peer id) and that its signed prekey is signed by that key
 * (RFC 8032 verification, non-canonical encodings rejected).
 *
 * @throws {InvalidBundleError} malformed bundle
 * @throws {IdentityMismatchError} the bundle is someone else's
 * @throws {InvalidSignatureError} the signature does not verify
 * @throws {ExpiredBundleError} `maxAgeMs` given and the signed prekey is older
 */
export function verifyBundle (bundle: PrekeyBundle, expectedIdentityKey: Uint8Array, options: VerifyBundleOptions = {}): void {
  assertBundleShape(bundle)
  assertKey(expectedIdentityKey, KEY_LENGTH, 'expected identity key')
  if (!bytesEqual(bundle.identityKey, expectedIdentityKey)) {
    throw new IdentityMismatchError('bundle identity key is not the expected identity')
  }
  const spk = bundle.signedPrekey
  const message = signedPrekeySignatureInput(bundle.identityKey, spk.id, spk.createdAt, spk.publicKey)
  let valid = false
  try {
    valid = ed25519.verify(spk.signature, message, bundle.identityKey, { zip215: false })
  } catch (err) {
    throw new InvalidSignatureError('signed prekey signature could not be verified', { cause: err })
  }
  if (!valid) throw new InvalidSignatureError('signed prekey signature does not verify')
  if (options.maxAgeMs !== undefined) {
    assertCount(options.maxAgeMs, 'maxAgeMs')
    const now = nowOr(options.now)
    if (spk.createdAt + options.maxAgeMs < now) {
      throw new ExpiredBundleError(`signed prekey ${spk.id} was created more than ${options.maxAgeMs} ms ago`)
    }
  }
}

/**
 * The signed prekey with `id`: the current one or a retired one whose grace period has not ended.
 *
 * @throws {UnknownPrekeyError} no such usable signed prekey
 */
export function findSignedPrekey (store: PrekeyStore, id: number, now?: number): SignedPrekeyRecord {
  if (store.signedPrekey.id === id) return store.signedPrekey
  const at = nowOr(now)
  const retired = store.previousSignedPrekeys.find((record) => record.id === id)
  if (retired !== undefined && retired.expiresAt > at) return retired
  throw new UnknownPrekeyError(`unknown or expired signed prekey ${id}`)
}

/**
 * The unused one-time prekey with `id`.
 *
 * @throws {UnknownPrekeyError} never issued or already consumed
 */
export function findOneTimePrekey (store: PrekeyStore, id: number): OneTimePrekeyRecord {
  const record = store.oneTimePrekeys.find((key) => key.id === id)
  if (record === undefined) throw new UnknownPrekeyError(`unknown or already used one-time prekey ${id}`)
  return record
}

/**
 * Delete the one-time prekey with `id` so it can never be used again. Mutates `store`.
 *
 * @throws {UnknownPrekeyError} never issued or already consumed
 */
export function consumeOneTimePrekey (store: PrekeyStore, id: number): void {
  const index = store.oneTimePrekeys.findIndex((key) => key.id === id)
  if (index < 0) throw new UnknownPrekeyError(`unknown or already used one-time prekey ${id}`)
  const [record] = store.oneTimePrekeys.splice(index, 1)
  wipe(record?.secretKey)
}

/*
 * Store encoding, version 1 (big-endian):
 *   0x01 ‖ identityKey (32) ‖ nextSignedPrekeyId (u32) ‖ nextOneTimePrekeyId (u32)
 *   ‖ signedCount (u16) ‖ signedCount × (id u32 ‖ createdAt u64 ‖ expiresAt u64 ‖ secret 32 ‖ public 32 ‖ signature 64)
 *   ‖ oneTimeCount (u32) ‖ oneTimeCount × (id u32 ‖ secret 32 ‖ public 32)
 * The first signed record is the current one (expiresAt 0); the rest are retired, newest first.
 */

/** Serialize a prekey store (contains private keys: store it like a secret key, mode 0600). */
export function serializePrekeyStore (store: PrekeyStore): Uint8Array {
  const signed = [{ ...store.signedPrekey, expiresAt: 0 }, ...store.previousSignedPrekeys]
  return concat(
    Uint8Array.of(FORMAT_VERSION),
    store.identityKey,
    u32(store.nextSignedPrekeyId),
    u32(store.nextOneTimePrekeyId),
    u16(signed.length),
    ...signed.flatMap((record) => [u32(record.id), u64(record.createdAt), u64(record.expiresAt), record.secretKey, record.publicKey, record.signature]),
    u32(store.oneTimePrekeys.length),
    ...store.oneTimePrekeys.flatMap((record) => [u32(record.id), record.secretKey, record.publicKey])
  )
}

/**
 * Inverse of {@link serializePrekeyStore}.
 *
 * @throws {InvalidStateError} malformed bytes or unknown version
 */
export function deserializePrekeyStore (bytes: Uint8Array): PrekeyStore {
  const reader = new ByteReader(bytes, (why) => new InvalidStateError(`invalid prekey store: ${why}`))
  const version = reader.u8()
  if (version !== FORMAT_VERSION) throw new InvalidStateError(`unsupported prekey store version ${version}`)
  const identityKey = reader.bytesOf(KEY_LENGTH)
  const nextSignedPrekeyId = reader.u32()
  const nextOneTimePrekeyId = reader.u32()
  const signedCount = reader.u16()
  if (signedCount < 1) throw new InvalidStateError('invalid prekey store: no signed prekey')
  const signed: RetiredSignedPrekeyRecord[] = []
  for (let i = 0; i < signedCount; i++) {
    signed.push({
      id: reader.u32(),
      createdAt: reader.u64(),
      expiresAt: reader.u64(),
      secretKey: reader.bytesOf(KEY_LENGTH),
      publicKey: reader.bytesOf(KEY_LENGTH),
      signature: reader.bytesOf(SIGNATURE_LENGTH)
    })
  }
  const oneTimeCount = reader.u32()
  if (oneTimeCount * 68 > reader.remaining) throw new InvalidStateError('invalid prekey store: truncated one-time prekeys')
  const oneTimePrekeys: OneTimePrekeyRecord[] = []
  for (let i = 0; i < oneTimeCount; i++) {
    oneTimePrekeys.push({ id: reader.u32(), secretKey: reader.bytesOf(KEY_LENGTH), publicKey: reader.bytesOf(KEY_LENGTH) })
  }
  reader.end()
  const [current, ...previousSignedPrekeys] = signed as [RetiredSignedPrekeyRecord, ...RetiredSignedPrekeyRecord[]]
  const { expiresAt: _unused, ...signedPrekey } = current
  return { identityKey, signedPrekey, previousSignedPrekeys, oneTimePrekeys, nextSignedPrekeyId, nextOneTimePrekeyId }
}
