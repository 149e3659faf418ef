/**
 * Defaults of natter's libp2p stack (PROTOCOL.md §2), and limits of what the
 * network layer holds for other peers (PROTOCOL.md §6.3 for the DHT, §8.10 for
 * connections). Every limit here bounds something a peer can grow by sending.
 *
 * @module
 */

/** Kademlia protocol id: natter nodes form their own DHT, separate from IPFS's (§2). */
export const DHT_PROTOCOL = '/natter/kad/1.0.0'
/** Addresses listened on when none are given. */
export const DEFAULT_LISTEN: readonly string[] = Object.freeze(['/ip4/0.0.0.0/tcp/0'])
/** Connection limit. */
export const MAX_CONNECTIONS = 300
/** Inbound connections per second from one IP: many peers may share one (a LAN behind NAT, or loopback). libp2p's default is 5. */
export const INBOUND_CONNECTION_THRESHOLD = 100
/** Inbound connections being set up at once. libp2p's default is 10. */
export const MAX_INCOMING_PENDING_CONNECTIONS = 50
/**
 * How often libp2p's connection monitor pings each open connection, in ms (libp2p's default: 10 s). Each ping
 * is a new stream (multistream-select, a peer-store write, 32 bytes each way), sent by both ends: at 10 s it
 * was the largest part of an idle node's traffic (12 ping streams per connection per minute). A minute still
 * finds a dead connection (a peer whose host vanished without closing TCP) within about a minute and a timeout,
 * and keeps a NAT's TCP mapping fresh (RFC 5382 asks for at least 2 h; home routers use minutes).
 */
export const CONNECTION_PING_INTERVAL_MS = 60_000
/**
 * Least time the connection monitor waits for a ping's answer before it closes the connection, in ms (libp2p's
 * adaptive timeout starts at 5 s). A peer whose event loop is merely slow (a loaded machine, a phone waking) is
 * not dead: at 5 s, loaded bench runs lost connections to live peers and had to redial them.
 */
export const CONNECTION_PING_MIN_TIMEOUT_MS = 20_000
/** mDNS service tag of natter nodes. */
export const MDNS_SERVICE_TAG = 'natter.local'
/** mDNS query interval, in ms. */
export const MDNS_INTERVAL_MS = 10_000
/** Period of the bootstrap connectivity check, in ms. */
export const BOOTSTRAP_INTERVAL_MS = 5000
/** Time allowed for one bootstrap dial, in ms. */
export const BOOTSTRAP_DIAL_TIMEOUT_MS = 10_000

/** Most DHT value records (prekey bundles, `/pk/` keys) held for others. */
export const DHT_MAX_RECORDS = 4096
/** Most DHT provider records held for others. */
export const DHT_MAX_PROVIDERS = 4096
/** Most bytes of DHT records and provider records held for others, in total. */
export const DHT_MAX_BYTES = 24 * 1024 * 1024
/** Largest single DHT record stored, in bytes (a prekey record is at most 8 KiB plus the libp2p record's frame). */
export const DHT_MAX_RECORD_BYTES = 10 * 1024
/** Most records of each kind (values, providers) one peer may have stored at a time. */
export const DHT_MAX_PER_PEER = 64
/** PUT_VALUE requests one peer may make: 1 every 2 s sustained, 20 at once. */
export const DHT_PUT_RATE = Object.freeze({ rate: 0.5, burst: 20 })
/** ADD_PROVIDER requests one peer may make: 1 every 2 s sustained, 20 at once. */
export const DHT_PROVIDE_RATE = Object.freeze({ rate: 0.5, burst: 20 })

/** Peers whose DHT rate-limit buckets are remembered. */
export const DHT_RATE_LIMIT_MAX_PEERS = 2048

/** Connections to peers that are not contacts, mailbox or bootstrap peers, per IP address (IPv6: per /64). */
export const MAX_CONNECTIONS_PER_IP = 8
/** Connections to unprotected peers per subnet (IPv4 /24, IPv6 /48). */
export const MAX_CONNECTIONS_PER_SUBNET = 32
/** Slots above `maxConnections` kept for protected peers (contacts, mailbox and bootstrap peers). */
export const PROTECTED_CONNECTION_RESERVE = 32
/** An unprotected peer's connection with no stream for this long may be closed when slots run short. */
export const IDLE_STRANGER_MS = 30_000
/** Value of the peer-store tag that marks protected peers, so libp2p's pruner closes them last. */
export const PROTECTED_TAG_VALUE = 100
/** Name of that tag. */
export const PROTECTED_TAG = 'natter-protected'
