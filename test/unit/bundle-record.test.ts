/**
 * The prekey bundle DHT record: what the kad-dht validator accepts and
 * refuses, and which record the selector picks.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createPrekeyStore, encodeBundle, exportBundle } from '../../src/crypto/ratchet/index.js'
import { PrekeyRecord, SignedPrekeyRecord } from '../../src/pb/prekeys.js'
import {
  MAX_PREKEY_RECORD_AGE_MS, prekeyRecordKey, prekeyRecordSigningBytes, selectPrekeyRecord, signPrekeyRecord, validatePrekeyRecord, verifyPrekeyRecord
} from '../../src/sessions/bundle-record.js'
import type { Ed25519Peer } from '../../src/crypto/peer.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

async function owner (opks = 5): Promise<{ key: Ed25519PrivateKey, peer: Ed25519Peer, bundle: Uint8Array }> {
  const key = await generateKeyPair('Ed25519')
  const peer = parsePeerId(peerIdFromPrivateKey(key).toString())
  const store = createPrekeyStore({ publicKey: key.publicKey.raw, secretKey: key.raw }, { oneTimePrekeys: opks })
  return { key, peer, bundle: encodeBundle(exportBundle(store)) }
}

describe('prekey bundle DHT record', () => {
  it('a record signed by its owner under its own key validates', async () => {
    const { key, peer, bundle } = await owner()
    const now = Date.now()
    const value = await signPrekeyRecord(key, peer, bundle, now)
    await validatePrekeyRecord(prekeyRecordKey(peer), value)
    const verified = await verifyPrekeyRecord(prekeyRecordKey(peer), value)
    expect(verified.publishedAt).toBe(now)
    expect(verified.bundle.oneTimePrekeys).toHaveLength(5)
    expect(verified.peer.peerId.equals(peer.peerId)).toBe(true)
  })

  it('refuses a record stored under another peer’s key, a foreign bundle, tampering, oversize and bad times', async () => {
    const a = await owner()
    const b = await owner()
    const now = Date.now()
    const good = await signPrekeyRecord(a.key, a.peer, a.bundle, now)
    // under b's key
    await expect(validatePrekeyRecord(prekeyRecordKey(b.peer), good)).rejects.toMatchObject({ name: 'InvalidMessageError' })
    // a signs a record carrying b's bundle
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), await signPrekeyRecord(a.key, a.peer, b.bundle, now)))
      .rejects.toMatchObject({ reason: 'malformed' })
    // a one-time prekey swapped by a storing peer: the outer signature fails
    const signed = SignedPrekeyRecord.decode(good)
    const record = PrekeyRecord.decode(signed.record)
    const bundle = Uint8Array.from(record.bundle)
    bundle[bundle.length - 1] = (bundle[bundle.length - 1] ?? 0) ^ 1
    const tampered = SignedPrekeyRecord.encode({ record: PrekeyRecord.encode({ ...record, bundle }), signature: signed.signature })
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), tampered)).rejects.toMatchObject({ reason: 'bad-signature' })
    // re-signed by someone else
    const forged = SignedPrekeyRecord.encode({ record: signed.record, signature: await b.key.sign(prekeyRecordSigningBytes(signed.record)) })
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), forged)).rejects.toMatchObject({ reason: 'bad-signature' })
    // too old, from the future
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), await signPrekeyRecord(a.key, a.peer, a.bundle, now - MAX_PREKEY_RECORD_AGE_MS - 1000)))
      .rejects.toMatchObject({ reason: 'expired' })
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), await signPrekeyRecord(a.key, a.peer, a.bundle, now + 10 * 60_000)))
      .rejects.toMatchObject({ reason: 'future' })
    // over 8 KiB, and garbage
    const big = await owner(300)
    await expect(signPrekeyRecord(big.key, big.peer, big.bundle, now)).rejects.toMatchObject({ reason: 'too-large' })
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), new Uint8Array(9000))).rejects.toMatchObject({ reason: 'too-large' })
    await expect(validatePrekeyRecord(prekeyRecordKey(a.peer), Uint8Array.of(1, 2, 3))).rejects.toMatchObject({ reason: 'malformed' })
  })

  it('the selector picks the newest record', async () => {
    const { key, peer, bundle } = await owner()
    const now = Date.now()
    const older = await signPrekeyRecord(key, peer, bundle, now - 1000)
    const newer = await signPrekeyRecord(key, peer, bundle, now)
    expect(selectPrekeyRecord(prekeyRecordKey(peer), [older, newer])).toBe(1)
    expect(selectPrekeyRecord(prekeyRecordKey(peer), [newer, older])).toBe(0)
    expect(selectPrekeyRecord(prekeyRecordKey(peer), [Uint8Array.of(9), older])).toBe(1)
  })
})
