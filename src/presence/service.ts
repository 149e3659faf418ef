/**
 * Presence over gossipsub: publishes this node's signed record on change and
 * periodically, validates everyone else's, keeps the last known record per
 * peer and turns a peer offline once its record lapses.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { repeatingTask } from '@libp2p/utils'
import { InvalidMessageError } from '../base-errors.js'
import { guard } from '../util/guard.js'
import { systemClock } from '../util/clock.js'
import { ANNOUNCE_DEBOUNCE_MS, DEFAULT_TTL_MS, STRANGER_ANNOUNCE_INTERVAL_MS, PRESENCE_FORGET_STRANGER_MS, PRESENCE_MAX_STRANGERS, PRESENCE_MAX_STRANGERS_LISTED } from './constants.js'
import { PRESENCE_TOPIC, checkPresenceInput, signPresence, verifyPresence } from './record.js'
import type { PresenceStatus, Status, VerifiedPresence } from './record.js'
import type { Clock } from '../util/clock.js'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { ComponentLogger, Ed25519PrivateKey, PeerId } from '@libp2p/interface'

/** What natter knows of a peer's presence. */
export interface Presence {
  peerId: string
  status: PresenceStatus
  note: string
  /** When the peer issued this record (ms since epoch), or when it lapsed for an expiry-made offline. */
  updatedAt: number
  /** When the record stops being valid (ms since epoch). */
  expiresAt: number
}

/** Options of {@link createPresenceService}. */
export interface PresenceServiceInit {
  /**
   * Lifetime of each record this node publishes, in ms. Watchers consider
   * the node offline once it passes without a newer record.
   * @default 90_000
   */
  ttlMs?: number
  /**
   * How often the current record is republished, in ms. Must be well below `ttlMs`.
   * @default ttlMs / 3
   */
  republishIntervalMs?: number
  /** Called for every accepted change of another peer's presence; `seq` is absent for a lapse to offline. */
  onChange?: (presence: Presence, seq?: bigint) => void
  /** Last known records (e.g. from a cache), so older records stay rejected across restarts. */
  initial?: Array<Presence & { seq: bigint }>
  /** Called for a record from a peer, and when presence is read; return false to drop and hide it (block list). */
  accept?: (peerId: string) => boolean
  /** Called in the validator for a new record; return false to ignore it without forwarding (rate limits). */
  admit?: (peerId: string) => boolean
  /**
   * Whether a peer is a contact: contacts' records are kept (a lapsed one as
   * `offline`); anyone else's sit in a bounded cache and are forgotten
   * {@link PRESENCE_FORGET_STRANGER_MS} after they lapse. @default every peer is a stranger
   */
  isContact?: (peerId: string) => boolean
  /** Most non-contacts' records held; the least recently updated is dropped first. @default PRESENCE_MAX_STRANGERS (1000) */
  maxStrangers?: number
  /** Most non-contacts returned by `list()`, most recently updated first. @default PRESENCE_MAX_STRANGERS_LISTED (200) */
  maxStrangersListed?: number
  /**
   * Whether this node publishes its own record (1.2: only when its presence
   * is public, PROTOCOL.md §3.6.6); it receives and relays others' regardless. @default always
   */
  publishes?: () => boolean
}

