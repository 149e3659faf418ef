/**
 * Presence as the node offers it: the gossip service of `service.ts` with
 * natter's policies around it — records of blocked peers dropped and hidden,
 * a per-publisher rate limit (PROTOCOL.md §8.6), the last known records
 * cached in the store (so an older record stays rejected across restarts),
 * and a hook for whoever wants to know that a peer came online.
 *
 * @module
 */
import { createPresenceService } from './service.js'
import type { Presence, PresenceService, PresenceServiceComponents, PresenceServiceInit } from './service.js'
import type { Status } from './record.js'
import type { RateLimiter } from '../abuse/index.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { PresenceCache } from '../store/index.js'

export type { Presence } from './service.js'
export type { Status, PresenceStatus } from './record.js'

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
}

/** What the presence service needs beyond the gossip service's components. */
export interface PresenceComponents extends PresenceServiceComponents {
  cache: Pick<PresenceCache, 'list' | 'upsert'>
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
export function createPresence (components: PresenceComponents, init: Omit<PresenceServiceInit, 'initial' | 'accept' | 'admit' | 'onChange'> = {}): PresenceServiceWithApi {
  const { cache, isBlocked, isTrusted, rateLimiter, resolve, onChange } = components
  const log = components.logger.forComponent('natter:presence')
  const service: PresenceService = createPresenceService(components, {
    ...init,
    initial: cache.list().map(p => ({ peerId: p.peerId, status: p.status as Presence['status'], note: p.note ?? '', updatedAt: p.updatedAt, expiresAt: p.expiresAt, seq: BigInt(p.seq) })),
    accept: (peer) => !isBlocked(peer),
    admit: (peer) => rateLimiter.tryConsume(peer, 'presence', { isContact: isTrusted(peer) }),
    onChange: (presence, seq) => {
      if (seq != null) {
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
  })
  return {
    start: async () => { await service.start() },
    stop: async () => { await service.stop({ announce: true }) },
    set: async ({ status, note }) => service.set(status, note ?? ''),
    own: () => service.own(),
    get: (peer) => service.get(resolve(peer).peerId.toString()),
    list: () => service.list()
  }
}
