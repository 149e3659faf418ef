/**
 * Reaching peers on the user's request: connect and ping.
 *
 * @module
 */
import { anySignal } from '../util/signals.js'
import { connectToPeer, parsePeerAddress } from './connectivity.js'
import { pingRtt } from './ping-rtt.js'
import type { Dialer } from './connectivity.js'
import type { NatterLibp2p } from './libp2p.js'
import type { PeerBook } from './peer-book.js'
import type { Ed25519Peer } from '../crypto/peer.js'

/** Reaching peers. */
export interface NetworkApi {
  /**
   * Connects to a peer given as a multiaddr ending in `/p2p/<peerId>` (kept
   * as a bootstrap peer when `bootstrap` is set), or as a peer id or contact
   * name (found through the DHT).
   */
  connect(target: string, options?: { signal?: AbortSignal, bootstrap?: boolean }): Promise<void>
  /** Round-trip time to a peer in ms, fractional (libp2p ping), connecting first if needed. */
  ping(peer: string, options?: { signal?: AbortSignal }): Promise<number>
}

/** What the network API needs. */
export interface NetworkApiComponents {
  libp2p: Dialer & Pick<NatterLibp2p, 'dialProtocol'>
  peers: Pick<PeerBook, 'remember'>
  resolve(nameOrPeerId: string): Ed25519Peer
  /** Throws `NotStartedError` when the node is not running. */
  assertRunning(): void
}

/** Creates the network API; each call gives up after `timeoutMs` unless the caller's signal ends it sooner. */
export function createNetworkApi ({ libp2p, peers, resolve, assertRunning }: NetworkApiComponents, init: { timeoutMs: number }): NetworkApi {
  return {
    async connect (target, options = {}) {
      assertRunning()
      const signal = anySignal([options.signal], init.timeoutMs)
      if (target.startsWith('/')) {
        const ma = parsePeerAddress(target)
        if (options.bootstrap === true) {
          peers.remember(ma.toString())
        }
        await libp2p.dial(ma, { signal })
        return
      }
      await connectToPeer(libp2p, resolve(target).peerId, { signal })
    },

    async ping (peer, options = {}) {
      assertRunning()
      const target = resolve(peer).peerId
      const signal = anySignal([options.signal], init.timeoutMs)
      await connectToPeer(libp2p, target, { signal })
      // timed with a sub-millisecond clock (@libp2p/ping reports whole ms: 0 on a LAN)
      return pingRtt(libp2p, target, { signal })
    }
  }
}
