/**
 * The libp2p stack natter runs on: TCP, Noise, yamux, identify, ping,
 * Kademlia under natter's own protocol id, gossipsub, optional mDNS.
 *
 * This layer knows no natter record: what the DHT accepts and prefers
 * (validators, selectors) and how gossipsub scores peers are handed in by
 * the caller, so the layers above (sessions, presence) stay above.
 *
 * @module
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
import { ensurePromiseWithResolvers } from '../polyfill.js'
import {
  CONNECTION_PING_INTERVAL_MS, CONNECTION_PING_MIN_TIMEOUT_MS, DEFAULT_LISTEN, DHT_PROTOCOL, INBOUND_CONNECTION_THRESHOLD, MAX_CONNECTIONS, MAX_INCOMING_PENDING_CONNECTIONS, MDNS_INTERVAL_MS,
  MDNS_SERVICE_TAG
} from './constants.js'
import type { GossipSub, GossipSubComponents } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreThresholds } from '@libp2p/gossipsub/score'
import { coalescingEncrypter } from './coalesce.js'
import { createConnectionLimits } from './connection-limits.js'
import { createDhtStore, dhtOrigin } from './dht-store.js'
import { DEFAULT_NETWORK_MODE, mayDial, reachabilityServices, reachabilityTransports, withRelayListen } from './reachability.js'
import type { NetworkMode, ReachabilityInit } from './reachability.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT, SelectFn, ValidateFn } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { ConnectionLimitsInit } from './connection-limits.js'
import type { DhtStore, DhtStoreInit } from './dht-store.js'
import type { ComponentLogger, Ed25519PrivateKey, Libp2p, PeerDiscovery, StreamHandler } from '@libp2p/interface'

export { DHT_PROTOCOL }

/**
 * Ping streams per connection and direction. The DHT pings every new contact
 * (kad-dht's routing table) the moment it connects, so with libp2p's default of
 * one outbound ping stream a user's ping on a brand-new connection failed with
 * TooManyOutboundProtocolStreamsError "/ipfs/ping/1.0.0 - 2/1" (protocol 1.1,
 * erratum 5). Pings are 32 bytes each way: a few at once cost nothing.
 */
export const PING_MAX_STREAMS = 4

/** The services natter's libp2p node carries. */
// a type alias (not an interface) so it satisfies libp2p's ServiceMap index signature
export type NatterServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  /** Presence v2's own gossipsub (PROTOCOL.md §3.6): unsigned messages, so relays learn no author. */
  presence: GossipSub
}

/** A libp2p node with natter's services. */
export type NatterLibp2p = Libp2p<NatterServices>

/** What the layers above ask of the DHT and gossipsub. */
export interface ServicePolicies {
  /** DHT record validators by key namespace (e.g. prekey bundles, PROTOCOL.md §6.3). @default none */
  dhtValidators?: Record<string, ValidateFn>
  /** DHT record selectors (which of several records wins) by key namespace. @default none */
  dhtSelectors?: Record<string, SelectFn>
  /**
   * When a record under a key namespace was published, by namespace: the bounded DHT store refuses to
   * replace a stored record with an older one (no rollback; PROTOCOL.md §6.3). @default none
   */
  dhtRecordAge?: Record<string, (value: Uint8Array) => number | bigint>
  /** Gossipsub peer-score parameters. @default gossipsub's */
  scoreParams?: Partial<PeerScoreParams>
  /** Gossipsub peer-score thresholds. @default gossipsub's */
  scoreThresholds?: Partial<PeerScoreThresholds>
  /** Largest gossipsub RPC accepted, in bytes. @default gossipsub's */
  maxInboundDataLength?: number
  /** Peer-score parameters of presence v2's gossipsub (its shard topics). @default gossipsub's */
  presenceScoreParams?: Partial<PeerScoreParams>
  /** Protocol id of presence v2's gossipsub. @default '/natter/presence/2/meshsub' */
  presenceMeshProtocol?: string
}

