/**
 * The datastore natter's Kademlia service keeps other peers' records in: an
 * in-memory store with limits (PROTOCOL.md §6.4).
 *
 * kad-dht writes what peers PUT (`/dht/record/…`) and ADD_PROVIDER
 * (`/dht/provider/…`) straight into its datastore with no cap. This store
 * knows which peer asked (the DHT's inbound stream handler runs inside
 * {@link dhtOrigin}) and so can:
 * - rate-limit PUT_VALUE and ADD_PROVIDER per peer;
 * - hold at most {@link DhtStoreInit.maxPerPeer} records of each kind per peer;
 * - hold at most `maxRecords` / `maxProviders` / `maxBytes` in total, making room
 *   by evicting the oldest record of the peer that holds the most;
 * - refuse a prekey record older than the one it replaces (rollback), the
 *   rule the prekey selector applies when reading.
 * Records this node stores itself (no origin) count towards the totals but are
 * never evicted and never rate-limited.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { logger } from '@libp2p/logger'
import { Libp2pRecord } from '@libp2p/record'
import { MemoryDatastore } from 'datastore-core/memory'
import { Key } from 'interface-datastore'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { createRateLimiter } from '../abuse/rate-limit.js'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import {
  DHT_MAX_BYTES, DHT_MAX_PER_PEER, DHT_MAX_PROVIDERS, DHT_MAX_RECORDS, DHT_MAX_RECORD_BYTES, DHT_PROVIDE_RATE, DHT_PUT_RATE, DHT_RATE_LIMIT_MAX_PEERS
} from './constants.js'
import { DhtQuotaError, StaleDhtRecordError } from './errors.js'
import type { RateLimitRule } from '../abuse/rate-limit.js'
import type { AbortOptions } from '@libp2p/interface'

const log = logger('natter:dht-store')

/** Who the DHT is serving right now: set around each inbound DHT stream. */
export const dhtOrigin = new AsyncLocalStorage<{ peer: string }>()

/** Options of {@link createDhtStore}; every figure is in `constants.ts`. */
export interface DhtStoreInit {
  /** @default DHT_MAX_RECORDS (4096) */
  maxRecords?: number
  /** @default DHT_MAX_PROVIDERS (4096) */
  maxProviders?: number
  /** @default DHT_MAX_BYTES (24 MiB) */
  maxBytes?: number
  /** @default DHT_MAX_RECORD_BYTES (10 KiB) */
  maxRecordBytes?: number
  /** @default DHT_MAX_PER_PEER (64) */
  maxPerPeer?: number
  /** @default DHT_PUT_RATE (0.5/s, burst 20) */
  putRate?: RateLimitRule
  /** @default DHT_PROVIDE_RATE (0.5/s, burst 20) */
  provideRate?: RateLimitRule
  /** Record and provider keys live under this prefix (kad-dht's `datastorePrefix`). @default '/dht' */
  prefix?: string
  /**
   * When a record was published, by key namespace (e.g. `natter-prekeys` for
   * `/natter-prekeys/<peer>`): a record that is older than the one stored
   * under the same key is refused (no rollback). Given by the layers above
   * (`natterServicePolicies().dhtRecordAge`). @default none
   */
  recordAge?: Record<string, (value: Uint8Array) => number | bigint>
}

type Kind = 'record' | 'provider'

interface Entry {
  kind: Kind
  /** Peer id of the peer that asked, or '' for this node. */
  origin: string
  bytes: number
}

/** What the store holds, for tests and status. */
export interface DhtStoreStats {
  records: number
  providers: number
  bytes: number
  /** Records refused since start, by reason. */
  refused: Record<DhtQuotaError['reason'] | 'stale', number>
}

/** The bounded DHT datastore. */
export class DhtStore extends MemoryDatastore {
  private readonly entries = new Map<string, Entry>()
  /** Per kind, per origin: its keys, oldest first. */
  private readonly byOrigin: Record<Kind, Map<string, Set<string>>> = { record: new Map(), provider: new Map() }
  private readonly counts: Record<Kind, number> = { record: 0, provider: 0 }
  private bytes = 0
  private readonly refused: DhtStoreStats['refused'] = { rate: 0, 'peer-quota': 0, size: 0, full: 0, stale: 0 }
  private readonly max: Record<Kind, number>
  private readonly maxBytes: number
  private readonly maxRecordBytes: number
  private readonly maxPerPeer: number
  private readonly recordPrefix: string
  private readonly providerPrefix: string
  private readonly limiter

  /** Key prefixes (`/<namespace>/`) whose records must not roll back, with how to date one. */
  private readonly recordAge: Array<[Uint8Array, (value: Uint8Array) => number | bigint]>
  constructor (init: DhtStoreInit = {}) {
    super()
    this.max = { record: init.maxRecords ?? DHT_MAX_RECORDS, provider: init.maxProviders ?? DHT_MAX_PROVIDERS }
    this.maxBytes = init.maxBytes ?? DHT_MAX_BYTES
    this.maxRecordBytes = init.maxRecordBytes ?? DHT_MAX_RECORD_BYTES
    this.maxPerPeer = init.maxPerPeer ?? DHT_MAX_PER_PEER
    this.recordAge = Object.entries(init.recordAge ?? {}).map(([namespace, age]) => [uint8ArrayFromString(`/${namespace}/`), age])
    const prefix = init.prefix ?? '/dht'
    this.recordPrefix = `${prefix}/record/`
    this.providerPrefix = `${prefix}/provider/`
    const put = init.putRate ?? DHT_PUT_RATE
    const provide = init.provideRate ?? DHT_PROVIDE_RATE
    this.limiter = createRateLimiter({
      // a peer forgotten past this many starts with a fresh bucket; the totals still bound the store
      maxPeers: DHT_RATE_LIMIT_MAX_PEERS,
      limits: {
        'dht-put': { contact: put, stranger: put },
        'dht-provide': { contact: provide, stranger: provide }
      }
    })
  }

