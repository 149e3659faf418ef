/**
 * Issue 9, "State that grows without bound" (DHT) and the prekey rollback: a
 * real natter node on loopback, attacked by stock kad-dht clients speaking
 * natter's DHT protocol (PROTOCOL.md §6.4).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createPrekeyStore, encodeBundle, exportBundle } from '../../src/crypto/ratchet/index.js'
import { DHT_PUT_RATE } from '../../src/network/constants.js'
import { prekeyRecordKey, signPrekeyRecord } from '../../src/sessions/bundle-record.js'
import { stockDhtClient } from '../helpers/stock-dht.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { StockDhtClient } from '../helpers/stock-dht.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'

async function owner (): Promise<{ key: Ed25519PrivateKey, dhtKey: Uint8Array, sign: (at: number) => Promise<Uint8Array> }> {
  const key = await generateKeyPair('Ed25519')
  const peer = parsePeerId(peerIdFromPrivateKey(key).toString())
  const bundle = encodeBundle(exportBundle(createPrekeyStore({ publicKey: key.publicKey.raw, secretKey: key.raw }, { oneTimePrekeys: 5 })))
  return { key, dhtKey: prekeyRecordKey(peer), sign: async (at) => signPrekeyRecord(key, peer, bundle, at) }
}

describe('DHT records held for others', () => {
  const nodes = nodeFactory()
  const clients: StockDhtClient[] = []
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map(async c => { await c.stop() }))
    await nodes.cleanup()
  })

  async function client (address: string, peerId: string): Promise<StockDhtClient> {
    const c = await stockDhtClient()
    clients.push(c)
    await c.join(address, peerId)
    return c
  }

  it('an older valid prekey record PUT after a newer one does not replace it (no rollback)', async () => {
    const node = await nodes.create()
    const attacker = await client(node.addresses[0]!, node.peerId)
    const victim = await owner()
    const now = Date.now()
    const newer = await victim.sign(now)
    const older = await victim.sign(now - 60_000)

    expect(await attacker.put(victim.dhtKey, newer)).toBe(true)
    await attacker.put(victim.dhtKey, older)

    const reader = await client(node.addresses[0]!, node.peerId)
    const found = await reader.getFrom(node.peerId, victim.dhtKey)
    expect(found).toHaveLength(1)
    expect(uint8ArrayEquals(found[0]!, newer)).toBe(true)
  })

  it('one peer storing many valid records gets its share only; another peer’s record is still stored and found', async () => {
    const node = await nodes.create()
    const attacker = await client(node.addresses[0]!, node.peerId)
    const flood = DHT_PUT_RATE.burst + 10
    const owners = await Promise.all(Array.from({ length: flood }, async () => owner()))
    const now = Date.now()
    let accepted = 0
    for (const o of owners) {
      if (await attacker.put(o.dhtKey, await o.sign(now))) {
        accepted++
      }
    }
    // the bucket refills at DHT_PUT_RATE.rate while the flood runs: allow a few over the burst
    expect(accepted).toBeGreaterThanOrEqual(DHT_PUT_RATE.burst)
    expect(accepted).toBeLessThan(flood)

    const reader = await client(node.addresses[0]!, node.peerId)
    let held = 0
    for (const o of owners) {
      held += (await reader.getFrom(node.peerId, o.dhtKey)).length
    }
    expect(held).toBe(accepted)

    const honest = await owner()
    const value = await honest.sign(Date.now())
    const publisher = await client(node.addresses[0]!, node.peerId)
    expect(await publisher.put(honest.dhtKey, value)).toBe(true)
    const found = await reader.getFrom(node.peerId, honest.dhtKey)
    expect(found.map(v => uint8ArrayEquals(v, value))).toEqual([true])
  })
})
