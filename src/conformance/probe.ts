/**
 * The kit's own nodes. Each probe is a fresh libp2p node with a fresh
 * identity, so that one check's rate limits, scores or history never colour
 * another's. A `light` probe speaks only the transport stack (TCP, Noise,
 * yamux, identify, ping); a `full` probe is a natter network node (DHT under
 * `/natter/kad/1.0.0`, gossipsub) without natter's messaging on top.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { createNetwork } from '../network/libp2p.js'
import { natterServicePolicies } from '../policies.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { Ed25519PrivateKey, Libp2p, Stream } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A light probe's libp2p node. */
export type LightLibp2p = Libp2p<{ identify: Identify, ping: Ping }>

/** A probe node and its identity. */
export interface Probe<N extends Libp2p = Libp2p> {
  libp2p: N
  key: Ed25519PrivateKey
  /** Peer id bytes (PROTOCOL.md §1). */
  bytes: Uint8Array
}

/** Starts a light probe listening on loopback. */
export async function lightProbe (): Promise<Probe<LightLibp2p>> {
  const key = await generateKeyPair('Ed25519')
  const libp2p = await createLibp2p({
    privateKey: key,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping({ maxOutboundStreams: 4 }) }
  })
  return { libp2p, key, bytes: libp2p.peerId.toMultihash().bytes }
}

/** A pubsub probe's libp2p node. */
export type PubsubLibp2p = Libp2p<{ identify: Identify, pubsub: GossipSub }>

/**
 * Starts a gossipsub probe (stock gossipsub, StrictSign, no DHT: it learns of
 * no peer but the ones it dials, so whatever it receives came through them).
 */
export async function pubsubProbe (): Promise<Probe<PubsubLibp2p>> {
  const key = await generateKeyPair('Ed25519')
  const libp2p = await createLibp2p({
    privateKey: key,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        floodPublish: true,
        emitSelf: false,
        // probes share the loopback address
        scoreParams: { IPColocationFactorWeight: 0 }
      })
    }
  })
  return { libp2p, key, bytes: libp2p.peerId.toMultihash().bytes }
}

/** Starts a full probe (DHT server, gossipsub) listening on loopback. */
export async function fullProbe (): Promise<Probe<NatterLibp2p>> {
  const key = await generateKeyPair('Ed25519')
  const libp2p = await createNetwork({ ...natterServicePolicies(), privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 50 })
  await libp2p.start()
  return { libp2p, key, bytes: libp2p.peerId.toMultihash().bytes }
}

/** What a read on a stream gave: a frame, the remote's clean close (EOF), a reset, or nothing in time. */
export type ReadOutcome =
  | { kind: 'frame', bytes: Uint8Array }
  | { kind: 'eof' }
  | { kind: 'reset', error: string }
  | { kind: 'timeout' }

/** A length-prefixed stream the kit writes raw frames to and reads replies from. */
export interface RawStream {
  stream: Stream
  lp: LengthPrefixedStream<Stream>
  /** Writes bytes exactly as given (a length prefix included, or not). */
  sendRaw(bytes: Uint8Array): Promise<void>
  /** Writes one length-prefixed frame. */
  send(frame: Uint8Array): Promise<void>
  /** Reads one reply frame. */
  read(timeoutMs?: number): Promise<ReadOutcome>
  close(): Promise<void>
}

/** Opens `protocol` to `target` and wraps it for raw frames (replies up to `maxReply` bytes). */
export async function openRaw (libp2p: Libp2p, target: Multiaddr, protocol: string, maxReply = 2 * 1024 * 1024): Promise<RawStream> {
  const stream = await libp2p.dialProtocol(target, protocol, { signal: AbortSignal.timeout(10_000) })
  const lp = lpStream(stream, { maxDataLength: maxReply })
  return {
    stream,
    lp,
    async sendRaw (bytes) {
      if (!stream.send(bytes)) {
        await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
      }
    },
    async send (frame) {
      await lp.write(frame, { signal: AbortSignal.timeout(10_000) })
    },
    async read (timeoutMs = 10_000) {
      try {
        const frame = await lp.read({ signal: AbortSignal.timeout(timeoutMs) })
        return { kind: 'frame', bytes: frame.subarray() }
      } catch (err) {
        const name = (err as Error).name
        if (name === 'UnexpectedEOFError') {
          return { kind: 'eof' }
        }
        if (name === 'TimeoutError' || name === 'AbortError') {
          return { kind: 'timeout' }
        }
        return { kind: 'reset', error: `${name}: ${(err as Error).message}` }
      }
    },
    async close () {
      await stream.close({ signal: AbortSignal.timeout(2000) }).catch(() => { stream.abort(new Error('conformance probe done')) })
    }
  }
}

/** Bytes of an unsigned varint. */
export function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}
