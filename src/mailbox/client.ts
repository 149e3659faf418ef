/**
 * The mailbox client: choosing mailbox peers (the natter nodes closest to a
 * key in the DHT, PROTOCOL.md §9.1), depositing an envelope with them (§9.3)
 * and fetching what they hold for this node (§9.4). It decides nothing about
 * what a fetched envelope means: the caller's `receive` does.
 *
 * @module
 */
import { DEFAULT_MAX_PAY_DIFFICULTY, MAILBOX_PROTOCOL, MailboxClient } from './protocol.js'
import { NoMailboxError } from './errors.js'
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

/** A deposit waiting for its batch. */
interface PendingDeposit {
  envelope: Uint8Array
  signal?: AbortSignal
  resolve(stored: number): void
  reject(err: Error): void
}

/** Deposits sent on one stream per mailbox peer at most. */
const MAX_DEPOSIT_BATCH = 128
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

  async function mailboxesFor (recipient: Ed25519Peer, signal?: AbortSignal): Promise<PeerId[]> {
    const key = recipient.peerId.toString()
    const cached = candidates.get(key)
    if (cached != null && Date.now() - cached.at < CANDIDATES_TTL_MS && cached.peers.length > 0) {
      return cached.peers
    }
    const peers = await closestPeers(recipient.peerId, recipient.peerId, replication * 2, signal)
    candidates.delete(key)
    if (candidates.size >= CANDIDATES_MAX) {
      candidates.delete(candidates.keys().next().value as string)
    }
    candidates.set(key, { peers, at: Date.now() })
    return peers
  }

  /**
   * Deposits a batch of envelopes for one recipient with one stream per
   * mailbox peer (PROTOCOL.md §9.2: a stream carries any number of requests).
   * Each envelope goes to the first `replication` peers that accept it;
   * envelopes a peer refused are offered to the next candidates.
   */
  async function depositBatch (recipient: Ed25519Peer, items: PendingDeposit[]): Promise<void> {
    const signal = items[0]?.signal
    let peers: PeerId[]
    try {
      peers = await mailboxesFor(recipient, signal)
    } catch (err) {
      for (const item of items) item.reject(err as Error)
      return
    }
    const stored = new Array<number>(items.length).fill(0)
    const depositWith = async (peer: PeerId): Promise<void> => {
      const wanted = items.map((item, i) => ({ item, i })).filter(({ item, i }) => stored[i]! < replication && item.signal?.aborted !== true)
      if (wanted.length === 0) {
        return
      }
      try {
        // a mailbox may ask a depositor that is a stranger to it for a deposit stamp (PROTOCOL.md §9.3)
        await withClient(peer, signal, async client => {
          for (const { item, i } of wanted) {
            try {
              await client.deposit(item.envelope, { signal: item.signal })
              stored[i]!++
            } catch (err) {
              log('deposit with %p failed: %s', peer, (err as Error).message)
              if (client.stream.status !== 'open') {
                throw err
              }
            }
          }
        }, { self: self.bytes, mailbox: peer.toMultihash().bytes, maxDifficulty: maxPayDifficulty })
      } catch (err) {
        log('deposits with %p failed: %s', peer, (err as Error).message)
      }
    }
    // the first `replication` candidates at once; further ones only for what is still short
    let next = 0
    while (next < peers.length && stored.some((n, i) => n < replication && items[i]?.signal?.aborted !== true)) {
      const short = Math.min(...stored.filter((n, i) => items[i]?.signal?.aborted !== true))
      const take = Math.max(1, replication - short)
      const round = peers.slice(next, next + take)
      next += round.length
      await Promise.all(round.map(depositWith))
    }
    if (stored.every(n => n === 0)) {
      // none of them took anything: look the candidates up afresh next time
      candidates.delete(recipient.peerId.toString())
    }
    items.forEach((item, i) => {
      if ((stored[i] ?? 0) > 0) {
        item.resolve(stored[i] as number)
      } else {
        item.reject(new NoMailboxError(`no mailbox peer accepted the message for ${recipient.peerId}`))
      }
    })
  }

  /** Deposits asked for in the same tick, per recipient: sent together by {@link depositBatch}. */
  const queued = new Map<string, { recipient: Ed25519Peer, items: PendingDeposit[] }>()

  function flush (key: string): void {
    const batch = queued.get(key)
    queued.delete(key)
    if (batch == null) {
      return
    }
    for (let i = 0; i < batch.items.length; i += MAX_DEPOSIT_BATCH) {
      void depositBatch(batch.recipient, batch.items.slice(i, i + MAX_DEPOSIT_BATCH)).catch(err => {
        for (const item of batch.items.slice(i, i + MAX_DEPOSIT_BATCH)) item.reject(err as Error)
      })
    }
  }

  return {
    async deposit (recipient, envelope, options = {}) {
      options.signal?.throwIfAborted()
      const key = recipient.peerId.toString()
      let batch = queued.get(key)
      if (batch == null) {
        batch = { recipient, items: [] }
        queued.set(key, batch)
        setImmediate(() => { flush(key) })
      }
      const { promise, resolve, reject } = Promise.withResolvers<number>()
      batch.items.push({ envelope, signal: options.signal, resolve, reject })
      return promise
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
