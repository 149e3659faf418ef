/**
 * Publishing this node's prekey bundle to the DHT and fetching other peers'
 * (PROTOCOL.md §6.3): at start once a peer is connected, periodically (well
 * inside the 48 h that DHT nodes keep a record), and soon after a one-time
 * prekey was used or the stock changed.
 *
 * @module
 */
import { BUNDLE_ENOUGH_RECORDS, BUNDLE_SETTLE_MS, PUBLISH_DEBOUNCE_MS, PUBLISH_TIMEOUT_MS, REPUBLISH_INTERVAL_MS } from './constants.js'
import { repeatingTask } from '@libp2p/utils'
import { guard } from '../util/guard.js'
import { anySignal } from '../util/signals.js'
import { prekeyRecordKey, selectPrekeyRecord, signPrekeyRecord, verifyPrekeyRecord } from './bundle-record.js'
import type { VerifiedPrekeyRecord } from './bundle-record.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { AbortOptions, Ed25519PrivateKey, Logger } from '@libp2p/interface'


/** One event of a DHT query, as far as the session layer looks at it. */
export interface DhtEvent {
  name: string
  messageName?: string
  value?: Uint8Array
}

/** The part of the DHT sessions use (kad-dht's `put` and `get` fit it). */
export interface PrekeyDht {
  put(key: Uint8Array, value: Uint8Array, options?: AbortOptions): AsyncIterable<DhtEvent>
  get(key: Uint8Array, options?: AbortOptions): AsyncIterable<DhtEvent>
}

/** Options of {@link createBundlePublisher}. */
export interface BundlePublisherInit {
  /** Republish period, in ms. @default 3_600_000 (1 h) */
  republishIntervalMs?: number
  /** Time allowed for one publication, in ms. @default 30_000 */
  timeoutMs?: number
  /** Delay before a requested publication, gathering several changes into one, in ms. @default 2000 */
  debounceMs?: number
}

/** What the publisher needs. */
export interface BundlePublisherComponents {
  key: Ed25519PrivateKey
  self: Ed25519Peer
  dht: PrekeyDht
  /** The current encoded bundle. */
  bundle(): Uint8Array
  log: Logger
}

/** Publishes this node's bundle. */
export interface BundlePublisher {
  start(): void
  stop(): Promise<void>
  /** Publishes now; resolves with how many DHT peers stored the record (0 when none could). */
  publish(options?: AbortOptions): Promise<number>
  /** Publishes after a short delay (debounced). */
  soon(): void
  /** A peer connected: publish soon unless a publication already reached a peer. */
  peerConnected(): void
}

