/**
 * The node:crypto (OpenSSL) primitives of src/crypto/native.ts give the same
 * bytes and the same verdicts as the @noble functions they replace.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import {
  chacha20poly1305Decrypt, chacha20poly1305Encrypt, ed25519Sign, ed25519Verify, hkdfSha256, hmacSha256, x25519SharedSecret,
  xchacha20poly1305Decrypt, xchacha20poly1305Encrypt
} from '../../src/crypto/native.js'

const ROUNDS = 64

describe('node:crypto primitives match @noble', () => {
  it('HMAC-SHA256 and HKDF-SHA256 give the same bytes', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const key = randomBytes(i % 70)
      const data = randomBytes(i * 3)
      expect(hmacSha256(key, data)).toEqual(hmac(sha256, key, data))
      const salt = randomBytes(i % 2 === 0 ? 32 : 0)
      const info = randomBytes(i % 20)
      const length = 1 + (i * 7) % 96
      expect(hkdfSha256(data, salt, info, length)).toEqual(hkdf(sha256, data, salt, info, length))
    }
  })

  it('ChaCha20-Poly1305 seals the same bytes, opens them, and refuses any tampering', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const key = randomBytes(32)
      const nonce = randomBytes(12)
      const ad = randomBytes(i % 40)
      const plaintext = randomBytes(i * 37)
      const sealed = chacha20poly1305Encrypt(key, nonce, ad, plaintext)
      expect(sealed).toEqual(chacha20poly1305(key, nonce, ad).encrypt(plaintext))
      expect(chacha20poly1305Decrypt(key, nonce, ad, sealed)).toEqual(plaintext)
      const flipped = sealed.slice()
      flipped[i % flipped.length]! ^= 1
      expect(() => chacha20poly1305Decrypt(key, nonce, ad, flipped)).toThrow()
      expect(() => chacha20poly1305Decrypt(key, nonce, randomBytes(3), sealed)).toThrow()
    }
    expect(() => chacha20poly1305Decrypt(randomBytes(32), randomBytes(12), new Uint8Array(0), randomBytes(15))).toThrow()
  })

  it('XChaCha20-Poly1305 (HChaCha20 + OpenSSL) seals the same bytes as @noble, opens them, and refuses any tampering', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const key = randomBytes(32)
      const nonce = randomBytes(24)
      const ad = randomBytes(i % 40)
      const plaintext = randomBytes(i * 37)
      const sealed = xchacha20poly1305Encrypt(key, nonce, ad, plaintext)
      expect(sealed).toEqual(xchacha20poly1305(key, nonce, ad).encrypt(plaintext))
      expect(xchacha20poly1305Decrypt(key, nonce, ad, sealed)).toEqual(plaintext)
      expect(xchacha20poly1305(key, nonce, ad).decrypt(sealed)).toEqual(plaintext)
      const flipped = sealed.slice()
      flipped[i % flipped.length]! ^= 1
      expect(() => xchacha20poly1305Decrypt(key, nonce, ad, flipped)).toThrow()
      const otherNonce = nonce.slice()
      otherNonce[i % 24]! ^= 1
      expect(() => xchacha20poly1305Decrypt(key, otherNonce, ad, sealed)).toThrow()
    }
    expect(() => xchacha20poly1305Encrypt(randomBytes(32), randomBytes(12), new Uint8Array(0), randomBytes(5))).toThrow()
    // draft-irtf-cfrg-xchacha-03 §A.3.1
    const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657')
    const ad = hex('50515253c0c1c2c3c4c5c6c7')
    const plaintext = Uint8Array.from(Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."))
    const sealed = Buffer.from(xchacha20poly1305Encrypt(key, nonce, ad, plaintext)).toString('hex')
    expect(sealed.startsWith('bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb')).toBe(true)
    expect(sealed.endsWith('c0875924c1c7987947deafd8780acf49')).toBe(true)
  })

  it('XChaCha20-Poly1305 takes a pooled Buffer key and nonce (as SQLite returns them) like any Uint8Array, and leaves them intact', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const key = randomBytes(32)
      const nonce = randomBytes(24)
      // small Buffer.from() copies live in Node's shared pool, at an offset: slice().buffer is the whole pool
      Buffer.from(randomBytes(1 + i))
      const pooledKey = Buffer.from(key)
      const pooledNonce = Buffer.from(nonce)
      expect(pooledKey.byteOffset + pooledNonce.byteOffset).toBeGreaterThan(0)
      const plaintext = randomBytes(i * 11)
      const sealed = xchacha20poly1305Encrypt(pooledKey, pooledNonce, new Uint8Array(0), plaintext)
      expect(sealed).toEqual(xchacha20poly1305(key, nonce).encrypt(plaintext))
      expect(xchacha20poly1305Decrypt(pooledKey, pooledNonce, new Uint8Array(0), sealed)).toEqual(plaintext)
      expect(Uint8Array.from(pooledKey)).toEqual(key)
      expect(Uint8Array.from(pooledNonce)).toEqual(nonce)
    }
  })

  it('X25519 gives the same shared secret and refuses low-order public keys', () => {
    for (let i = 0; i < ROUNDS; i++) {
      const a = randomBytes(32)
      const b = x25519.getPublicKey(randomBytes(32))
      expect(x25519SharedSecret(a, b)).toEqual(x25519.getSharedSecret(a, b))
    }
    // u = 0 and u = 1 are of small order: the shared secret would be zero
    for (const low of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      expect(() => x25519.getSharedSecret(randomBytes(32), low)).toThrow()
      expect(() => x25519SharedSecret(randomBytes(32), low)).toThrow()
    }
  })

  it('Ed25519 signs as libp2p and @noble do, and verifies with the same verdicts', async () => {
    for (let i = 0; i < 16; i++) {
      const key = await generateKeyPair('Ed25519')
      const message = randomBytes(i * 50)
      const signature = ed25519Sign(key, message)
      // Ed25519 is deterministic: the same bytes as libp2p's own signer and @noble
      expect(signature).toEqual(new Uint8Array(await key.sign(message)))
      expect(signature).toEqual(ed25519.sign(message, key.raw.subarray(0, 32)))
      expect(ed25519Verify(key.publicKey, message, signature)).toBe(true)
      expect(ed25519Verify(key.publicKey.raw, message, signature)).toBe(true)
      const bad = signature.slice()
      bad[i % 64]! ^= 0x10
      expect(ed25519Verify(key.publicKey, message, bad)).toBe(await key.publicKey.verify(message, bad))
      expect(ed25519Verify(key.publicKey, message, bad)).toBe(false)
      expect(ed25519Verify(key.publicKey, randomBytes(8), signature)).toBe(false)
      expect(ed25519Verify(key.publicKey, message, signature.subarray(0, 63))).toBe(false)
      expect(ed25519Verify(randomBytes(31), message, signature)).toBe(false)
    }
  })
})
