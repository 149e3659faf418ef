/**
 * Encryption of the secrets natter keeps in its SQLite store (ratchet
 * sessions, prekey private keys) under a data key derived from the identity
 * secret, so the database file alone reveals no key material: the secrets are
 * exactly as protected as the identity key file (passphrase or not).
 *
 * ```
 * data key = HKDF-SHA256(ikm = Ed25519 seed (32), salt = empty, info = "natter-store-key-v1", L = 32)
 * sealed   = 0x01 ‖ nonce (24) ‖ XChaCha20-Poly1305(data key, nonce, ad).encrypt(secret)   (node:crypto, src/crypto/native.ts)
 * ad       = "natter-store-secret-v1" ‖ 0x00 ‖ label ‖ 0x00 ‖ context
 * ```
 *
 * `label` names what is sealed and `context` where it is kept (e.g. the peer
 * id of a session row), so a blob moved to another row or purpose fails.
 *
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { StoredSecretError } from './errors.js'
import { xchacha20poly1305Decrypt, xchacha20poly1305Encrypt } from '../crypto/native.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

const DATA_KEY_INFO = uint8ArrayFromString('natter-store-key-v1')
const AD_DOMAIN = uint8ArrayFromString('natter-store-secret-v1')
const VERSION = 0x01
const NONCE_BYTES = 24

/** Seals and opens secrets kept in the store. */
export interface SecretBox {
  /** Encrypts `secret` for the row `context` of kind `label`. */
  seal(label: string, context: Uint8Array, secret: Uint8Array): Uint8Array
  /** Decrypts what {@link SecretBox.seal} made with the same label and context. Throws {@link StoredSecretError}. */
  open(label: string, context: Uint8Array, sealed: Uint8Array): Uint8Array
}

/** The data key of an identity (see the module comment). */
export function deriveDataKey (identity: Ed25519PrivateKey): Uint8Array {
  return hkdf(sha256, identity.raw.subarray(0, 32), new Uint8Array(0), DATA_KEY_INFO, 32)
}

/** A {@link SecretBox} under the data key of `identity`. */
export function createSecretBox (identity: Ed25519PrivateKey): SecretBox {
  const key = deriveDataKey(identity)
  const ad = (label: string, context: Uint8Array): Uint8Array =>
    uint8ArrayConcat([AD_DOMAIN, Uint8Array.of(0), uint8ArrayFromString(label), Uint8Array.of(0), context])
  return {
    seal (label, context, secret) {
      const nonce = randomBytes(NONCE_BYTES)
      return uint8ArrayConcat([Uint8Array.of(VERSION), nonce, xchacha20poly1305Encrypt(key, nonce, ad(label, context), secret)])
    },
    open (label, context, sealed) {
      if (sealed.byteLength < 1 + NONCE_BYTES + 16 || sealed[0] !== VERSION) {
        throw new StoredSecretError(`stored ${label} is malformed or of an unknown version`)
      }
      try {
        return xchacha20poly1305Decrypt(key, sealed.subarray(1, 1 + NONCE_BYTES), ad(label, context), sealed.subarray(1 + NONCE_BYTES))
      } catch (err) {
        throw new StoredSecretError(`stored ${label} cannot be decrypted (written under another identity, or damaged)`, { cause: err })
      }
    }
  }
}
