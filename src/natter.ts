/**
 * The natter node: ties identity, network, store, presence, direct messages
 * and mailboxes together behind a small, typed, evented API.
 */
import { pingRtt } from './network/ping-rtt.js'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { parsePeerId, peerFromPublicKey } from './crypto/peer.js'
import { DM_PROTOCOL, handleDmStream } from './dm/protocol.js'
import { createDmSender } from './dm/sender.js'
import { InvalidArgumentError, MessageTooLargeError, NotStartedError } from './errors.js'
import { guard } from './util/guard.js'
import { MAX_TEXT_BYTES } from './crypto/envelope.js'
import { loadOrCreateIdentity } from './identity/index.js'
import { createBackup } from './keys/backup.js'
import { acceptContactKey, observeContactKey, rejectContactKey } from './sessions/key-change.js'
import { createSessionManager } from './sessions/manager.js'
import { safetyNumber } from './sessions/safety-number.js'
import { NoPendingIdentityKeyError } from './store/errors.js'
import { decodeInvite, encodeInvite, isInvite } from './invite.js'
import { createMailboxService } from './mailbox/service.js'
import { createMessenger } from './messaging/messenger.js'
import { connectToPeer, createBootstrapper, parsePeerAddress } from './network/connectivity.js'
import { createNetwork } from './network/libp2p.js'
import { createPresenceService } from './presence/service.js'
import { createRateLimiter } from './abuse/index.js'
import type { RateLimitTiers } from './abuse/index.js'
import { openStore } from './store/index.js'
import { createStorageHealth } from './store/health.js'
import type { StorageHealth, StorageStatus } from './store/health.js'
import type { RequestLimits } from './messaging/inbound-limits.js'
import type { Ed25519Peer } from './crypto/peer.js'
import type { DmSender } from './dm/sender.js'
import type { MailboxService } from './mailbox/service.js'
import type { Passphrase } from './identity/index.js'
import type { Messenger, MessageStateChange } from './messaging/messenger.js'
import type { ContactKeyChange } from './sessions/key-change.js'
import type { SessionManager } from './sessions/manager.js'
import type { SafetyNumber } from './sessions/safety-number.js'
import type { Bootstrapper } from './network/connectivity.js'
import type { NatterLibp2p } from './network/libp2p.js'
import type { Presence, PresenceService } from './presence/service.js'
import type { Status } from './presence/record.js'
import type { MailboxQuotasInit, BlockedPeer, Contact, ConversationSummary, HistoryOptions, Message, MessageRequest, OutgoingMessage, Store } from './store/index.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

const log = logger('natter')

