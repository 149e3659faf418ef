/**
 * The natter node: ties identity, network, presence and direct messages
 * together behind a small, typed, evented API.
 */
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { DmResponse } from './protocol/dm.js'
import { openSealed, sealEnvelope, verifyEnvelope, Payload, MESSAGE_ID_BYTES } from './crypto/envelope.js'
import { parsePeerId } from './crypto/peer.js'
import { DM_PROTOCOL, DmChannel, handleDmStream } from './dm/protocol.js'
import { InvalidArgumentError, NotStartedError } from './errors.js'
import { loadOrCreateIdentity } from './identity/index.js'
import { connectToPeer, createBootstrapper, parsePeerAddress } from './network/connectivity.js'
import { createNetwork } from './network/libp2p.js'
import { createPresenceService } from './presence/service.js'
import type { DmVerdict } from './dm/protocol.js'
import type { Ed25519Peer } from './crypto/peer.js'
import type { Bootstrapper } from './network/connectivity.js'
import type { NatterLibp2p } from './network/libp2p.js'
import type { Presence, PresenceService } from './presence/service.js'
import type { Status } from './presence/record.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

const log = logger('natter')

/** Options of {@link createNatter}. Every field but `dataDir` is optional. */
export interface NatterInit {
  /** Directory holding the identity key and local state; created (mode 0700) if missing. */
  dataDir: string
  /**
   * Multiaddrs to listen on.
   * @default ['/ip4/0.0.0.0/tcp/0']
   */
  listen?: string[]
  /** Multiaddrs to announce instead of the listen addresses (e.g. behind port forwarding). @default [] */
  announce?: string[]
  /**
   * Peers to join the network through, as multiaddrs ending in `/p2p/<peerId>`.
   * They are re-dialled whenever the node loses all connections.
   * @default []
   */
  bootstrap?: string[]
  /** Find peers on the local network with mDNS. @default false */
  mdns?: boolean
  /**
   * Addresses the DHT stores and returns: `'all'` keeps private and loopback
   * addresses (LANs, one machine), `'public'` keeps only public ones.
   * @default 'all'
   */
  dhtAddresses?: 'all' | 'public'
  /** Connection limit. @default 300 */
  maxConnections?: number
  /** Lifetime of this node's presence records, in ms. @default 90_000 */
  presenceTtlMs?: number
  /** Presence republish period, in ms. @default presenceTtlMs / 3 */
  presenceRepublishMs?: number
  /** How long {@link Natter.send} waits for lookup, dial and acknowledgement, in ms. @default 15_000 */
  sendTimeoutMs?: number
  /** Period of the bootstrap connectivity check, in ms. @default 5_000 */
  bootstrapIntervalMs?: number
}

/** A direct message received from a peer. */
export interface IncomingMessage {
  /** 32 hex characters, unique per message. */
  id: string
  /** Sender's peer id. */
  from: string
  text: string
  /** Sender's per-conversation sequence number (1, 2, …). */
  seq: number
  /** Sender's clock, ms since epoch. */
  sentAt: number
  /** Our clock, ms since epoch. */
  receivedAt: number
}

/** A direct message this node sent and the recipient acknowledged. */
export interface SentMessage {
  id: string
  to: string
  text: string
  seq: number
  sentAt: number
  /** When the recipient's acknowledgement arrived. */
  deliveredAt: number
}

/** Events a {@link Natter} node emits. */
export interface NatterEvents {
  /** A direct message arrived (each message id once). */
  message: CustomEvent<IncomingMessage>
  /** Another peer's presence changed, including lapsing to `offline`. */
  presence: CustomEvent<Presence>
}

/** Options of {@link Natter.send}. */
export interface SendOptions {
  /** Aborts the send. A default timeout (`sendTimeoutMs`) applies too. */
  signal?: AbortSignal
}

export type { Presence }

const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']
const DEFAULT_SEND_TIMEOUT_MS = 15_000
const SEEN_LIMIT = 50_000

