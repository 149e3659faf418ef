import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { EnvelopeBody, Payload, SignedEnvelope, encodeUnsignedEnvelope, isUnsignedEnvelope, openSealed, sealEnvelope, signEnvelope, signUnsigned, verifyEnvelope, MAX_ENVELOPE_BYTES } from '../../src/crypto/envelope.js'
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

  it('1.3 unsigned encoding: refused unless allowed, and signed later over the very same body (PROTOCOL.md §5.2)', async () => {
    const [alice, bob] = [await party(), await party()]
    const sealed = await sealEnvelope({ senderKey: alice.key, sender: alice.peer.bytes, recipient: bob.peer, payload: text('hi') })
    const { body, signature } = SignedEnvelope.decode(sealed.bytes)
    const unsigned = encodeUnsignedEnvelope(EnvelopeBody.decode(body))
    expect([isUnsignedEnvelope(unsigned), isUnsignedEnvelope(sealed.bytes)]).toEqual([true, false])
    // the unsigned encoding is the signed one without field 2
    expect(SignedEnvelope.decode(unsigned)).toEqual({ body, signature: new Uint8Array(0) })
    await expect(verifyEnvelope(unsigned)).rejects.toMatchObject({ name: 'InvalidMessageError', reason: 'unsigned' })
    expect((await verifyEnvelope(unsigned, { allowUnsigned: true })).signed).toBe(false)
    expect((await verifyEnvelope(sealed.bytes, { allowUnsigned: true })).signed).toBeUndefined()
    // a bad signature is still a bad signature when unsigned ones are allowed
    const forged = SignedEnvelope.encode({ body, signature: new Uint8Array(64) })
    await expect(verifyEnvelope(forged, { allowUnsigned: true })).rejects.toMatchObject({ reason: 'bad-signature' })
    // signing later gives exactly the envelope signed at once (Ed25519 is deterministic); a signed one is kept as it is
    expect(signUnsigned(unsigned, alice.key)).toEqual(sealed.bytes)
    expect(SignedEnvelope.decode(signUnsigned(unsigned, alice.key)).signature).toEqual(signature)
    expect(signUnsigned(sealed.bytes, bob.key)).toBe(sealed.bytes)
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
