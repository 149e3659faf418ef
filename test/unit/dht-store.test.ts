/**
 * The bounded DHT datastore (PROTOCOL.md §6.4): per-peer rate and quota,
 * totals with eviction of the largest holder's oldest records, local records
 * never evicted, prekey rollback refused. Origins are set as kad-dht's inbound
 * stream handler sets them, through `dhtOrigin`.
 */
import { Libp2pRecord } from '@libp2p/record'
import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { createDhtStore, dhtOrigin } from '../../src/network/dht-store.js'
import { natterServicePolicies } from '../../src/policies.js'
import type { DhtStore } from '../../src/network/dht-store.js'

const unlimited = { rate: 1000, burst: 1_000_000 }

function put (store: DhtStore, origin: string | undefined, key: string, bytes = 100): void {
  const value = new Uint8Array(bytes)
  if (origin == null) {
    store.put(new Key(key), value)
  } else {
    dhtOrigin.run({ peer: origin }, () => store.put(new Key(key), value))
  }
}

describe('bounded DHT store', () => {
  it('rate-limits PUT_VALUE per peer, not across peers', () => {
    const store = createDhtStore({ putRate: { rate: 0, burst: 3 } })
    for (let i = 0; i < 3; i++) put(store, 'a', `/dht/record/a${i}`)
    expect(() => { put(store, 'a', '/dht/record/a3') }).toThrow(expect.objectContaining({ name: 'DhtQuotaError', reason: 'rate' }))
    put(store, 'b', '/dht/record/b0')
    // this node's own records are never rate-limited
    for (let i = 0; i < 10; i++) put(store, undefined, `/dht/record/self${i}`)
    expect(store.stats().records).toBe(14)
  })

  it('holds at most maxPerPeer records per peer', () => {
    const store = createDhtStore({ maxPerPeer: 5, putRate: unlimited })
    for (let i = 0; i < 5; i++) put(store, 'a', `/dht/record/a${i}`)
    expect(() => { put(store, 'a', '/dht/record/a5') }).toThrow(expect.objectContaining({ reason: 'peer-quota' }))
    // replacing one of its own records takes no new slot
    put(store, 'a', '/dht/record/a0')
    expect(store.stats().records).toBe(5)
  })

  it('evicts the largest holder’s oldest record when full; local records stay', () => {
    const store = createDhtStore({ maxRecords: 10, maxPerPeer: 100, putRate: unlimited })
    put(store, undefined, '/dht/record/self')
    put(store, 'honest', '/dht/record/honest')
    for (let i = 0; i < 50; i++) put(store, 'sybil', `/dht/record/s${i}`)
    expect(store.stats().records).toBe(10)
    expect(store.has(new Key('/dht/record/self'))).toBe(true)
    expect(store.has(new Key('/dht/record/honest'))).toBe(true)
    expect(store.has(new Key('/dht/record/s49'))).toBe(true)
    expect(store.has(new Key('/dht/record/s0'))).toBe(false)
  })

  it('bounds bytes and single record size; providers count separately; deletes free slots', () => {
    const store = createDhtStore({ maxBytes: 1000, maxRecordBytes: 500, maxPerPeer: 100, putRate: unlimited, provideRate: unlimited })
    expect(() => { put(store, 'a', '/dht/record/big', 501) }).toThrow(expect.objectContaining({ reason: 'size' }))
    for (let i = 0; i < 20; i++) put(store, `p${i % 3}`, `/dht/provider/c${i}/p`, 100)
    expect(store.stats().bytes).toBeLessThanOrEqual(1000)
    expect(store.stats().providers).toBe(10)
    store.delete(new Key('/dht/provider/c19/p'))
    expect(store.stats().providers).toBe(9)
    // keys outside the record and provider prefixes are not counted
    put(store, 'a', '/other/thing', 400)
    expect(store.stats().bytes).toBe(900)
  })

  it('refuses a prekey record older than the stored one, accepts a newer one', async () => {
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const { parsePeerId } = await import('../../src/crypto/peer.js')
    const { createPrekeyStore, encodeBundle, exportBundle } = await import('../../src/crypto/ratchet/index.js')
    const { prekeyRecordKey, signPrekeyRecord } = await import('../../src/sessions/bundle-record.js')
    const key = await generateKeyPair('Ed25519')
    const peer = parsePeerId(peerIdFromPrivateKey(key).toString())
    const bundle = encodeBundle(exportBundle(createPrekeyStore({ publicKey: key.publicKey.raw, secretKey: key.raw }, { oneTimePrekeys: 2 })))
    const at = Date.now()
    const record = async (t: number): Promise<Uint8Array> => new Libp2pRecord(prekeyRecordKey(peer), await signPrekeyRecord(key, peer, bundle, t), new Date()).serialize()
    // the date of a prekey record comes from the layer above, as natterServicePolicies() hands it down
    const store = createDhtStore({ recordAge: natterServicePolicies().dhtRecordAge })
    const dsKey = new Key('/dht/record/victim')
    dhtOrigin.run({ peer: 'x' }, () => store.put(dsKey, new Uint8Array(0)))
    const newer = await record(at)
    await dhtOrigin.run({ peer: 'x' }, async () => store.put(dsKey, newer))
    const older = await record(at - 1000)
    expect(() => dhtOrigin.run({ peer: 'y' }, () => store.put(dsKey, older))).toThrow(expect.objectContaining({ name: 'StaleDhtRecordError' }))
    expect(store.get(dsKey)).toEqual(newer)
    const newest = await record(at + 1000)
    dhtOrigin.run({ peer: 'y' }, () => store.put(dsKey, newest))
    expect(store.get(dsKey)).toEqual(newest)
    expect(store.stats().refused.stale).toBe(1)
  })
})
