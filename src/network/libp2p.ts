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
import { MAX_GOSSIP_RPC_BYTES, PRESENCE_SCORE_THRESHOLDS, presenceScoreParams } from '../presence/scoring.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Ed25519PrivateKey, Libp2p, PeerDiscovery } from '@libp2p/interface'

/** Kademlia protocol id: natter nodes form their own DHT, separate from IPFS's. */
export const DHT_PROTOCOL = '/natter/kad/1.0.0'

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
  maxConnections: number
}

/** Creates (does not start) the libp2p node. */
export async function createNetwork (init: NetworkInit): Promise<NatterLibp2p> {
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = [] // eslint-disable-line @typescript-eslint/no-explicit-any
  if (init.mdns) {
    peerDiscovery.push(mdns({ serviceTag: 'natter.local', interval: 10_000 }))
  }
  return createLibp2p({
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
    connectionManager: {
      maxConnections: init.maxConnections,
      // many peers may share one IP (a LAN behind NAT, or loopback): the defaults (5/s, 10 pending) refuse them
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 50
    },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: PING_MAX_STREAMS, maxInboundStreams: PING_MAX_STREAMS }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        // every natter node serves the DHT: there are no dedicated servers
        clientMode: false,
        peerInfoMapper: init.dhtAddresses === 'all' ? passthroughMapper : removePrivateAddressesMapper,
        initialQuerySelfInterval: 0,
        // prekey bundles (PROTOCOL.md §6.3): only valid, signed records are stored or returned; the newest wins
        validators: { [PREKEY_NAMESPACE]: validatePrekeyRecord },
        selectors: { [PREKEY_NAMESPACE]: selectPrekeyRecord }
      }),
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
}
