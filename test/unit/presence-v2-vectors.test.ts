/**
 * Presence v2 test vectors (PROTOCOL.md §3.6; test/vectors/presence-v2.json):
 * tag, record key, shard, sealed record and the PRESENCE_KEY control payload
 * for fixed inputs. Each value is recomputed here from the primitives alone
 * (node:crypto HKDF and Ed25519, @noble XChaCha20-Poly1305, hand-written
 * protobuf) and compared with natter's implementation and the committed
 * file. Regenerate only on purpose: UPDATE_VECTORS=1.
 */
import { createPrivateKey, hkdfSync, sign } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { describe, expect, it } from 'vitest'
import { concat, fromString, toString } from 'uint8arrays'
import { Payload } from '../../src/crypto/envelope.js'
import { decodePayload } from '../../src/crypto/envelope.js'
import { SIGNATURE_DOMAIN_V2, signPresence, verifyPresence } from '../../src/presence/record.js'
import { PRESENCE_SHARDS, decodeSealed, epochKeys, epochOf, openSealed, sealPresence, shardOf } from '../../src/presence/sealed.js'
import { decodePresenceKey, encodePresenceKey } from '../../src/presence/keys.js'
import { ControlKind } from '../../src/messaging/control-payload.js'

const hex = (b: Uint8Array): string => toString(b, 'base16')
const unhex = (s: string): Uint8Array => fromString(s, 'base16')
const FILE = new URL('../vectors/presence-v2.json', import.meta.url)
const SALT = fromString('natter-presence-v2')

function u64 (n: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n)
  return b
}
function varint (n: bigint): Uint8Array {
  const out: number[] = []
  do {
    let byte = Number(n & 0x7fn)
    n >>= 7n
    if (n > 0n) byte |= 0x80
    out.push(byte)
  } while (n > 0n)
  return Uint8Array.from(out)
}
const field = (no: number, wire: number): Uint8Array => varint(BigInt((no << 3) | wire))
const bytesField = (no: number, b: Uint8Array): Uint8Array => concat([field(no, 2), varint(BigInt(b.length)), b])
const intField = (no: number, n: bigint): Uint8Array => n === 0n ? new Uint8Array() : concat([field(no, 0), varint(n)])
const hkdf = (ikm: Uint8Array, info: Uint8Array, len: number): Uint8Array => new Uint8Array(hkdfSync('sha256', ikm, SALT, info, len))

/** The vectors, from primitives only. */
function fromPrimitives (seed: Uint8Array, peerBytes: Uint8Array, presenceKey: Uint8Array, nonce: Uint8Array, at: number): Record<string, string | number> {
  const epoch = BigInt(Math.floor(at / 300_000))
  const tag = hkdf(presenceKey, concat([fromString('tag'), u64(epoch)]), 16)
  const recordKey = hkdf(presenceKey, concat([fromString('record'), u64(epoch)]), 32)
  const s = hkdf(presenceKey, fromString('natter-presence-v2 shard'), 2)
  const shard = ((s[0]! << 8) | s[1]!) % 64
  // PresenceRecord: peer_id=1, status=2 (AWAY=1), note=3, seq=4, issued_at=5, expires_at=6
  const record = concat([bytesField(1, peerBytes), intField(2, 1n), bytesField(3, fromString('lunch')), intField(4, BigInt(at)), intField(5, BigInt(at)), intField(6, BigInt(at + 90_000))])
  // Ed25519 from node:crypto (PKCS#8 wrapping of the raw seed)
  const pkcs8 = concat([unhex('302e020100300506032b657004220420'), seed])
  const signature = new Uint8Array(sign(null, concat([SALT, record]), createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })))
  const signed = concat([bytesField(1, record), bytesField(2, signature)])
  const padded = new Uint8Array(512)
  padded[0] = signed.length >> 8
  padded[1] = signed.length & 0xff
  padded.set(signed, 2)
  const ciphertext = xchacha20poly1305(recordKey, nonce, concat([SALT, u64(epoch), tag])).encrypt(padded)
  const sealed = concat([intField(1, epoch), bytesField(2, tag), bytesField(3, nonce), bytesField(4, ciphertext)])
  // PresenceKey: key=1, generation=2, want=3; carried as Payload{type=CONTROL(2), control_kind=1, control_body}
  const keyBody = concat([bytesField(1, presenceKey), intField(2, 7n), intField(3, 1n)])
  const payload = concat([intField(1, 2n), intField(6, 1n), bytesField(7, keyBody)])
  return {
    epoch: epoch.toString(),
    tag: hex(tag),
    recordKey: hex(recordKey),
    shard,
    signedPresence: hex(signed),
    sealedPresence: hex(sealed),
    presenceKeyBody: hex(keyBody),
    controlPayload: hex(payload)
  }
}