/** What the presence service needs. */
export interface PresenceServiceComponents {
  pubsub: Pick<GossipSub, 'topicValidators' | 'addEventListener' | 'removeEventListener' | 'subscribe' | 'publish'>
  key: Ed25519PrivateKey
  peerId: PeerId
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** The presence service's public face. */
export interface PresenceService {
  start(): Promise<void>
  /** Publishes the `offline` record (when `announce`) and stops timers. */
  stop(options?: { announce?: boolean }): Promise<void>
  set(status: Status, note?: string): Promise<Presence>
  own(): Presence
  get(peerId: string): Presence | undefined
  list(): Presence[]
}

/** Builds the presence service over a running gossipsub instance. */
export function createPresenceService (components: PresenceServiceComponents, init: PresenceServiceInit = {}): PresenceService {
  const { pubsub, key, peerId } = components
  const log = components.logger.forComponent('natter:presence')
  const clock = components.clock ?? systemClock
  const ttlMs = init.ttlMs ?? DEFAULT_TTL_MS
  const republishIntervalMs = init.republishIntervalMs ?? Math.floor(ttlMs / 3)
  const ownId = peerId.toString()
  const ownBytes = peerId.toMultihash().bytes
  const isContact = init.isContact ?? (() => false)
  const maxStrangers = init.maxStrangers ?? PRESENCE_MAX_STRANGERS
  const maxStrangersListed = init.maxStrangersListed ?? PRESENCE_MAX_STRANGERS_LISTED
  const known = boundedPresence(isContact, maxStrangers)
  for (const p of init.initial ?? []) {
    known.set(p.peerId, p.expiresAt > clock.now() ? p : { ...p, status: 'offline' })
  }
  let own: Presence = { peerId: ownId, status: 'online', note: '', updatedAt: clock.now(), expiresAt: 0 }
  let lastSeq = 0n
  let pendingAnnounce: ReturnType<typeof setTimeout> | undefined
  let pendingDue = 0
  let lastNewcomerAnnounce = -Infinity
  let running = false
  // records verified by the validator, so the message handler need not verify twice
  const verified = new WeakMap<Message, VerifiedPresence>()

  const validator = async (_from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    try {
      const record = await verifyPresence(msg.data)
      verified.set(msg, record)
      const id = record.peer.peerId.toString()
      if (id === ownId) {
        return TopicValidatorResult.Ignore
      }
      const prev = known.get(id)
      if (prev != null && record.seq < prev.seq) {
        throw new InvalidMessageError('presence record is older than the one already known', { reason: 'stale' })
      }
      if (prev != null && record.seq === prev.seq) {
        return TopicValidatorResult.Ignore
      }
      if (init.admit?.(id) === false) {
        return TopicValidatorResult.Ignore
      }
      return TopicValidatorResult.Accept
    } catch (err) {
      log('rejected presence record: %s', (err as Error).message)
      return TopicValidatorResult.Reject
    }
  }

  const onMessage = (evt: CustomEvent<Message>): void => {
    if (evt.detail.topic !== PRESENCE_TOPIC) {
      return
    }
    const cached = verified.get(evt.detail)
    void (cached != null ? Promise.resolve(cached) : verifyPresence(evt.detail.data)).then(record => {
      const id = record.peer.peerId.toString()
      const prev = known.get(id)
      if (id === ownId || (prev != null && record.seq <= prev.seq)) {
        return
      }
      if (init.accept?.(id) === false) {
        return
      }
      const presence = { peerId: id, status: record.status, note: record.note, updatedAt: record.issuedAt, expiresAt: record.expiresAt, seq: record.seq }
      known.set(id, presence)
      init.onChange?.(strip(presence), record.seq)
    }).catch(err => { log.error('dropped presence message: %s', (err as Error).message) })
  }

  /** Schedules one announcement for newcomers in `delayMs`, unless one is already due sooner. */
  const scheduleAnnounce = (delayMs: number): void => {
    const due = clock.now() + delayMs
    if (pendingAnnounce != null && pendingDue <= due) {
      return
    }
    clearTimeout(pendingAnnounce)
    pendingDue = due
    pendingAnnounce = setTimeout(guard(log, 'presence announcement', async () => {
      pendingAnnounce = undefined
      lastNewcomerAnnounce = clock.now()
      await publish()
    }), delayMs)
  }

  const onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (!running || init.publishes?.() === false) {
      // a node that does not publish on v1 (presence not public) has nothing to announce: no timer, no work
      return
    }
    if (!evt.detail.subscriptions.some(s => s.subscribe && s.topic === PRESENCE_TOPIC)) {
      return
    }
    // A newcomer on the topic (§3.2): a contact gets our record soon (debounced across a burst of joins);
    // strangers share one announcement per STRANGER_ANNOUNCE_INTERVAL_MS. Announcing to every newcomer at once
    // made every connection anywhere cost every public node a record to the whole topic (N² per wave).
    if (isContact(evt.detail.peerId.toString())) {
      scheduleAnnounce(ANNOUNCE_DEBOUNCE_MS)
    } else {
      scheduleAnnounce(Math.max(ANNOUNCE_DEBOUNCE_MS, lastNewcomerAnnounce + STRANGER_ANNOUNCE_INTERVAL_MS - clock.now()))
    }
  }

  const guardedOnMessage = guard(log, 'presence message', onMessage)
  const guardedOnSubscriptionChange = guard(log, 'presence subscription change', onSubscriptionChange)