/** Options of {@link createNatter}. Every field but `dataDir` is optional. */
export interface NatterInit {
  /** Directory holding the identity key and the SQLite store; created (mode 0700) if missing. */
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
   * They are re-dialled whenever the node loses all connections. Peers added
   * from invites are remembered in the store and join this list.
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
  /** Time allowed for one direct delivery try: lookup, dial and acknowledgement, in ms. @default 15_000 */
  sendTimeoutMs?: number
  /** First retry delay for an undelivered message (doubling up to `retryMaxMs`), in ms. @default 1000 */
  retryInitialMs?: number
  /** Longest retry delay, in ms. @default 300_000 */
  retryMaxMs?: number
  /** Period of the bootstrap connectivity check, in ms. @default 5_000 */
  bootstrapIntervalMs?: number
  /** Serve as a mailbox (hold encrypted envelopes for offline peers). @default true */
  mailbox?: boolean
  /**
   * Quotas on what this node holds for others: `maxTotalBytes` (disk quota,
   * default 256 MiB), `maxBytesPerRecipient` (16 MiB), `maxEnvelopesPerRecipient`
   * (1000), `maxEnvelopesPerDepositor` (200), `maxEnvelopeBytes` (256 KiB).
   */
  mailboxQuotas?: MailboxQuotasInit
  /** How long held envelopes are kept, in ms. @default 14 days */
  mailboxTtlMs?: number
  /** How often this node fetches its own mailboxes, in ms. @default 60_000 */
  mailboxFetchIntervalMs?: number
  /** Mailbox peers each offline message is deposited with. @default 3 */
  mailboxReplication?: number
  /**
   * Store durability: `'normal'` survives any crash of the process (SIGKILL
   * included) but a power cut may lose the last writes; `'full'` syncs every
   * write to disk, at several fsyncs per message.
   * @default 'normal'
   */
  durability?: 'full' | 'normal'
  /** Send read receipts when {@link Natter.markRead} is called. @default false */
  readReceipts?: boolean
  /**
   * Proof-of-work difficulty (leading zero bits of SHA-256) a stranger's first
   * message must carry, and that this node spends on its own first messages.
   * @default 20 (about one second on a laptop)
   */
  powDifficulty?: number
  /**
   * How long a store write waits for another process's lock, in ms. SQLite
   * waits synchronously, so the whole node (every stream, timer and API call)
   * stalls meanwhile: the wait is kept short, and an envelope that meets a
   * longer lock is answered `UNAVAILABLE` so its sender retries.
   * @default 250
   */
  storeBusyTimeoutMs?: number
  /**
   * Caps of the requests inbox: unstamped follow-ups a stranger may send
   * after its stamped first message, and the most messages and text bytes one
   * stranger's request and all requests together may hold (PROTOCOL.md §8.5.2).
   * @default { unstampedAllowance: 3, maxMessagesPerPeer: 50, maxBytesPerPeer: 262144, maxMessagesTotal: 1000, maxBytesTotal: 4194304 }
   */
  requestLimits?: Partial<RequestLimits>
  /** How often a store in read-only mode (disk full) tries a write to see if space returned, in ms. @default 2000 */
  storageProbeIntervalMs?: number
  /**
   * Per-peer rate limits by kind (`dm`, `mailbox`, `presence`), with a
   * `contact` and a stricter `stranger` tier of `{ rate (per second), burst }`.
   * Unset fields keep {@link DEFAULT_NATTER_RATE_LIMITS}.
   */
  rateLimits?: Record<string, Partial<RateLimitTiers>>
  /**
   * After refusing a direct message as RATE_LIMITED, stop reading that stream
   * for this long (in ms), so a flooding peer is slowed by backpressure.
   * @default 1000
   */
  rateLimitPauseMs?: number
  /**
   * Passphrase of the identity key file (PROTOCOL.md §6.10), or a function
   * asked for it only when needed. A key created now is encrypted under it;
   * an encrypted key file needs it (`PassphraseRequiredError` without it,
   * `WrongPassphraseError`, with nothing written, when wrong); an existing
   * unencrypted key file is loaded as it is (encrypt it with `setPassphrase`).
   * @default none
   */
  passphrase?: Passphrase
  /** Time allowed to find a recipient's prekey bundle in the DHT before a first message is sealed without a session, in ms. @default 10_000 */
  bundleTimeoutMs?: number
  /**
   * Seal direct messages in forward-secret sessions (PROTOCOL.md §6). `false`
   * seals every message SEALED, to the recipient's identity key: for
   * benchmarks and interop tests only. @default true
   */
  forwardSecrecy?: boolean
}

/** natter's default per-peer rate limits: generous for contacts, strict for strangers. */
export const DEFAULT_NATTER_RATE_LIMITS: Readonly<Record<'dm' | 'mailbox' | 'presence', RateLimitTiers>> = Object.freeze({
  dm: { contact: { rate: 2000, burst: 10_000 }, stranger: { rate: 1 / 30, burst: 3 } },
  mailbox: { contact: { rate: 50, burst: 500 }, stranger: { rate: 10, burst: 100 } },
  presence: { contact: { rate: 2, burst: 20 }, stranger: { rate: 1, burst: 10 } }
})

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
  /** How it arrived: straight from the sender, or fetched from a mailbox peer. */
  via: 'direct' | 'mailbox'
}

/** A message this node sent, with its delivery state. */
export type SentMessage = OutgoingMessage

