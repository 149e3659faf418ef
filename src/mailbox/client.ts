/**
 * The mailbox client: choosing mailbox peers (the natter nodes closest to a
 * key in the DHT, PROTOCOL.md §9.1), depositing an envelope with them (§9.3)
 * and fetching what they hold for this node (§9.4). It decides nothing about
 * what a fetched envelope means: the caller's `receive` does.
 *
 * @module
 */
import { DEFAULT_MAX_PAY_DIFFICULTY, MAILBOX_PROTOCOL, MAX_DEPOSIT_PIPELINE, MailboxClient } from './protocol.js'
import { MailboxRefusedError, NoMailboxError } from './errors.js'
import { REPLICATION } from './constants.js'
import type { DepositPayer } from './protocol.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { AbortOptions, Ed25519PrivateKey, Logger, PeerId } from '@libp2p/interface'

/** Handles an envelope fetched from a mailbox; resolves with its id when the mailbox may delete it. */
export type MailboxReceiver = (envelope: Uint8Array) => Promise<Uint8Array | undefined>

/** What the mailbox client needs. */
export interface MailboxClientComponents {
  libp2p: Pick<NatterLibp2p, 'peerId' | 'dialProtocol' | 'getConnections'> & { services: { dht: Pick<NatterLibp2p['services']['dht'], 'getClosestPeers'> } }
  key: Ed25519PrivateKey
  self: Ed25519Peer
  log: Logger
}

/** Options of {@link createMailboxClient}. */
export interface MailboxClientInit {
  /** How many mailbox peers receive each deposit. @default REPLICATION (3) */
  replication?: number
  /**
   * Highest difficulty this node pays when a mailbox asks for a deposit stamp;
   * a mailbox asking more is passed over. @default DEFAULT_MAX_PAY_DIFFICULTY (24, about 16 s)
   */
  maxPayDifficulty?: number
}

/** Deposits with and fetches from mailbox peers. */
export interface MailboxClientService {
  /** Deposits an envelope with up to `replication` mailbox peers of `recipient`; resolves with how many took it. Throws `NoMailboxError`. */
  deposit(recipient: Ed25519Peer, envelope: Uint8Array, options?: AbortOptions): Promise<number>
  /** The mailbox peers that may hold this node's envelopes. */
  ownMailboxes(options?: AbortOptions): Promise<PeerId[]>
  /** Fetches everything `peer` holds for this node, handing each batch to `receive`; resolves with how many were fetched. */
  fetchFrom(peer: PeerId, receive: MailboxReceiver, options?: AbortOptions): Promise<number>
}

/** A deposit waiting in a mailbox peer's lane. */
interface LaneItem {
  envelope: Uint8Array
  signal?: AbortSignal
  resolve(): void
  reject(err: Error): void
}

/** The deposits waiting for one mailbox peer, sent over at most one stream at a time. */
interface Lane {
  queue: LaneItem[]
  busy: boolean
}

/** Deposits waiting per mailbox peer at most; more are refused (the sender keeps them and tries later). */
const MAX_LANE_QUEUE = 1024
/** Mailbox peers with deposits waiting at most. */
const MAX_LANES = 256
/** Time allowed for one pipelined batch on a lane (dial, deposits, and a stamp when one is asked), in ms. */
const LANE_BATCH_TIMEOUT_MS = 60_000
/** How long the mailbox peers found for a recipient are reused, in ms. */
const CANDIDATES_TTL_MS = 30_000
/** Recipients whose mailbox peers are remembered. */
const CANDIDATES_MAX = 256

