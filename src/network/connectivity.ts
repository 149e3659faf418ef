/**
 * Finding and reaching peers: bootstrap dialling that recovers when
 * connectivity is lost, and peer lookup through the DHT.
 */
import { repeatingTask } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidPeerIdError, NoPeersError, PeerNotFoundError, PeerUnreachableError } from '../base-errors.js'
import { guard } from '../util/guard.js'
import { BOOTSTRAP_DIAL_TIMEOUT_MS, BOOTSTRAP_INTERVAL_MS } from './constants.js'
import type { Libp2p, ComponentLogger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The part of a libp2p node that connecting to peers needs. */
export type Dialer = Pick<Libp2p, 'getConnections' | 'peerStore' | 'dial' | 'peerRouting'>

/** What the bootstrapper needs. */
export interface BootstrapperComponents {
  libp2p: Pick<Libp2p, 'getConnections' | 'dial' | 'addEventListener' | 'removeEventListener'>
  logger: ComponentLogger
}

/** Parses a multiaddr that must end in `/p2p/<peerId>`. Throws {@link InvalidPeerIdError}. */
export function parsePeerAddress (value: string): Multiaddr {
  let ma: Multiaddr
  try {
    ma = multiaddr(value)
  } catch (err) {
    throw new InvalidPeerIdError(`"${value}" is not a valid multiaddr`, { cause: err })
  }
  if (ma.getComponents().findLast(c => c.name === 'p2p')?.value == null) {
    throw new InvalidPeerIdError(`"${value}" does not end in /p2p/<peerId>`)
  }
  return ma
}

/** Options of {@link createBootstrapper}. */
export interface BootstrapperInit {
  /** How often to check for lost connectivity, in ms. @default BOOTSTRAP_INTERVAL_MS (5 s) */
  intervalMs?: number
  /** Bootstrap peers, as multiaddrs ending in `/p2p/<peerId>`. @default [] */
  addresses?: Multiaddr[]
}

/** Keeps the node connected to its bootstrap peers. */
export interface Bootstrapper {
  start(): void
  stop(): void
  /** Dials every bootstrap peer not connected now; resolves when all attempts settled. */
  dialAll(): Promise<void>
  /** Adds a bootstrap address at run time (e.g. from an invite). */
  add(address: Multiaddr): void
}

/**
 * Dials the bootstrap peers at start, and again whenever the node has no
 * connection left (libp2p's own bootstrap module never retries a failed dial).
 */
export function createBootstrapper (components: BootstrapperComponents, init: BootstrapperInit = {}): Bootstrapper {
  const { libp2p } = components
  const log = components.logger.forComponent('natter:connectivity')
  const list = [...(init.addresses ?? [])]
  let started = false
  let dialling: Promise<void> | undefined

  const dialAll = async (): Promise<void> => {
    dialling ??= Promise.allSettled(list.map(async ma => {
      const peer = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peer != null && libp2p.getConnections().some(c => c.remotePeer.toString() === peer)) {
        return
      }
      try {
        await libp2p.dial(ma, { signal: AbortSignal.timeout(BOOTSTRAP_DIAL_TIMEOUT_MS) })
      } catch (err) {
        log('bootstrap dial %a failed: %s', ma, (err as Error).message)
      }
    })).then(() => { dialling = undefined })
    return dialling
  }

  const onDisconnect = guard(log, 'bootstrap redial', (): void => {
    if (list.length > 0 && libp2p.getConnections().length === 0) {
      void dialAll()
    }
  })

  const check = repeatingTask(onDisconnect, init.intervalMs ?? BOOTSTRAP_INTERVAL_MS)

  return {
    start () {
      if (started) {
        return
      }
      started = true
      libp2p.addEventListener('peer:disconnect', onDisconnect)
      check.start()
      void dialAll()
    },
    stop () {
      started = false
      check.stop()
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
    },
    dialAll,
    add (address) {
      if (!list.some(a => a.equals(address))) {
        list.push(address)
      }
    }
  }
}

/**
 * Makes sure a connection to `peer` exists: reuses an open one, else dials
 * known addresses, else looks the peer up in the DHT and dials what it finds.
 * Throws {@link NoPeersError} when this node has no connection at all (so
 * nothing could be looked up), else {@link PeerNotFoundError} or
 * {@link PeerUnreachableError}.
 */
export async function connectToPeer (libp2p: Dialer, peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<void> {
  if (libp2p.getConnections(peer).length > 0) {
    return
  }
  const known = await libp2p.peerStore.get(peer).then(p => p.addresses.length > 0, () => false)
  let lastError: unknown
  if (known) {
    try {
      await libp2p.dial(peer, { signal: options.signal })
      return
    } catch (err) {
      // stale addresses: fall through to a fresh DHT lookup
      lastError = err
      options.signal?.throwIfAborted()
    }
  }
  // with no connection at all, a lookup cannot even start: say so, not "not found" (issue 12)
  if (libp2p.getConnections().length === 0) {
    throw new NoPeersError(`cannot reach ${peer}: this node is connected to no peer at all (no bootstrap peer, contact or mailbox answered)`, { cause: lastError })
  }
  let found
  try {
    found = await libp2p.peerRouting.findPeer(peer, { signal: options.signal })
  } catch (err) {
    if (libp2p.getConnections().length === 0) {
      throw new NoPeersError(`cannot reach ${peer}: this node lost every connection while looking it up`, { cause: err })
    }
    if (lastError != null) {
      throw new PeerUnreachableError(`cannot reach ${peer}: ${(lastError as Error).message}`, { cause: lastError })
    }
    throw new PeerNotFoundError(`peer ${peer} was not found in the DHT`, { cause: err })
  }
  await libp2p.peerStore.merge(peer, { multiaddrs: found.multiaddrs })
  try {
    await libp2p.dial(peer, { signal: options.signal })
  } catch (err) {
    throw new PeerUnreachableError(`found ${peer} but could not dial it: ${(err as Error).message}`, { cause: err })
  }
}
