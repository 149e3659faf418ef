/**
 * Reachability on the real internet (issue 12, PROTOCOL.md §2.1): the parts
 * of the libp2p stack that let a node be reached from outside its own
 * network — circuit relay v2 (client everywhere, server with chat-fit bounds),
 * AutoNAT v2 (confirms a public listen address by a dial-back), UPnP (opens a
 * port where the router allows) and DCUtR (tries to upgrade a relayed
 * connection to a direct one) — and the address rules that follow from it:
 * what a node advertises (invites, DHT records, banner) and what it dials.
 *
 * Two network modes:
 * - `'internet'` (the default): all of the above; the DHT runs as a client
 *   until a public, non-relayed address is confirmed; only addresses others
 *   can dial are advertised (public ones and `/p2p-circuit` ones through a
 *   public relay); private and loopback addresses of other peers are never
 *   dialled (a friend's 192.168.x address means nothing outside their LAN).
 * - `'local'`: one machine or one LAN (tests, demos, a LAN party): none of
 *   the above, the DHT always serves, every address is advertised and dialled.
 *
 * @module
 */
import { autoNATv2 } from '@libp2p/autonat-v2'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { uPnPNAT } from '@libp2p/upnp-nat'
import { isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { networkInterfaces } from 'node:os'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Where a node runs: on the internet (behind NATs, through relays) or on one machine / one LAN. */
export type NetworkMode = 'internet' | 'local'

/** The network mode when none is given. */
export const DEFAULT_NETWORK_MODE: NetworkMode = 'internet'

/**
 * Data one relayed connection may carry before the relay closes it. libp2p's
 * default (128 KiB) cut a 512 KiB transfer; a chat message is at most
 * 256 KiB sealed and a mailbox fetch pages through at most 1 MiB at once, so
 * 16 MiB covers hours of chat. A connection closed at the limit is redialled
 * (a new relayed connection) by the next send.
 */
export const RELAY_DATA_LIMIT = 16n * 1024n * 1024n
/** Longest life of one relayed connection, in ms (libp2p's default: 2 min). Redialled on the next send when it ends. */
export const RELAY_DURATION_LIMIT_MS = 30 * 60_000
/** Most reservations a relay holds at once (libp2p's default: 15): each is one peer that may be reached through it. */
export const RELAY_MAX_RESERVATIONS = 128
/** Relayed streams a relay carries at once per connection, each way. */
export const RELAY_MAX_HOP_STREAMS = 64
/** How long a reservation lasts before the client renews it, in ms (the client renews before it ends). */
export const RELAY_RESERVATION_TTL_MS = 60 * 60_000
/** Time allowed to get a reservation from a relay, in ms. */
export const RELAY_RESERVATION_TIMEOUT_MS = 10_000

/** Options of the reachability services. */
export interface ReachabilityInit {
  /** @default 'internet' */
  network?: NetworkMode
  /** Run a relay server for others (internet mode only). @default true */
  relayServer?: boolean
  /** Ask the router for a port mapping with UPnP (internet mode only). @default true */
  upnp?: boolean
}

/** The libp2p services reachability adds in internet mode (none in local mode). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function reachabilityServices (init: ReachabilityInit): Record<string, (components: any) => unknown> {
  if ((init.network ?? DEFAULT_NETWORK_MODE) === 'local') {
    return {}
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const services: Record<string, (components: any) => unknown> = {
    // v2, not v1: v1's server closes the connection it dialled back on, and when libp2p hands it the
    // connection the request came on, that kills the request (measured: v1 never confirmed a public
    // node in the namespace tests); v2 forces a fresh connection and proves it with a nonce. A listen
    // address on a public interface is confirmed by one peer's dial-back (README, design notes)
    autoNAT: autoNATv2({ startupDelay: 1000, timeout: 10_000 }),
    dcutr: dcutr()
  }
  if (init.relayServer !== false) {
    services.relay = circuitRelayServer({
      maxInboundHopStreams: RELAY_MAX_HOP_STREAMS,
      maxOutboundStopStreams: RELAY_MAX_HOP_STREAMS,
      reservations: {
        maxReservations: RELAY_MAX_RESERVATIONS,
        reservationTtl: RELAY_RESERVATION_TTL_MS,
        applyDefaultLimit: true,
        defaultDataLimit: RELAY_DATA_LIMIT,
        defaultDurationLimit: RELAY_DURATION_LIMIT_MS
      }
    })
  }
  if (init.upnp !== false) {
    // a mapping the router made is dialable by definition: confirmed without waiting for AutoNAT
    services.upnp = uPnPNAT({ autoConfirmAddress: true, portMappingDescription: 'natter' })
  }
  return services
}

/** The transports reachability adds: the circuit relay client on every node in internet mode. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function reachabilityTransports (init: ReachabilityInit): Array<(components: any) => any> {
  if ((init.network ?? DEFAULT_NETWORK_MODE) === 'local') {
    return []
  }
  return [circuitRelayTransport({ reservationCompletionTimeout: RELAY_RESERVATION_TIMEOUT_MS, reservationConcurrency: 2 })]
}

/**
 * The listen addresses with `/p2p-circuit` added in internet mode: libp2p then
 * keeps a reservation on a relay (found among connected peers, bootstrap peers
 * and by a DHT random walk), renews it, and advertises the relayed address.
 */
export function withRelayListen (listen: string[], network: NetworkMode): string[] {
  if (network === 'local' || listen.includes('/p2p-circuit')) {
    return listen
  }
  return [...listen, '/p2p-circuit']
}

/** Whether an address is relayed (`/p2p-circuit`). */
export function isRelayed (ma: Multiaddr): boolean {
  return ma.getComponents().some(c => c.name === 'p2p-circuit')
}

/**
 * Whether others on the internet can dial `ma`: not loopback, not private,
 * not link-local; a relayed address counts when its relay's address does.
 */
export function isDialableFromInternet (ma: Multiaddr): boolean {
  if (isRelayed(ma)) {
    const components = ma.getComponents()
    const cut = components.findIndex(c => c.name === 'p2p-circuit')
    const relay = multiaddr(components.slice(0, cut))
    return isDialableFromInternet(relay)
  }
  return !isPrivate(ma) && !isLinkLocal(ma)
}

function isLinkLocal (ma: Multiaddr): boolean {
  const ip = ma.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  if (ip?.value == null) {
    return false
  }
  return ip.name === 'ip4' ? ip.value.startsWith('169.254.') : /^fe[89ab]/i.test(ip.value)
}

/**
 * The addresses this node advertises (invites, `natter id`, the banner):
 * in local mode all of them; on the internet only those others can dial.
 */
export function advertisedAddresses (addresses: Multiaddr[], network: NetworkMode): Multiaddr[] {
  if (network === 'local') {
    return addresses
  }
  const dialable = addresses.filter(isDialableFromInternet)
  // a node with a confirmed public address is reached directly: a relayed address beside it only adds a
  // detour (and one taken before the relay's own address was confirmed may name the relay's outbound port)
  const direct = dialable.filter(ma => !isRelayed(ma))
  return direct.length > 0 ? direct : dialable
}

/** How reachable a node is, from what it advertises. */
export interface Reachability {
  /** The network mode. */
  network: NetworkMode
  /** Confirmed public addresses (direct). */
  direct: string[]
  /** Addresses through a relay. */
  relayed: string[]
  /**
   * `'public'`: others dial it directly; `'relayed'`: only through a relay;
   * `'local'`: local mode (this machine or LAN only); `'none'`: nobody can
   * reach it (no confirmed address, no relay reservation).
   */
  state: 'public' | 'relayed' | 'local' | 'none'
}

/** Classifies what a node advertises (see {@link Reachability}). */
export function reachabilityOf (addresses: Multiaddr[], network: NetworkMode): Reachability {
  const dialable = network === 'local' ? addresses : addresses.filter(isDialableFromInternet)
  const relayed = dialable.filter(isRelayed).map(String)
  const direct = dialable.filter(ma => !isRelayed(ma)).map(String)
  const state = network === 'local' ? 'local' : direct.length > 0 ? 'public' : relayed.length > 0 ? 'relayed' : 'none'
  return { network, direct, relayed, state }
}

/**
 * Whether this node may dial `ma` at all: in internet mode a private,
 * loopback or link-local address belongs to someone else's LAN (or machine)
 * and is refused — unless mDNS found the peer on this LAN, which is the point
 * of mDNS. Relayed addresses are judged by their relay.
 */
export function mayDial (ma: Multiaddr, network: NetworkMode, mdns: boolean): boolean {
  if (network === 'local' || isDialableFromInternet(ma)) {
    return true
  }
  return mdns && onOwnSubnet(ma)
}

/** Whether `ma`'s IPv4 address lies in the subnet of one of this machine's own interfaces (not loopback). */
export function onOwnSubnet (ma: Multiaddr, interfaces = networkInterfaces()): boolean {
  const ip = ma.getComponents().find(c => c.name === 'ip4')?.value
  if (ip == null) {
    return false
  }
  const target = ipv4ToInt(ip)
  return Object.values(interfaces).some(list => (list ?? []).some(i => {
    if (i.family !== 'IPv4' || i.internal) {
      return false
    }
    const mask = ipv4ToInt(i.netmask)
    return (ipv4ToInt(i.address) & mask) === (target & mask)
  }))
}

function ipv4ToInt (ip: string): number {
  return ip.split('.').reduce((n, octet) => ((n << 8) | (Number(octet) & 0xff)) >>> 0, 0)
}
