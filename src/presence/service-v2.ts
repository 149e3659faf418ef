/**
 * Presence v2 (PROTOCOL.md §3.6): presence only contacts can read, at a cost
 * that depends on the number of contacts, not on the size of the network.
 *
 * - Each user has a presence key, handed to each contact in a PRESENCE_KEY
 *   control payload inside the E2E DM channel, and rotated (handed again to
 *   the remaining contacts) when a contact is removed or blocked.
 * - Records are sealed under a per-epoch key and carry a per-epoch tag, both
 *   derived from the presence key; they are published on one of
 *   {@link PRESENCE_SHARDS} shard topics, chosen from the key, over presence's
 *   own gossipsub whose messages carry no author.
 * - A node subscribes to its own shard and its contacts' shards only, and
 *   finds other subscribers of those shards through DHT provider records.
 * - Contacts connected to this node also get each change directly
 *   (`/natter/presence/2/direct`), and a contact that connects gets the
 *   current record at once: newcomers converge without waiting for gossip.
 * - Validation without the key: shape, size, epoch, and a per-(peer, tag)
 *   rate in a bounded, expiring cache; with the key (contacts): decryption,
 *   the inner signature by the contact's identity, and sequence numbers.
 *
 * @module
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { repeatingTask } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { guard } from '../util/guard.js'
import { systemClock } from '../util/clock.js'
import { boundedLpStream } from '../network/length-prefixed.js'
import { closeAfterReply } from '../network/close.js'
import { DEFAULT_TTL_MS } from './constants.js'
import { SIGNATURE_DOMAIN_V2, checkPresenceInput, signPresence, verifyPresence } from './record.js'
import { MAX_SEALED_PRESENCE_BYTES, decodeSealed, epochKeys, epochOf, openSealed, sealPresence, shardOf, shardTopic } from './sealed.js'
import { ControlKind } from '../messaging/control-payload.js'
import { decodePresenceKey, encodePresenceKey } from './keys.js'
import type { PresenceKeys } from './keys.js'
import type { SealedFrame } from './sealed.js'
import type { Presence } from './service.js'
import type { PresenceStatus, VerifiedPresence } from './record.js'
import type { ControlChannel } from '../messaging/control.js'
import type { Clock } from '../util/clock.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { ComponentLogger, Ed25519PrivateKey, PeerId, Libp2p, Connection, Stream } from '@libp2p/interface'

/** The direct-update protocol: a contact's node writes one SealedPresence and closes. */
export const PRESENCE_DIRECT_PROTOCOL = '/natter/presence/2/direct'
/** Most distinct records one peer may forward under one tag within an epoch before they count as invalid. */
export const MAX_RECORDS_PER_TAG_PER_EPOCH = 30
/** Most (peer, tag) counters kept for records this node cannot open; oldest dropped first, all dropped with their epoch. */
export const MAX_UNDECODABLE_TAGS = 4096
/** Shard peers this node looks for through the DHT when it has fewer than this many on a shard it needs. */
export const SHARD_MIN_PEERS = 2
/** How long a first presence key to a contact whose key we do not hold waits, in ms (§3.6.2). */
export const FIRST_KEY_DELAY_MS = 10_000
/**
 * Longest wait between two rendezvous attempts (contact dials, DHT lookups) for one shard that found nobody new, in
 * ms: each fruitless attempt doubles the wait from the check interval up to this (§3.6.3). An offline contact cost
 * a dial (on the internet a DHT walk for its address) and a provider lookup every 15 s for as long as it stayed
 * offline.
 */
export const RENDEZVOUS_MAX_BACKOFF_MS = 10 * 60_000
/** Providers dialled per shard lookup. */
const SHARD_DIALS = 3
/**
 * Least time between two dials of one contact seen online by gossip while not connected, in ms (§3.6.6):
 * connected, its next changes come by direct update (one stream) rather than through a shard mesh that may
 * hold it only one gossip heartbeat later.
 */
export const CONTACT_REDIAL_MS = 60_000

/** Who may see this node's presence. */
export type PresenceVisibility = 'invisible' | 'contacts' | 'public'
export const VISIBILITIES: readonly PresenceVisibility[] = ['invisible', 'contacts', 'public']