async function compute (): Promise<Record<string, unknown>> {
  const seed = unhex('11'.repeat(32))
  const alice = await generateKeyPairFromSeed('Ed25519', seed)
  const peer = peerIdFromPrivateKey(alice)
  const peerBytes = peer.toMultihash().bytes
  const presenceKey = unhex('66'.repeat(32))
  const nonce = unhex('77'.repeat(24))
  const at = 1764115200000
  return {
    description: 'natter presence v2 test vectors (PROTOCOL.md §3.6). Byte strings are lowercase hex.',
    alice: { ed25519Seed: hex(seed), peerId: peer.toString(), peerIdBytes: hex(peerBytes) },
    inputs: { presenceKey: hex(presenceKey), nonce: hex(nonce), issuedAt: at, expiresAt: at + 90_000, status: 'away', note: 'lunch', seq: String(at), generation: 7, want: true },
    outputs: fromPrimitives(seed, peerBytes, presenceKey, nonce, at)
  }
}

describe('presence v2 vectors (test/vectors/presence-v2.json)', () => {
  it('the primitives, natter and the committed file agree byte for byte', async () => {
    const computed = await compute()
    if (process.env.UPDATE_VECTORS === '1') {
      writeFileSync(FILE, JSON.stringify(computed, null, 2) + '\n')
    }
    const committed = JSON.parse(readFileSync(FILE, 'utf8')) as typeof computed
    expect(computed).toEqual(committed)

    const { inputs, outputs } = committed as { inputs: Record<string, string | number>, outputs: Record<string, string | number> }
    const alice = await generateKeyPairFromSeed('Ed25519', unhex('11'.repeat(32)))
    const peerBytes = peerIdFromPrivateKey(alice).toMultihash().bytes
    const key = unhex(inputs.presenceKey as string)
    const at = inputs.issuedAt as number
    const epoch = epochOf(at)
    expect(epoch.toString()).toBe(outputs.epoch)
    const keys = epochKeys(key, epoch)
    expect(hex(keys.tag)).toBe(outputs.tag)
    expect(hex(keys.recordKey)).toBe(outputs.recordKey)
    expect(shardOf(key)).toBe(outputs.shard)
    expect(shardOf(key)).toBeLessThan(PRESENCE_SHARDS)
    const signed = await signPresence(alice, peerBytes, { status: 'away', note: 'lunch', seq: BigInt(at), issuedAt: at, expiresAt: at + 90_000 }, SIGNATURE_DOMAIN_V2)
    expect(hex(signed)).toBe(outputs.signedPresence)
    const sealed = sealPresence(key, epoch, signed, unhex(inputs.nonce as string))
    expect(hex(sealed)).toBe(outputs.sealedPresence)
    // and back: natter opens the committed bytes
    const opened = openSealed(key, decodeSealed(unhex(outputs.sealedPresence as string), at))
    const record = await verifyPresence(opened, at, SIGNATURE_DOMAIN_V2)
    expect(record).toMatchObject({ status: 'away', note: 'lunch' })
    const body = encodePresenceKey({ key, generation: 7n }, true)
    expect(hex(body)).toBe(outputs.presenceKeyBody)
    const payload = decodePayload(unhex(outputs.controlPayload as string))
    expect(payload).toMatchObject({ type: Payload.Type.CONTROL, controlKind: ControlKind.PRESENCE_KEY })
    expect(decodePresenceKey(payload.controlBody!)).toEqual({ key: { key, generation: 7n }, want: true })
  })

  it('a v1 signature does not verify as v2, nor the other way', async () => {
    const alice = await generateKeyPairFromSeed('Ed25519', unhex('11'.repeat(32)))
    const peerBytes = peerIdFromPrivateKey(alice).toMultihash().bytes
    const now = Date.now()
    const v1 = await signPresence(alice, peerBytes, { status: 'online', note: '', seq: 1n, issuedAt: now, expiresAt: now + 90_000 })
    await expect(verifyPresence(v1, now, SIGNATURE_DOMAIN_V2)).rejects.toThrow(/signature/)
    const v2 = await signPresence(alice, peerBytes, { status: 'online', note: '', seq: 1n, issuedAt: now, expiresAt: now + 90_000 }, SIGNATURE_DOMAIN_V2)
    await expect(verifyPresence(v2, now)).rejects.toThrow(/signature/)
  })
})
