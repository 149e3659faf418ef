/**
 * Recipients' prekey bundles as the sender sees them: looked up in the DHT
 * (PROTOCOL.md §6.3), remembered briefly (and their absence more briefly),
 * and the one-time prekeys a recipient refused never picked again from a
 * stale copy (§6.8).
 *
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { anySignal } from '../util/signals.js'
import { systemClock } from '../util/clock.js'
import { BUNDLE_CACHE_MS, BUNDLE_MISS_CACHE_MS, BUNDLE_TIMEOUT_MS, MAX_CACHED_BUNDLES } from './constants.js'

/** One-time prekey ids remembered as used or refused, per peer. */
const MAX_BURNED_PER_PEER = 256
import { fetchBundleRecord } from './publisher.js'
import type { VerifiedPrekeyRecord } from './bundle-record.js'
import type { PrekeyDht } from './publisher.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { Clock } from '../util/clock.js'
import type { Logger } from '@libp2p/interface'

/** What the bundle cache needs. */
export interface BundleCacheComponents {
  dht: PrekeyDht
  log: Logger
  /** Ends every lookup (the session manager stopped). */
  signal(): AbortSignal
  /** @default the system clock */
  clock?: Clock
}

/** Options of {@link createBundleCache}. */
export interface BundleCacheInit {
  /** @default BUNDLE_TIMEOUT_MS (10 s) */
  timeoutMs?: number
  /** @default BUNDLE_CACHE_MS (60 s) */
  cacheMs?: number
  /** @default BUNDLE_MISS_CACHE_MS (10 s) */
  missCacheMs?: number
}

/** Bundles of recipients, looked up and remembered. */
export interface BundleCache {
  /** The recipient's bundle, from the cache or the DHT; undefined when none was found in time. */
  get(recipient: Ed25519Peer, signal?: AbortSignal): Promise<VerifiedPrekeyRecord | undefined>
  /** Forgets what is known of `peer`'s bundle (it proved unusable). */
  forget(peer: string): void
  /** A one-time prekey of the bundle that `peer` has not refused, at random, or null. */
  pickOneTimePrekey(peer: string, record: VerifiedPrekeyRecord): number | null
  /** `peer` refused one-time prekey `id`: never picked again. */
  burn(peer: string, id: number): void
}

/** Creates the bundle cache. */
export function createBundleCache (components: BundleCacheComponents, init: BundleCacheInit = {}): BundleCache {
  const { dht, log } = components
  const clock = components.clock ?? systemClock
  const timeoutMs = init.timeoutMs ?? BUNDLE_TIMEOUT_MS
  const cacheMs = init.cacheMs ?? BUNDLE_CACHE_MS
  const missCacheMs = init.missCacheMs ?? BUNDLE_MISS_CACHE_MS
  const bundles = new Map<string, { record?: VerifiedPrekeyRecord, until: number }>()
  // one-time prekeys a recipient refused, per recipient: never picked again from a stale bundle
  const burned = new Map<string, Set<number>>()

  return {
    async get (recipient, signal) {
      const peer = recipient.peerId.toString()
      const cached = bundles.get(peer)
      if (cached != null && cached.until > clock.now()) {
        return cached.record
      }
      const record = await fetchBundleRecord(dht, recipient, { signal: anySignal([components.signal(), signal], timeoutMs), log })
      if (bundles.size >= MAX_CACHED_BUNDLES) {
        bundles.clear()
      }
      bundles.set(peer, { record, until: clock.now() + (record != null ? cacheMs : missCacheMs) })
      return record
    },

    forget (peer) {
      bundles.delete(peer)
    },

    pickOneTimePrekey (peer, record) {
      const refused = burned.get(peer)
      const usable = record.bundle.oneTimePrekeys.filter(k => refused?.has(k.id) !== true)
      if (usable.length === 0) {
        return null
      }
      const index = new DataView(randomBytes(4).buffer).getUint32(0) % usable.length
      return usable[index]?.id ?? null
    },

    burn (peer, id) {
      const set = burned.get(peer) ?? new Set<number>()
      set.add(id)
      // bounded: the oldest ids of a peer go first (its bundle has long been republished without them), and the
      // peers least recently burned when too many are remembered
      for (const oldest of set) {
        if (set.size <= MAX_BURNED_PER_PEER) break
        set.delete(oldest)
      }
      burned.delete(peer)
      burned.set(peer, set)
      for (const oldest of burned.keys()) {
        if (burned.size <= MAX_CACHED_BUNDLES) break
        burned.delete(oldest)
      }
    }
  }
}