/** Creates the publisher. */
export function createBundlePublisher (components: BundlePublisherComponents, init: BundlePublisherInit = {}): BundlePublisher {
  const { key, self, dht, log } = components
  const republishIntervalMs = init.republishIntervalMs ?? REPUBLISH_INTERVAL_MS
  const timeoutMs = init.timeoutMs ?? PUBLISH_TIMEOUT_MS
  const debounceMs = init.debounceMs ?? PUBLISH_DEBOUNCE_MS
  const controller = new AbortController()
  const republish = repeatingTask(guard(log, 'prekey republish', () => { soon() }), republishIntervalMs)
  let debounce: ReturnType<typeof setTimeout> | undefined
  let running: Promise<number> | undefined
  let next: Promise<number> | undefined
  let reached = false
  let lastPublishedAt = 0
  let started = false

  async function publishOnce (options: AbortOptions): Promise<number> {
    // strictly increasing, so the newest record always wins the selector
    const publishedAt = Math.max(Date.now(), lastPublishedAt + 1)
    lastPublishedAt = publishedAt
    const value = await signPrekeyRecord(key, self, components.bundle(), publishedAt)
    const signal = anySignal([controller.signal, options.signal], timeoutMs)
    let stored = 0
    try {
      for await (const event of dht.put(prekeyRecordKey(self), value, { signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') {
          stored++
        }
      }
    } catch (err) {
      log('publishing the prekey bundle ended early: %s', (err as Error).message)
    }
    log('prekey bundle published to %d peers', stored)
    if (stored > 0) {
      reached = true
    }
    return stored
  }

  async function publish (options: AbortOptions = {}): Promise<number> {
    if (running == null) {
      running = publishOnce(options).finally(() => { running = undefined })
      return running
    }
    // one at a time: requests made meanwhile share one more publication after it, with the latest bundle
    next ??= running.catch(() => 0).then(async () => {
      next = undefined
      return controller.signal.aborted ? 0 : publish(options)
    })
    return next
  }

  function soon (): void {
    if (!started || debounce != null) {
      return
    }
    debounce = setTimeout(() => {
      debounce = undefined
      void publish().catch(err => { log.error('prekey bundle publication failed: %s', (err as Error).message) })
    }, debounceMs)
  }

  return {
    start () {
      if (started) {
        return
      }
      started = true
      republish.start()
      // at once: with no peer yet it is at least in our own DHT store, where lookups that reach us find it
      void publish().catch(err => { log.error('prekey bundle publication failed: %s', (err as Error).message) })
    },
    async stop () {
      started = false
      republish.stop()
      clearTimeout(debounce)
      debounce = undefined
      controller.abort()
      await next?.catch(() => {})
      await running?.catch(() => {})
    },
    publish,
    soon,
    peerConnected () {
      if (!reached) {
        soon()
      }
    }
  }
}

/** Options of {@link fetchBundleRecord}. */
export interface FetchBundleOptions extends AbortOptions {
  /** @default Date.now() */
  now?: number
  /** Where the lookup's failures are told. @default silent */
  log?: Logger
  /** After the first record arrives, how long more answers are awaited, in ms. @default BUNDLE_SETTLE_MS (250) */
  settleMs?: number
  /** The lookup ends once this many records arrived. @default BUNDLE_ENOUGH_RECORDS (3) */
  enough?: number
}

/**
 * Looks up `peer`'s prekey record in the DHT and returns the newest valid one,
 * or undefined when none was found in time.
 *
 * The lookup does not run to the end of the DHT query once records arrive: it
 * stops `settleMs` after the first one, or at `enough` records, whichever comes
 * first. A full query walks to the closest peers over every disjoint path and,
 * with unreachable peers among them, ran into the caller's timeout (10 s) on
 * every first message to a new peer; the first answers already carry the
 * current record, as PUTs reach the closest peers together (§6.3).
 */
export async function fetchBundleRecord (dht: PrekeyDht, peer: Ed25519Peer, options: FetchBundleOptions = {}): Promise<VerifiedPrekeyRecord | undefined> {
  const key = prekeyRecordKey(peer)
  const values: Uint8Array[] = []
  const enough = options.enough ?? BUNDLE_ENOUGH_RECORDS
  const settled = new AbortController()
  let settleTimer: ReturnType<typeof setTimeout> | undefined
  try {
    for await (const event of dht.get(key, { signal: anySignal([options.signal, settled.signal]) })) {
      if (event.name === 'VALUE' && event.value != null) {
        values.push(event.value)
        if (values.length >= enough) {
          settled.abort()
          break
        }
        settleTimer ??= setTimeout(() => { settled.abort() }, options.settleMs ?? BUNDLE_SETTLE_MS)
      }
    }
  } catch (err) {
    if (!settled.signal.aborted) {
      options.log?.('prekey lookup for %s ended: %s', peer.peerId.toString(), (err as Error).message)
    }
  } finally {
    clearTimeout(settleTimer)
  }
  // kad-dht validated each value; check again here, it costs little and keeps this function honest
  while (values.length > 0) {
    const index = selectPrekeyRecord(key, values)
    try {
      return await verifyPrekeyRecord(key, values[index] as Uint8Array, { now: options.now })
    } catch (err) {
      options.log?.('dropping an invalid prekey record for %s: %s', peer.peerId.toString(), (err as Error).message)
      values.splice(index, 1)
    }
  }
  return undefined
}
