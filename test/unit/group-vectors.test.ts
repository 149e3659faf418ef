import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, sign, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { GroupFrame, GroupPlaintext, SignedGroupOp } from '../../src/pb/group.js'
import { checkOp } from '../../src/groups/ops.js'
import { chainStep, groupTopic, openFrame, verifyFrame } from '../../src/groups/crypto.js'

const v = JSON.parse(readFileSync(new URL('../vectors/groups-v1.json', import.meta.url), 'utf8'))
const b = (h: string): Buffer => Buffer.from(h, 'hex')
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI = Buffer.from('302a300506032b6570032100', 'hex')
const be64 = (n: number): Buffer => { const x = Buffer.alloc(8); x.writeBigUInt64BE(BigInt(n)); return x }

/** Everything here is recomputed with node:crypto from PROTOCOL.md §12, independently of src/groups/crypto.ts. */
describe('group vectors (PROTOCOL.md §12)', () => {
  it('chain: message key = HMAC(ck, 0x01), next chain key = HMAC(ck, 0x02)', () => {
    let ck = b(v.chain.chainKey)
    for (const step of v.chain.steps) {
      expect(ck.toString('hex')).toBe(step.chainKey)
      expect(createHmac('sha256', ck).update(Buffer.of(1)).digest('hex')).toBe(step.messageKey)
      ck = createHmac('sha256', ck).update(Buffer.of(2)).digest()
    }
    // and the implementation agrees, step after step
    let state: Parameters<typeof chainStep>[0] = { chainKey: new Uint8Array(b(v.chain.chainKey)), iteration: 0n }
    for (const step of v.chain.steps) {
      const s = chainStep(state)
      expect(Buffer.from(s.messageKey).toString('hex')).toBe(step.messageKey)
      state = s.next
    }
  })

  it('topic: "/natter/group/1/" + base32(HKDF-SHA256(secret, 32 zero bytes, "natter-group-topic-v1", 16))', () => {
    const okm = new Uint8Array(hkdfSync('sha256', b(v.group.secret), Buffer.alloc(32), 'natter-group-topic-v1', 16))
    expect('/natter/group/1/' + uint8ArrayToString(okm, 'base32')).toBe(v.group.topic)
    expect(groupTopic(b(v.group.secret))).toBe(v.group.topic)
  })

  it('frame: ChaCha20-Poly1305 under HKDF(message key) with the frame AAD, Ed25519 by the chain key over the frame', () => {
    const f = v.frame
    const mk = b(v.chain.steps[0].messageKey)
    const okm = Buffer.from(hkdfSync('sha256', mk, Buffer.alloc(32), 'natter-group-message-key-v1', 44))
    const aad = Buffer.concat([Buffer.from('natter-group-frame-v1'), b(v.group.groupId), b(f.keyId), be64(f.iteration)])
    const cipher = createCipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32, 44), { authTagLength: 16 })
    cipher.setAAD(aad, { plaintextLength: b(f.paddedPlaintext).length })
    const ct = Buffer.concat([cipher.update(b(f.paddedPlaintext)), cipher.final(), cipher.getAuthTag()])
    expect(ct.toString('hex')).toBe(f.ciphertext)
    expect(b(f.paddedPlaintext).length).toBe(256)
    const plain = GroupPlaintext.decode(b(f.paddedPlaintext))
    expect(plain.text).toBe(f.plaintext.text)
    expect(plain.seq).toBe(1n)
    const signed = Buffer.concat([Buffer.from('natter-group-frame-v1'), b(f.keyId), be64(f.iteration), ct])
    const key = createPrivateKey({ key: Buffer.concat([PKCS8, b(f.signingSeed)]), format: 'der', type: 'pkcs8' })
    expect(sign(null, signed, key).toString('hex')).toBe(f.signature)
    const frame = GroupFrame.decode(b(f.encoded))
    expect(Buffer.from(frame.ciphertext).toString('hex')).toBe(f.ciphertext)
    const pub = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32))
    expect(verifyFrame(frame, pub)).toBe(true)
    expect(verifyFrame({ ...frame, iteration: 1n }, pub)).toBe(false)
    expect(verifyFrame(frame, new Uint8Array(createPublicKey(createPrivateKey({ key: Buffer.concat([PKCS8, Buffer.alloc(32, 9)]), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' }).subarray(-32)))).toBe(false)
    expect(openFrame(frame, b(v.group.groupId), mk).text).toBe(f.plaintext.text)
    // a decipher of our own, for completeness
    const d = createDecipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32, 44), { authTagLength: 16 })
    d.setAAD(aad, { plaintextLength: ct.length - 16 })
    d.setAuthTag(ct.subarray(ct.length - 16))
    expect(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('hex')).toBe(f.paddedPlaintext)
  })

  it('op: Ed25519 by the author over "natter-group-op-v1" || op; hash = SHA-256 of the SignedGroupOp', () => {
    const signed = SignedGroupOp.decode(b(v.createOp.signed))
    const key = createPrivateKey({ key: Buffer.concat([PKCS8, b(v.alice.ed25519Seed)]), format: 'der', type: 'pkcs8' })
    const pub = createPublicKey({ key: Buffer.concat([SPKI, createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32)]), format: 'der', type: 'spki' })
    const message = Buffer.concat([Buffer.from('natter-group-op-v1'), signed.op])
    expect(verify(null, message, pub, signed.signature)).toBe(true)
    expect(sign(null, message, key).toString('hex')).toBe(Buffer.from(signed.signature).toString('hex'))
    expect(createHash('sha256').update(b(v.createOp.signed)).digest('hex')).toBe(v.createOp.hash)
    const checked = checkOp(b(v.createOp.signed), b(v.group.groupId))
    expect(checked.author).toBe(v.alice.peerId)
    expect(checked.op.name).toBe('climbing')
  })
})
