/**
 * Test vectors (fixed keys → exact bytes) for PROTOCOL.md: envelope, presence
 * record and invite. Another implementation can check itself against
 * test/vectors/*.json. Regenerate only on purpose: UPDATE_VECTORS=1.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { fromString, toString } from 'uint8arrays'
import { EnvelopeBody, Payload, SignedEnvelope, envelopeAssociatedData, openSealed, sealEnvelope, verifyEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { signPresence, verifyPresence } from '../../src/presence/record.js'
import { decodeInvite, encodeInvite } from '../../src/invite.js'

const hex = (b: Uint8Array): string => toString(b, 'base16')
const unhex = (s: string): Uint8Array => fromString(s, 'base16')
const FILE = new URL('../vectors/core-v1.json', import.meta.url)

async function compute (): Promise<Record<string, unknown>> {
  const aliceSeed = unhex('11'.repeat(32))
  const bobSeed = unhex('22'.repeat(32))
  const alice = await generateKeyPairFromSeed('Ed25519', aliceSeed)
  const bob = await generateKeyPairFromSeed('Ed25519', bobSeed)
  const alicePeer = parsePeerId(peerIdFromPrivateKey(alice).toString())
  const bobPeer = parsePeerId(peerIdFromPrivateKey(bob).toString())
  const ephemeralSecret = unhex('33'.repeat(32))
  const nonce = unhex('44'.repeat(24))
  const id = unhex('55'.repeat(16))
  const sentAt = 1764115200000
  const payload: Payload = { type: Payload.Type.TEXT, text: 'hello, bob', seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
  const sealed = await sealEnvelope({ senderKey: alice, sender: alicePeer.bytes, recipient: bobPeer, id, sentAt, payload, ephemeralSecret, nonce })

  const presence = await signPresence(alice, alicePeer.bytes, { status: 'away', note: 'lunch', seq: 1764115200000n, issuedAt: 1764115200000, expiresAt: 1764115290000 })
  const invite = encodeInvite({ peerId: alicePeer.peerId.toString(), addresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${alicePeer.peerId.toString()}`], name: 'alice' })
  return {
    description: 'natter v1 test vectors; see PROTOCOL.md. All byte strings are lowercase hex.',
    alice: { ed25519Seed: hex(aliceSeed), peerId: alicePeer.peerId.toString(), peerIdBytes: hex(alicePeer.bytes) },
    bob: { ed25519Seed: hex(bobSeed), peerId: bobPeer.peerId.toString(), peerIdBytes: hex(bobPeer.bytes) },
    envelope: {
      id: hex(id),
      sentAt,
      ephemeralSecret: hex(ephemeralSecret),
      nonce: hex(nonce),
      payload: hex(Payload.encode(payload)),
      signedEnvelope: hex(sealed.bytes)
    },
    presence: { status: 'away', note: 'lunch', seq: '1764115200000', issuedAt: 1764115200000, expiresAt: 1764115290000, signedPresence: hex(presence) },
    invite
  }
}

describe('test vectors (test/vectors/core-v1.json)', () => {
  it('our implementation reproduces the committed vectors byte for byte', async () => {
    const computed = await compute()
    if (process.env.UPDATE_VECTORS === '1') {
      writeFileSync(FILE, JSON.stringify(computed, null, 2) + '\n')
    }
    const committed = JSON.parse(readFileSync(FILE, 'utf8'))
    expect(computed).toEqual(committed)
  })

  it('the envelope vector decrypts by the spec, recomputed from primitives', async () => {
    const v = JSON.parse(readFileSync(FILE, 'utf8'))
    const signed = SignedEnvelope.decode(unhex(v.envelope.signedEnvelope))
    const body = EnvelopeBody.decode(signed.body)
    // signature over "natter-envelope-v1" || body with alice's Ed25519 key
    const alicePub = ed25519.getPublicKey(unhex(v.alice.ed25519Seed))
    expect(ed25519.verify(signed.signature, new Uint8Array([...new TextEncoder().encode('natter-envelope-v1'), ...signed.body]), alicePub)).toBe(true)
    // X25519(eph, bob) → HKDF-SHA256(salt = eph_pub || bob_x25519_pub, info "natter-sealed-v1") → XChaCha20-Poly1305
    const bobX = ed25519.utils.toMontgomery(ed25519.getPublicKey(unhex(v.bob.ed25519Seed)))
    const shared = x25519.getSharedSecret(unhex(v.envelope.ephemeralSecret), bobX)
    const key = hkdf(sha256, shared, new Uint8Array([...body.ephemeralKey, ...bobX]), new TextEncoder().encode('natter-sealed-v1'), 32)
    const ad = envelopeAssociatedData(body.sender, body.recipient, body.id)
    const plaintext = xchacha20poly1305(key, body.nonce, ad).decrypt(body.ciphertext)
    expect(hex(plaintext)).toBe(v.envelope.payload)
    // and through the library, as bob
    const bob = await generateKeyPairFromSeed('Ed25519', unhex(v.bob.ed25519Seed))
    const env = await verifyEnvelope(unhex(v.envelope.signedEnvelope), { now: v.envelope.sentAt })
    expect(openSealed(env, bob, unhex(v.bob.peerIdBytes)).text).toBe('hello, bob')
  })

  it('the presence and invite vectors decode', async () => {
    const v = JSON.parse(readFileSync(FILE, 'utf8'))
    const record = await verifyPresence(unhex(v.presence.signedPresence), v.presence.issuedAt)
    expect(record).toMatchObject({ status: 'away', note: 'lunch', seq: 1764115200000n })
    expect(decodeInvite(v.invite)).toMatchObject({ peerId: v.alice.peerId, name: 'alice' })
  })
})
