/**
 * Presence as the node offers it: presence v2 (`service-v2.ts`, records only
 * contacts can read, on shard topics) for everyone, and — only when the user
 * made their presence public — the v1 gossip service of `service.ts` with
 * natter's policies around it — records of blocked peers dropped and hidden,
 * a per-publisher rate limit (PROTOCOL.md §8.6), the last known records
 * cached in the store (so an older record stays rejected across restarts),
 * and a hook for whoever wants to know that a peer came online.
 *
 * @module
 */
import { createPresenceService } from './service.js'
import { checkPresenceInput } from './record.js'
import { DEFAULT_TTL_MS } from './constants.js'
import type { Presence, PresenceService, PresenceServiceComponents, PresenceServiceInit } from './service.js'
import { createPresenceV2 } from './service-v2.js'
import { InvalidArgumentError } from '../base-errors.js'
import { VISIBILITIES } from './service-v2.js'
import type { PresenceV2, PresenceV2Components, PresenceVisibility } from './service-v2.js'
import type { Status } from './record.js'
import type { RateLimiter } from '../abuse/index.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { PresenceCache } from '../store/index.js'

export type { Presence } from './service.js'
export type { Status, PresenceStatus } from './record.js'
export type { PresenceVisibility } from './service-v2.js'

/** Presence of this node and of the peers it hears from. */
export interface PresenceApi {
  /**
   * Publishes this node's presence (and republishes it periodically).
   * Throws `InvalidArgumentError` for an unknown status, `MessageTooLargeError`
   * for a note over 140 bytes.
   */
  set(presence: { status: Status, note?: string }): Promise<Presence>
  /** This node's own current presence. */
  own(): Presence
  /** The last known presence of a peer (peer id or contact name; `offline` once its record lapsed), or undefined. */
  get(peer: string): Presence | undefined
  /** Every peer whose presence this node has seen. */
  list(): Presence[]
  /**
   * Who sees this node's presence: `contacts` (default: sealed records only
   * contacts can read), `invisible` (nobody: contacts see you offline) or
   * `public` (also the v1 signed record anyone on the network can read).
   */
  visibility(): PresenceVisibility
  /** Changes {@link visibility} now (and remembers it across restarts). Throws `InvalidArgumentError` for an unknown value. */
  setVisibility(visibility: PresenceVisibility): Promise<void>
  /** Re-reads the contact list now (a contact added, removed or blocked): keys handed over, rotated on removal. */
  syncContacts(): void
  /** Presence v2's shards and counters (tests, bench, diagnostics). */
  v2(): Pick<PresenceV2, 'shards' | 'stats'>
}

/** What the presence service needs beyond the gossip service's components. */
export interface PresenceComponents extends PresenceServiceComponents {
  /** Presence v2's parts (its gossipsub, keys, control channel, contacts). */
  v2: Omit<PresenceV2Components, 'key' | 'peerId' | 'logger' | 'clock'>
  /** Where the visibility chosen through the API is remembered. */
  settings: { get(key: string): unknown, set(key: string, value: unknown): void }
  cache: Pick<PresenceCache, 'list' | 'upsert' | 'delete'>
  /** Whether a peer is a contact: only contacts' presence is kept and cached; others' sit in a bounded memory cache (issue 9). */
  isContact(peer: string): boolean
  isBlocked(peer: string): boolean
  /** Whether a publisher gets the contact tier of the limits. */
  isTrusted(peer: string): boolean
  rateLimiter: Pick<RateLimiter, 'tryConsume'>
  resolve(nameOrPeerId: string): Ed25519Peer
  /** Told of every change of another peer's presence (after it is cached). */
  onChange(presence: Presence): void
}

/** The presence service: starts and stops with the node, and serves {@link PresenceApi}. */
export interface PresenceServiceWithApi extends PresenceApi {
  start(): Promise<void>
  /** Announces `offline`, then stops. */
  stop(): Promise<void>
}