/** Options of {@link natterServices}. */
export interface NatterServicesInit extends ServicePolicies, ReachabilityInit {
  /**
   * Addresses the DHT stores and returns: `'all'` keeps private and loopback
   * addresses (LANs, one machine), `'public'` keeps only public ones (and
   * relayed ones through a public relay).
   * @default 'public' on the internet, 'all' in local mode
   */
  dhtAddresses?: 'all' | 'public'
}

/**
 * The libp2p services natter needs, configured as natter runs them. An
 * embedder that builds its own libp2p node passes these (or equivalents
 * under the same names) to `createLibp2p({ services })`.
 *
 * @example
 * ```ts
 * const libp2p = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   services: natterServices(natterServicePolicies()) })
 * const natter = await createNatter({ dataDir, libp2p })
 * ```
 */
export function natterServices (init: NatterServicesInit = {}): { identify: ReturnType<typeof identify>, ping: ReturnType<typeof ping>, dht: ReturnType<typeof kadDHT>, pubsub: (components: GossipSubComponents) => GossipSub, presence: (components: GossipSubComponents) => GossipSub } {
  const network: NetworkMode = init.network ?? DEFAULT_NETWORK_MODE
  const dhtAddresses = init.dhtAddresses ?? (network === 'local' ? 'all' : 'public')
  return {
    // every protocol natter speaks also runs over a relayed (limited) connection (PROTOCOL.md §2.1)
    identify: identify({ runOnLimitedConnection: true }),
    ping: ping({ maxOutboundStreams: PING_MAX_STREAMS, maxInboundStreams: PING_MAX_STREAMS, runOnLimitedConnection: true }),
    dht: kadDHT({
      protocol: DHT_PROTOCOL,
      // on the internet kad-dht serves only once a public, non-relayed address is confirmed (AutoNAT,
      // UPnP or announce): a node behind NAT handing out its unreachable address slowed every lookup.
      // On one machine or a LAN every node serves.
      clientMode: network === 'local' ? false : undefined,
      peerInfoMapper: dhtAddresses === 'all' ? passthroughMapper : removePrivateAddressesMapper,
      initialQuerySelfInterval: 0,
      validators: { ...init.dhtValidators },
      selectors: { ...init.dhtSelectors }
    }),
    pubsub: gossipsub({
      globalSignaturePolicy: 'StrictSign',
      allowPublishToZeroTopicPeers: true,
      floodPublish: true,
      emitSelf: false,
      scoreParams: init.scoreParams,
      scoreThresholds: init.scoreThresholds,
      maxInboundDataLength: init.maxInboundDataLength,
      runOnLimitedConnection: true
    }),
    // presence v2 (issue 13): a second gossipsub under its own protocol id whose messages carry no
    // author and no signature (StrictNoSign; ids are content hashes), so a relay learns nothing of who published
    presence: (components: GossipSubComponents): GossipSub => {
      const pubsub = gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        fallbackToFloodsub: false,
        allowPublishToZeroTopicPeers: true,
        floodPublish: true,
        emitSelf: false,
        scoreParams: init.presenceScoreParams,
        scoreThresholds: init.scoreThresholds,
        maxInboundDataLength: init.maxInboundDataLength,
        runOnLimitedConnection: true
      })(components)
      // gossipsub 17.1 takes its protocol ids from a class field, not from its options: set before start
      ;(pubsub as unknown as { protocols: string[] }).protocols = [init.presenceMeshProtocol ?? '/natter/presence/2/meshsub']
      return pubsub
    },
    // reachability (relay server, AutoNAT, UPnP, DCUtR) on the internet; nothing in local mode
    ...reachabilityServices(init) as Record<string, never>
  }
}