/**
 * A running natter node. Create one with {@link createNatter}.
 *
 * @example
 * ```ts
 * const natter = await createNatter({ dataDir: './alice' })
 * natter.addEventListener('message', (e) => console.log(e.detail.from, e.detail.text))
 * await natter.send(bobPeerId, 'hello')
 * ```
 */
export class Natter extends TypedEventEmitter<NatterEvents> {
  /** This node's peer id (base58btc). */
  readonly peerId: string
  private readonly key: Ed25519PrivateKey
  private readonly self: Ed25519Peer
  private readonly libp2p: NatterLibp2p
  private readonly presence: PresenceService
  private readonly bootstrapper: Bootstrapper
  private readonly sendTimeoutMs: number
  private readonly channels = new Map<string, Promise<DmChannel>>()
  private readonly seqs = new Map<string, number>()
  private readonly seen = new Set<string>()
  private running = false

  /** @internal use {@link createNatter} */
  constructor (key: Ed25519PrivateKey, libp2p: NatterLibp2p, init: NatterInit) {
    super()
    this.key = key
    this.libp2p = libp2p
    this.peerId = libp2p.peerId.toString()
    this.self = parsePeerId(this.peerId)
    this.sendTimeoutMs = init.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS
    this.presence = createPresenceService(libp2p.services.pubsub, key, libp2p.peerId, {
      ttlMs: init.presenceTtlMs,
      republishIntervalMs: init.presenceRepublishMs,
      onChange: (presence) => { this.safeDispatch('presence', presence) }
    })
    this.bootstrapper = createBootstrapper(libp2p, (init.bootstrap ?? []).map(parsePeerAddress), {
      intervalMs: init.bootstrapIntervalMs
    })
  }

