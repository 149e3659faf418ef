/**
 * Outbound direct messages: one pipelined DM stream per peer, opened on
 * demand (connecting through the DHT when needed) and replaced when it dies.
 */
import { DeliveryRefusedError, DeliveryTimeoutError } from '../base-errors.js'
import { connectToPeer } from '../network/connectivity.js'
import type { Dialer } from '../network/connectivity.js'
import { DM_PROTOCOLS, DmChannel } from './protocol.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { ComponentLogger } from '@libp2p/interface'

/** How long a peer that could not be found or dialled is not looked up again (unless a connection to it opens), in ms. */
const UNREACHABLE_FOR_MS = 500
/** Peers remembered as just unreachable. */
const UNREACHABLE_MAX = 1024

/** Delivers envelopes to peers directly. */
export interface DmSender {
  /**
   * Sends one envelope and resolves on the recipient's OK. Throws
   * `PeerNotFoundError`, `PeerUnreachableError`, `DeliveryTimeoutError`,
   * `DeliveryRefusedError` or a stream error.
   */
  deliver(recipient: Ed25519Peer, id: Uint8Array, envelope: Uint8Array, signal: AbortSignal): Promise<void>
  /** Closes every open channel. */
  close(): Promise<void>
}

/** What the sender needs. */
export interface DmSenderComponents {
  libp2p: Pick<NatterLibp2p, 'dialProtocol'> & Dialer
  logger: ComponentLogger
  /** Signs an unsigned envelope (1.3, §5.2) sent to a peer that negotiated the 1.0 DM protocol. @default sent as it is */
  sign?(envelope: Uint8Array): Uint8Array
  /** DM protocol ids proposed, preferred first. @default DM_PROTOCOLS (1.3, then 1.0) */
  protocols?: string[]
}

/** Creates the sender over a running libp2p node. */
export function createDmSender (components: DmSenderComponents): DmSender {
  const { libp2p } = components
  const protocols = components.protocols ?? DM_PROTOCOLS
  const log = components.logger.forComponent('natter:dm:sender')
  const channels = new Map<string, Promise<DmChannel>>()
  // peers we just failed to reach: the attempts queued behind a failed one fail at once instead of each
  // running its own lookup (a burst of messages to an offline peer), until a connection to it opens
  const unreachable = new Map<string, { until: number, err: Error }>()

  async function channel (recipient: Ed25519Peer, signal: AbortSignal): Promise<DmChannel> {
    const key = recipient.peerId.toString()
    const miss = unreachable.get(key)
    if (miss != null) {
      if (miss.until > Date.now() && libp2p.getConnections(recipient.peerId).length === 0) {
        throw miss.err
      }
      unreachable.delete(key)
    }
    const existing = channels.get(key)
    if (existing != null) {
      const open = await existing.catch(() => undefined)
      if (open != null && !open.closed && open.stream.status === 'open') {
        return open
      }
      if (channels.get(key) === existing) {
        channels.delete(key)
      }
    }
    const opening = (async () => {
      await connectToPeer(libp2p, recipient.peerId, { signal })
      // multistream-select settles on the first id the peer speaks: 1.3, or 1.0 with a 1.2 peer (§5.2); when
      // identify already told us which it speaks, only those are proposed (no refused round trip with a 1.2 peer)
      const known: string[] = await libp2p.peerStore.get(recipient.peerId).then(p => p.protocols, () => [])
      const offered = protocols.filter(p => known.includes(p))
      return new DmChannel(await libp2p.dialProtocol(recipient.peerId, offered.length > 0 ? offered : protocols, { signal, runOnLimitedConnection: true }), { sign: components.sign })
    })()
    channels.set(key, opening)
    opening.catch((err: Error) => {
      if (channels.get(key) === opening) {
        channels.delete(key)
      }
      if (!signal.aborted && (err.name === 'PeerNotFoundError' || err.name === 'PeerUnreachableError')) {
        if (unreachable.size >= UNREACHABLE_MAX) {
          unreachable.delete(unreachable.keys().next().value as string)
        }
        unreachable.set(key, { until: Date.now() + UNREACHABLE_FOR_MS, err })
      }
    })
    return opening
  }

  return {
    async deliver (recipient, id, envelope, signal) {
      for (let attempt = 0; ; attempt++) {
        const open = await channel(recipient, signal)
        try {
          await open.send(id, envelope, { signal })
          return
        } catch (err) {
          // a stream that died under us (peer restarted, connection dropped) gets one fresh try
          if (attempt > 0 || err instanceof DeliveryRefusedError || err instanceof DeliveryTimeoutError || signal.aborted) {
            throw err
          }
          log('dm stream to %p failed (%s); retrying on a new stream', recipient.peerId, (err as Error).message)
          channels.delete(recipient.peerId.toString())
        }
      }
    },

    async close () {
      const all = [...channels.values()]
      channels.clear()
      await Promise.allSettled(all.map(async c => { await (await c).close() }))
    }
  }
}