  stats (): DhtStoreStats {
    return { records: this.counts.record, providers: this.counts.provider, bytes: this.bytes, refused: { ...this.refused } }
  }

  override put (key: Key, val: Uint8Array, options?: AbortOptions): Key | Promise<Key> {
    const id = key.toString()
    const kind: Kind | undefined = id.startsWith(this.recordPrefix) ? 'record' : id.startsWith(this.providerPrefix) ? 'provider' : undefined
    if (kind == null) {
      return super.put(key, val, options)
    }
    const origin = dhtOrigin.getStore()?.peer ?? ''
    try {
      this.admit(id, kind, origin, val)
    } catch (err) {
      const reason = err instanceof DhtQuotaError ? err.reason : 'stale'
      this.refused[reason]++
      log('refused %s %s from %s: %s', kind, id, origin === '' ? 'self' : origin, (err as Error).message)
      throw err
    }
    this.forget(id)
    super.put(key, val, options)
    this.entries.set(id, { kind, origin, bytes: val.byteLength })
    this.counts[kind]++
    this.bytes += val.byteLength
    if (origin !== '') {
      const keys = this.byOrigin[kind].get(origin) ?? new Set()
      keys.add(id)
      this.byOrigin[kind].set(origin, keys)
    }
    return key
  }

  override delete (key: Key, options?: AbortOptions): void {
    this.forget(key.toString())
    super.delete(key, options)
  }

  /** Throws unless `val` may be stored under `id` for `origin`; evicts others' records to make room. */
  private admit (id: string, kind: Kind, origin: string, val: Uint8Array): void {
    if (val.byteLength > this.maxRecordBytes) {
      throw new DhtQuotaError(`a DHT ${kind} of ${val.byteLength} bytes exceeds ${this.maxRecordBytes}`, 'size')
    }
    if (origin !== '' && !this.limiter.tryConsume(origin, kind === 'record' ? 'dht-put' : 'dht-provide')) {
      throw new DhtQuotaError(`peer ${origin} stores DHT ${kind}s faster than allowed`, 'rate')
    }
    const existing = this.entries.get(id)
    if (kind === 'record' && existing != null) {
      this.refuseRollback(id, val)
    }
    if (existing != null) {
      // a replacement takes no new slot; only the size may grow
      this.makeRoom(kind, val.byteLength - existing.bytes, 0, id)
      return
    }
    if (origin !== '' && (this.byOrigin[kind].get(origin)?.size ?? 0) >= this.maxPerPeer) {
      throw new DhtQuotaError(`peer ${origin} already holds ${this.maxPerPeer} DHT ${kind}s here`, 'peer-quota')
    }
    this.makeRoom(kind, val.byteLength, 1, id)
  }

  private refuseRollback (id: string, val: Uint8Array): void {
    let stored: Libp2pRecord
    let next: Libp2pRecord
    try {
      // MemoryDatastore answers synchronously
      stored = Libp2pRecord.deserialize(super.get(keyOf(id)) as Uint8Array)
      next = Libp2pRecord.deserialize(val)
    } catch {
      return // kad-dht validated the new record; an undecodable stored one may be replaced
    }
    for (const [namespace, age] of this.recordAge) {
      if (next.key.byteLength <= namespace.byteLength || !uint8ArrayEquals(next.key.subarray(0, namespace.byteLength), namespace)) {
        continue
      }
      if (age(next.value) < age(stored.value)) {
        throw new StaleDhtRecordError('refused a record older than the one stored under its key')
      }
    }
  }

  /** Evicts records of kind `kind` (largest holder first, its oldest record first) until `slots` and `bytes` more fit. */
  private makeRoom (kind: Kind, bytes: number, slots: number, keep: string): void {
    for (let guard = this.entries.size + 1; guard > 0; guard--) {
      if (this.counts[kind] + slots <= this.max[kind] && this.bytes + bytes <= this.maxBytes) {
        return
      }
      const overCount = this.counts[kind] + slots > this.max[kind]
      const victim = this.victim(overCount ? kind : undefined, keep)
      if (victim == null) {
        throw new DhtQuotaError(`the DHT store is full (${this.counts[kind]} ${kind}s, ${this.bytes} bytes) of records that cannot be evicted`, 'full')
      }
      this.forget(victim)
      super.delete(keyOf(victim))
    }
  }

  private victim (kind: Kind | undefined, keep: string): string | undefined {
    let largest: Set<string> | undefined
    for (const k of kind == null ? (['record', 'provider'] as const) : [kind]) {
      for (const keys of this.byOrigin[k].values()) {
        if ((largest == null || keys.size > largest.size) && !(keys.size === 1 && keys.has(keep))) {
          largest = keys
        }
      }
    }
    if (largest == null) {
      return undefined
    }
    for (const id of largest) {
      if (id !== keep) {
        return id
      }
    }
    return undefined
  }

  private forget (id: string): void {
    const entry = this.entries.get(id)
    if (entry == null) {
      return
    }
    this.entries.delete(id)
    this.counts[entry.kind]--
    this.bytes -= entry.bytes
    if (entry.origin !== '') {
      const keys = this.byOrigin[entry.kind].get(entry.origin)
      keys?.delete(id)
      if (keys?.size === 0) {
        this.byOrigin[entry.kind].delete(entry.origin)
      }
    }
  }
}

function keyOf (id: string): Key {
  return new Key(id, false)
}

/** Creates the bounded DHT datastore. */
export function createDhtStore (init: DhtStoreInit = {}): DhtStore {
  return new DhtStore(init)
}