  /** Multiaddrs this node can be reached on, each ending in `/p2p/<peerId>`. */
  get addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => {
      const s = ma.toString()
      return s.includes('/p2p/') ? s : `${s}/p2p/${this.peerId}`
    })
  }

  /** Peer ids this node has an open connection to. */
  get connectedPeers (): string[] {
    return [...new Set(this.libp2p.getConnections().map(c => c.remotePeer.toString()))]
  }

  /** @internal starts the node; {@link createNatter} calls it. */
  async start (): Promise<void> {
    if (this.running) {
      return
    }
    await this.libp2p.start()
    try {
      await this.libp2p.handle(DM_PROTOCOL, (stream, connection) => handleDmStream(stream, connection, {
        onEnvelope: async (bytes, from) => this.receiveEnvelope(bytes, from)
      }), { maxInboundStreams: 64, maxOutboundStreams: 64 })
      await this.presence.start()
      this.bootstrapper.start()
      this.running = true
    } catch (err) {
      await Promise.resolve(this.libp2p.stop()).catch(() => {})
      throw err
    }
  }

  /**
   * Announces `offline`, closes streams and connections and frees ports and
   * timers so the process can exit. Idempotent.
   */
  async stop (): Promise<void> {
    if (!this.running) {
      return
    }
    this.running = false
    this.bootstrapper.stop()
    await this.presence.stop({ announce: true })
    const channels = [...this.channels.values()]
    this.channels.clear()
    await Promise.allSettled(channels.map(async c => { await (await c).close() }))
    await this.libp2p.stop()
  }

  /**
   * Sends `text` to `peerId`, end-to-end encrypted, and resolves once the
   * recipient acknowledged it. Finds the peer through the DHT and dials it
   * when not connected.
   *
   * Throws `InvalidPeerIdError`, `InvalidArgumentError`, `MessageTooLargeError`,
   * `PeerNotFoundError`, `PeerUnreachableError`, `DeliveryTimeoutError` or
   * `DeliveryRefusedError`.
   */
  async send (peerId: string, text: string, options: SendOptions = {}): Promise<SentMessage> {
    this.assertRunning()
    const recipient = parsePeerId(peerId)
    if (typeof text !== 'string' || text.length === 0) {
      throw new InvalidArgumentError('message text must be a non-empty string')
    }
    if (recipient.peerId.equals(this.libp2p.peerId)) {
      throw new InvalidArgumentError('cannot send a message to yourself')
    }
    const seq = (this.seqs.get(peerId) ?? 0) + 1
    this.seqs.set(peerId, seq)
    const sealed = await sealEnvelope({
      senderKey: this.key,
      sender: this.self.bytes,
      recipient,
      payload: { type: Payload.Type.TEXT, text, seq: BigInt(seq), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })
    const signal = anySignal(options.signal, AbortSignal.timeout(this.sendTimeoutMs))
    await this.deliver(recipient, sealed.id, sealed.bytes, signal)
    return { id: uint8ArrayToString(sealed.id, 'base16'), to: peerId, text, seq, sentAt: sealed.sentAt, deliveredAt: Date.now() }
  }

  /**
   * Publishes this node's presence (and republishes it periodically).
   * Throws `InvalidArgumentError` for an unknown status, `MessageTooLargeError`
   * for a note over 140 bytes.
   */
  async setPresence (presence: { status: Status, note?: string }): Promise<Presence> {
    this.assertRunning()
    return this.presence.set(presence.status, presence.note ?? '')
  }

  /** This node's own current presence. */
  get ownPresence (): Presence {
    return this.presence.own()
  }

  /** The last known presence of `peerId` (`offline` once its record lapsed), or undefined. */
  presenceOf (peerId: string): Presence | undefined {
    return this.presence.get(peerId)
  }

  /** Every peer whose presence this node has seen. */
  presences (): Presence[] {
    return this.presence.list()
  }

  /**
   * Connects to a peer given as a multiaddr ending in `/p2p/<peerId>` (adds
   * it to the bootstrap list when `bootstrap` is set), or as a bare peer id
   * (found through the DHT).
   */
  async connect (target: string, options: { signal?: AbortSignal, bootstrap?: boolean } = {}): Promise<void> {
    this.assertRunning()
    const signal = anySignal(options.signal, AbortSignal.timeout(this.sendTimeoutMs))
    if (target.startsWith('/')) {
      const ma = parsePeerAddress(target)
      await this.libp2p.dial(ma, { signal })
      if (options.bootstrap === true) {
        this.bootstrapper.add(ma)
      }
      return
    }
    await connectToPeer(this.libp2p, parsePeerId(target).peerId, { signal })
  }

  /** Round-trip time to a peer in ms (libp2p ping), connecting first if needed. */
  async ping (peerId: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertRunning()
    const peer = parsePeerId(peerId).peerId
    const signal = anySignal(options.signal, AbortSignal.timeout(this.sendTimeoutMs))
    await connectToPeer(this.libp2p, peer, { signal })
    return this.libp2p.services.ping.ping(peer, { signal })
  }

  private async deliver (recipient: Ed25519Peer, id: Uint8Array, envelope: Uint8Array, signal: AbortSignal): Promise<void> {
    const key = recipient.peerId.toString()
    for (let attempt = 0; ; attempt++) {
      const channel = await this.channel(recipient, signal)
      try {
        await channel.send(id, envelope, { signal })
        return
      } catch (err) {
        const name = (err as Error).name
        // a stream that died under us (peer restarted, connection dropped) gets one fresh try
        if (attempt > 0 || name === 'DeliveryRefusedError' || name === 'DeliveryTimeoutError' || signal.aborted) {
          throw err
        }
        log('dm stream to %s failed (%s); retrying on a new stream', key, (err as Error).message)
        this.channels.delete(key)
      }
    }
  }

  private async channel (recipient: Ed25519Peer, signal: AbortSignal): Promise<DmChannel> {
    const key = recipient.peerId.toString()
    const existing = this.channels.get(key)
    if (existing != null) {
      const channel = await existing.catch(() => undefined)
      if (channel != null && !channel.closed && channel.stream.status === 'open') {
        return channel
      }
      if (this.channels.get(key) === existing) {
        this.channels.delete(key)
      }
    }
    const opening = (async () => {
      await connectToPeer(this.libp2p, recipient.peerId, { signal })
      const stream = await this.libp2p.dialProtocol(recipient.peerId, DM_PROTOCOL, { signal })
      return new DmChannel(stream)
    })()
    this.channels.set(key, opening)
    opening.catch(() => {
      if (this.channels.get(key) === opening) {
        this.channels.delete(key)
      }
    })
    return opening
  }

  private async receiveEnvelope (bytes: Uint8Array, from: string): Promise<DmVerdict> {
    let id: Uint8Array | undefined
    try {
      const envelope = await verifyEnvelope(bytes)
      id = envelope.body.id
      const payload = openSealed(envelope, this.key, this.self.bytes)
      const sender = envelope.sender.peerId.toString()
      const hexId = uint8ArrayToString(id, 'base16')
      const seenKey = `${sender}/${hexId}`
      if (this.seen.has(seenKey)) {
        return { status: DmResponse.Status.OK, id }
      }
      this.remember(seenKey)
      if (payload.type === Payload.Type.TEXT) {
        this.safeDispatch('message', {
          id: hexId,
          from: sender,
          text: payload.text,
          seq: Number(payload.seq),
          sentAt: Number(envelope.body.sentAt),
          receivedAt: Date.now()
        })
      }
      return { status: DmResponse.Status.OK, id }
    } catch (err) {
      log('rejected envelope from %s: %s', from, (err as Error).message)
      const status = (err as Error).name === 'MessageTooLargeError' ? DmResponse.Status.TOO_LARGE : DmResponse.Status.INVALID
      return { status, error: (err as Error).message, id }
    }
  }

  private remember (key: string): void {
    this.seen.add(key)
    if (this.seen.size > SEEN_LIMIT) {
      // Sets iterate in insertion order: drop the oldest
      const oldest = this.seen.values().next().value
      if (oldest != null) {
        this.seen.delete(oldest)
      }
    }
  }

  private safeDispatch<K extends keyof NatterEvents> (type: K, detail: NatterEvents[K]['detail']): void {
    try {
      this.dispatchEvent(new CustomEvent(type, { detail }))
    } catch (err) {
      log.error('a %s listener threw: %s', type, (err as Error).message)
    }
  }

  private assertRunning (): void {
    if (!this.running) {
      throw new NotStartedError()
    }
  }
}

