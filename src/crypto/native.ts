/**
 * The hot-path primitives on node:crypto (OpenSSL) instead of pure
 * JavaScript: Ed25519 sign/verify with cached key objects, X25519,
 * HMAC-SHA256, HKDF-SHA256 and ChaCha20-Poly1305 (RFC 8439). Each gives the
 * same bytes as the @noble function it replaces; test/unit/native-crypto.test.ts
 * cross-checks them against @noble and the vectors. @noble stays for what
 * OpenSSL lacks (HChaCha20, Ed25519→X25519 conversion, point checks);
 * XChaCha20-Poly1305 is @noble's HChaCha20 subkey then OpenSSL's
 * ChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3), same bytes as @noble's.
 *
 * @module
 */
import {
  createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, sign, verify
} from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { endianness } from 'node:os'
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import type { Ed25519PrivateKey, Ed25519PublicKey } from '@libp2p/interface'

// DER prefixes of RFC 8410 keys: PKCS#8 private and SPKI public, followed by the 32 raw bytes
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex')
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex')

/** Parsed public keys kept, by raw bytes; bounded (oldest dropped first). */
const PUBLIC_CACHE_MAX = 4096
const edPublic = new Map<string, KeyObject>()
const edPrivate = new WeakMap<Ed25519PrivateKey, KeyObject>()

function cachePut (cache: Map<string, KeyObject>, key: string, value: KeyObject): void {
  if (cache.size >= PUBLIC_CACHE_MAX) {
    cache.delete(cache.keys().next().value as string)
  }
  cache.set(key, value)
}

function derKey (prefix: Buffer, raw: Uint8Array): Buffer {
  return Buffer.concat([prefix, raw])
}

/** The key object of a libp2p Ed25519 private key, parsed once per key. */
function edPrivateKey (key: Ed25519PrivateKey): KeyObject {
  let object = edPrivate.get(key)
  if (object == null) {
    object = createPrivateKey({ key: derKey(ED25519_PKCS8, key.raw.subarray(0, 32)), format: 'der', type: 'pkcs8' })
    edPrivate.set(key, object)
  }
  return object
}

/** The key object of a raw Ed25519 public key, parsed once while it is in the bounded cache. */
function edPublicKey (raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
  let object = edPublic.get(id)
  if (object == null) {
    object = createPublicKey({ key: derKey(ED25519_SPKI, raw), format: 'der', type: 'spki' })
    cachePut(edPublic, id, object)
  }
  return object
}

/** Ed25519 signature of `message` (RFC 8032), as libp2p's `key.sign` gives, without re-importing the key. */
export function ed25519Sign (key: Ed25519PrivateKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, edPrivateKey(key)))
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message`, with
 * the same acceptance rules as libp2p's `publicKey.verify` (OpenSSL).
 */
export function ed25519Verify (publicKey: Ed25519PublicKey | Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const raw = publicKey instanceof Uint8Array ? publicKey : publicKey.raw
  if (raw.byteLength !== 32 || signature.byteLength !== 64) {
    return false
  }
  try {
    return verify(null, message, edPublicKey(raw), signature)
  } catch {
    return false
  }
}

/** X25519(secret, public) (RFC 7748). Throws for a low-order public key (all-zero shared secret), as @noble does. */
export function x25519SharedSecret (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secretKey.byteLength !== 32 || publicKey.byteLength !== 32) {
    throw new Error('X25519 keys are 32 bytes')
  }
  const shared = new Uint8Array(diffieHellman({
    privateKey: createPrivateKey({ key: derKey(X25519_PKCS8, secretKey), format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: derKey(X25519_SPKI, publicKey), format: 'der', type: 'spki' })
  }))
  if (shared.every(b => b === 0)) {
    throw new Error('X25519 shared secret is zero (low-order public key)')
  }
  return shared
}

/** HMAC-SHA256(key, data). */
export function hmacSha256 (key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest())
}

/** HKDF-SHA256 (RFC 5869) of `length` bytes. */
export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
}

const TAG_BYTES = 16

/** ChaCha20-Poly1305 (RFC 8439) encryption: ciphertext ‖ 16-byte tag. */
export function chacha20poly1305Encrypt (key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(associatedData, { plaintextLength: plaintext.byteLength })
  const head = cipher.update(plaintext)
  const tail = cipher.final()
  return new Uint8Array(Buffer.concat([head, tail, cipher.getAuthTag()]))
}

/** ChaCha20-Poly1305 (RFC 8439) decryption of ciphertext ‖ tag. Throws when authentication fails. */
export function chacha20poly1305Decrypt (key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.byteLength < TAG_BYTES) {
    throw new Error('ciphertext shorter than its tag')
  }
  const body = sealed.subarray(0, sealed.byteLength - TAG_BYTES)
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(associatedData, { plaintextLength: body.byteLength })
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES))
  const head = decipher.update(body)
  const tail = decipher.final()
  return new Uint8Array(Buffer.concat([head, tail]))
}

// "expand 32-byte k" as the four little-endian words of the ChaCha constant
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
const LITTLE_ENDIAN = endianness() === 'LE'

/** HChaCha20 (draft-irtf-cfrg-xchacha §2.2) of a 32-byte key and a 16-byte nonce: the 32-byte subkey. */
function hchacha20 (key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  // fresh copies: a Buffer's slice() is a view into a shared pool, whose .buffer starts at other bytes
  // (a key from SQLite is a Buffer); the copy is also what is wiped below, never the caller's key
  const k32 = new Uint32Array(Uint8Array.from(key.subarray(0, 32)).buffer)
  const n32 = new Uint32Array(Uint8Array.from(nonce16.subarray(0, 16)).buffer)
  const out = new Uint32Array(8)
  hchacha(SIGMA, k32, n32, out)
  const subkey = new Uint8Array(out.buffer)
  k32.fill(0)
  return subkey
}

/** The ChaCha20-Poly1305 key and 12-byte nonce an XChaCha20-Poly1305 key and 24-byte nonce stand for. */
function xchachaParameters (key: Uint8Array, nonce: Uint8Array): { subkey: Uint8Array, nonce12: Uint8Array } {
  if (key.byteLength !== 32 || nonce.byteLength !== 24) {
    throw new Error('XChaCha20-Poly1305 takes a 32-byte key and a 24-byte nonce')
  }
  const nonce12 = new Uint8Array(12)
  nonce12.set(nonce.subarray(16), 4)
  return { subkey: hchacha20(key, nonce.subarray(0, 16)), nonce12 }
}

/** XChaCha20-Poly1305 encryption: ciphertext ‖ 16-byte tag (the bytes of @noble's `xchacha20poly1305(key, nonce, ad).encrypt`). */
export function xchacha20poly1305Encrypt (key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (!LITTLE_ENDIAN) {
    return xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext)
  }
  const { subkey, nonce12 } = xchachaParameters(key, nonce)
  try {
    return chacha20poly1305Encrypt(subkey, nonce12, associatedData, plaintext)
  } finally {
    subkey.fill(0)
  }
}

/** XChaCha20-Poly1305 decryption of ciphertext ‖ tag. Throws when authentication fails. */
export function xchacha20poly1305Decrypt (key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (!LITTLE_ENDIAN) {
    return xchacha20poly1305(key, nonce, associatedData).decrypt(sealed)
  }
  const { subkey, nonce12 } = xchachaParameters(key, nonce)
  try {
    return chacha20poly1305Decrypt(subkey, nonce12, associatedData, sealed)
  } finally {
    subkey.fill(0)
  }
}
