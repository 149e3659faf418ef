/**
 * Defaults of natter's libp2p stack (PROTOCOL.md §2).
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
/** mDNS service tag of natter nodes. */
export const MDNS_SERVICE_TAG = 'natter.local'
/** mDNS query interval, in ms. */
export const MDNS_INTERVAL_MS = 10_000
/** Period of the bootstrap connectivity check, in ms. */
export const BOOTSTRAP_INTERVAL_MS = 5000
/** Time allowed for one bootstrap dial, in ms. */
export const BOOTSTRAP_DIAL_TIMEOUT_MS = 10_000