/**
 * Creates and starts a natter node: loads (or creates) the identity in
 * `dataDir`, starts libp2p, joins the presence topic and dials the bootstrap
 * peers.
 *
 * @example
 * ```ts
 * import { createNatter } from 'natter'
 *
 * const natter = await createNatter({
 *   dataDir: './alice',
 *   listen: ['/ip4/127.0.0.1/tcp/0'],
 *   bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…']
 * })
 * natter.addEventListener('message', (e) => console.log(`${e.detail.from}: ${e.detail.text}`))
 * await natter.setPresence({ status: 'away', note: 'lunch' })
 * const sent = await natter.send(peerId, 'hello')
 * await natter.stop()
 * ```
 */
export async function createNatter (init: NatterInit): Promise<Natter> {
  if (init?.dataDir == null || init.dataDir === '') {
    throw new InvalidArgumentError('createNatter needs a dataDir')
  }
  const key = await loadOrCreateIdentity(init.dataDir)
  const libp2p = await createNetwork({
    privateKey: key,
    listen: init.listen ?? DEFAULT_LISTEN,
    announce: init.announce,
    mdns: init.mdns ?? false,
    dhtAddresses: init.dhtAddresses ?? 'all',
    maxConnections: init.maxConnections ?? 300
  })
  const natter = new Natter(key, libp2p, init)
  await natter.start()
  return natter
}

function anySignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s != null))
}

/** Parses a 32-hex-character message id. */
export function parseMessageId (id: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(id)) {
    throw new InvalidArgumentError(`"${id}" is not a message id`)
  }
  const bytes = uint8ArrayFromString(id, 'base16')
  if (bytes.byteLength !== MESSAGE_ID_BYTES) {
    throw new InvalidArgumentError(`"${id}" is not a message id`)
  }
  return bytes
}
