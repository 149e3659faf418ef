/**
 * The mailbox service: serves as a mailbox for other peers (holding their
 * encrypted envelopes, within quotas, until fetched or expired) and fetches
 * this node's own mail — on start, when peers connect, periodically and on
 * demand — handing each envelope to `receive` (the inbound pipeline).
 * PROTOCOL.md §9.
 *
 * @module
 */
import { repeatingTask } from '@libp2p/utils'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { MAILBOX_PROTOCOL, handleMailboxStream } from './protocol.js'
import {
  EXPIRE_INTERVAL_MS, FETCH_INTERVAL_MS, FETCH_ON_CONNECT_DELAY_MS, FETCH_ON_CONNECT_MIN_INTERVAL_MS, FETCH_TIMEOUT_MS,
  MAILBOX_TTL_MS, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS
} from './constants.js'
import { createDepositCredits } from './deposit-credit.js'
import { DEFAULT_DIFFICULTY } from '../abuse/index.js'
import { parsePeerId } from '../crypto/peer.js'
import { guard } from '../util/guard.js'
import { anySignal } from '../util/signals.js'
import { systemClock } from '../util/clock.js'
import type { MailboxClientService, MailboxReceiver } from './client.js'
import type { MailboxBackend } from './protocol.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { ReplayCache } from '../abuse/index.js'
import type { Mailbox, StampReplayStore } from '../store/index.js'
import type { Clock } from '../util/clock.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'

/** Options of {@link createMailboxService}. */
export interface MailboxServiceInit {
  /** Serve as a mailbox for other peers. @default true */
  serve?: boolean
  /** How long a held envelope is kept, in ms. @default MAILBOX_TTL_MS (14 days) */
  ttlMs?: number
  /** How often this node fetches its own mailboxes, in ms. @default FETCH_INTERVAL_MS (60 s) */
  fetchIntervalMs?: number
  /** Admission check for inbound requests (rate limits); throw to refuse. */
  admit?: MailboxBackend['admit']
  /** Deposits from a peer for which this returns true are dropped without telling it. */
  isBlocked?(peer: string): boolean
  /** Depositors for which this returns true (contacts) need no deposit stamp. @default none */
  trusted?(peer: string): boolean
  /** Difficulty of the deposit stamp wanted from other depositors, in bits. @default DEFAULT_DIFFICULTY (20) */
  powDifficulty?: number
}

/** What the mailbox service needs. */
export interface MailboxServiceComponents {
  libp2p: Pick<NatterLibp2p, 'handle' | 'unhandle' | 'addEventListener' | 'removeEventListener'>
  self: Ed25519Peer
  /** Envelopes held for others. */
  mailbox: Pick<Mailbox, 'deposit' | 'fetchFor' | 'positionOf' | 'ack' | 'expire'>
  /** Spent deposit stamps, persisted (PROTOCOL.md §9.3). */
  stampReplay: Pick<StampReplayStore, 'add' | 'has' | 'count'>
  client: Pick<MailboxClientService, 'ownMailboxes' | 'fetchFrom'>
  /** Where this node's own fetched envelopes go. */
  receive: MailboxReceiver
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** The mailbox service. */
export interface MailboxService {
  start(): Promise<void>
  stop(): Promise<void>
  /** Fetches and processes everything held for this node; resolves with the number of envelopes fetched. */
  fetchOwn(options?: AbortOptions): Promise<number>
}

/** Creates the mailbox service. */
export function createMailboxService (components: MailboxServiceComponents, init: MailboxServiceInit = {}): MailboxService {
  const { libp2p, mailbox, client, self, receive } = components
  const log = components.logger.forComponent('natter:mailbox')
  const clock = components.clock ?? systemClock
  const serve = init.serve ?? true
  const ttlMs = init.ttlMs ?? MAILBOX_TTL_MS
  let fetching: Promise<number> | undefined
  let lastFetchTrigger = 0
  let running = false
  let stopping = new AbortController()
  const stampRecord: ReplayCache = {
    add: (digest, expiresAt, now) => components.stampReplay.add(digest, expiresAt, now),
    has: (digest, now) => components.stampReplay.has(digest, now),
    get size () { return components.stampReplay.count() },
    clear: () => {}
  }
  const credits = createDepositCredits({ self: self.bytes, replayCache: stampRecord }, { difficulty: init.powDifficulty ?? DEFAULT_DIFFICULTY })

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
      mailbox.deposit({ recipient, depositor, id: uint8ArrayToString(id, 'base16'), envelope, expiresAt: clock.now() + ttlMs })
    },
    fetch (recipient, limit, after) {
      return mailbox.fetchFor(recipient, { limit, after }).map(e => ({ id: uint8ArrayFromString(e.id, 'base16'), envelope: e.envelope, position: e.position }))
    },
    positionOf (recipient, id) {
      return mailbox.positionOf(recipient, uint8ArrayToString(id, 'base16'))
    },
    ack (recipient, ids) {
      mailbox.ack(recipient, ids.map(id => uint8ArrayToString(id, 'base16')))
    },
    admit: init.admit,
    log: log.newScope('stream')
  }

  async function fetchOwn (options: AbortOptions = {}): Promise<number> {
    fetching ??= (async () => {
      // stopping the node ends a fetch at once instead of waiting out its timeout
      const signal = anySignal([options.signal ?? AbortSignal.timeout(FETCH_TIMEOUT_MS), stopping.signal])
      const peers = await client.ownMailboxes({ signal })
      const counts = await Promise.allSettled(peers.map(async peer => client.fetchFrom(peer, receive, { signal })))
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

  // the task's signal ends with the service (and after FETCH_TIMEOUT_MS); a run debounced past stop() does nothing
  const fetchTask: RepeatingTask = repeatingTask(guard(log, 'mailbox fetch', async (options?: AbortOptions) => {
    if (running) {
      await fetchOwn(options)
    }
  }), init.fetchIntervalMs ?? FETCH_INTERVAL_MS, {
    debounce: FETCH_ON_CONNECT_DELAY_MS,
    timeout: FETCH_TIMEOUT_MS
  })
  const expireTask: RepeatingTask = repeatingTask(guard(log, 'mailbox expiry', () => { mailbox.expire() }), EXPIRE_INTERVAL_MS, {
    runImmediately: true
  })

  const onConnect = guard(log, 'mailbox peer:connect', (): void => {
    // coming online (first connections) or a new peer that may hold our mail: fetch soon, at most once a second
    const now = clock.now()
    if (now - lastFetchTrigger > FETCH_ON_CONNECT_MIN_INTERVAL_MS) {
      lastFetchTrigger = now
      fetchTask.run()
    }
  })

  return {
    async start () {
      if (running) {
        return
      }
      await libp2p.handle(MAILBOX_PROTOCOL, (stream, connection) => handleMailboxStream(stream, connection, self.bytes, backend), {
        maxInboundStreams: MAX_INBOUND_STREAMS,
        maxOutboundStreams: MAX_OUTBOUND_STREAMS,
        // mail is fetched and deposited over relayed connections too (PROTOCOL.md §2.1)
        runOnLimitedConnection: true
      })
      running = true
      stopping = new AbortController()
      libp2p.addEventListener('peer:connect', onConnect)
      fetchTask.start()
      expireTask.start()
    },

    async stop () {
      if (!running) {
        return
      }
      running = false
      fetchTask.stop()
      expireTask.stop()
      libp2p.removeEventListener('peer:connect', onConnect)
      stopping.abort()
      await fetching?.catch(() => {})
      await libp2p.unhandle(MAILBOX_PROTOCOL)
    },

    fetchOwn
  }
}