/** Network settings; see `NatterInit` for the documented defaults. */
export interface NetworkInit extends NatterServicesInit {
  privateKey: Ed25519PrivateKey
  /** @default DEFAULT_LISTEN */
  listen?: string[]
  /** @default [] */
  announce?: string[]
  /** @default false */
  mdns?: boolean
  /** @default MAX_CONNECTIONS (300) */
  maxConnections?: number
  /** Where libp2p logs. @default libp2p's default logger */
  logger?: ComponentLogger
  /** Per-address limits and the reserve for protected peers; see {@link ConnectionLimitsInit}. */
  connectionLimits?: Omit<ConnectionLimitsInit, 'maxConnections'>
  /** Whether a peer is protected from the connection limits (contacts, bootstrap peers). @default none is */
  isProtected?: (peerId: string) => boolean
  /** Bounds of the DHT's store of other peers' records; see {@link DhtStoreInit}. */
  dhtStore?: DhtStoreInit
}

/** The connection gater: natter's connection limits, and (on the internet) no dial to someone else's private address. */
function gaterOf (limits: ReturnType<typeof createConnectionLimits>, network: NetworkMode, mdns: boolean): ReturnType<typeof createConnectionLimits>['gater'] {
  if (network === 'local') {
    return limits.gater
  }
  return {
    ...limits.gater,
    denyDialMultiaddr: (ma) => !mayDial(ma, network, mdns)
  }
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

/** natter's services with kad-dht over the bounded store (see {@link boundedDht}). */
function boundedServices (services: ReturnType<typeof natterServices>, store: DhtStore): ReturnType<typeof natterServices> {
  return { ...services, dht: boundedDht(services.dht, store) }
}

/** Creates (does not start) the libp2p node. */
export async function createNetwork (init: NetworkInit): Promise<NatterLibp2p> {
  ensurePromiseWithResolvers()
  const dhtStore = createDhtStore({ ...init.dhtStore, recordAge: init.dhtStore?.recordAge ?? init.dhtRecordAge })
  const limits = createConnectionLimits({
    maxConnections: init.maxConnections ?? MAX_CONNECTIONS,
    reserve: init.connectionLimits?.reserve,
    maxPerIp: init.connectionLimits?.maxPerIp,
    maxPerSubnet: init.connectionLimits?.maxPerSubnet,
    limitPrivate: init.connectionLimits?.limitPrivate,
    idleMs: init.connectionLimits?.idleMs
  })
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = [] // eslint-disable-line @typescript-eslint/no-explicit-any
  if (init.mdns === true) {
    peerDiscovery.push(mdns({ serviceTag: MDNS_SERVICE_TAG, interval: MDNS_INTERVAL_MS }))
  }
  const node = await createLibp2p({
    start: false,
    privateKey: init.privateKey,
    logger: init.logger,
    addresses: {
      listen: withRelayListen(init.listen ?? [...DEFAULT_LISTEN], init.network ?? DEFAULT_NETWORK_MODE),
      announce: init.announce ?? []
    },
    transports: [tcp(), ...reachabilityTransports(init)],
    // one socket write per batch of Noise frames, not one per piece (coalesce.ts); the ring test's time-outs blamed
    // on it earlier happen without it too under load (README › design notes)
    connectionEncrypters: [coalescingEncrypter(noise())],
    // no yamux keep-alive (a PING frame each way every 30 s on every connection): the connection monitor's ping
    // below already crosses every connection once a minute each way, and unlike yamux's it closes a dead one.
    // A peer's own keep-alive pings are still answered (yamux always replies to a PING).
    streamMuxers: [yamux({ enableKeepAlive: false })],
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS, pingTimeout: { minTimeout: CONNECTION_PING_MIN_TIMEOUT_MS } },
    peerDiscovery,
    connectionGater: gaterOf(limits, init.network ?? DEFAULT_NETWORK_MODE, init.mdns === true),
    connectionManager: {
      // the shared slots plus a reserve only protected peers may use (connection-limits.ts)
      maxConnections: limits.libp2pMaxConnections,
      // many peers may share one IP (a LAN behind NAT, or loopback): the defaults (5/s, 10 pending) refuse them
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS
    },
    services: boundedServices(natterServices(init), dhtStore)
  })
  limits.attach(node, init.isProtected ?? (() => false))
  return node
}
