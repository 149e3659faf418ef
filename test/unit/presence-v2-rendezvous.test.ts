/**
 * Presence v2's shard rendezvous (PROTOCOL.md §3.6.3) costs an idle node
 * nothing it does not need (issue 15): no DHT lookup while every contact that
 * matters on a shard is connected, and lookups and contact dials that find
 * nobody back off (doubling from the check interval up to
 * RENDEZVOUS_MAX_BACKOFF_MS) instead of running every 15 s for as long as a
 * contact stays offline. Stand-in gossipsub and libp2p, fake timers: this is
 * the scheduling logic; the integration tests cover meshes forming for real.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPresenceV2, RENDEZVOUS_MAX_BACKOFF_MS } from '../../src/presence/service-v2.js'
import { presenceKeys } from '../../src/presence/keys.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { Store } from '../../src/store/index.js'
import type { PeerId } from '@libp2p/interface'

const INTERVAL_MS = 15_000

describe('presence v2 shard rendezvous', () => {
  let store: Store
  let contact: PeerId
  let connections: Array<{ remotePeer: PeerId, status: string }>
  let lookups: number
  let dials: number

  beforeEach(async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    store = openStore({ path: MEMORY_PATH })
    contact = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    connections = []
    lookups = 0
    dials = 0
  })
  afterEach(() => {
    store.close()
    vi.useRealTimers()
  })

  async function start () {
    const key = await generateKeyPair('Ed25519')
    const keys = presenceKeys(store.settings)
    keys.setContact(contact.toString(), { key: new Uint8Array(randomBytes(32)), generation: 1n })
    keys.markSent(contact.toString(), keys.own().generation)
    const presence = createPresenceV2({
      pubsub: {
        topicValidators: new Map(),
        addEventListener: vi.fn(),
        removeEventListener: vi.fn(),
        subscribe: vi.fn(),
        unsubscribe: vi.fn(),
        publish: vi.fn(async () => ({ recipients: [] })),
        // no gossipsub peer on any shard: every shard is "thin"
        getSubscribers: () => []
      } as never,
      libp2p: {
        handle: vi.fn(async () => {}),
        unhandle: vi.fn(async () => {}),
        addEventListener: vi.fn(),
        removeEventListener: vi.fn(),
        getConnections: () => connections,
        // the contact is offline
        dial: vi.fn(async () => { dials++; throw new Error('offline') }),
        contentRouting: {
          provide: vi.fn(async () => {}),
          // nobody else provides the shard
          findProviders: vi.fn(async function * () { lookups++; yield * [] })
        }
      } as never,
      key,
      peerId: peerIdFromPrivateKey(key),
      keys,
      control: { send: vi.fn(), handle: vi.fn(), unsupported: () => false },
      contacts: () => [contact.toString()],
      isContact: (p) => p === contact.toString(),
      logger: recordingLogger()
    }, { rendezvousIntervalMs: INTERVAL_MS })
    await presence.start()
    await vi.advanceTimersByTimeAsync(0)
    return presence
  }

  it('backs off lookups and dials that find nobody, instead of repeating them every check', async () => {
    const presence = await start()
    const shards = presence.shards().length
    expect(lookups).toBe(shards)
    // the offline contact matters on its shard and ours: dialled once per pass
    expect(dials).toBe(1)
    // the next check finds the shards still in their back-off
    await vi.advanceTimersByTimeAsync(INTERVAL_MS)
    expect(lookups).toBe(shards)
    // 2 × the interval after the first attempt: the second
    await vi.advanceTimersByTimeAsync(INTERVAL_MS)
    expect(lookups).toBe(2 * shards)
    // then 4 × the interval
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS)
    expect(lookups).toBe(2 * shards)
    await vi.advanceTimersByTimeAsync(INTERVAL_MS)
    expect(lookups).toBe(3 * shards)
    // an hour with the contact offline: about one attempt per RENDEZVOUS_MAX_BACKOFF_MS once the wait is capped,
    // not one per check (240)
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(lookups).toBeLessThanOrEqual((3 + 4 + 60 * 60_000 / RENDEZVOUS_MAX_BACKOFF_MS) * shards)
    expect(dials).toBe(lookups / shards)
    await presence.stop({ announce: false })
  })

  it('looks nothing up while every contact that matters is connected', async () => {
    connections = [{ remotePeer: contact, status: 'open' }]
    const presence = await start()
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS)
    expect(lookups).toBe(0)
    expect(dials).toBe(0)
    // the contact goes away: its shard (and ours) are looked up at the next check
    connections = []
    await vi.advanceTimersByTimeAsync(INTERVAL_MS)
    expect(lookups).toBe(presence.shards().length)
    await presence.stop({ announce: false })
  })
})
