/**
 * The options of a natter node, each with its default.
 *
 * @module
 */
import { DEFAULT_RATE_LIMITS } from './abuse/constants.js'
import type { NetworkInit } from './network/libp2p.js'
import type { RateLimitTiers } from './abuse/index.js'
import type { Passphrase } from './keys/identity.js'
import type { RequestLimits } from './messaging/inbound-limits.js'
import type { MailboxQuotasInit, Store } from './store/index.js'
import type { ComponentLogger, Ed25519PrivateKey, Libp2p } from '@libp2p/interface'

/**
 * Options of {@link createNatter}. Every field is optional but `dataDir`,
 * which is needed unless both `privateKey` and `store` are given.
 */
export interface NatterInit {
  /**
   * Directory holding the identity key and the SQLite store; created (mode
   * 0700) if missing. Needed unless `privateKey` and `store` are both given.
   */
  dataDir?: string
  /**
   * An existing libp2p node to run on, instead of natter's own (TCP, Noise,
   * yamux). It must carry the services natter uses — `identify`, `ping`,
   * `dht` (kad-dht under `/natter/kad/1.0.0`, with natter's validators) and
   * `pubsub` (gossipsub); `natterServices(natterServicePolicies())` builds
   * them — and run under natter's identity key (`privateKey`, or the key in
   * `dataDir`). A missing piece throws `MissingServicesError` naming it.
   * natter starts the node if it is not running, and never stops it: it is
   * the embedder's.
   * @default a node natter creates, starts and stops
   */
  libp2p?: Libp2p<any> // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * The identity key, instead of the key file in `dataDir`.
   * @default loaded from (or created in) `dataDir`
   */
  privateKey?: Ed25519PrivateKey
  /**
   * An open store, instead of `dataDir/natter.db`. natter does not close a
   * store it was given.
   * @default opened in `dataDir`
   */
  store?: Store
  /**
   * Where every part of natter (and a libp2p node natter creates) logs, by
   * component (`natter:messaging`, `natter:presence`, …).
   * @default `defaultLogger()` of `@libp2p/logger` (the `DEBUG` environment variable)
   */
  logger?: ComponentLogger
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
   * Where the node runs (issue 12, PROTOCOL.md §2.1):
   * - `'internet'`: reachable from anywhere — a relay reservation (circuit
   *   relay v2) so peers behind NATs reach it, a relay server for others,
   *   AutoNAT to confirm a public address, UPnP where the router allows,
   *   DCUtR; the DHT serves only once a public address is confirmed; only
   *   addresses others can dial are advertised, and no peer's private
   *   (LAN) or loopback address is dialled (except LAN peers found by mDNS).
   * - `'local'`: one machine or one LAN (tests, demos): none of that; every
   *   node serves the DHT and every address is advertised and dialled.
   * @default 'internet'
   */
  network?: 'internet' | 'local'
  /** Run a circuit relay server for other peers (internet mode), with chat-fit bounds. @default true */
  relayServer?: boolean
  /** Ask the home router for a port mapping with UPnP (internet mode). @default true */
  upnp?: boolean
  /**
   * Addresses the DHT stores and returns: `'all'` keeps private and loopback
   * addresses (LANs, one machine), `'public'` keeps only public ones (and
   * relayed ones through a public relay).
   * @default 'public' on the internet, 'all' in local mode
   */
  dhtAddresses?: 'all' | 'public'
  /**
   * Connections shared by peers that are not contacts, accepted peers or
   * bootstrap peers; those get `connectionLimits.reserve` more slots of their
   * own, so a flood of throwaway identities cannot lock them out. @default 300
   */
  maxConnections?: number
  /**
   * Per-address limits on unprotected peers' connections and the reserve for
   * protected ones (see `ConnectionLimitsInit`): 8 per IP, 32 per /24 (IPv6:
   * /64 and /48), 32 reserved; loopback and private addresses are exempt from
   * the per-address limits unless `limitPrivate`.
   */
  connectionLimits?: NetworkInit['connectionLimits']
  /**
   * Begin with a new, empty store even though an identity key exists and the
   * store file is missing or empty. Without it that case throws
   * `StoreMissingError` rather than silently losing contacts and history.
   * @default false
   */
  newStore?: boolean
  /** Lifetime of this node's presence records, in ms. @default 90_000 */
  presenceTtlMs?: number
  /** Presence republish period, in ms. @default presenceTtlMs / 3 */
  presenceRepublishMs?: number
  /**
   * Who sees this node's presence (PROTOCOL.md §3.6): `contacts` (sealed
   * records only contacts can read), `invisible` (nobody), `public` (also the
   * v1 record anyone can read, for bots). @default the last one set through
   * `natter.presence.setVisibility`, else 'contacts'
   */
  presenceVisibility?: 'invisible' | 'contacts' | 'public'
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
  /** Send read receipts when `natter.messages.markRead` is called. @default false */
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
   * Unset fields keep {@link DEFAULT_RATE_LIMITS} (PROTOCOL.md §8.6).
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
  /**
   * The DM protocol version spoken (PROTOCOL.md §5.2). `'1.2'` serves and
   * dials only `/natter/dm/1.0.0` and signs every envelope: for interop
   * tests and benchmarks only. @default '1.3'
   */
  dmVersion?: '1.2' | '1.3'
}

/**
 * natter's default per-peer rate limits: generous for contacts, strict for strangers.
 * @deprecated the one table is {@link DEFAULT_RATE_LIMITS}; this is the same object.
 */
export const DEFAULT_NATTER_RATE_LIMITS = DEFAULT_RATE_LIMITS
