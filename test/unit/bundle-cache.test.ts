import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it, vi } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createBundleCache } from '../../src/sessions/bundle-cache.js'
import { recordingLogger } from '../helpers/logger.js'
import type { VerifiedPrekeyRecord } from '../../src/sessions/bundle-record.js'

describe('bundle cache', () => {
  it('remembers that a recipient has no bundle for missCacheMs, then looks again', async () => {
    let now = 1000
    // the stand-in DHT finds nothing
    const get = vi.fn(async function * () {})
    const cache = createBundleCache({ dht: { get, put: vi.fn() } as never, log: recordingLogger().forComponent('t'), signal: () => new AbortController().signal, clock: { now: () => now } }, { missCacheMs: 500 })
    const bob = parsePeerId((await generateKeyPair('Ed25519')).publicKey.toString())
    expect(await cache.get(bob)).toBeUndefined()
    now += 499
    expect(await cache.get(bob)).toBeUndefined()
    expect(get).toHaveBeenCalledTimes(1)
    now += 1
    await cache.get(bob)
    expect(get).toHaveBeenCalledTimes(2)
    cache.forget(bob.peerId.toString())
    await cache.get(bob)
    expect(get).toHaveBeenCalledTimes(3)
  })

  it('never picks a one-time prekey the recipient refused', () => {
    const cache = createBundleCache({ dht: {} as never, log: recordingLogger().forComponent('t'), signal: () => new AbortController().signal })
    const record = { bundle: { oneTimePrekeys: [{ id: 1 }, { id: 2 }, { id: 3 }] } } as unknown as VerifiedPrekeyRecord
    cache.burn('bob', 1)
    cache.burn('bob', 3)
    for (let i = 0; i < 20; i++) expect(cache.pickOneTimePrekey('bob', record)).toBe(2)
    cache.burn('bob', 2)
    expect(cache.pickOneTimePrekey('bob', record)).toBeNull()
    expect([1, 2, 3]).toContain(cache.pickOneTimePrekey('alice', record))
  })

  it('remembers at most 256 burned one-time prekeys per peer, the newest', () => {
    const cache = createBundleCache({ dht: {} as never, log: recordingLogger().forComponent('t'), signal: () => new AbortController().signal })
    const ids = Array.from({ length: 300 }, (_, i) => i + 1)
    const record = { bundle: { oneTimePrekeys: ids.map(id => ({ id })) } } as unknown as VerifiedPrekeyRecord
    for (const id of ids) cache.burn('bob', id)
    // ids 1..44 were forgotten (the oldest), 45..300 are still never picked
    for (let i = 0; i < 50; i++) expect(cache.pickOneTimePrekey('bob', record)).toBeLessThanOrEqual(44)
  })
})
