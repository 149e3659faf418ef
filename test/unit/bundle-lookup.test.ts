import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { signPrekeyRecord } from '../../src/sessions/bundle-record.js'
import { fetchBundleRecord } from '../../src/sessions/publisher.js'
import { createPrekeyStore, encodeBundle, exportBundle } from '../../src/crypto/ratchet/index.js'
import type { PrekeyDht } from '../../src/sessions/publisher.js'

// A DHT query that answers `values` and then never ends until it is aborted — what a
// lookup meets when some of the closest peers cannot be reached.
function slowDht (values: Uint8Array[]): PrekeyDht & { aborted: () => boolean } {
  let aborted = false
  return {
    aborted: () => aborted,
    put: async function * () {},
    get: async function * (_key: Uint8Array, options?: { signal?: AbortSignal }) {
      for (const value of values) {
        yield { name: 'VALUE', value } as never
      }
      await new Promise<void>((resolve) => {
        options?.signal?.addEventListener('abort', () => { aborted = true; resolve() }, { once: true })
      })
      options?.signal?.throwIfAborted()
    }
  } as unknown as PrekeyDht & { aborted: () => boolean }
}

describe('prekey bundle lookup', async () => {
  const key = await generateKeyPair('Ed25519')
  const peer = parsePeerId(peerIdFromPrivateKey(key).toString())
  const bundle = encodeBundle(exportBundle(createPrekeyStore({ publicKey: key.publicKey.raw, secretKey: key.raw }, { oneTimePrekeys: 2 })))
  const now = Date.now()

  it('ends a query that never finishes once a record has arrived, with the newest record', async () => {
    const older = await signPrekeyRecord(key, peer, bundle, now - 60_000)
    const newer = await signPrekeyRecord(key, peer, bundle, now - 1_000)
    const dht = slowDht([older, newer])
    // no caller signal at all: before the settle rule this lookup never returned
    const record = await fetchBundleRecord(dht, peer, { settleMs: 20 })
    expect(record?.publishedAt).toBe(now - 1_000)
    expect(dht.aborted()).toBe(true)
  })

  it('stops at `enough` records without waiting to settle', async () => {
    const values = await Promise.all([1, 2, 3].map(async i => signPrekeyRecord(key, peer, bundle, now - i * 1_000)))
    const record = await fetchBundleRecord(slowDht(values), peer, { settleMs: 3_600_000, enough: 3 })
    expect(record?.publishedAt).toBe(now - 1_000)
  })

  it('still waits for the caller\'s deadline while nothing has arrived', async () => {
    const dht = slowDht([])
    const record = await fetchBundleRecord(dht, peer, { settleMs: 1, signal: AbortSignal.timeout(50) })
    expect(record).toBeUndefined()
    expect(dht.aborted()).toBe(true)
  })
})
