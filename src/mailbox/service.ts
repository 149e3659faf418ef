/**
 * Offline delivery without servers: choosing mailbox peers (the natter nodes
 * closest to the recipient's key in the DHT), depositing envelopes with them,
 * fetching this node's own envelopes back, and serving as a mailbox for others.
 */
import { logger } from '@libp2p/logger'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAILBOX_PROTOCOL, MailboxClient, handleMailboxStream } from './protocol.js'
import { NoMailboxError } from './errors.js'
import { createDepositCredits } from './deposit-credit.js'
import { guard } from '../util/guard.js'
import { DEFAULT_DIFFICULTY } from '../abuse/index.js'
import { parsePeerId } from '../crypto/peer.js'
import type { ReplayCache } from '../abuse/index.js'
import type { DepositPayer, MailboxBackend } from './protocol.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { Store } from '../store/index.js'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'

const log = logger('natter:mailbox')

/** Options of {@link createMailboxService}. */
export interface MailboxServiceInit {
  /** Serve as a mailbox for other peers. @default true */
  serve?: boolean
  /** How many mailbox peers receive each deposit. @default 3 */
  replication?: number
  /** How long a held envelope is kept, in ms. @default 14 days */
  ttlMs?: number
  /** How often this node fetches its own mailboxes, in ms. @default 60_000 */
  fetchIntervalMs?: number
  /** Admission check for inbound requests (rate limits); throw to refuse. */
  admit?: MailboxBackend['admit']
  /** Deposits from a peer for which this returns true are dropped without telling it. */
  isBlocked?(peer: string): boolean
  /** Depositors for which this returns true (contacts) need no deposit stamp. @default none */
  trusted?(peer: string): boolean
  /** Difficulty of the deposit stamp wanted from other depositors, in bits. @default 20 */
  powDifficulty?: number
  /**
   * Highest difficulty this node pays when a mailbox asks for a deposit stamp;
   * a mailbox asking more is passed over. @default 24 (about 16 s)
   */
  maxPayDifficulty?: number
}

/** What the mailbox service needs from its host. */
export interface MailboxServiceComponents {
  libp2p: NatterLibp2p
  key: Ed25519PrivateKey
  self: Ed25519Peer
  store: Store
  /** Handles an envelope fetched from a mailbox; resolves with its id when it may be deleted there. */
  receive(envelope: Uint8Array): Promise<Uint8Array | undefined>
}

/** The mailbox service. */
export interface MailboxService {
  start(): Promise<void>
  stop(): Promise<void>
  /** Deposits an envelope with up to `replication` mailbox peers of `recipient`; resolves with how many took it. */
  deposit(recipient: Ed25519Peer, envelope: Uint8Array, options?: { signal?: AbortSignal }): Promise<number>
  /** Fetches and processes everything held for this node; resolves with the number of envelopes fetched. */
  fetchOwn(options?: { signal?: AbortSignal }): Promise<number>
}

const DAY = 24 * 60 * 60 * 1000

