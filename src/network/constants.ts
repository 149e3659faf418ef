/**
 * Limits of what natter's network layer holds for other peers (PROTOCOL.md §6.4
 * for the DHT, §9 for connections). Every figure here bounds something a peer
 * can grow by sending.
 *
 * @module
 */

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
