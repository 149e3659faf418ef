/**
 * Connection limits against Sybil floods (issue 9): throwaway identities from
 * one address must not take every connection slot and lock contacts out.
 *
 * - Peers natter cares about (contacts, mailbox and bootstrap peers: the
 *   `isProtected` callback) are always admitted: libp2p's `maxConnections` is
 *   set `reserve` slots above the limit for everyone else, and they carry a
 *   peer-store tag of value {@link PROTECTED_TAG_VALUE}, so libp2p's pruner,
 *   which closes the lowest-valued connections first, closes them last.
 * - Every other peer shares `maxConnections` slots, at most `maxPerIp` per IP
 *   address (IPv6: per /64) and `maxPerSubnet` per IPv4 /24 or IPv6 /48.
 *   Loopback and private addresses are exempt from the per-address limits
 *   unless `limitPrivate` (same-machine daemons and LANs behind one NAT share
 *   an address), but not from the total.
 * - When the shared slots are full, a stranger's connection idle (no stream)
 *   for `idleMs` is closed to make room for the newcomer; otherwise the
 *   newcomer is refused.
 *
 * @module
 */
import { logger } from '@libp2p/logger'
import { getNetConfig, isNetworkAddress, isPrivateIp } from '@libp2p/utils'
import { guard } from '../util/guard.js'
import {
  IDLE_STRANGER_MS, MAX_CONNECTIONS_PER_IP, MAX_CONNECTIONS_PER_SUBNET, PROTECTED_CONNECTION_RESERVE, PROTECTED_TAG, PROTECTED_TAG_VALUE
} from './constants.js'
import type { Connection, ConnectionGater, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('natter:connection-limits')

/** Options of {@link createConnectionLimits}. */
export interface ConnectionLimitsInit {
  /** Connections shared by peers that are not protected. */
  maxConnections: number
  /** Slots above `maxConnections` kept for protected peers. @default PROTECTED_CONNECTION_RESERVE (32) */
  reserve?: number
  /** Unprotected connections per IP address (IPv6: per /64). @default MAX_CONNECTIONS_PER_IP (8) */
  maxPerIp?: number
  /** Unprotected connections per IPv4 /24 or IPv6 /48. @default MAX_CONNECTIONS_PER_SUBNET (32) */
  maxPerSubnet?: number
  /** Apply the per-address limits to loopback and private addresses too. @default false */
  limitPrivate?: boolean
  /** How long an unprotected connection must have had no stream before it may be closed for a newcomer, in ms. @default IDLE_STRANGER_MS (30 s) */
  idleMs?: number
}

/** The limits, wired into libp2p by {@link ConnectionLimits.gater} and {@link ConnectionLimits.attach}. */
export interface ConnectionLimits {
  /** libp2p's `connectionManager.maxConnections`: the shared slots plus the reserve. */
  readonly libp2pMaxConnections: number
  /** The connection gater to pass to libp2p. */
  readonly gater: ConnectionGater
  /** Starts watching `libp2p` (tags protected peers, closes excess connections); returns a function that stops it. */
  attach(libp2p: Libp2p, isProtected: (peerId: string) => boolean): () => void
  /** Tags a peer as protected in the peer store (call when it becomes a contact, mailbox or bootstrap peer). */
  protect(peerId: PeerId): Promise<void>
}

/** The address keys a connection counts against: its IP and its subnet, or none for an exempt address. */
export function addressKeys (ma: Multiaddr, limitPrivate: boolean): { ip: string, subnet: string } | undefined {
  // a relayed connection's address is its relay's: counting it against that IP would let 8 strangers
  // relayed through one relay lock out everyone else using it (the relay bounds its own circuits)
  if (!isNetworkAddress(ma) || ma.getComponents().some(c => c.name === 'p2p-circuit')) {
    return undefined
  }
  const config = getNetConfig(ma)
  if (config.type !== 'ip4' && config.type !== 'ip6') {
    return undefined
  }
  let host = config.host
  let type = config.type
  // an IPv4-mapped IPv6 address counts as the IPv4 address (dotted, or as two hex groups)
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(host)
  if (dotted != null) {
    host = dotted[1]!
    type = 'ip4'
  } else if (hex != null) {
    const hi = Number.parseInt(hex[1]!, 16)
    const lo = Number.parseInt(hex[2]!, 16)
    host = [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.')
    type = 'ip4'
  }
  if (!limitPrivate && isPrivateIp(host) === true) {
    return undefined
  }
  if (type === 'ip4') {
    return { ip: host, subnet: host.split('.').slice(0, 3).join('.') + '.0/24' }
  }
  const groups = expandIp6(host)
  return { ip: groups.slice(0, 4).join(':') + '::/64', subnet: groups.slice(0, 3).join(':') + '::/48' }
}

function expandIp6 (host: string): string[] {
  const [head = '', tail] = host.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail == null || tail === '' ? [] : tail.split(':')
  const middle = Array.from({ length: Math.max(0, 8 - left.length - right.length) }, () => '0')
  return [...left, ...middle, ...right].map(g => g.toLowerCase().replace(/^0+(?=.)/, ''))
}

/** Creates the connection limits. */
export function createConnectionLimits (init: ConnectionLimitsInit): ConnectionLimits {
  const max = init.maxConnections
  const reserve = init.reserve ?? PROTECTED_CONNECTION_RESERVE
  const maxPerIp = init.maxPerIp ?? MAX_CONNECTIONS_PER_IP
  const maxPerSubnet = init.maxPerSubnet ?? MAX_CONNECTIONS_PER_SUBNET
  const limitPrivate = init.limitPrivate ?? false
  const idleMs = init.idleMs ?? IDLE_STRANGER_MS
  let node: Libp2p | undefined
  let isProtected: (peerId: string) => boolean = () => false

  const unprotected = (): Connection[] => (node?.getConnections() ?? []).filter(c => c.status === 'open' && !isProtected(c.remotePeer.toString()))

  /** Closes the longest-idle unprotected connection idle for `idleMs`, if any; returns whether it did. */
  const closeIdle = (among: Connection[]): boolean => {
    const now = Date.now()
    const idle = among
      .filter(c => c.streams.length === 0 && now - c.timeline.open >= idleMs)
      .sort((a, b) => a.timeline.open - b.timeline.open)[0]
    if (idle == null) {
      return false
    }
    log('closing idle connection to %p to make room', idle.remotePeer)
    void idle.close().catch(err => { idle.abort(err as Error) })
    return true
  }

  /** Why an unprotected newcomer from `addr` may not connect now, or undefined. */
  const refusal = (addr: Multiaddr, ignore?: Connection): string | undefined => {
    const others = unprotected().filter(c => c !== ignore)
    if (others.length >= max && !closeIdle(others)) {
      return `all ${max} connection slots for unknown peers are taken`
    }
    const keys = addressKeys(addr, limitPrivate)
    if (keys == null) {
      return undefined
    }
    let sameIp = 0
    let sameSubnet = 0
    for (const c of others) {
      const k = addressKeys(c.remoteAddr, limitPrivate)
      sameIp += k?.ip === keys.ip ? 1 : 0
      sameSubnet += k?.subnet === keys.subnet ? 1 : 0
    }
    if (sameIp >= maxPerIp) {
      return `${sameIp} unknown peers already connected from ${keys.ip}`
    }
    if (sameSubnet >= maxPerSubnet) {
      return `${sameSubnet} unknown peers already connected from ${keys.subnet}`
    }
    return undefined
  }

  const gater: ConnectionGater = {
    denyInboundEncryptedConnection (peerId, maConn) {
      if (isProtected(peerId.toString())) {
        return false
      }
      const why = refusal(maConn.remoteAddr)
      if (why != null) {
        log('refused %p from %a: %s', peerId, maConn.remoteAddr, why)
        return true
      }
      return false
    }
  }

  const protect = async (peerId: PeerId): Promise<void> => {
    await node?.peerStore.merge(peerId, { tags: { [PROTECTED_TAG]: { value: PROTECTED_TAG_VALUE } } })
  }

  return {
    libp2pMaxConnections: max + reserve,
    gater,
    protect,
    attach (libp2p, check) {
      node = libp2p
      isProtected = check
      // connections opened concurrently all passed the gater: close the excess, newest first
      const onOpen = guard(log, 'connection limits', (evt: CustomEvent<Connection>) => {
        const connection = evt.detail
        if (isProtected(connection.remotePeer.toString())) {
          void protect(connection.remotePeer).catch(err => { log('cannot tag %p: %s', connection.remotePeer, (err as Error).message) })
          return
        }
        if (connection.direction !== 'inbound') {
          return
        }
        const why = refusal(connection.remoteAddr, connection)
        if (why != null) {
          log('closing %p from %a: %s', connection.remotePeer, connection.remoteAddr, why)
          void connection.close().catch(err => { connection.abort(err as Error) })
        }
      })
      libp2p.addEventListener('connection:open', onOpen)
      return () => {
        libp2p.removeEventListener('connection:open', onOpen)
        node = undefined
      }
    }
  }
}
