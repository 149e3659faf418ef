/**
 * The protocol's key derivation functions and message AEAD, built only from audited primitives:
 * HKDF-SHA256, HMAC-SHA256 and ChaCha20-Poly1305 from node:crypto (OpenSSL; cross-checked against
 * @noble/hashes and @noble/ciphers in test/unit/native-crypto.test.ts and the ratchet vectors).
 *
 * @module
 */

import { chacha20poly1305Decrypt, chacha20poly1305Encrypt, hkdfSha256, hmacSha256 } from '../native.js'
import { concat, wipe } from './bytes.js'
import {
  CHAIN_MESSAGE_KEY_CONSTANT,
  CHAIN_NEXT_KEY_CONSTANT,
  KEY_LENGTH,
  MESSAGE_KDF_INFO,
  NONCE_LENGTH,
  ROOT_KDF_INFO,
  X3DH_INFO
} from './constants.js'

const ZERO_SALT = new Uint8Array(KEY_LENGTH)
const X3DH_PREFIX = new Uint8Array(KEY_LENGTH).fill(0xff)
const MESSAGE_KEY_INPUT = Uint8Array.of(CHAIN_MESSAGE_KEY_CONSTANT)
const NEXT_CHAIN_INPUT = Uint8Array.of(CHAIN_NEXT_KEY_CONSTANT)

/** X3DH KDF: HKDF-SHA256(salt = 32 × 0x00, IKM = 32 × 0xFF ‖ DH1 ‖ … ‖ DHn, info = "natter-x3dh-v1", L = 32). */
export function kdfX3dh (dhOutputs: Uint8Array[]): Uint8Array {
  const ikm = concat(X3DH_PREFIX, ...dhOutputs)
  try {
    return hkdfSha256(ikm, ZERO_SALT, X3DH_INFO, KEY_LENGTH)
  } finally {
    wipe(ikm)
  }
}

/** KDF_RK: HKDF-SHA256(salt = rk, IKM = dhOut, info = "natter-ratchet-v1-root", L = 64) → (rk', ck). */
export function kdfRoot (rootKey: Uint8Array, dhOutput: Uint8Array): { rootKey: Uint8Array, chainKey: Uint8Array } {
  const okm = hkdfSha256(dhOutput, rootKey, ROOT_KDF_INFO, 2 * KEY_LENGTH)
  const keys = { rootKey: okm.slice(0, KEY_LENGTH), chainKey: okm.slice(KEY_LENGTH) }
  wipe(okm)
  return keys
}

/** KDF_CK: mk = HMAC-SHA256(ck, 0x01), ck' = HMAC-SHA256(ck, 0x02). */
export function kdfChain (chainKey: Uint8Array): { chainKey: Uint8Array, messageKey: Uint8Array } {
  return {
    messageKey: hmacSha256(chainKey, MESSAGE_KEY_INPUT),
    chainKey: hmacSha256(chainKey, NEXT_CHAIN_INPUT)
  }
}

/**
 * Run ChaCha20-Poly1305 under the key and nonce derived from a message key:
 * HKDF-SHA256(salt = 32 × 0x00, IKM = mk, info = "natter-ratchet-v1-message", L = 44) → key (32) ‖ nonce (12).
 * A message key is used for exactly one message, so the derived nonce never repeats under a key.
 */
function withMessageCipher<T> (messageKey: Uint8Array, run: (key: Uint8Array, nonce: Uint8Array) => T): T {
  const okm = hkdfSha256(messageKey, ZERO_SALT, MESSAGE_KDF_INFO, KEY_LENGTH + NONCE_LENGTH)
  const key = okm.subarray(0, KEY_LENGTH)
  const nonce = okm.subarray(KEY_LENGTH)
  try {
    return run(key, nonce)
  } finally {
    wipe(okm)
  }
}

/** ENCRYPT(mk, plaintext, ad): ChaCha20-Poly1305; output is ciphertext ‖ 16-byte tag. */
export function seal (messageKey: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  return withMessageCipher(messageKey, (key, nonce) => chacha20poly1305Encrypt(key, nonce, associatedData, plaintext))
}

/** DECRYPT(mk, ciphertext, ad). Throws when authentication fails. */
export function open (messageKey: Uint8Array, ciphertext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  return withMessageCipher(messageKey, (key, nonce) => chacha20poly1305Decrypt(key, nonce, associatedData, ciphertext))
}
