import { readFileSync } from 'node:fs'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js'
import { describe, it, expect } from 'vitest'
import {
  acceptSession,
  createPrekeyStore,
  decodeBundle,
  decodeRatchetMessage,
  encodeBundle,
  encodeInitialHeader,
  encodeRatchetMessage,
  exportBundle,
  signedPrekeySignatureInput,
  startSession,
  x3dhInitiate,
  x3dhRespond
} from '../../src/crypto/ratchet/index.js'
import type { IdentityKeyPair, RandomSource } from '../../src/crypto/ratchet/index.js'

interface Vectors {
  inputs: {
    aliceIdentitySeed: string
    bobIdentitySeed: string
    bobSignedPrekey: { id: number, createdAt: number, secret: string }
    bobOneTimePrekeys: Array<{ id: number, secret: string }>
    oneTimePrekeyIdUsed: number
    aliceEphemeralSecret: string
    aliceRatchetSecrets: string[]
    bobRatchetSecrets: string[]
    messages: Array<{ from: 'alice' | 'bob', plaintext: string, associatedData: string }>
  }
  expected: {
    aliceIdentityPublic: string
    bobIdentityPublic: string
    aliceIdentityX25519Public: string
    bobIdentityX25519Public: string
    bobSignedPrekeyPublic: string
    signedPrekeySignatureInput: string
    signedPrekeySignature: string
    bundle: string
    x3dh: { dh1: string, dh2: string, dh3: string, dh4: string, sharedKey: string, associatedData: string, initialHeader: string }
    ratchet: { aliceRootKey1: string, aliceSendingChainKey1: string, messageKey0: string, sendingChainKey2: string }
    messages: string[]
  }
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/ratchet-v1.json', import.meta.url), 'utf8')) as Vectors
const { inputs, expected } = vectors
const utf8 = new TextEncoder()
const ascii = (value: string): Uint8Array => utf8.encode(value)

/** A random source replaying fixed 32-byte values in order. */
function replay (hexValues: string[]): RandomSource {
  const queue = hexValues.map((value) => hexToBytes(value))
  return (length) => {
    const next = queue.shift()
    if (next?.length !== length) throw new Error(`unexpected random draw of ${length} bytes`)
    return next
  }
}

function identityFrom (seedHex: string): IdentityKeyPair {
  const secretKey = hexToBytes(seedHex)
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
}

const alice = identityFrom(inputs.aliceIdentitySeed)
const bob = identityFrom(inputs.bobIdentitySeed)

function bobStore (): ReturnType<typeof createPrekeyStore> {
  return createPrekeyStore(bob, {
    oneTimePrekeys: inputs.bobOneTimePrekeys.length,
    now: inputs.bobSignedPrekey.createdAt,
    random: replay([inputs.bobSignedPrekey.secret, ...inputs.bobOneTimePrekeys.map((key) => key.secret)])
  })
}

describe('ratchet test vectors (ratchet-v1.json), through the implementation', () => {
  it('reproduces the bundle, the X3DH secret and every message byte for byte', () => {
    expect(bytesToHex(alice.publicKey)).toBe(expected.aliceIdentityPublic)
    expect(bytesToHex(bob.publicKey)).toBe(expected.bobIdentityPublic)

    const store = bobStore()
    const bundleBytes = encodeBundle(exportBundle(store))
    expect(bytesToHex(bundleBytes)).toBe(expected.bundle)

    const x3dh = x3dhInitiate(alice, decodeBundle(bundleBytes), {
      expectedIdentityKey: bob.publicKey,
      oneTimePrekeyId: inputs.oneTimePrekeyIdUsed,
      random: replay([inputs.aliceEphemeralSecret])
    })
    expect(bytesToHex(x3dh.sharedKey)).toBe(expected.x3dh.sharedKey)
    expect(bytesToHex(x3dh.associatedData)).toBe(expected.x3dh.associatedData)
    expect(bytesToHex(encodeInitialHeader(x3dh.header))).toBe(expected.x3dh.initialHeader)
    expect(bytesToHex(x3dhRespond(bob, bobStore(), x3dh.header).sharedKey)).toBe(expected.x3dh.sharedKey)

    const a = startSession(alice, decodeBundle(bundleBytes), {
      expectedIdentityKey: bob.publicKey,
      oneTimePrekeyId: inputs.oneTimePrekeyIdUsed,
      random: replay([inputs.aliceEphemeralSecret, ...inputs.aliceRatchetSecrets])
    })
    const messages = inputs.messages.map((message) => ({ body: ascii(message.plaintext), ad: hexToBytes(message.associatedData) }))
    const [m0, m1, m2, m3] = [0, 1, 2, 3].map((i) => messages[i]!) as [typeof messages[0], typeof messages[0], typeof messages[0], typeof messages[0]]
    const wire0 = encodeRatchetMessage(a.encrypt(m0.body, { associatedData: m0.ad }))
    const wire1 = encodeRatchetMessage(a.encrypt(m1.body, { associatedData: m1.ad }))
    expect(bytesToHex(wire0)).toBe(expected.messages[0])
    expect(bytesToHex(wire1)).toBe(expected.messages[1])

    const { session: b, plaintext } = acceptSession(bob, store, decodeRatchetMessage(wire0), {
      associatedData: m0.ad,
      random: replay(inputs.bobRatchetSecrets)
    })
    expect(plaintext).toEqual(m0.body)
    expect(b.decrypt(decodeRatchetMessage(wire1), { associatedData: m1.ad })).toEqual(m1.body)
    const wire2 = encodeRatchetMessage(b.encrypt(m2.body, { associatedData: m2.ad }))
    expect(bytesToHex(wire2)).toBe(expected.messages[2])
    expect(a.decrypt(decodeRatchetMessage(wire2), { associatedData: m2.ad })).toEqual(m2.body)
    const wire3 = encodeRatchetMessage(a.encrypt(m3.body, { associatedData: m3.ad }))
    expect(bytesToHex(wire3)).toBe(expected.messages[3])
    expect(b.decrypt(decodeRatchetMessage(wire3), { associatedData: m3.ad })).toEqual(m3.body)
  })
})

/*
 * Independent recomputation from the specification with raw noble primitives only: nothing below
 * imports the module under test.
 */
describe('ratchet test vectors (ratchet-v1.json), recomputed independently', () => {
  const x = (hex: string): Uint8Array => hexToBytes(hex)
  const be32 = (value: number): Uint8Array => { const out = new Uint8Array(4); new DataView(out.buffer).setUint32(0, value); return out }
  const be64 = (value: number): Uint8Array => { const out = new Uint8Array(8); new DataView(out.buffer).setBigUint64(0, BigInt(value)); return out }
  const zeros = new Uint8Array(32)

  const spkSecret = x(inputs.bobSignedPrekey.secret)
  const spkPublic = x25519.getPublicKey(spkSecret)
  const otkSecret = x(inputs.bobOneTimePrekeys.find((key) => key.id === inputs.oneTimePrekeyIdUsed)!.secret)
  const ekSecret = x(inputs.aliceEphemeralSecret)
  // Ed25519 → X25519 secret: first half of SHA-512(seed); X25519 clamps it.
  const aliceX25519Secret = sha512(alice.secretKey).slice(0, 32)
  const bobX25519Secret = sha512(bob.secretKey).slice(0, 32)

  it('derives the identity X25519 keys by the birational map', () => {
    expect(bytesToHex(x25519.getPublicKey(aliceX25519Secret))).toBe(expected.aliceIdentityX25519Public)
    expect(bytesToHex(x25519.getPublicKey(bobX25519Secret))).toBe(expected.bobIdentityX25519Public)
    expect(bytesToHex(ed25519.utils.toMontgomery(alice.publicKey))).toBe(expected.aliceIdentityX25519Public)
  })

  it('lays out and signs the bundle as specified', () => {
    const signed = concatBytes(ascii('natter-signed-prekey-v1'), Uint8Array.of(0), bob.publicKey, be32(inputs.bobSignedPrekey.id), be64(inputs.bobSignedPrekey.createdAt), spkPublic)
    expect(signed.length).toBe(100)
    expect(bytesToHex(signed)).toBe(expected.signedPrekeySignatureInput)
    expect(bytesToHex(signedPrekeySignatureInput(bob.publicKey, inputs.bobSignedPrekey.id, inputs.bobSignedPrekey.createdAt, spkPublic))).toBe(expected.signedPrekeySignatureInput)
    const signature = ed25519.sign(signed, bob.secretKey)
    expect(bytesToHex(signature)).toBe(expected.signedPrekeySignature)
    expect(ed25519.verify(signature, signed, bob.publicKey, { zip215: false })).toBe(true)
    const bundle = concatBytes(
      Uint8Array.of(1), bob.publicKey, be32(inputs.bobSignedPrekey.id), be64(inputs.bobSignedPrekey.createdAt), spkPublic, signature,
      Uint8Array.of(0, inputs.bobOneTimePrekeys.length),
      ...inputs.bobOneTimePrekeys.flatMap((key) => [be32(key.id), x25519.getPublicKey(x(key.secret))])
    )
    expect(bytesToHex(bundle)).toBe(expected.bundle)
  })

  it('computes DH1..DH4, SK and AD as in X3DH', () => {
    const bobIdentityX = ed25519.utils.toMontgomery(bob.publicKey)
    const dh1 = x25519.getSharedSecret(aliceX25519Secret, spkPublic)
    const dh2 = x25519.getSharedSecret(ekSecret, bobIdentityX)
    const dh3 = x25519.getSharedSecret(ekSecret, spkPublic)
    const dh4 = x25519.getSharedSecret(ekSecret, x25519.getPublicKey(otkSecret))
    expect([dh1, dh2, dh3, dh4].map(bytesToHex)).toEqual([expected.x3dh.dh1, expected.x3dh.dh2, expected.x3dh.dh3, expected.x3dh.dh4])
    // Bob's side of each DH agrees.
    expect(x25519.getSharedSecret(spkSecret, ed25519.utils.toMontgomery(alice.publicKey))).toEqual(dh1)
    expect(x25519.getSharedSecret(bobX25519Secret, x25519.getPublicKey(ekSecret))).toEqual(dh2)
    const sk = hkdf(sha256, concatBytes(new Uint8Array(32).fill(0xff), dh1, dh2, dh3, dh4), zeros, ascii('natter-x3dh-v1'), 32)
    expect(bytesToHex(sk)).toBe(expected.x3dh.sharedKey)
    expect(bytesToHex(concatBytes(alice.publicKey, bob.publicKey))).toBe(expected.x3dh.associatedData)
    const initialHeader = concatBytes(alice.publicKey, x25519.getPublicKey(ekSecret), be32(inputs.bobSignedPrekey.id), Uint8Array.of(1), be32(inputs.oneTimePrekeyIdUsed))
    expect(bytesToHex(initialHeader)).toBe(expected.x3dh.initialHeader)
  })

  it('runs KDF_RK, KDF_CK and the message AEAD to open messages 0, 1 and 2', () => {
    const sk = x(expected.x3dh.sharedKey)
    const ad = concatBytes(alice.publicKey, bob.publicKey)
    const kdfRk = (rk: Uint8Array, dhOut: Uint8Array): [Uint8Array, Uint8Array] => {
      const okm = hkdf(sha256, dhOut, rk, ascii('natter-ratchet-v1-root'), 64)
      return [okm.slice(0, 32), okm.slice(32)]
    }
    const kdfCk = (ck: Uint8Array): [Uint8Array, Uint8Array] => [hmac(sha256, ck, Uint8Array.of(0x02)), hmac(sha256, ck, Uint8Array.of(0x01))]
    const open = (mk: Uint8Array, wireHex: string, appAd: Uint8Array, hasInitialHeader: boolean): { plaintext: Uint8Array, header: Uint8Array } => {
      const wire = x(wireHex)
      const prefixLength = hasInitialHeader ? 2 + 73 : 2
      expect(Array.from(wire.subarray(0, 2))).toEqual([1, hasInitialHeader ? 1 : 0])
      const prefix = wire.subarray(0, prefixLength)
      const header = wire.subarray(prefixLength, prefixLength + 40)
      const ciphertext = wire.subarray(prefixLength + 40)
      const okm = hkdf(sha256, mk, zeros, ascii('natter-ratchet-v1-message'), 44)
      const aeadAd = concatBytes(be32(ad.length), ad, header, prefix, appAd)
      return { plaintext: chacha20poly1305(okm.slice(0, 32), okm.slice(32), aeadAd).decrypt(ciphertext), header }
    }

    // Alice: RatchetInitAlice with DHs = aliceRatchetSecrets[0], DHr = SPK_B.
    const a1 = x(inputs.aliceRatchetSecrets[0]!)
    const [rk1, cksA] = kdfRk(sk, x25519.getSharedSecret(a1, spkPublic))
    expect(bytesToHex(rk1)).toBe(expected.ratchet.aliceRootKey1)
    expect(bytesToHex(cksA)).toBe(expected.ratchet.aliceSendingChainKey1)
    const [ckA1, mk0] = kdfCk(cksA)
    expect(bytesToHex(mk0)).toBe(expected.ratchet.messageKey0)
    expect(bytesToHex(ckA1)).toBe(expected.ratchet.sendingChainKey2)
    const [, mk1] = kdfCk(ckA1)

    const msg0 = open(mk0, expected.messages[0]!, x(inputs.messages[0]!.associatedData), true)
    expect(new TextDecoder().decode(msg0.plaintext)).toBe(inputs.messages[0]!.plaintext)
    expect(msg0.header).toEqual(concatBytes(x25519.getPublicKey(a1), be32(0), be32(0)))
    const msg1 = open(mk1, expected.messages[1]!, x(inputs.messages[1]!.associatedData), true)
    expect(new TextDecoder().decode(msg1.plaintext)).toBe(inputs.messages[1]!.plaintext)
    expect(msg1.header).toEqual(concatBytes(x25519.getPublicKey(a1), be32(0), be32(1)))

    // Bob: RatchetInitBob (RK = SK, DHs = SPK), then a DH ratchet step on Alice's key, with DHs' = bobRatchetSecrets[0].
    const [rkBobRecv, ckr] = kdfRk(sk, x25519.getSharedSecret(spkSecret, x25519.getPublicKey(a1)))
    expect(rkBobRecv).toEqual(rk1)
    expect(ckr).toEqual(cksA)
    const b1 = x(inputs.bobRatchetSecrets[0]!)
    const [, cksB] = kdfRk(rkBobRecv, x25519.getSharedSecret(b1, x25519.getPublicKey(a1)))
    const [, mkB0] = kdfCk(cksB)
    const msg2 = open(mkB0, expected.messages[2]!, x(inputs.messages[2]!.associatedData), false)
    expect(new TextDecoder().decode(msg2.plaintext)).toBe(inputs.messages[2]!.plaintext)
    expect(msg2.header).toEqual(concatBytes(x25519.getPublicKey(b1), be32(0), be32(0)))
  })
})
