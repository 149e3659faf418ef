/**
 * Test vectors for PROTOCOL.md §6 (test/vectors/sessions-v1.json): the prekey
 * bundle DHT record, a first RATCHET envelope made from it, the safety number
 * and the encrypted key file, from fixed seeds and a fixed random source.
 * Regenerate only on purpose: UPDATE_VECTORS=1.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { scrypt } from '@noble/hashes/scrypt.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { fromString, toString } from 'uint8arrays'
import { describe, expect, it } from 'vitest'
import { ENVELOPE_VERSION, EnvelopeBody, Payload, SignedEnvelope, envelopeAssociatedData, signEnvelope, verifyEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { acceptSession, createPrekeyStore, decodeRatchetMessage, encodeBundle, encodeRatchetMessage, exportBundle, startSession } from '../../src/crypto/ratchet/index.js'
import { KeyFileKind, decryptKeyFile, encryptKeyFile, passphraseKey } from '../../src/keys/key-file.js'
import { PrekeyRecord, SignedPrekeyRecord } from '../../src/pb/prekeys.js'
import { prekeyRecordKey, signPrekeyRecord, verifyPrekeyRecord } from '../../src/sessions/bundle-record.js'
import { fingerprintDigits, safetyNumber } from '../../src/sessions/safety-number.js'

const hex = (b: Uint8Array): string => toString(b, 'base16')
const unhex = (s: string): Uint8Array => fromString(s, 'base16')
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const FILE = new URL('../vectors/sessions-v1.json', import.meta.url)

/** Draw i (from 0) of a labelled source: SHA-256(label ‖ u32be(i)), truncated. */
function drbg (label: string): (length: number) => Uint8Array {
  let i = 0
  return (length) => {
    const counter = new Uint8Array(4)
    new DataView(counter.buffer).setUint32(0, i++)
    return sha256(new Uint8Array([...utf8(label), ...counter])).slice(0, length)
  }
}

const PUBLISHED_AT = 1764115200000
const SENT_AT = 1764115260000