  const sweep = (): void => {
    const now = clock.now()
    for (const [id, p] of known.entries()) {
      if (p.expiresAt + PRESENCE_FORGET_STRANGER_MS <= now && !isContact(id)) {
        // a stranger's long-lapsed record is forgotten: an expired record cannot be replayed (§3.3)
        known.delete(id)
        continue
      }
      if (p.status !== 'offline' && p.expiresAt <= now) {
        const lapsed = { ...p, status: 'offline' as const, updatedAt: p.expiresAt }
        known.set(id, lapsed)
        try {
          if (init.accept?.(id) !== false) {
            init.onChange?.(strip(lapsed))
          }
        } catch (err) {
          // one failing observer (a full disk, say) must not stop the sweep of the others
          log.error('presence lapse of %s not recorded: %s', id, (err as Error).message)
        }
      }
    }
  }

  async function publish (status: PresenceStatus = own.status, note = own.note): Promise<Presence> {
    const now = clock.now()
    if (init.publishes?.() === false) {
      own = { peerId: ownId, status, note, updatedAt: now, expiresAt: 0 }
      return own
    }
    // seq: strictly increasing, and above anything sent before a restart (clock-based)
    lastSeq = lastSeq >= BigInt(now) ? lastSeq + 1n : BigInt(now)
    const expiresAt = now + ttlMs
    const data = await signPresence(key, ownBytes, { status, note, seq: lastSeq, issuedAt: now, expiresAt })
    own = { peerId: ownId, status, note, updatedAt: now, expiresAt }
    await pubsub.publish(PRESENCE_TOPIC, data)
    return own
  }

  const republishTask = repeatingTask(guard(log, 'presence republish', async () => { await publish() }), republishIntervalMs)
  const sweepTask = repeatingTask(guard(log, 'presence sweep', sweep), Math.max(100, Math.min(1000, Math.floor(ttlMs / 10))))

  return {
    async start () {
      if (running) {
        return
      }
      running = true
      pubsub.topicValidators.set(PRESENCE_TOPIC, validator)
      pubsub.addEventListener('message', guardedOnMessage)
      pubsub.addEventListener('subscription-change', guardedOnSubscriptionChange)
      pubsub.subscribe(PRESENCE_TOPIC)
      republishTask.start()
      sweepTask.start()
      await publish()
    },

    async stop (options = {}) {
      if (!running) {
        return
      }
      running = false
      republishTask.stop()
      sweepTask.stop()
      clearTimeout(pendingAnnounce)
      pendingAnnounce = undefined
      if (options.announce !== false) {
        await publish('offline', '').catch(err => { log('offline announcement failed: %s', (err as Error).message) })
      }
      pubsub.removeEventListener('message', guardedOnMessage)
      pubsub.removeEventListener('subscription-change', guardedOnSubscriptionChange)
      pubsub.topicValidators.delete(PRESENCE_TOPIC)
    },

    async set (status, note = '') {
      checkPresenceInput(status, note)
      return publish(status, note)
    },

    own: () => own,

    get (id) {
      const p = known.get(id)
      // what was known of a peer before it was blocked is not shown either
      return p == null || init.accept?.(id) === false ? undefined : strip(p)
    },

    list: () => known.list(maxStrangersListed).filter(p => init.accept?.(p.peerId) !== false).map(strip)
  }
}

type Known = Presence & { seq: bigint }

/** Contacts' records (as many as there are contacts) and an LRU of at most `maxStrangers` others. */
function boundedPresence (isContact: (peerId: string) => boolean, maxStrangers: number) {
  const contacts = new Map<string, Known>()
  const strangers = new Map<string, Known>()
  return {
    get: (id: string): Known | undefined => contacts.get(id) ?? strangers.get(id),
    set (id: string, p: Known): void {
      // re-checked on every update: a stranger who becomes a contact moves over, and back
      contacts.delete(id)
      strangers.delete(id)
      if (isContact(id)) {
        contacts.set(id, p)
        return
      }
      strangers.set(id, p)
      for (const oldest of strangers.keys()) {
        if (strangers.size <= maxStrangers) {
          break
        }
        strangers.delete(oldest)
      }
    },
    delete (id: string): void {
      contacts.delete(id)
      strangers.delete(id)
    },
    entries: (): Array<[string, Known]> => [...contacts.entries(), ...strangers.entries()],
    /** Contacts, then at most `maxListed` strangers, most recently updated first. */
    list: (maxListed: number): Known[] => [...contacts.values(), ...[...strangers.values()].reverse().slice(0, maxListed)],
    get size (): number {
      return contacts.size + strangers.size
    }
  }
}

function strip (p: Presence & { seq?: bigint }): Presence {
  return { peerId: p.peerId, status: p.status, note: p.note, updatedAt: p.updatedAt, expiresAt: p.expiresAt }
}