/** Creates the mailbox client. */
export function createMailboxClient (components: MailboxClientComponents, init: MailboxClientInit = {}): MailboxClientService {
  const { libp2p, key, self, log } = components
  const replication = init.replication ?? REPLICATION
  const maxPayDifficulty = init.maxPayDifficulty ?? DEFAULT_MAX_PAY_DIFFICULTY

  /** Peers closest to `key` in the DHT (most suitable first), never ourselves or `exclude`. */
  async function closestPeers (target: PeerId, exclude: PeerId | undefined, want: number, signal?: AbortSignal): Promise<PeerId[]> {
    const found: PeerId[] = []
    const seen = new Set<string>([libp2p.peerId.toString(), exclude?.toString() ?? ''])
    try {
      for await (const event of libp2p.services.dht.getClosestPeers(target.toMultihash().bytes, { signal })) {
        if (event.name === 'FINAL_PEER' && !seen.has(event.peer.id.toString())) {
          seen.add(event.peer.id.toString())
          found.push(event.peer.id)
        }
      }
    } catch (err) {
      log('closest-peer lookup for %p failed: %s', target, (err as Error).message)
    }
    // a tiny or young network may not answer the lookup: connected peers are candidates too
    for (const conn of libp2p.getConnections()) {
      if (!seen.has(conn.remotePeer.toString())) {
        seen.add(conn.remotePeer.toString())
        found.push(conn.remotePeer)
      }
    }
    return found.slice(0, want)
  }

  async function withClient<T> (peer: PeerId, signal: AbortSignal | undefined, fn: (client: MailboxClient) => Promise<T>, payer?: DepositPayer): Promise<T> {
    const client = new MailboxClient(await libp2p.dialProtocol(peer, MAILBOX_PROTOCOL, { signal, runOnLimitedConnection: true }), { payer })
    try {
      return await fn(client)
    } finally {
      await client.close()
    }
  }

  /** Mailbox peers found lately per recipient, so a burst of deposits costs one lookup. Bounded. */
  const candidates = new Map<string, { peers: PeerId[], at: number }>()
  /** Lookups under way per recipient: deposits asked for meanwhile wait for the same one. */
  const lookups = new Map<string, Promise<PeerId[]>>()

  async function mailboxesFor (recipient: Ed25519Peer, signal?: AbortSignal): Promise<PeerId[]> {
    const key = recipient.peerId.toString()
    const cached = candidates.get(key)
    if (cached != null && Date.now() - cached.at < CANDIDATES_TTL_MS && cached.peers.length > 0) {
      return cached.peers
    }
    let lookup = lookups.get(key)
    if (lookup == null) {
      lookup = closestPeers(recipient.peerId, recipient.peerId, replication * 2, signal).then(peers => {
        candidates.delete(key)
        if (candidates.size >= CANDIDATES_MAX) {
          candidates.delete(candidates.keys().next().value as string)
        }
        candidates.set(key, { peers, at: Date.now() })
        return peers
      }).finally(() => { lookups.delete(key) })
      lookups.set(key, lookup)
    }
    return lookup
  }

  /**
   * One lane per mailbox peer: whatever is deposited with it while a batch is
   * under way waits and goes in the next batch, over the same stream, up to
   * MAX_DEPOSIT_PIPELINE requests written ahead of their replies (PROTOCOL.md
   * §9.2, 1.3). So a burst of offline messages costs one stream per mailbox
   * peer (a mailbox takes few streams per connection) and one round trip
   * per batch, not per envelope; the mailbox still checks, rate-limits and
   * charges every envelope on its own.
   */
  const lanes = new Map<string, Lane>()

  function depositWith (peer: PeerId, envelope: Uint8Array, signal?: AbortSignal): Promise<void> {
    const name = peer.toString()
    let lane = lanes.get(name)
    if (lane == null) {
      if (lanes.size >= MAX_LANES) {
        return Promise.reject(new MailboxRefusedError('too many mailbox peers have deposits waiting; try later', 'UNAVAILABLE'))
      }
      lane = { queue: [], busy: false }
      lanes.set(name, lane)
    }
    if (lane.queue.length >= MAX_LANE_QUEUE) {
      return Promise.reject(new MailboxRefusedError(`too many deposits wait for mailbox ${name}; try later`, 'UNAVAILABLE'))
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    // a caller that gives up is told at once; the lane skips its envelope if not yet sent
    const onAbort = (): void => { reject(signal?.reason as Error ?? new Error('aborted')) }
    signal?.addEventListener('abort', onAbort, { once: true })
    const done = (): void => { signal?.removeEventListener('abort', onAbort) }
    lane.queue.push({ envelope, signal, resolve: () => { done(); resolve() }, reject: (err) => { done(); reject(err) } })
    if (!lane.busy) {
      lane.busy = true
      const started = lane
      // deposits asked for in the same tick join the first batch
      setImmediate(() => { void drain(peer, started) })
    }
    return promise
  }

  async function drain (peer: PeerId, lane: Lane): Promise<void> {
    let client: MailboxClient | undefined
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0, MAX_DEPOSIT_PIPELINE).filter(item => {
          if (item.signal?.aborted === true) {
            item.reject(item.signal.reason as Error)
            return false
          }
          return true
        })
        if (batch.length === 0) {
          continue
        }
        const signal = AbortSignal.timeout(LANE_BATCH_TIMEOUT_MS)
        try {
          // a mailbox may ask a depositor that is a stranger to it for a deposit stamp (PROTOCOL.md §9.3)
          client ??= new MailboxClient(await libp2p.dialProtocol(peer, MAILBOX_PROTOCOL, { signal, runOnLimitedConnection: true }), {
            payer: { self: self.bytes, mailbox: peer.toMultihash().bytes, maxDifficulty: maxPayDifficulty }
          })
          const results = await client.depositMany(batch.map(item => item.envelope), { signal })
          results.forEach((refused, i) => {
            if (refused == null) {
              batch[i]?.resolve()
            } else {
              log('deposit with %p refused: %s', peer, refused.message)
              batch[i]?.reject(refused)
            }
          })
        } catch (err) {
          // the dial or the stream failed: what is left goes to other mailbox peers (the callers choose)
          log('deposits with %p failed: %s', peer, (err as Error).message)
          for (const item of [...batch, ...lane.queue.splice(0)]) {
            item.reject(err as Error)
          }
        }
      }
    } catch (err) {
      log.error('deposit lane for %p crashed: %s', peer, (err as Error).message)
      for (const item of lane.queue.splice(0)) {
        item.reject(err as Error)
      }
    } finally {
      await client?.close().catch(() => {})
      if (lane.queue.length > 0) {
        // deposits that arrived while the stream closed: a new batch
        setImmediate(() => { void drain(peer, lane) })
      } else {
        lane.busy = false
        if (lanes.get(peer.toString()) === lane) {
          lanes.delete(peer.toString())
        }
      }
    }
  }

  /**
   * Deposits one envelope with the first `replication` mailbox peers that
   * accept it: the closest candidates at once, further ones only for what
   * is still short.
   */
  async function depositOne (recipient: Ed25519Peer, envelope: Uint8Array, signal?: AbortSignal): Promise<number> {
    const peers = await mailboxesFor(recipient, signal)
    let stored = 0
    let next = 0
    while (stored < replication && next < peers.length && signal?.aborted !== true) {
      const round = peers.slice(next, next + replication - stored)
      next += round.length
      const results = await Promise.allSettled(round.map(async peer => { await depositWith(peer, envelope, signal) }))
      stored += results.filter(r => r.status === 'fulfilled').length
    }
    signal?.throwIfAborted()
    if (stored === 0) {
      // none of them took it: look the candidates up afresh next time
      candidates.delete(recipient.peerId.toString())
      throw new NoMailboxError(`no mailbox peer accepted the message for ${recipient.peerId}`)
    }
    return stored
  }

  return {
    async deposit (recipient, envelope, options = {}) {
      options.signal?.throwIfAborted()
      return depositOne(recipient, envelope, options.signal)
    },

    ownMailboxes: async (options = {}) => closestPeers(libp2p.peerId, undefined, replication * 2, options.signal),

    async fetchFrom (peer, receive, options = {}) {
      return withClient(peer, options.signal, async client => client.fetchAll(key, self.bytes, peer.toMultihash().bytes, async envelopes => {
        const done: Uint8Array[] = []
        for (const envelope of envelopes) {
          const id = await receive(envelope)
          if (id != null) {
            done.push(id)
          }
        }
        return done
      }, { signal: options.signal }))
    }
  }
}