async function compute (): Promise<Record<string, unknown>> {
  const aliceSeed = unhex('11'.repeat(32))
  const bobSeed = unhex('22'.repeat(32))
  const alice = await generateKeyPairFromSeed('Ed25519', aliceSeed)
  const bob = await generateKeyPairFromSeed('Ed25519', bobSeed)
  const alicePeer = parsePeerId(peerIdFromPrivateKey(alice).toString())
  const bobPeer = parsePeerId(peerIdFromPrivateKey(bob).toString())

  // bob's prekeys and the record he publishes
  const bobPrekeys = createPrekeyStore({ publicKey: bob.publicKey.raw, secretKey: bob.raw }, { oneTimePrekeys: 2, now: PUBLISHED_AT, random: drbg('natter-sessions-v1 bob prekeys') })
  const bundle = encodeBundle(exportBundle(bobPrekeys))
  const recordValue = await signPrekeyRecord(bob, bobPeer, bundle, PUBLISHED_AT)

  // alice's first message to bob from that bundle, with one-time prekey 2
  const session = startSession({ publicKey: alice.publicKey.raw, secretKey: alice.raw }, (await verifyPrekeyRecord(prekeyRecordKey(bobPeer), recordValue, { now: PUBLISHED_AT })).bundle, {
    expectedIdentityKey: bob.publicKey.raw, oneTimePrekeyId: 2, random: drbg('natter-sessions-v1 alice session')
  })
  const id = unhex('66'.repeat(16))
  const payload: Payload = { type: Payload.Type.TEXT, text: 'hello, bob, forward-secretly', seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
  const associatedData = envelopeAssociatedData(alicePeer.bytes, bobPeer.bytes, id)
  const ratchetMessage = encodeRatchetMessage(session.encrypt(Payload.encode(payload), { associatedData }))
  const envelope = await signEnvelope({
    version: ENVELOPE_VERSION,
    id,
    sender: alicePeer.bytes,
    recipient: bobPeer.bytes,
    sentAt: BigInt(SENT_AT),
    scheme: EnvelopeBody.Scheme.RATCHET,
    ephemeralKey: new Uint8Array(0),
    nonce: new Uint8Array(0),
    ciphertext: ratchetMessage,
    stamp: new Uint8Array(0)
  }, alice)

  // alice's identity key file under a passphrase (test cost: log2 N = 10)
  const keyFileParams = { logN: 10, r: 8, p: 1 }
  const salt = unhex('01'.repeat(16))
  const nonce = unhex('02'.repeat(24))
  const passphrase = 'correct horse battery staple'
  const keyFile = await encryptKeyFile(privateKeyToProtobuf(alice), passphrase, { kind: KeyFileKind.IDENTITY, scrypt: keyFileParams, salt, nonce })

  const number = safetyNumber(alicePeer, bobPeer)
  return {
    description: 'natter forward-secret sessions, format version 1 (PROTOCOL.md §6). Byte strings are lowercase hex. Random draws (prekey and ratchet private keys, X3DH ephemeral) come from SHA-256(label || u32be(i)) for i = 0, 1, …, in the order of test/vectors/ratchet-v1.json "randomDrawOrder".',
    alice: { ed25519Seed: hex(aliceSeed), peerId: alicePeer.peerId.toString(), peerIdBytes: hex(alicePeer.bytes) },
    bob: { ed25519Seed: hex(bobSeed), peerId: bobPeer.peerId.toString(), peerIdBytes: hex(bobPeer.bytes) },
    prekeyRecord: {
      randomLabel: 'natter-sessions-v1 bob prekeys',
      oneTimePrekeys: 2,
      // ids start at 1 (signed and one-time prekeys alike) and increase by one per key created
      signedPrekeyId: exportBundle(bobPrekeys).signedPrekey.id,
      oneTimePrekeyIds: exportBundle(bobPrekeys).oneTimePrekeys.map(k => k.id),
      signedPrekeyCreatedAt: PUBLISHED_AT,
      publishedAt: PUBLISHED_AT,
      bundle: hex(bundle),
      dhtKey: hex(prekeyRecordKey(bobPeer)),
      dhtValue: hex(recordValue)
    },
    ratchetEnvelope: {
      randomLabel: 'natter-sessions-v1 alice session',
      oneTimePrekeyId: 2,
      id: hex(id),
      sentAt: SENT_AT,
      payload: hex(Payload.encode(payload)),
      associatedData: hex(associatedData),
      ratchetMessage: hex(ratchetMessage),
      signedEnvelope: hex(envelope)
    },
    safetyNumber: {
      aliceHalf: fingerprintDigits(alicePeer),
      bobHalf: fingerprintDigits(bobPeer),
      digits: number.digits,
      qr: number.qr
    },
    keyFile: {
      passphrase,
      scrypt: keyFileParams,
      salt: hex(salt),
      nonce: hex(nonce),
      derivedKey: hex(await passphraseKey(passphrase, salt, keyFileParams)),
      plaintext: hex(privateKeyToProtobuf(alice)),
      file: hex(keyFile)
    }
  }
}

describe('session test vectors (test/vectors/sessions-v1.json)', () => {
  it('our implementation reproduces the committed vectors byte for byte', async () => {
    const computed = await compute()
    if (process.env.UPDATE_VECTORS === '1') {
      writeFileSync(FILE, JSON.stringify(computed, null, 2) + '\n')
    }
    const committed = JSON.parse(readFileSync(FILE, 'utf8'))
    expect(computed).toEqual(committed)
  })

  it('the record verifies by the spec: key, outer signature, bundle identity', () => {
    const v = JSON.parse(readFileSync(FILE, 'utf8'))
    const key = unhex(v.prekeyRecord.dhtKey)
    expect(new TextDecoder().decode(key.subarray(0, 16))).toBe('/natter-prekeys/')
    expect(hex(key.subarray(16))).toBe(v.bob.peerIdBytes)
    const signed = SignedPrekeyRecord.decode(unhex(v.prekeyRecord.dhtValue))
    const bobPub = ed25519.getPublicKey(unhex(v.bob.ed25519Seed))
    expect(ed25519.verify(signed.signature, new Uint8Array([...utf8('natter-prekeys-v1'), ...signed.record]), bobPub)).toBe(true)
    const record = PrekeyRecord.decode(signed.record)
    expect(hex(record.peerId)).toBe(v.bob.peerIdBytes)
    expect(Number(record.publishedAt)).toBe(v.prekeyRecord.publishedAt)
    expect(hex(record.bundle)).toBe(v.prekeyRecord.bundle)
    // bundle: version 1, bob's identity key, then the signed prekey (ratchet SPEC §3.2)
    expect(record.bundle[0]).toBe(1)
    expect(hex(record.bundle.subarray(1, 33))).toBe(hex(bobPub))
    expect(record.bundle.byteLength).toBe(143 + 36 * 2)
  })

  it('bob opens the RATCHET envelope with his prekeys alone', async () => {
    const v = JSON.parse(readFileSync(FILE, 'utf8'))
    const bob = await generateKeyPairFromSeed('Ed25519', unhex(v.bob.ed25519Seed))
    const prekeys = createPrekeyStore({ publicKey: bob.publicKey.raw, secretKey: bob.raw }, { oneTimePrekeys: 2, now: v.prekeyRecord.publishedAt, random: drbg(v.prekeyRecord.randomLabel) })
    const envelope = await verifyEnvelope(unhex(v.ratchetEnvelope.signedEnvelope), { now: v.ratchetEnvelope.sentAt })
    expect(envelope.body.scheme).toBe(EnvelopeBody.Scheme.RATCHET)
    expect(envelope.body.ephemeralKey.byteLength + envelope.body.nonce.byteLength).toBe(0)
    expect(hex(envelope.body.ciphertext)).toBe(v.ratchetEnvelope.ratchetMessage)
    const message = decodeRatchetMessage(envelope.body.ciphertext)
    expect(message.x3dh?.oneTimePrekeyId).toBe(2)
    // the AD is the envelope AD of §4.2 over the envelope's sender, recipient and id
    const ad = envelopeAssociatedData(envelope.body.sender, envelope.body.recipient, envelope.body.id)
    expect(hex(ad)).toBe(v.ratchetEnvelope.associatedData)
    const { plaintext } = acceptSession({ publicKey: bob.publicKey.raw, secretKey: bob.raw }, prekeys, message, { associatedData: ad, now: v.ratchetEnvelope.sentAt })
    expect(hex(plaintext)).toBe(v.ratchetEnvelope.payload)
    expect(Payload.decode(plaintext).text).toBe('hello, bob, forward-secretly')
    expect(prekeys.oneTimePrekeys.map(k => k.id)).toEqual([1])
  })

  it('the safety number and the key file recompute from primitives', async () => {
    const v = JSON.parse(readFileSync(FILE, 'utf8'))
    const half = (seed: string, peerIdBytes: string): string => {
      const pub = ed25519.getPublicKey(unhex(seed))
      let h = sha512(new Uint8Array([0, 0, ...pub, ...unhex(peerIdBytes), ...pub]))
      for (let i = 1; i < 5200; i++) {
        h = sha512(new Uint8Array([...h, ...pub]))
      }
      let out = ''
      for (let i = 0; i < 30; i += 5) {
        out += String(Number(BigInt('0x' + hex(h.subarray(i, i + 5))) % 100000n)).padStart(5, '0')
      }
      return out
    }
    const a = half(v.alice.ed25519Seed, v.alice.peerIdBytes)
    const b = half(v.bob.ed25519Seed, v.bob.peerIdBytes)
    expect([a, b]).toEqual([v.safetyNumber.aliceHalf, v.safetyNumber.bobHalf])
    expect([a, b].sort().join('')).toBe(v.safetyNumber.digits)

    const { logN, r, p } = v.keyFile.scrypt
    const key = scrypt(utf8(v.keyFile.passphrase), unhex(v.keyFile.salt), { N: 2 ** logN, r, p, dkLen: 32 })
    expect(hex(key)).toBe(v.keyFile.derivedKey)
    const file = unhex(v.keyFile.file)
    const header = new Uint8Array([...utf8('NATTER-ENC-V1'), 0x01, 0x01, logN, r, p, ...unhex(v.keyFile.salt), ...unhex(v.keyFile.nonce)])
    expect(hex(file.subarray(0, 58))).toBe(hex(header))
    expect(hex(xchacha20poly1305(key, unhex(v.keyFile.nonce), header).decrypt(file.subarray(58)))).toBe(v.keyFile.plaintext)
    expect(hex(await decryptKeyFile(file, v.keyFile.passphrase, KeyFileKind.IDENTITY))).toBe(v.keyFile.plaintext)
    // the envelope's signature covers the body as transmitted
    const signed = SignedEnvelope.decode(unhex(v.ratchetEnvelope.signedEnvelope))
    expect(ed25519.verify(signed.signature, new Uint8Array([...utf8('natter-envelope-v1'), ...signed.body]), ed25519.getPublicKey(unhex(v.alice.ed25519Seed)))).toBe(true)
  })
})
