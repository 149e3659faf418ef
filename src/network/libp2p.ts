/**
 * The libp2p stack natter runs on: TCP, Noise, yamux, identify, ping,
 * Kademlia under natter's own protocol id, gossipsub, optional mDNS.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { PREKEY_NAMESPACE, selectPrekeyRecord, validatePrekeyRecord } from '../sessions/bundle-record.js'
import { createConnectionLimits } from './connection-limits.js'
import { createDhtStore, dhtOrigin } from './dht-store.js'
import { MAX_GOSSIP_RPC_BYTES, PRESENCE_SCORE_THRESHOLDS, presenceScoreParams } from '../presence/scoring.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { ConnectionLimitsInit } from './connection-limits.js'
import type { DhtStore, DhtStoreInit } from './dht-store.js'
import type { Ed25519PrivateKey, Libp2p, PeerDiscovery, StreamHandler } from '@libp2p/interface'

/** Kademlia protocol id: natter nodes form their own DHT, separate from IPFS's. */
export const DHT_PROTOCOL = '/natter/kad/1.0.0'

/** The services natter's libp2p node carries. */
// a type alias (not an interface) so it satisfies libp2p's ServiceMap index signature
export type NatterServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
}

/** A libp2p node with natter's services. */
export type NatterLibp2p = Libp2p<NatterServices>

/** Network settings; see {@link NatterInit} for the documented defaults. */
export interface NetworkInit {
  privateKey: Ed25519PrivateKey
  listen: string[]
  announce?: string[]
  mdns: boolean
  /** Which addresses the DHT stores and hands out. */
  dhtAddresses: 'all' | 'public'
  /** Connections shared by peers that are not protected; protected peers get a reserve above it. */
  maxConnections: number
  /** Per-address limits and the reserve for protected peers; see {@link ConnectionLimitsInit}. */
  connectionLimits?: Omit<ConnectionLimitsInit, 'maxConnections'>
  /** Whether a peer is protected from the connection limits (contacts, bootstrap peers). @default none is */
  isProtected?: (peerId: string) => boolean
  /** Bounds of the DHT's store of other peers' records; see {@link DhtStoreInit}. */
  dhtStore?: DhtStoreInit
}

/**
 * Runs kad-dht over `store` instead of libp2p's unbounded datastore, and runs
 * each inbound DHT stream inside {@link dhtOrigin} so the store knows which
 * peer a PUT_VALUE or ADD_PROVIDER came from.
 */
function boundedDht<T> (factory: (components: any) => T, store: DhtStore): (components: any) => T { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (components) => {
    // the registrar's handle(protocol, handler, options): the one call wrapped
    const registrar: { handle(protocol: string, handler: StreamHandler, options?: unknown): Promise<void> } = components.registrar
    const wrapped = new Proxy(registrar, {
      get (target, prop) {
        if (prop === 'handle') {
          return async (protocol: string, handler: StreamHandler, options?: unknown) => {
            const inOrigin: StreamHandler = (stream, connection) => dhtOrigin.run({ peer: connection.remotePeer.toString() }, () => handler(stream, connection))
            return target.handle(protocol, inOrigin, options)
          }
        }
        const value = Reflect.get(target, prop)
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    return factory(new Proxy(components, {
      get (target, prop) {
        if (prop === 'registrar') {
          return wrapped
        }
        if (prop === 'datastore') {
          return store
        }
        return Reflect.get(target, prop)
      }
    }))
  }
}

/** Creates (does not start) the libp2p node. */
export async function createNetwork (init: NetworkInit): Promise<NatterLibp2p> {
  const dhtStore = createDhtStore(init.dhtStore)
  const limits = createConnectionLimits({
    maxConnections: init.maxConnections,
    reserve: init.connectionLimits?.reserve,
    maxPerIp: init.connectionLimits?.maxPerIp,
    maxPerSubnet: init.connectionLimits?.maxPerSubnet,
    limitPrivate: init.connectionLimits?.limitPrivate,
    idleMs: init.connectionLimits?.idleMs
  })
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = [] // eslint-disable-line @typescript-eslint/no-explicit-any
  if (init.mdns) {
    peerDiscovery.push(mdns({ serviceTag: 'natter.local', interval: 10_000 }))
  }
  const node = await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    addresses: {
      listen: init.listen,
      announce: init.announce ?? []
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionGater: limits.gater,
    connectionManager: {
      // the shared slots plus a reserve only protected peers may use (connection-limits.ts)
      maxConnections: limits.libp2pMaxConnections,
      // many peers may share one IP (a LAN behind NAT, or loopback): the defaults (5/s, 10 pending) refuse them
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 50
    },
    services: {
      identify: identify(),
      ping: ping(),
      dht: boundedDht(kadDHT({
        protocol: DHT_PROTOCOL,
        // every natter node serves the DHT: there are no dedicated servers
        clientMode: false,
        peerInfoMapper: init.dhtAddresses === 'all' ? passthroughMapper : removePrivateAddressesMapper,
        initialQuerySelfInterval: 0,
        // prekey bundles (PROTOCOL.md §6.3): only valid, signed records are stored or returned; the newest wins
        validators: { [PREKEY_NAMESPACE]: validatePrekeyRecord },
        selectors: { [PREKEY_NAMESPACE]: selectPrekeyRecord }
      }), dhtStore),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        floodPublish: true,
        emitSelf: false,
        scoreParams: presenceScoreParams(),
        scoreThresholds: PRESENCE_SCORE_THRESHOLDS,
        maxInboundDataLength: MAX_GOSSIP_RPC_BYTES
      })
    }
  })
  limits.attach(node, init.isProtected ?? (() => false))
  return node
}
