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

  return {
    async deposit (recipient, envelope, options = {}) {
      const peers = await closestPeers(recipient.peerId, recipient.peerId, replication * 2, options.signal)
      let stored = 0
      for (const peer of peers) {
        if (stored >= replication) {
          break
        }
        try {
          // a mailbox may ask a depositor that is a stranger to it for a deposit stamp (PROTOCOL.md §9.3)
          await withClient(peer, options.signal, async client => { await client.deposit(envelope, { signal: options.signal }) }, { self: self.bytes, mailbox: peer.toMultihash().bytes, maxDifficulty: maxPayDifficulty })
          stored++
        } catch (err) {
          log('deposit with %p failed: %s', peer, (err as Error).message)
        }
      }
      if (stored === 0) {
        throw new NoMailboxError(`no mailbox peer accepted the message for ${recipient.peerId}`)
      }
      return stored
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
