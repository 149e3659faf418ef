import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { EnvelopeBody, Payload, SignedEnvelope, openSealed, sealEnvelope, signEnvelope, verifyEnvelope, MAX_ENVELOPE_BYTES } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

async function party (): Promise<{ key: Ed25519PrivateKey, peer: ReturnType<typeof parsePeerId> }> {
  const key = await generateKeyPair('Ed25519')
  return { key, peer: parsePeerId(peerIdFromPrivateKey(key).toString()) }
}

const text = (t: string, seq = 1n): Payload => ({ type: Payload.Type.TEXT, text: t, seq, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

describe('envelope', () => {
  it('round trips sender → recipient', async () => {
    const alice = await party()
    const bob = await party()
    const sealed = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('hi') })
    const env = await verifyEnvelope(sealed.bytes)
    expect(env.sender.peerId.equals(alice.peer.peerId)).toBe(true)
    expect(openSealed(env, bob.key, bob.peer.bytes).text).toBe('hi')
  })

  it('a relay or mailbox peer that holds the envelope can verify it but cannot decrypt it', async () => {
    const [alice, bob, relay] = [await party(), await party(), await party()]
    const sealed = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('secret plans') })
    const env = await verifyEnvelope(sealed.bytes)
    // the plaintext is nowhere in the bytes
    expect(Buffer.from(sealed.bytes).includes(Buffer.from('secret plans'))).toBe(false)
    expect(() => openSealed(env, relay.key, relay.peer.bytes)).toThrow(expect.objectContaining({ name: 'InvalidMessageError', reason: 'wrong-recipient' }))
    // even pretending to be the recipient, the relay's key does not open it
    expect(() => openSealed(env, relay.key, bob.peer.bytes)).toThrow(expect.objectContaining({ name: 'InvalidMessageError', reason: 'decrypt-failed' }))
  })

  it('rejects a tampered envelope: any flipped byte of the body breaks the signature', async () => {
    const [alice, bob] = [await party(), await party()]
    const sealed = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('pay 10') })
    const signed = SignedEnvelope.decode(sealed.bytes)
    const body = signed.body.slice()
    const at = body.length - 3
    body[at] = body[at]! ^ 0x01
    await expect(verifyEnvelope(SignedEnvelope.encode({ body, signature: signed.signature })))
      .rejects.toMatchObject({ name: 'InvalidMessageError', reason: 'bad-signature' })
  })

  it('rejects a forged sender: a body claiming to be from alice but signed by mallory', async () => {
    const [alice, bob, mallory] = [await party(), await party(), await party()]
    const sealed = await sealEnvelope({ senderKey: mallory.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('I am alice') })
    await expect(verifyEnvelope(sealed.bytes)).rejects.toMatchObject({ name: 'InvalidMessageError', reason: 'bad-signature' })
  })

  it('rejects a ciphertext re-signed by someone else (associated data binds the sender)', async () => {
    const [alice, bob, mallory] = [await party(), await party(), await party()]
    const sealed = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('from alice') })
    const body = EnvelopeBody.decode(SignedEnvelope.decode(sealed.bytes).body)
    const stolen = await signEnvelope({ ...body, sender: mallory.peer.bytes }, mallory.key)
    const env = await verifyEnvelope(stolen)
    expect(() => openSealed(env, bob.key, bob.peer.bytes)).toThrow(expect.objectContaining({ reason: 'decrypt-failed' }))
  })

  it('rejects malformed, oversized, expired and future envelopes with named errors', async () => {
    const [alice, bob] = [await party(), await party()]
    await expect(verifyEnvelope(Uint8Array.of(1, 2, 3, 4, 5))).rejects.toMatchObject({ name: 'InvalidMessageError', reason: 'malformed' })
    await expect(verifyEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1))).rejects.toMatchObject({ name: 'MessageTooLargeError' })
    const old = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('old'), sentAt: Date.now() - 40 * 24 * 3600_000 })
    await expect(verifyEnvelope(old.bytes)).rejects.toMatchObject({ reason: 'expired' })
    const future = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('future'), sentAt: Date.now() + 3600_000 })
    await expect(verifyEnvelope(future.bytes)).rejects.toMatchObject({ reason: 'future' })
    await expect(sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('x'.repeat(17 * 1024)) }))
      .rejects.toMatchObject({ name: 'MessageTooLargeError' })
  })
})