/** Creates the mailbox service. */
export function createMailboxService (components: MailboxServiceComponents, init: MailboxServiceInit = {}): MailboxService {
  const { libp2p, store, self } = components
  const serve = init.serve ?? true
  const replication = init.replication ?? 3
  const ttlMs = init.ttlMs ?? 14 * DAY
  const fetchIntervalMs = init.fetchIntervalMs ?? 60_000
  const maxPayDifficulty = init.maxPayDifficulty ?? 24
  const stampRecord: ReplayCache = {
    add: (digest, expiresAt, now) => store.stampReplay.add(digest, expiresAt, now),
    has: (digest, now) => store.stampReplay.has(digest, now),
    get size () { return store.stampReplay.count() },
    clear: () => {}
  }
  const credits = createDepositCredits({ self: self.bytes, replayCache: stampRecord }, { difficulty: init.powDifficulty ?? DEFAULT_DIFFICULTY })
  let fetchTimer: ReturnType<typeof setInterval> | undefined
  let expireTimer: ReturnType<typeof setInterval> | undefined
  let fetching: Promise<number> | undefined
  let lastFetchTrigger = 0
  const stopping = new AbortController()

  const backend: MailboxBackend = {
    enabled: () => serve,
    deposit ({ recipient, depositor, id, envelope, stamp }) {
      if (init.isBlocked?.(depositor) === true) {
        return
      }
      if (init.trusted?.(depositor) !== true) {
        // a stranger to this node pays work for what it leaves here (PROTOCOL.md §9.3)
        credits.admit(depositor, parsePeerId(depositor).bytes, envelope.byteLength, stamp)
      }
      store.mailbox.deposit({ recipient, depositor, id: uint8ArrayToString(id, 'base16'), envelope, expiresAt: Date.now() + ttlMs })
    },
    fetch (recipient, limit, after) {
      return store.mailbox.fetchFor(recipient, { limit, after }).map(e => ({ id: uint8ArrayFromString(e.id, 'base16'), envelope: e.envelope, position: e.position }))
    },
    positionOf (recipient, id) {
      return store.mailbox.positionOf(recipient, uint8ArrayToString(id, 'base16'))
    },
    ack (recipient, ids) {
      store.mailbox.ack(recipient, ids.map(id => uint8ArrayToString(id, 'base16')))
    },
    admit: init.admit
  }

  /** Peers closest to `key` in the DHT (most suitable first), never ourselves or `exclude`. */
  async function closestPeers (key: PeerId, exclude: PeerId | undefined, want: number, signal?: AbortSignal): Promise<PeerId[]> {
    const found: PeerId[] = []
    const seen = new Set<string>([libp2p.peerId.toString(), exclude?.toString() ?? ''])
    try {
      for await (const event of libp2p.services.dht.getClosestPeers(key.toMultihash().bytes, { signal })) {
        if (event.name === 'FINAL_PEER' && !seen.has(event.peer.id.toString())) {
          seen.add(event.peer.id.toString())
          found.push(event.peer.id)
        }
      }
    } catch (err) {
      log('closest-peer lookup for %p failed: %s', key, (err as Error).message)
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
    const client = new MailboxClient(await libp2p.dialProtocol(peer, MAILBOX_PROTOCOL, { signal }), { payer })
    try {
      return await fn(client)
    } finally {
      await client.close()
    }
  }

  async function fetchFrom (peer: PeerId, signal?: AbortSignal): Promise<number> {
    return withClient(peer, signal, async client => client.fetchAll(components.key, self.bytes, peer.toMultihash().bytes, async envelopes => {
      const done: Uint8Array[] = []
      for (const envelope of envelopes) {
        const id = await components.receive(envelope)
        if (id != null) {
          done.push(id)
        }
      }
      return done
    }, { signal }))
  }

  async function fetchOwn (options: { signal?: AbortSignal } = {}): Promise<number> {
    fetching ??= (async () => {
      // stopping the node ends a fetch at once instead of waiting out its timeout
      const signal = AbortSignal.any([options.signal ?? AbortSignal.timeout(30_000), stopping.signal])
      const peers = await closestPeers(libp2p.peerId, undefined, replication * 2, signal)
      const counts = await Promise.allSettled(peers.map(async peer => fetchFrom(peer, signal)))
      let total = 0
      for (const [i, c] of counts.entries()) {
        if (c.status === 'fulfilled') {
          total += c.value
        } else {
          log('fetch from mailbox %p failed: %s', peers[i], (c.reason as Error).message)
        }
      }
      return total
    })().finally(() => { fetching = undefined })
    return fetching
  }

  const onConnect = guard(log, 'mailbox peer:connect', (): void => {
    // coming online (first connections) or a new peer that may hold our mail: fetch soon, at most once a second
    const now = Date.now()
    if (now - lastFetchTrigger > 1000) {
      lastFetchTrigger = now
      setTimeout(guard(log, 'mailbox fetch', fetchOwn), 100)
    }
  })

  return {
    async start () {
      await libp2p.handle(MAILBOX_PROTOCOL, (stream, connection) => handleMailboxStream(stream, connection, self.bytes, backend), {
        // per connection: a fetch and a deposit or two at a time are plenty
        maxInboundStreams: 4,
        maxOutboundStreams: 32
      })
      libp2p.addEventListener('peer:connect', onConnect)
      fetchTimer = setInterval(guard(log, 'mailbox fetch', fetchOwn), fetchIntervalMs)
      expireTimer = setInterval(guard(log, 'mailbox expiry', () => { store.mailbox.expire() }), 60 * 60 * 1000)
      guard(log, 'mailbox expiry', () => { store.mailbox.expire() })()
    },

    async stop () {
      clearInterval(fetchTimer)
      clearInterval(expireTimer)
      libp2p.removeEventListener('peer:connect', onConnect)
      stopping.abort()
      await fetching?.catch(() => {})
      await libp2p.unhandle(MAILBOX_PROTOCOL)
    },

    async deposit (recipient, envelope, options = {}) {
      const peers = await closestPeers(recipient.peerId, recipient.peerId, replication * 2, options.signal)
      let stored = 0
      for (const peer of peers) {
        if (stored >= replication) {
          break
        }
        try {
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

    fetchOwn
  }
}