/** Events a {@link Natter} node emits. */
export interface NatterEvents {
  /** A direct message from a contact or accepted peer arrived (each message id once). */
  message: CustomEvent<IncomingMessage>
  /** A message from a stranger arrived; it waits in the requests inbox. */
  request: CustomEvent<IncomingMessage>
  /** A sent message changed state: queued → sent → delivered → read, or failed. */
  'message:state': CustomEvent<MessageStateChange>
  /** Another peer's presence changed, including lapsing to `offline`. */
  presence: CustomEvent<Presence>
  /**
   * A contact was presented with a different identity key (peer id) than the
   * one pinned: messages to it are held until {@link Contacts.acceptKey}
   * (or {@link Contacts.rejectKey}). Warn the user loudly.
   */
  'contact:key-changed': CustomEvent<ContactKeyChange>
  /**
   * The store switched to read-only (its disk refused a write: full, failing)
   * or back to writable. While read-only the node keeps running: history and
   * contacts can be read, peers are told to try later, and nothing stored
   * before is lost. Tell the user loudly.
   */
  storage: CustomEvent<StorageStatus>
}

/** Options of {@link Natter.send}. */
export interface SendOptions {
  /**
   * `'delivered'` (default): resolve once the recipient acknowledged; on
   * failure the error says why, and the message stays queued for retry
   * (`err.messageId`). `'queued'`: resolve as soon as the message is persisted.
   */
  wait?: 'queued' | 'delivered'
  /** Aborts waiting (the message stays queued). */
  signal?: AbortSignal
}

/** Contact management; a contact's name works wherever a peer id does. */
export interface Contacts {
  /**
   * Adds a contact from a peer id or an invite string. With an invite, the
   * node dials the inviter's addresses and keeps them as bootstrap peers.
   * The contact's identity key (its peer id) is pinned. A name that is already
   * a contact with another peer id is not replaced: the new key is kept as the
   * contact's `pendingIdentityKey`, `contact:key-changed` is emitted, and
   * messages to the contact are held until {@link Contacts.acceptKey} or
   * {@link Contacts.rejectKey}; the returned contact shows the pending key.
   */
  add(name: string, peerIdOrInvite: string): Promise<Contact>
  list(): Contact[]
  /** The contact with this name or peer id, or undefined. */
  get(nameOrPeerId: string): Contact | undefined
  rename(nameOrPeerId: string, newName: string): Contact
  remove(nameOrPeerId: string): Contact
  /** Marks a contact verified (safety number checked) or not. */
  setVerified(nameOrPeerId: string, verified: boolean): Contact
  /**
   * Accepts a contact's new identity key (after `add` with a different peer id
   * under its name): the contact moves to the new peer id, unverified, and
   * messages held for it are sent again to the new key (as new messages; the
   * held ones fail with the reason `identity key changed: re-sent to <peer id>`).
   * Throws `ContactNotFoundError`, `NoPendingIdentityKeyError`.
   */
  acceptKey(nameOrPeerId: string): Promise<Contact>
  /**
   * Refuses a contact's new identity key: the contact keeps its key and held
   * messages go out to it. Throws `ContactNotFoundError`, `NoPendingIdentityKeyError`.
   */
  rejectKey(nameOrPeerId: string): Contact
}

export type { StorageStatus, RequestLimits }
export type { Presence, MessageStateChange, Contact, Message, MessageRequest, ConversationSummary, BlockedPeer, ContactKeyChange, SafetyNumber }