/** Creates the presence service. */
export function createPresence (components: PresenceComponents, init: Omit<PresenceServiceInit, 'initial' | 'accept' | 'admit' | 'onChange'> & { visibility?: PresenceVisibility, rendezvous?: boolean } = {}): PresenceServiceWithApi {
  const { cache, isContact, isBlocked, isTrusted, rateLimiter, resolve, onChange } = components
  const log = components.logger.forComponent('natter:presence')
  const remembered = (() => {
    try {
      const v = components.settings.get(VISIBILITY_KEY)
      return VISIBILITIES.includes(v as PresenceVisibility) ? v as PresenceVisibility : undefined
    } catch {
      return undefined
    }
  })()
  let visibility: PresenceVisibility = init.visibility ?? remembered ?? 'contacts'
  let running = false
  let own: Presence = { peerId: components.peerId.toString(), status: 'online', note: '', updatedAt: Date.now(), expiresAt: 0 }
  const v2 = createPresenceV2({ ...components.v2, key: components.key, peerId: components.peerId, logger: components.logger, clock: components.clock }, {
    ttlMs: init.ttlMs,
    republishIntervalMs: init.republishIntervalMs,
    visibility,
    rendezvous: init.rendezvous,
    onChange: (presence, seq) => { v1Change(presence, seq) }
  })
  const v1Change = (presence: Presence, seq?: bigint): void => {
    if (seq != null && isContact(presence.peerId)) {
      try {
        // seq is bounded to 2^53 - 1 by the validator (PROTOCOL.md §3.3)
        cache.upsert({ ...presence, seq: Number(seq) })
      } catch (err) {
        // a full disk or a locked database: the change is still shown, only the cache misses it
        log.error('presence of %s not cached: %s', presence.peerId, (err as Error).message)
      }
    }
    onChange(presence)
  }
  const service: PresenceService = createPresenceService(components, {
    ...init,
    initial: contactsPresence(cache, isContact),
    isContact,
    accept: (peer) => !isBlocked(peer),
    admit: (peer) => rateLimiter.tryConsume(peer, 'presence', { isContact: isTrusted(peer) }),
    onChange: v1Change,
    publishes: () => visibility === 'public'
  })
  /** The newer of what v2 and v1 say of a peer. */
  const newer = (a: Presence | undefined, b: Presence | undefined): Presence | undefined =>
    a == null ? b : b == null ? a : (b.updatedAt > a.updatedAt ? b : a)
  return {
    start: async () => {
      running = true
      await v2.start()
      await service.start()
    },
    stop: async () => {
      running = false
      await v2.stop({ announce: true })
      await service.stop({ announce: true })
    },
    set: async ({ status, note }) => {
      const n = note ?? ''
      checkPresenceInput(status, n)
      await v2.publish(status, n)
      if (running) {
        own = await service.set(status, n)
      }
      if (visibility !== 'public') {
        const now = Date.now()
        own = { peerId: own.peerId, status, note: n, updatedAt: now, expiresAt: visibility === 'invisible' ? 0 : now + (init.ttlMs ?? DEFAULT_TTL_MS) }
      }
      return own
    },
    own: () => own,
    get: (peer) => {
      const id = resolve(peer).peerId.toString()
      if (isBlocked(id)) return undefined
      return newer(v2.get(id), service.get(id))
    },
    list: () => {
      const byPeer = new Map<string, Presence>()
      for (const p of [...v2.list(), ...service.list()]) {
        if (isBlocked(p.peerId)) continue
        const merged = newer(byPeer.get(p.peerId), p)
        if (merged != null) byPeer.set(p.peerId, merged)
      }
      return [...byPeer.values()]
    },
    visibility: () => visibility,
    async setVisibility (v) {
      if (!VISIBILITIES.includes(v)) {
        throw new InvalidArgumentError(`visibility must be one of ${VISIBILITIES.join(', ')} (got "${String(v)}")`)
      }
      const was = visibility
      visibility = v
      components.settings.set(VISIBILITY_KEY, v)
      await v2.setVisibility(v, { status: own.status === 'offline' ? 'online' : own.status, note: own.note })
      if (!running) return
      if (v === 'public' && was !== 'public') {
        await service.set(own.status === 'offline' ? 'online' : own.status, own.note)
      } else if (v !== 'public' && was === 'public') {
        // one last public record says offline, then this node only receives and relays v1
        visibility = 'public'
        await service.stop({ announce: true })
        visibility = v
        await service.start()
      }
    },
    syncContacts: () => { v2.syncContacts() },
    v2: () => v2
  }
}

/** Settings key of the visibility chosen through the API. */
const VISIBILITY_KEY = 'presence.visibility'

/** Contacts' cached presence; every other peer's row (left by an older version, or a removed contact) is deleted. */
function contactsPresence (cache: Pick<PresenceCache, 'list' | 'delete'>, isContact: (peer: string) => boolean): Array<Presence & { seq: bigint }> {
  const kept: Array<Presence & { seq: bigint }> = []
  for (const p of cache.list()) {
    if (!isContact(p.peerId)) {
      cache.delete(p.peerId)
      continue
    }
    kept.push({ peerId: p.peerId, status: p.status as Presence['status'], note: p.note ?? '', updatedAt: p.updatedAt, expiresAt: p.expiresAt, seq: BigInt(p.seq) })
  }
  return kept
}
