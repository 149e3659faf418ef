/**
 * Key types and the few curve operations the protocol needs, all delegated to @noble/curves.
 *
 * @module
 */

import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { x25519SharedSecret } from '../native.js'
import { bytesEqual } from './bytes.js'
import { KEY_LENGTH } from './constants.js'
import { IdentityMismatchError, InvalidKeyError } from './errors.js'

/**
 * Source of cryptographically secure random bytes. Defaults to `crypto.getRandomValues` (via
 * @noble/hashes). Injectable so tests and test vectors are deterministic; never inject a
 * non-random source in production.
 */
export type RandomSource = (length: number) => Uint8Array

/**
 * A user's long-term Ed25519 identity key pair (the libp2p identity).
 *
 * `secretKey` is the 32-byte RFC 8032 seed; the 64-byte `seed ‖ publicKey` form used by libp2p's
 * `Ed25519PrivateKey.raw` is accepted too.
 */
export interface IdentityKeyPair {
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array
  /** Ed25519 seed (32 bytes) or libp2p raw private key (64 bytes: seed ‖ public key). */
  secretKey: Uint8Array
}

/** An X25519 key pair (prekeys, ephemeral keys, ratchet keys). */
export interface X25519KeyPair {
  /** X25519 public key (u-coordinate), 32 bytes. */
  publicKey: Uint8Array
  /** X25519 private key, 32 bytes (clamped by X25519 itself, stored as drawn). */
  secretKey: Uint8Array
}

/** The default random source: the platform CSPRNG. */
export const defaultRandom: RandomSource = (length) => randomBytes(length)

/** Throw {@link InvalidKeyError} unless `bytes` is a Uint8Array of `length` bytes. */
export function assertKey (bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new InvalidKeyError(`${what} must be ${length} bytes`)
  }
}

/** Draw `length` bytes and check the source honoured the length. */
export function drawRandom (random: RandomSource, length: number): Uint8Array {
  const bytes = random(length)
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new InvalidKeyError(`random source returned ${String((bytes as Uint8Array | undefined)?.length)} bytes, expected ${length}`)
  }
  return Uint8Array.from(bytes)
}

/** Generate an X25519 key pair from 32 random bytes. */
export function generateX25519KeyPair (random: RandomSource = defaultRandom): X25519KeyPair {
  const secretKey = drawRandom(random, KEY_LENGTH)
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
}

/**
 * X25519(secret, public). Throws {@link InvalidKeyError} for malformed keys and for low-order
 * public keys (noble rejects an all-zero shared secret).
 */
export function dh (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertKey(secretKey, KEY_LENGTH, 'X25519 private key')
  assertKey(publicKey, KEY_LENGTH, 'X25519 public key')
  try {
    return x25519SharedSecret(secretKey, publicKey)
  } catch (err) {
    throw new InvalidKeyError('X25519 rejected the public key (low order or malformed)', { cause: err })
  }
}

/**
 * Map an Ed25519 public key to its X25519 (Montgomery u) form: u = (1 + y) / (1 - y) mod p.
 * Rejects non-canonical or off-curve encodings.
 */
export function identityPublicToX25519 (identityPublicKey: Uint8Array): Uint8Array {
  assertKey(identityPublicKey, KEY_LENGTH, 'Ed25519 identity public key')
  try {
    return ed25519.utils.toMontgomery(identityPublicKey)
  } catch (err) {
    throw new InvalidKeyError('Ed25519 identity public key is not a valid point', { cause: err })
  }
}

/**
 * Validate an identity key pair and return its 32-byte seed. Accepts a 32-byte seed or a
 * 64-byte `seed ‖ publicKey`; the public key must be the one the seed derives.
 */
export function identitySeed (identity: IdentityKeyPair): Uint8Array {
  assertKey(identity.publicKey, KEY_LENGTH, 'Ed25519 identity public key')
  const secret = identity.secretKey
  if (!(secret instanceof Uint8Array) || (secret.length !== 32 && secret.length !== 64)) {
    throw new InvalidKeyError('Ed25519 identity secret key must be 32 or 64 bytes')
  }
  const seed = secret.subarray(0, KEY_LENGTH)
  if (secret.length === 64 && !bytesEqual(secret.subarray(KEY_LENGTH), identity.publicKey)) {
    throw new IdentityMismatchError('64-byte identity secret key does not end with its public key')
  }
  if (!bytesEqual(ed25519.getPublicKey(seed), identity.publicKey)) {
    throw new IdentityMismatchError('identity public key does not match its secret key')
  }
  return seed
}

/**
 * The X25519 private key of an Ed25519 identity: the clamped first half of SHA-512(seed), i.e. the
 * Ed25519 signing scalar (noble `ed25519.utils.toMontgomerySecret`).
 */
export function identitySecretToX25519 (identity: IdentityKeyPair): Uint8Array {
  return ed25519.utils.toMontgomerySecret(identitySeed(identity))
}
