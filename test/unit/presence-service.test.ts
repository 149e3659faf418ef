/**
 * The presence service over a stand-in gossipsub (a fake transport that
 * records what is published and lets the test deliver records) and fake
 * timers: validation verdicts, lapsing to offline, republishing, the
 * offline announcement, and the policies natter wraps around it.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TypedEventEmitter } from 'main-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createPresence } from '../../src/presence/index.js'
import { presenceKeys } from '../../src/presence/keys.js'
import { PRESENCE_TOPIC, signPresence, verifyPresence } from '../../src/presence/record.js'
import { STRANGER_ANNOUNCE_INTERVAL_MS } from '../../src/presence/constants.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { Presence } from '../../src/presence/index.js'
import type { Store } from '../../src/store/index.js'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'

interface FakePubsub {
  topicValidators: Map<string, (from: PeerId, msg: { type: 'unsigned', topic: string, data: Uint8Array }) => Promise<TopicValidatorResult>>
  published: Uint8Array[]
  events: TypedEventEmitter<Record<string, CustomEvent>>
  deliver(from: PeerId, data: Uint8Array): Promise<TopicValidatorResult>
}

function fakePubsub (): FakePubsub & Record<string, unknown> {
  const events = new TypedEventEmitter<Record<string, CustomEvent>>()
  const ps = {
    topicValidators: new Map(),
    published: [] as Uint8Array[],
    events,
    subscribe: vi.fn(),
    publish: vi.fn(async (_topic: string, data: Uint8Array) => { ps.published.push(data); return { recipients: [] } }),
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    async deliver (from: PeerId, data: Uint8Array) {
      const msg = { type: 'unsigned' as const, topic: PRESENCE_TOPIC, data }
      const verdict = await ps.topicValidators.get(PRESENCE_TOPIC)!(from, msg)
      if (verdict === TopicValidatorResult.Accept) {
        events.dispatchEvent(new CustomEvent('message', { detail: msg }))
      }
      return verdict
    }
  }
  return ps
}

describe('presence service', () => {
  let store: Store
  let pubsub: ReturnType<typeof fakePubsub>
  let key: Ed25519PrivateKey
  let bobKey: Ed25519PrivateKey
  let bob: PeerId
  let changes: Presence[]
  let blocked: Set<string>
  let allow: boolean
  const record = async (seq: bigint, status: 'online' | 'away' = 'online', ttl = 10_000): Promise<Uint8Array> =>
    signPresence(bobKey, bob.toMultihash().bytes, { status, note: '', seq, issuedAt: Date.now(), expiresAt: Date.now() + ttl })

  beforeEach(async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    store = openStore({ path: MEMORY_PATH })
    pubsub = fakePubsub()
    key = await generateKeyPair('Ed25519')
    bobKey = await generateKeyPair('Ed25519')
    bob = peerIdFromPrivateKey(bobKey)
    changes = []
    blocked = new Set()
    allow = true
  })
  afterEach(() => {
    store.close()
    vi.useRealTimers()
  })

  function make (options: { visibility?: 'public' | 'contacts' | 'invisible', isContact?: (p: string) => boolean, ttlMs?: number } = {}) {
    return createPresence({
      pubsub: pubsub as never,
      key,
      peerId: peerIdFromPrivateKey(key),
      logger: recordingLogger(),
      cache: store.presence,
      isContact: options.isContact ?? (() => true),
      isBlocked: (p) => blocked.has(p),
      isTrusted: () => false,
      rateLimiter: { tryConsume: () => allow },
      resolve: (p) => parsePeerId(p),
      onChange: (p) => { changes.push(p) },
      // presence v2 runs beside v1 over its own (here inert) gossipsub; v1 is what this file tests (visibility public)
      v2: {
        pubsub: { ...fakePubsub(), unsubscribe: vi.fn(), getSubscribers: () => [] } as never,
        libp2p: { handle: vi.fn(), unhandle: vi.fn(async () => {}), addEventListener: vi.fn(), removeEventListener: vi.fn(), getConnections: () => [] } as never,
        keys: presenceKeys(store.settings),
        control: { send: vi.fn(), handle: vi.fn(), unsupported: () => false },
        contacts: () => [],
        isContact: () => false
      },
      settings: store.settings
    }, { ttlMs: options.ttlMs ?? 9000, republishIntervalMs: (options.ttlMs ?? 9000) / 3, visibility: options.visibility ?? 'public', rendezvous: false })
  }

  it('publishes at start, republishes every interval, and announces offline at stop', async () => {
    const presence = make()
    await presence.start()
    expect(pubsub.published).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(3000)
    expect(pubsub.published).toHaveLength(2)
    await presence.set({ status: 'busy', note: 'writing' })
    expect((await verifyPresence(pubsub.published.at(-1)!)).status).toBe('busy')
    await presence.stop()
    expect((await verifyPresence(pubsub.published.at(-1)!)).status).toBe('offline')
    const count = pubsub.published.length
    await vi.advanceTimersByTimeAsync(10_000)
    expect(pubsub.published).toHaveLength(count)
  })

  it('accepts a newer record, ignores the same or an over-limit one, rejects an older one; caches what it accepts', async () => {
    const presence = make()
    await presence.start()
    expect(await pubsub.deliver(bob, await record(5n, 'away'))).toBe(TopicValidatorResult.Accept)
    await vi.waitFor(() => { expect(changes).toHaveLength(1) })
    expect(presence.get(bob.toString())).toMatchObject({ status: 'away' })
    expect(store.presence.list()).toMatchObject([{ peerId: bob.toString(), status: 'away', seq: 5 }])
    expect(await pubsub.deliver(bob, await record(5n))).toBe(TopicValidatorResult.Ignore)
    expect(await pubsub.deliver(bob, await record(4n))).toBe(TopicValidatorResult.Reject)
    allow = false
    expect(await pubsub.deliver(bob, await record(6n))).toBe(TopicValidatorResult.Ignore)
    await presence.stop()
  })

  it('turns a peer offline once its record lapses, and hides a blocked peer', async () => {
    const presence = make()
    await presence.start()
    await pubsub.deliver(bob, await record(1n, 'online', 5000))
    await vi.waitFor(() => { expect(changes).toHaveLength(1) })
    await vi.advanceTimersByTimeAsync(4000)
    expect(presence.get(bob.toString())?.status).toBe('online')
    await vi.advanceTimersByTimeAsync(1900)
    expect(presence.get(bob.toString())?.status).toBe('offline')
    expect(changes.map(c => c.status)).toEqual(['online', 'offline'])
    blocked.add(bob.toString())
    expect(presence.get(bob.toString())).toBeUndefined()
    expect(presence.list()).toEqual([])
    await presence.stop()
  })

  it('starts from the cache, so an older record stays refused after a restart', async () => {
    store.presence.upsert({ peerId: bob.toString(), status: 'away', note: '', updatedAt: Date.now(), expiresAt: Date.now() + 60_000, seq: 9 })
    const presence = make()
    await presence.start()
    expect(presence.get(bob.toString())?.status).toBe('away')
    expect(await pubsub.deliver(bob, await record(8n))).toBe(TopicValidatorResult.Reject)
    await presence.stop()
  })

  describe('a newcomer on the topic (idle cost, §3.2)', () => {
    const subscribe = (peer: PeerId): void => {
      pubsub.events.dispatchEvent(new CustomEvent('subscription-change', { detail: { peerId: peer, subscriptions: [{ topic: PRESENCE_TOPIC, subscribe: true }] } }))
    }
    const strangers = async (n: number): Promise<PeerId[]> => Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

    it('presence not public: subscriptions cost nothing (no publication, no timer)', async () => {
      const presence = make({ visibility: 'contacts' })
      await presence.start()
      const timers = vi.getTimerCount()
      for (const p of [bob, ...await strangers(20)]) subscribe(p)
      expect(vi.getTimerCount()).toBe(timers)
      await vi.advanceTimersByTimeAsync(1000)
      expect(pubsub.published).toHaveLength(0)
      await presence.stop()
    })

    it('public: a contact joining gets one announcement at once; strangers share one per STRANGER_ANNOUNCE_INTERVAL_MS', async () => {
      // (republishing every 100 s: only announcements publish within this test)
      const presence = make({ isContact: (p) => p === bob.toString(), ttlMs: 300_000 })
      await presence.start()
      expect(pubsub.published).toHaveLength(1)
      subscribe(bob)
      subscribe(bob)
      await vi.advanceTimersByTimeAsync(100)
      expect(pubsub.published).toHaveLength(2)
      // a wave of 40 strangers over 2 intervals: 2 announcements (not 40)
      const wave = await strangers(40)
      for (const p of wave) {
        subscribe(p)
        await vi.advanceTimersByTimeAsync(STRANGER_ANNOUNCE_INTERVAL_MS * 2 / wave.length)
      }
      await vi.advanceTimersByTimeAsync(STRANGER_ANNOUNCE_INTERVAL_MS)
      expect(pubsub.published.length - 2).toBeGreaterThanOrEqual(2)
      expect(pubsub.published.length - 2).toBeLessThanOrEqual(3)
      // a contact joining meanwhile is not held back by the strangers' interval
      subscribe(await strangers(1).then(([p]) => p!))
      subscribe(bob)
      const before = pubsub.published.length
      await vi.advanceTimersByTimeAsync(100)
      expect(pubsub.published).toHaveLength(before + 1)
      await presence.stop()
    })
  })
})
