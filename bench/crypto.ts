/**
 * Per-call cost of the cryptographic primitives a message pays for, measured
 * on the libraries directly (not through natter's internals, which change):
 * what the send path is built from today, and the native alternatives.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { measureOp } from './load.js'
import { MESSAGE_BYTES } from './raw.js'
import { checkAborted } from './suite.js'
import type { Suite, SuiteContext } from './suite.js'

// DER prefixes that wrap a raw 32-byte X25519 key for node:crypto
const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const X25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])

/** The primitives suite. */
export const cryptoSuite: Suite = {
  name: 'crypto',
  description: 'per-call cost of the primitives behind one message (noble, @libp2p/crypto, node:crypto)',
  budgetMs: 20_000,
  run: runCrypto
}

async function runCrypto (ctx: SuiteContext): Promise<void> {
  const { signal } = ctx
  ctx.progress('crypto: primitives')
  const slow = { count: 300, warmup: 30, maxMs: 3_000, signal }
  const fast = { count: 3000, warmup: 300, maxMs: 2_000, signal }

  const identity = await generateKeyPair('Ed25519')
  const peerIdentity = await generateKeyPair('Ed25519')
  const secret = x25519.utils.randomSecretKey()
  const peerPublic = x25519.getPublicKey(x25519.utils.randomSecretKey())
  // a 1 KiB text payload sealed and signed is about 1.2 KiB
  const body = randomBytes(MESSAGE_BYTES + 180)
  const signature = await identity.sign(body)
  const plaintext = randomBytes(MESSAGE_BYTES + 16)
  const aeadKey = randomBytes(32)
  const nonce = randomBytes(24)
  const ciphertext = xchacha20poly1305(aeadKey, nonce).encrypt(plaintext)

  const nodePrivate = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' })
  const nodePeerPublic = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPublic]), format: 'der', type: 'spki' })
  // JWK is the cheap way to import a raw key received on the wire (DER import costs several times more)
  const peerJwk = { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublic).toString('base64url') }

  const slowOps: Array<[key: string, label: string, op: () => unknown]> = [
    ['x25519PublicKey', 'noble x25519.getPublicKey', () => x25519.getPublicKey(secret)],
    ['x25519Shared', 'noble x25519.getSharedSecret', () => x25519.getSharedSecret(secret, peerPublic)],
    ['toMontgomery', 'noble ed25519 toMontgomery (public)', () => ed25519.utils.toMontgomery(peerIdentity.publicKey.raw)],
    ['toMontgomerySecret', 'noble ed25519 toMontgomerySecret', () => ed25519.utils.toMontgomerySecret(identity.raw.subarray(0, 32))],
    ['ed25519Sign', '@libp2p/crypto Ed25519 sign, 1.2 KiB', async () => identity.sign(body)],
    ['ed25519Verify', '@libp2p/crypto Ed25519 verify, 1.2 KiB', async () => identity.publicKey.verify(body, signature)]
  ]
  const fastOps: Array<[key: string, label: string, op: () => unknown]> = [
    ['hkdf', 'noble HKDF-SHA256, 32 bytes', () => hkdf(sha256, aeadKey, nonce, nonce, 32)],
    ['aeadSeal', 'noble XChaCha20-Poly1305 seal, 1 KiB', () => xchacha20poly1305(aeadKey, nonce).encrypt(plaintext)],
    ['aeadOpen', 'noble XChaCha20-Poly1305 open, 1 KiB', () => xchacha20poly1305(aeadKey, nonce).decrypt(ciphertext)],
    ['nodeX25519KeyPair', 'node:crypto X25519 key pair (alternative)', () => generateKeyPairSync('x25519')],
    ['nodeX25519Import', 'node:crypto X25519 public key import, JWK (alternative)', () => createPublicKey({ key: peerJwk, format: 'jwk' })],
    ['nodeX25519Shared', 'node:crypto X25519 diffieHellman, keys imported once (alternative)', () => diffieHellman({ privateKey: nodePrivate, publicKey: nodePeerPublic })]
  ]
  for (const [ops, bounds] of [[slowOps, slow], [fastOps, fast]] as const) {
    for (const [key, label, op] of ops) {
      checkAborted(signal)
      ctx.record(key, await measureOp({ label, ...bounds, op }))
    }
  }
}