/** What presence v2 needs. */
export interface PresenceV2Components {
  /** Presence's own gossipsub (unsigned messages). */
  pubsub: Pick<GossipSub, 'topicValidators' | 'addEventListener' | 'removeEventListener' | 'subscribe' | 'unsubscribe' | 'publish' | 'getSubscribers'>
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'addEventListener' | 'removeEventListener' | 'getConnections' | 'contentRouting' | 'dial'>
  key: Ed25519PrivateKey
  peerId: PeerId
  keys: PresenceKeys
  control: Pick<ControlChannel, 'send' | 'handle' | 'unsupported'>
  /** This node's contacts (peer ids), blocked ones excluded. */
  contacts(): string[]
  isContact(peer: string): boolean
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** Options of presence v2. */
export interface PresenceV2Init {
  /** @default DEFAULT_TTL_MS */
  ttlMs?: number
  /** @default ttlMs / 3 */
  republishIntervalMs?: number
  /** Initial visibility. @default 'contacts' */
  visibility?: PresenceVisibility
  /** Called for every accepted change of a contact's presence; `seq` absent for a lapse to offline. */
  onChange?: (presence: Presence, seq?: bigint) => void
  /** Whether the DHT is used to find shard peers. @default true */
  rendezvous?: boolean
  /** How often the shard meshes are checked (and DHT lookups made for thin ones), in ms. @default 15_000 */
  rendezvousIntervalMs?: number
}

/** Presence v2's face. */
export interface PresenceV2 {
  start(): Promise<void>
  stop(options?: { announce?: boolean }): Promise<void>
  /** Publishes a status (and pushes it to connected contacts). */
  publish(status: PresenceStatus, note: string): Promise<void>
  visibility(): PresenceVisibility
  setVisibility(v: PresenceVisibility, current: { status: PresenceStatus, note: string }): Promise<void>
  /** Re-reads the contact list: hands our key to new contacts, rotates it when one left. */
  syncContacts(): void
  get(peer: string): Presence | undefined
  list(): Presence[]
  /** The shards this node is subscribed to. */
  shards(): number[]
  /** Counters, for tests and the bench. */
  stats(): { undecodableTags: number, contactsWithKey: number, rotations: number }
}

type Known = Presence & { seq: bigint }

/** Creates presence v2. */
export function createPresenceV2 (components: PresenceV2Components, init: PresenceV2Init = {}): PresenceV2 {
  const { pubsub, libp2p, key, peerId, keys, control } = components
  const log = components.logger.forComponent('natter:presence:v2')
  const clock = components.clock ?? systemClock
  const ttlMs = init.ttlMs ?? DEFAULT_TTL_MS
  const republishIntervalMs = init.republishIntervalMs ?? Math.floor(ttlMs / 3)
  const ownBytes = peerId.toMultihash().bytes
  let visibility: PresenceVisibility = init.visibility ?? 'contacts'
  let running = false
  let lastSeq = 0n
  let current: { status: PresenceStatus, note: string } = { status: 'online', note: '' }
  let lastRecord: Uint8Array | undefined
  let rotations = 0
  /** Contacts' presence (bounded by the contact list). */
  const known = new Map<string, Known>()
  /** tag (hex) → contact, for the epochs around now. */
  let tagIndex = new Map<string, string>()
  let indexedEpoch = -1n
  /** (peer, tag) → records forwarded this epoch, for tags this node cannot open. */
  const undecodable = new Map<string, { count: number, epoch: bigint }>()
  const verified = new WeakMap<Message, { record: VerifiedPresence, contact: string }>()
  let subscribed = new Set<number>()
  let knownContacts = new Set<string>()
  /** contact → when it was last dialled after a gossiped record (bounded by the contact list). */
  const lastDialled = new Map<string, number>()
  const rendezvousIntervalMs = init.rendezvousIntervalMs ?? 15_000
  /** shard → when its next rendezvous attempt may run, after fruitless ones (bounded by the subscribed shards). */
  const shardRetry = new Map<number, { at: number, delayMs: number }>()

  const hex = (b: Uint8Array): string => uint8ArrayToString(b, 'base16')

  function rebuildTags (force = false): void {
    const epoch = epochOf(clock.now())
    if (!force && epoch === indexedEpoch) return
    const next = new Map<string, string>()
    for (const [peer, k] of keys.contacts()) {
      for (const e of [epoch - 1n, epoch, epoch + 1n]) {
        next.set(hex(epochKeys(k.key, e).tag), peer)
      }
    }
    tagIndex = next
    indexedEpoch = epoch
    for (const [k, v] of undecodable) {
      if (v.epoch < epoch - 1n) undecodable.delete(k)
    }
  }

  function wantedShards (): Set<number> {
    const wanted = new Set<number>([shardOf(keys.own().key)])
    for (const [, k] of keys.contacts()) wanted.add(shardOf(k.key))
    return wanted
  }

  function resubscribe (): void {
    if (!running) return
    const wanted = wantedShards()
    for (const s of subscribed) {
      if (!wanted.has(s)) {
        pubsub.unsubscribe(shardTopic(s))
        pubsub.topicValidators.delete(shardTopic(s))
        shardRetry.delete(s)
      }
    }
    for (const s of wanted) {
      if (!subscribed.has(s)) {
        pubsub.topicValidators.set(shardTopic(s), validator)
        pubsub.subscribe(shardTopic(s))
      }
    }
    subscribed = wanted
  }

  /** Checks a frame: contacts' records are opened and verified; others only counted. */
  async function check (from: string, frame: SealedFrame): Promise<{ result: TopicValidatorResult, record?: VerifiedPresence, contact?: string }> {
    rebuildTags()
    const tagHex = hex(frame.tag)
    const contact = tagIndex.get(tagHex)
    if (contact == null) {
      const k = `${from}/${tagHex}`
      const entry = undecodable.get(k)
      const count = entry != null && entry.epoch === frame.epoch ? entry.count + 1 : 1
      undecodable.delete(k)
      undecodable.set(k, { count, epoch: frame.epoch })
      for (const oldest of undecodable.keys()) {
        if (undecodable.size <= MAX_UNDECODABLE_TAGS) break
        undecodable.delete(oldest)
      }
      return { result: count > MAX_RECORDS_PER_TAG_PER_EPOCH ? TopicValidatorResult.Reject : TopicValidatorResult.Accept }
    }
    const k = keys.contact(contact)
    if (k == null) return { result: TopicValidatorResult.Accept }
    const record = await verifyPresence(openSealed(k.key, frame), clock.now(), SIGNATURE_DOMAIN_V2)
    if (record.peer.peerId.toString() !== contact) {
      // a contact sealing a record signed by someone else under its own key: forged
      return { result: TopicValidatorResult.Reject }
    }
    const prev = known.get(contact)
    if (prev != null && record.seq < prev.seq) {
      // a relay cannot know a record is stale: ignored, not held against it
      return { result: TopicValidatorResult.Ignore }
    }
    // the same seq (it came directly first) is still forwarded, for the contact's other contacts; applied once
    return { result: TopicValidatorResult.Accept, record, contact }
  }

  const validator = async (from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    try {
      const frame = decodeSealed(msg.data, clock.now())
      const { result, record, contact } = await check(from.toString(), frame)
      if (record != null && contact != null) verified.set(msg, { record, contact })
      return result
    } catch (err) {
      log('rejected sealed presence: %s', (err as Error).message)
      return TopicValidatorResult.Reject
    }
  }

  function apply (record: VerifiedPresence, contact: string): void {
    const prev = known.get(contact)
    if (prev != null && record.seq <= prev.seq) return
    if (!components.isContact(contact)) return
    const presence: Known = { peerId: contact, status: record.status, note: record.note, updatedAt: record.issuedAt, expiresAt: record.expiresAt, seq: record.seq }
    known.set(contact, presence)
    init.onChange?.(strip(presence), record.seq)
    if (record.status !== 'offline') connectTo(contact)
  }

  /** A contact is online and we are not connected to it: dial it (rarely), so both sides' changes go direct. */
  function connectTo (contact: string): void {
    if (!running || libp2p.getConnections().some(c => c.remotePeer.toString() === contact)) return
    const now = clock.now()
    const last = lastDialled.get(contact)
    if (last != null && now - last < CONTACT_REDIAL_MS) return
    lastDialled.set(contact, now)
    // once connected, each side's peer:connect handler pushes its current record (onConnect)
    void libp2p.dial(peerIdFromString(contact), { signal: AbortSignal.timeout(10_000) })
      .catch(err => { log('dial contact %s seen online: %s', contact, (err as Error).message) })
  }

  const onMessage = guard(log, 'sealed presence message', (evt: CustomEvent<Message>): void => {
    const v = verified.get(evt.detail)
    if (v != null) apply(v.record, v.contact)
  })

  async function seal (status: PresenceStatus, note: string): Promise<Uint8Array> {
    const now = clock.now()
    lastSeq = lastSeq >= BigInt(now) ? lastSeq + 1n : BigInt(now)
    const signed = await signPresence(key, ownBytes, { status, note, seq: lastSeq, issuedAt: now, expiresAt: now + ttlMs }, SIGNATURE_DOMAIN_V2)
    return sealPresence(keys.own().key, epochOf(now), signed)
  }

  async function publishNow (status: PresenceStatus, note: string, options: { push?: boolean } = {}): Promise<void> {
    const data = await seal(status, note)
    lastRecord = data
    await pubsub.publish(shardTopic(shardOf(keys.own().key)), data).catch(err => { log('publish: %s', (err as Error).message) })
    if (options.push === true) {
      await Promise.all(connectedContacts().map(async p => pushTo(p, data)))
    }
  }

  function connectedContacts (): string[] {
    const seen = new Set<string>()
    for (const c of libp2p.getConnections()) {
      const p = c.remotePeer.toString()
      if (!seen.has(p) && components.isContact(p)) seen.add(p)
    }
    return [...seen]
  }

  async function pushTo (peer: string, data: Uint8Array): Promise<void> {
    const conn = libp2p.getConnections().find(c => c.remotePeer.toString() === peer && c.status === 'open')
    if (conn == null || control.unsupported(peer)) return
    try {
      const stream = await conn.newStream(PRESENCE_DIRECT_PROTOCOL, { signal: AbortSignal.timeout(5_000) })
      const lp = boundedLpStream(stream, MAX_SEALED_PRESENCE_BYTES)
      await lp.write(data, { signal: AbortSignal.timeout(5_000) })
      await closeAfterReply(stream)
    } catch (err) {
      // a 1.1 peer does not speak the protocol; gossip still carries the record
      log('direct presence to %s: %s', peer, (err as Error).message)
    }
  }

  async function onDirect (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    try {
      if (!components.isContact(from)) {
        stream.abort(new Error('not a contact'))
        return
      }
      const lp = boundedLpStream(stream, MAX_SEALED_PRESENCE_BYTES)
      const data = (await lp.read({ signal: AbortSignal.timeout(5_000) })).subarray()
      await closeAfterReply(stream)
      const frame = decodeSealed(data, clock.now())
      rebuildTags()
      // only the connected contact's own record is taken this way
      if (tagIndex.get(hex(frame.tag)) !== from) return
      const { record, contact } = await check(from, frame)
      if (record != null && contact === from) apply(record, contact)
    } catch (err) {
      log('direct presence from %s dropped: %s', from, (err as Error).message)
      stream.abort(err as Error)
    }
  }

  const onConnect = guard(log, 'presence newcomer', (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString()
    if (!running || visibility === 'invisible' || !components.isContact(peer)) return
    // a contact just connected: one direct update instead of waiting for the next republish
    void (async () => {
      const data = lastRecord ?? await seal(current.status, current.note)
      await pushTo(peer, data)
    })().catch(err => { log('newcomer update to %s: %s', peer, (err as Error).message) })
  })

  // --- key distribution (§3.6.2) ---

  function sendKey (peer: string, want: boolean): void {
    const own = keys.own()
    control.send(peer, ControlKind.PRESENCE_KEY, encodePresenceKey(own, want), {
      // holding no key of theirs, we may still be a stranger to them: each envelope would spend one of the few
      // tokens their stranger rate limit allows us (the user's own first messages need them); a while later,
      // unless they write to us first (their key arriving sends ours at once)
      delayMs: want ? FIRST_KEY_DELAY_MS : 0,
      // once it holds the key, our current record at once (if connected) rather than at the next republish
      onDelivered: () => {
        if (running && visibility !== 'invisible' && lastRecord != null) void pushTo(peer, lastRecord)
      }
    })
    keys.markSent(peer, own.generation)
  }

  function onKey (from: string, body: Uint8Array): void {
    if (!components.isContact(from)) {
      // only contacts' keys are kept: a stranger cannot make us store anything
      return
    }
    const { key: k, want } = decodePresenceKey(body)
    if (k == null) {
      if (keys.deleteContact(from)) {
        known.delete(from)
        rebuildTags(true)
        resubscribe()
      }
    } else if (keys.setContact(from, k)) {
      rebuildTags(true)
      resubscribe()
      // a contact's new key may need a shard of its own, or make ours worth another look: no waiting out a backoff
      shardRetry.clear()
      // join the contact's shard mesh now (the contact itself, then DHT providers), not at the next check
      void findShardPeers().catch(() => {})
    }
    if (want) {
      sendKey(from, false)
    }
  }

  function syncContacts (): void {
    const now = new Set(components.contacts())
    const own0 = keys.own()
    if (now.size === knownContacts.size && [...now].every(p => knownContacts.has(p) && keys.sentTo(p) === own0.generation)) {
      return
    }
    let removed = false
    for (const p of knownContacts) {
      if (!now.has(p)) {
        removed = true
        keys.deleteContact(p)
        keys.markSent(p, undefined)
        known.delete(p)
        lastDialled.delete(p)
      }
    }
    for (const [p] of keys.contacts()) {
      if (!now.has(p)) {
        keys.deleteContact(p)
        known.delete(p)
      }
    }
    knownContacts = now
    if (removed) {
      // a contact left (removed or blocked): a new key, handed to the others only
      keys.rotate()
      rotations++
      log('presence key rotated (generation %s)', keys.own().generation)
    }
    const own = keys.own()
    for (const p of now) {
      if (keys.sentTo(p) !== own.generation) sendKey(p, keys.contact(p) == null)
    }
    rebuildTags(true)
    resubscribe()
    if (removed && running) {
      provideOwnShard()
      if (visibility !== 'invisible') void publishNow(current.status, current.note, { push: true }).catch(() => {})
    }
  }

  // --- shard rendezvous (§3.6.3) ---

  const shardCid = async (n: number): Promise<CID> => CID.createV1(0x55, await sha256Hasher.digest(uint8ArrayFromString(`natter-presence-v2/shard/${n}`)))

  function provideOwnShard (): void {
    if (init.rendezvous === false) return
    void (async () => {
      await libp2p.contentRouting.provide(await shardCid(shardOf(keys.own().key)), { signal: AbortSignal.timeout(30_000) })
    })().catch(err => { log('shard provide: %s', (err as Error).message) })
  }

  /**
   * The contacts (with keys) that matter on shard `s`: those who publish there, and on our own shard every
   * contact holding our key reads there too (we cannot tell which do; all with keys is the bound).
   */
  function contactsOn (s: number): string[] {
    const own = shardOf(keys.own().key) === s
    return keys.contacts().filter(([, k]) => own || shardOf(k.key) === s).map(([p]) => p)
  }

  async function findShardPeers (): Promise<void> {
    if (!running) return
    const now = clock.now()
    /** contacts dialled in this pass (a contact can matter on two shards: ours and its own): one dial each */
    const triedContacts = new Set<string>()
    for (const s of subscribed) {
      const retry = shardRetry.get(s)
      if (retry != null && now < retry.at) continue
      if (pubsub.getSubscribers(shardTopic(s)).length >= SHARD_MIN_PEERS) continue
      const connected = new Set(libp2p.getConnections().map(c => c.remotePeer.toString()))
      const unconnected = contactsOn(s).filter(p => !connected.has(p))
      // every contact that matters here is connected: records go both ways directly (flood publish reaches every
      // connected subscriber), so strangers found through the DHT would add relays nobody needs
      if (unconnected.length === 0) continue
      // the contacts who publish there are the shard peers that matter most: dial them first
      let dialled = 0
      let reached = 0
      for (const contact of unconnected.filter(p => !triedContacts.has(p)).slice(0, SHARD_DIALS)) {
        dialled++
        triedContacts.add(contact)
        await libp2p.dial(peerIdFromString(contact), { signal: AbortSignal.timeout(10_000) })
          .then(() => { reached++ }, err => { log('dial contact %s for shard %d: %s', contact, s, (err as Error).message) })
      }
      if (init.rendezvous !== false && dialled < SHARD_DIALS) {
        try {
          for await (const provider of libp2p.contentRouting.findProviders(await shardCid(s), { signal: AbortSignal.timeout(10_000) })) {
            if (provider.id.equals(peerId) || connected.has(provider.id.toString())) continue
            await libp2p.dial(provider.id, { signal: AbortSignal.timeout(5_000) }).then(() => { reached++ }, () => {})
            if (++dialled >= SHARD_DIALS) break
          }
        } catch (err) {
          log('shard %d lookup: %s', s, (err as Error).message)
        }
      }
      if (reached > 0) {
        shardRetry.delete(s)
      } else {
        // nobody new (contacts offline, no other provider): try again later, each time later, not every check
        const delayMs = Math.min(RENDEZVOUS_MAX_BACKOFF_MS, (retry?.delayMs ?? rendezvousIntervalMs) * 2)
        shardRetry.set(s, { at: clock.now() + delayMs, delayMs })
      }
    }
  }

  // --- timers ---

  const republishTask = repeatingTask(guard(log, 'sealed presence republish', async () => {
    if (visibility !== 'invisible') await publishNow(current.status, current.note)
  }), republishIntervalMs)

  const sweepTask = repeatingTask(guard(log, 'sealed presence sweep', () => {
    rebuildTags()
    const now = clock.now()
    for (const [id, p] of known) {
      if (p.status !== 'offline' && p.expiresAt <= now) {
        const lapsed = { ...p, status: 'offline' as const, updatedAt: p.expiresAt }
        known.set(id, lapsed)
        init.onChange?.(strip(lapsed))
      }
    }
  }), Math.max(100, Math.min(1000, Math.floor(ttlMs / 10))))

  // also at start: a node that starts with its contacts' keys joins their shard meshes now, not 15 s later
  const rendezvousTask = repeatingTask(guard(log, 'shard rendezvous', async () => { await findShardPeers() }), rendezvousIntervalMs, { runImmediately: true })
  const contactsTask = repeatingTask(guard(log, 'presence contacts sync', syncContacts), 5_000)

  return {
    async start () {
      if (running) return
      running = true
      // contacts at the last run (those our key went to): whoever left while we were stopped counts as removed
      knownContacts = new Set([...keys.sentPeers(), ...keys.contacts().map(([p]) => p)])
      pubsub.addEventListener('message', onMessage)
      libp2p.addEventListener('peer:connect', onConnect)
      await libp2p.handle(PRESENCE_DIRECT_PROTOCOL, (stream, connection) => { void onDirect(stream, connection) }, { maxInboundStreams: 32, maxOutboundStreams: 32 })
      control.handle(ControlKind.PRESENCE_KEY, onKey)
      syncContacts()
      // (syncContacts returns early when nothing changed since the last run: subscribe regardless)
      rebuildTags(true)
      resubscribe()
      republishTask.start()
      sweepTask.start()
      rendezvousTask.start()
      contactsTask.start()
      provideOwnShard()
      if (visibility !== 'invisible') await publishNow(current.status, current.note, { push: true })
    },

    async stop (options = {}) {
      if (!running) return
      republishTask.stop()
      sweepTask.stop()
      rendezvousTask.stop()
      contactsTask.stop()
      if (options.announce !== false && visibility !== 'invisible') {
        await publishNow('offline', '', { push: true }).catch(err => { log('offline announcement: %s', (err as Error).message) })
      }
      running = false
      pubsub.removeEventListener('message', onMessage)
      libp2p.removeEventListener('peer:connect', onConnect)
      await libp2p.unhandle(PRESENCE_DIRECT_PROTOCOL).catch(() => {})
      for (const s of subscribed) {
        pubsub.unsubscribe(shardTopic(s))
        pubsub.topicValidators.delete(shardTopic(s))
      }
      subscribed = new Set()
    },

    async publish (status, note) {
      checkPresenceInput(status, note)
      current = { status, note }
      if (running && visibility !== 'invisible') await publishNow(status, note, { push: true })
    },

    visibility: () => visibility,

    async setVisibility (v, now) {
      const was = visibility
      visibility = v
      current = now
      if (!running) return
      if (v === 'invisible' && was !== 'invisible') {
        // contacts see us go offline now, not at the end of the last record's lifetime
        await publishNow('offline', '', { push: true })
        lastRecord = undefined
      } else if (v !== 'invisible') {
        await publishNow(now.status, now.note, { push: true })
      }
    },

    syncContacts,
    get: (peer) => { const p = known.get(peer); return p == null ? undefined : strip(p) },
    list: () => [...known.values()].map(strip),
    shards: () => [...subscribed].sort((a, b) => a - b),
    stats: () => ({ undecodableTags: undecodable.size, contactsWithKey: keys.contacts().length, rotations })
  }
}

function strip (p: Presence & { seq?: bigint }): Presence {
  return { peerId: p.peerId, status: p.status, note: p.note, updatedAt: p.updatedAt, expiresAt: p.expiresAt }
}