const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']
const BOOTSTRAP_SETTING = 'bootstrap'
const STORAGE_PROBE_SETTING = 'storage-probe'
/** See {@link NatterInit.storeBusyTimeoutMs}. */
const STORE_BUSY_TIMEOUT_MS = 250

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
  /** Contacts (petnames for peer ids). */
  readonly contacts: Contacts
  private readonly key: Ed25519PrivateKey
  private readonly self: Ed25519Peer
  private readonly libp2p: NatterLibp2p
  private readonly store: Store
  private readonly presence: PresenceService
  private readonly bootstrapper: Bootstrapper
  private readonly sender: DmSender
  private readonly mailboxes: MailboxService
  private readonly messenger: Messenger
  private readonly sessions: SessionManager
  private readonly sendTimeoutMs: number
  private readonly rateLimitPauseMs: number | undefined
  private readonly health: StorageHealth
  private running = false

  /** @internal use {@link createNatter} */
  constructor (key: Ed25519PrivateKey, libp2p: NatterLibp2p, store: Store, init: NatterInit, health?: StorageHealth) {
    super()
    this.health = health ?? createStorageHealth({ probe: () => {}, onChange: () => {} })
    this.key = key
    this.libp2p = libp2p
    this.store = store
    this.peerId = libp2p.peerId.toString()
    this.self = parsePeerId(this.peerId)
    this.sendTimeoutMs = init.sendTimeoutMs ?? 15_000
    this.rateLimitPauseMs = init.rateLimitPauseMs
    const limits: Record<string, Partial<RateLimitTiers>> = { ...DEFAULT_NATTER_RATE_LIMITS }
    for (const [kind, tiers] of Object.entries(init.rateLimits ?? {})) {
      limits[kind] = { ...limits[kind], ...tiers }
    }
    const rateLimiter = createRateLimiter({ limits })
    const trusted = (peer: string): boolean => store.requests.isAccepted(peer)
    this.presence = createPresenceService(libp2p.services.pubsub, key, libp2p.peerId, {
      ttlMs: init.presenceTtlMs,
      republishIntervalMs: init.presenceRepublishMs,
      initial: store.presence.list().map(p => ({ peerId: p.peerId, status: p.status as Presence['status'], note: p.note ?? '', updatedAt: p.updatedAt, expiresAt: p.expiresAt, seq: BigInt(p.seq) })),
      accept: (peer) => !store.blocklist.isBlocked(peer),
      admit: (peer) => rateLimiter.tryConsume(peer, 'presence', { isContact: trusted(peer) }),
      onChange: (presence, seq) => {
        if (seq != null) {
          try {
            // seq is bounded to 2^53 - 1 by the validator (PROTOCOL.md §3.3)
            store.presence.upsert({ ...presence, seq: Number(seq) })
          } catch (err) {
            // a full disk or a locked database: the change is still shown, only the cache misses it
            log.error('presence of %s not cached: %s', presence.peerId, (err as Error).message)
          }
        }
        if (presence.status !== 'offline') {
          this.messenger.nudge(presence.peerId)
        }
        this.safeDispatch('presence', presence)
      }
    })
    const remembered = (store.settings.get(BOOTSTRAP_SETTING) as string[] | undefined) ?? []
    this.bootstrapper = createBootstrapper(libp2p, [...(init.bootstrap ?? []), ...remembered].map(parsePeerAddress), {
      intervalMs: init.bootstrapIntervalMs
    })
    this.sender = createDmSender(libp2p)
    this.mailboxes = createMailboxService({
      libp2p,
      key,
      self: this.self,
      store,
      receive: async (envelope) => this.messenger.receiveFromMailbox(envelope)
    }, {
      serve: init.mailbox,
      replication: init.mailboxReplication,
      ttlMs: init.mailboxTtlMs,
      fetchIntervalMs: init.mailboxFetchIntervalMs,
      isBlocked: (peer) => store.blocklist.isBlocked(peer),
      admit: (peer) => { rateLimiter.consume(peer, 'mailbox', { isContact: trusted(peer) }) },
      trusted,
      powDifficulty: init.powDifficulty
    })
    const toIncoming = (m: Message, via: 'direct' | 'mailbox'): IncomingMessage => ({
      id: m.id, from: m.peer, text: m.text, seq: m.seq, sentAt: m.sentAt, receivedAt: m.receivedAt ?? Date.now(), via
    })
    this.sessions = createSessionManager({ key, self: this.self, store, dht: libp2p.services.dht }, {
      bundleTimeoutMs: init.bundleTimeoutMs,
      sealedOnly: init.forwardSecrecy === false
    })
    this.messenger = createMessenger({
      key,
      self: this.self,
      store,
      sender: this.sender,
      mailboxes: this.mailboxes,
      sessions: this.sessions,
      events: {
        message: (m, via) => { this.safeDispatch('message', toIncoming(m, via)) },
        request: (m, via) => { this.safeDispatch('request', toIncoming(m, via)) },
        state: (change) => { this.safeDispatch('message:state', change) }
      }
    }, {
      attemptTimeoutMs: init.sendTimeoutMs,
      retryInitialMs: init.retryInitialMs,
      retryMaxMs: init.retryMaxMs,
      expireAfterMs: init.mailboxTtlMs,
      readReceipts: init.readReceipts,
      isBlocked: (peer) => store.blocklist.isBlocked(peer),
      rateLimiter,
      powDifficulty: init.powDifficulty,
      storageUnavailable: () => this.health.retryAfterMs(),
      requestLimits: init.requestLimits
    })
    this.contacts = this.createContacts()
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
        onEnvelope: async (bytes, from) => this.messenger.receiveDirect(bytes, from),
        rateLimitPauseMs: this.rateLimitPauseMs
      }), { maxInboundStreams: 8, maxOutboundStreams: 64 })
      await this.mailboxes.start()
      await this.presence.start()
      this.libp2p.addEventListener('peer:connect', this.onPeerConnect)
      this.bootstrapper.start()
      this.sessions.start()
      this.messenger.start()
      this.running = true
    } catch (err) {
      await Promise.resolve(this.libp2p.stop()).catch(() => {})
      this.store.close()
      throw err
    }
  }

  /**
   * Announces `offline`, finishes in-flight work, closes streams,
   * connections and the store, and frees ports and timers so the process can
   * exit. Idempotent.
   */
  async stop (): Promise<void> {
    if (!this.running) {
      return
    }
    this.running = false
    this.bootstrapper.stop()
    this.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    await this.presence.stop({ announce: true })
    await this.messenger.stop()
    await this.sessions.stop()
    await this.mailboxes.stop().catch(err => { log('mailbox stop: %s', (err as Error).message) })
    await this.sender.close()
    await this.libp2p.stop()
    this.health.stop()
    this.store.close()
  }

  /**
   * What this node holds as a mailbox for others (PROTOCOL.md §9): envelopes
   * and bytes for one recipient (peer id), or in total.
   */
  mailboxUsage (recipient?: string): { envelopes: number, bytes: number } {
    if (recipient != null) {
      return this.store.mailbox.usageOf(recipient)
    }
    const { envelopes, bytes } = this.store.mailbox.usage()
    return { envelopes, bytes }
  }

  /**
   * Whether the store takes writes: `ok`, or `read-only` (with the reason)
   * after the disk refused a write, until a probe write succeeds again.
   */
  storageStatus (): StorageStatus {
    return this.health.status()
  }

  /** @internal the store monitor's change, told to the host. */
  onStorageChange (status: StorageStatus): void {
    if (status.state === 'read-only') {
      log.error('STORAGE READ-ONLY: the store cannot take writes (%s); messages are refused with "try later" until space returns', status.reason)
    } else {
      log.error('storage writable again: accepting messages')
      // whatever waited on our own disk goes out now
      this.messenger.retryNow()
    }
    this.safeDispatch('storage', status)
  }

  /**
   * Sends `text` to a peer (peer id or contact name), end-to-end encrypted.
   * The message is persisted first; it is then delivered directly, or left
   * with mailbox peers and retried until the recipient acknowledges it.
   * Follow it with the `message:state` event or {@link history}.
   *
   * With `wait: 'delivered'` (the default) resolves once acknowledged, and
   * otherwise throws why not (`PeerNotFoundError`, `PeerUnreachableError`,
   * `DeliveryTimeoutError`, `DeliveryRefusedError`, with `err.messageId`); the
   * message stays queued unless it was refused for good. Always throws
   * `InvalidPeerIdError`, `ContactNotFoundError`, `InvalidArgumentError` or
   * `MessageTooLargeError` before persisting anything.
   */
  async send (to: string, text: string, options: SendOptions = {}): Promise<SentMessage> {
    this.assertRunning()
    const recipient = this.resolvePeer(to)
    if (typeof text !== 'string' || text.length === 0) {
      throw new InvalidArgumentError('message text must be a non-empty string')
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
      throw new MessageTooLargeError(`message text exceeds ${MAX_TEXT_BYTES} bytes`)
    }
    if (recipient.peerId.equals(this.libp2p.peerId)) {
      throw new InvalidArgumentError('cannot send a message to yourself')
    }
    return this.messenger.send(recipient, text, options)
  }

  /**
   * A page of the conversation with a peer (peer id or contact name), oldest
   * first: the `limit` (default 50) messages before the `before` cursor.
   */
  history (peer: string, options: HistoryOptions = {}): Message[] {
    return this.store.messages.history(this.resolvePeer(peer).peerId.toString(), options)
  }

  /** Every conversation with its last message and unread count. */
  conversations (): ConversationSummary[] {
    return this.store.messages.conversations()
  }

  /** One stored message by id, either direction. */
  message (id: string): Message | undefined {
    return this.store.messages.get(id)
  }

  /** Marks a conversation read (sending a read receipt if enabled); returns how many messages changed. */
  async markRead (peer: string): Promise<number> {
    return this.messenger.markRead(this.resolvePeer(peer).peerId.toString())
  }

  /**
   * Turns read receipts on or off while the node runs (the `readReceipts`
   * init option sets the starting value): when on, {@link Natter.markRead}
   * tells the sender that its messages were read.
   */
  setReadReceipts (on: boolean): void {
    this.messenger.setReadReceipts(on)
  }

  /** Strangers who sent messages that wait for acceptance. */
  requests (): MessageRequest[] {
    return this.store.requests.list()
  }

  /** Accepts a stranger's messages: the conversation moves to the inbox. */
  acceptRequest (peer: string): void {
    this.store.requests.accept(this.resolvePeer(peer).peerId.toString())
  }

  /** Declines a stranger's messages (deleting them), optionally blocking the peer. Returns how many were deleted. */
  declineRequest (peer: string, options: { block?: boolean } = {}): number {
    return this.store.requests.decline(this.resolvePeer(peer).peerId.toString(), options)
  }

  /** Blocks a peer: its messages, presence and mailbox deposits are dropped without telling it. */
  block (peer: string): void {
    this.store.blocklist.block(this.resolvePeer(peer).peerId.toString())
  }

  /** Unblocks a peer. */
  unblock (peer: string): void {
    this.store.blocklist.unblock(this.resolvePeer(peer).peerId.toString())
  }

  /** Blocked peers. */
  blocked (): BlockedPeer[] {
    return this.store.blocklist.list()
  }

  /** An invite string for this node: its peer id and addresses (and a suggested name). */
  invite (name = ''): string {
    return encodeInvite({ peerId: this.peerId, addresses: this.addresses, name })
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

  /** The last known presence of a peer (`offline` once its record lapsed), or undefined. */
  presenceOf (peer: string): Presence | undefined {
    return this.presence.get(this.resolvePeer(peer).peerId.toString())
  }

  /** Every peer whose presence this node has seen. */
  presences (): Presence[] {
    return this.presence.list()
  }

  /**
   * Connects to a peer given as a multiaddr ending in `/p2p/<peerId>` (kept
   * as a bootstrap peer when `bootstrap` is set), or as a peer id or contact
   * name (found through the DHT).
   */
  async connect (target: string, options: { signal?: AbortSignal, bootstrap?: boolean } = {}): Promise<void> {
    this.assertRunning()
    const signal = anySignal(options.signal, AbortSignal.timeout(this.sendTimeoutMs))
    if (target.startsWith('/')) {
      const ma = parsePeerAddress(target)
      if (options.bootstrap === true) {
        this.rememberBootstrap(ma.toString())
      }
      await this.libp2p.dial(ma, { signal })
      return
    }
    await connectToPeer(this.libp2p, this.resolvePeer(target).peerId, { signal })
  }

  /** Round-trip time to a peer in ms, fractional (libp2p ping), connecting first if needed. */
  async ping (peer: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertRunning()
    const target = this.resolvePeer(peer).peerId
    const signal = anySignal(options.signal, AbortSignal.timeout(this.sendTimeoutMs))
    await connectToPeer(this.libp2p, target, { signal })
    // term: timed with a sub-millisecond clock (@libp2p/ping reports whole ms: 0 on a LAN)
    return pingRtt(this.libp2p, target, { signal })
  }

  /** Fetches messages held for this node by mailbox peers now (it also happens on connect and periodically). */
  async fetchMailbox (options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertRunning()
    return this.mailboxes.fetchOwn(options)
  }

  /** Resolves a contact name or peer id. Throws `InvalidPeerIdError` / `ContactNotFoundError`. */
  resolvePeer (nameOrPeerId: string): Ed25519Peer {
    const contact = this.store.contacts.get(nameOrPeerId) ?? this.store.contacts.getByName(nameOrPeerId)
    if (contact != null) {
      return parsePeerId(contact.peerId)
    }
    try {
      return parsePeerId(nameOrPeerId)
    } catch (err) {
      if (/^(12D3Koo|Qm|[1-9A-HJ-NP-Za-km-z]{40,})/.test(nameOrPeerId)) {
        throw err
      }
      // not a peer id: it was meant as a contact name
      return parsePeerId(this.store.contacts.resolve(nameOrPeerId).peerId)
    }
  }

  /**
   * The safety number of this node and a contact (or peer id), to compare
   * with theirs out of band (read aloud or scan the QR payload); then mark
   * the contact verified with `contacts.setVerified`. With `pending`, the
   * number for the contact's new, not yet accepted key.
   * Throws `ContactNotFoundError`, `InvalidPeerIdError`, `NoPendingIdentityKeyError`.
   */
  safetyNumber (nameOrPeerId: string, options: { pending?: boolean } = {}): SafetyNumber {
    if (options.pending === true) {
      const contact = this.store.contacts.resolve(nameOrPeerId)
      if (contact.pendingIdentityKey == null) {
        throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key`)
      }
      return safetyNumber(this.self, peerFromPublicKey(contact.pendingIdentityKey))
    }
    return safetyNumber(this.self, this.resolvePeer(nameOrPeerId))
  }

  /**
   * An encrypted backup of this node's identity key (and, unless
   * `contacts: false`, its contact list) as one line of text, sealed under
   * `passphrase` (scrypt, XChaCha20-Poly1305). Restore it with `importIdentity`.
   * Ratchet sessions are not included: peers start new ones.
   */
  async exportIdentity (passphrase: string, options: { contacts?: boolean } = {}): Promise<string> {
    const contacts = options.contacts === false
      ? []
      : this.store.contacts.list().map(c => ({ name: c.name, peerId: c.peerId, verified: c.verified, addresses: [...c.addresses] }))
    return createBackup(this.key, passphrase, { contacts })
  }

  /** Publishes this node's prekey bundle to the DHT now (it also happens on start and periodically); resolves with how many peers stored it. */
  async publishPrekeys (options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertRunning()
    return this.sessions.publishBundle(options)
  }

  private readonly onPeerConnect = guard(log, 'peer:connect handling', (evt: CustomEvent<{ toString(): string }>): void => {
    this.sessions.peerConnected()
    this.messenger.nudge(evt.detail.toString())
  })

  private rememberBootstrap (address: string): void {
    const list = (this.store.settings.get(BOOTSTRAP_SETTING) as string[] | undefined) ?? []
    if (!list.includes(address)) {
      this.store.settings.set(BOOTSTRAP_SETTING, [...list, address].slice(-32))
    }
    this.bootstrapper.add(parsePeerAddress(address))
  }

  private createContacts (): Contacts {
    const store = this.store
    return {
      add: async (name, peerIdOrInvite) => {
        if (isInvite(peerIdOrInvite)) {
          const invite = decodeInvite(peerIdOrInvite)
          if (invite.peerId === this.peerId) {
            throw new InvalidArgumentError('that invite is your own')
          }
          const changed = this.observeKey(name, parsePeerId(invite.peerId), invite.addresses)
          if (changed != null) {
            return changed
          }
          const contact = store.contacts.add(name, invite.peerId, { addresses: invite.addresses, identityKey: parsePeerId(invite.peerId).publicKey.raw })
          for (const address of invite.addresses) {
            this.rememberBootstrap(address)
          }
          await this.libp2p.peerStore.merge(parsePeerId(invite.peerId).peerId, { multiaddrs: invite.addresses.map(a => parsePeerAddress(a)) })
            .catch(err => { log('could not record invite addresses: %s', (err as Error).message) })
          // join the network through the inviter, without making the caller wait for it
          void this.bootstrapper.dialAll()
          return contact
        }
        const peer = parsePeerId(peerIdOrInvite.trim())
        if (peer.peerId.equals(this.libp2p.peerId)) {
          throw new InvalidArgumentError('you cannot add yourself as a contact')
        }
        return this.observeKey(name, peer, []) ?? store.contacts.add(name, peer.peerId.toString(), { identityKey: peer.publicKey.raw })
      },
      list: () => store.contacts.list(),
      get: (nameOrPeerId) => store.contacts.get(nameOrPeerId) ?? store.contacts.getByName(nameOrPeerId),
      rename: (nameOrPeerId, newName) => store.contacts.rename(nameOrPeerId, newName),
      remove: (nameOrPeerId) => store.contacts.remove(nameOrPeerId),
      setVerified: (nameOrPeerId, verified) => store.contacts.setVerified(nameOrPeerId, verified),
      acceptKey: async (nameOrPeerId) => {
        const accepted = acceptContactKey(store, nameOrPeerId)
        const next = parsePeerId(accepted.contact.peerId)
        for (const address of accepted.addresses) {
          this.rememberBootstrap(address)
        }
        if (accepted.addresses.length > 0) {
          await this.libp2p.peerStore.merge(next.peerId, { multiaddrs: accepted.addresses.map(a => parsePeerAddress(a)) })
            .catch(err => { log('could not record invite addresses: %s', (err as Error).message) })
        }
        // what the user wrote to this contact goes to its new key; the held copies failed, saying where
        for (const { message } of accepted.held) {
          this.safeDispatch('message:state', { id: message.id, peer: message.peer, state: 'failed', reason: accepted.reason, at: Date.now() })
          await this.messenger.send(next, message.text, { wait: 'queued' })
        }
        return accepted.contact
      },
      rejectKey: (nameOrPeerId) => {
        const contact = rejectContactKey(store, nameOrPeerId)
        this.messenger.nudge(contact.peerId)
        return contact
      }
    }
  }

  /** A different key under a known contact name: pinned as pending, loudly, never taken silently. */
  private observeKey (name: string, peer: Ed25519Peer, addresses: readonly string[]): Contact | undefined {
    if (peer.peerId.equals(this.libp2p.peerId)) {
      return undefined
    }
    const change = observeContactKey(this.store, name, peer, addresses)
    if (change == null) {
      return undefined
    }
    log.error('identity key of contact %s changed to %s: messages to it are held until it is accepted', change.contact.name, change.newPeerId)
    this.safeDispatch('contact:key-changed', change)
    return change.contact
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
 * Creates and starts a natter node: loads (or creates) the identity and the
 * store in `dataDir`, starts libp2p, joins the presence topic, dials the
 * bootstrap peers and resumes delivery of any pending messages.
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
  for (const address of init.bootstrap ?? []) {
    parsePeerAddress(address)
  }
  const key = await loadOrCreateIdentity(init.dataDir, { passphrase: init.passphrase })
  // the monitor exists before the store (which reports to it) and the node (which it tells)
  const refs: { natter?: Natter, store?: Store } = {}
  const health = createStorageHealth({
    // a small real write: it succeeds only when the disk takes writes again
    probe: () => { refs.store?.settings.set(STORAGE_PROBE_SETTING, Date.now()) },
    onChange: (status) => { refs.natter?.onStorageChange(status) }
  }, { probeIntervalMs: init.storageProbeIntervalMs })
  const store = openStore({
    path: join(init.dataDir, 'natter.db'),
    durability: init.durability,
    mailbox: init.mailboxQuotas,
    busyTimeout: init.storeBusyTimeoutMs ?? STORE_BUSY_TIMEOUT_MS,
    onFault: (err) => { health.report(err) }
  })
  refs.store = store
  let libp2p: NatterLibp2p
  try {
    libp2p = await createNetwork({
      privateKey: key,
      listen: init.listen ?? DEFAULT_LISTEN,
      announce: init.announce,
      mdns: init.mdns ?? false,
      dhtAddresses: init.dhtAddresses ?? 'all',
      maxConnections: init.maxConnections ?? 300
    })
  } catch (err) {
    store.close()
    throw err
  }
  const natter = new Natter(key, libp2p, store, init, health)
  refs.natter = natter
  await natter.start()
  return natter
}

function anySignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s != null))
}

