/**
 * The peers this node joins the network through: the configured bootstrap
 * peers plus those remembered from invites and `connect --bootstrap`
 * (persisted in the store's settings), kept dialled by the bootstrapper.
 *
 * @module
 */
import { parsePeerAddress } from './connectivity.js'
import type { Bootstrapper, Dialer } from './connectivity.js'
import type { Settings } from '../store/index.js'
import type { Logger, PeerId } from '@libp2p/interface'

/** Settings key of the remembered bootstrap addresses. */
export const BOOTSTRAP_SETTING = 'bootstrap'
/** Remembered bootstrap addresses kept (the oldest are forgotten first). */
export const MAX_REMEMBERED_BOOTSTRAP = 32

/** What the peer book needs. */
export interface PeerBookComponents {
  settings: Pick<Settings, 'get' | 'set'>
  bootstrapper: Pick<Bootstrapper, 'add' | 'dialAll'>
  libp2p: Pick<Dialer, 'peerStore'>
  log: Logger
}

/** Remembers where peers are. */
export interface PeerBook {
  /** Keeps `address` (ending in `/p2p/<peerId>`) as a bootstrap peer, across restarts. */
  remember(address: string): void
  /** Records a peer's addresses for dialling it; never throws. */
  learn(peer: PeerId, addresses: readonly string[]): Promise<void>
  /** Dials every bootstrap peer not connected, without waiting. */
  join(): void
}

/** The bootstrap addresses remembered in `settings`. */
export function rememberedBootstrap (settings: Pick<Settings, 'get'>): string[] {
  return (settings.get(BOOTSTRAP_SETTING) as string[] | undefined) ?? []
}

/** Creates the peer book. */
export function createPeerBook ({ settings, bootstrapper, libp2p, log }: PeerBookComponents): PeerBook {
  return {
    remember (address) {
      const list = rememberedBootstrap(settings)
      if (!list.includes(address)) {
        settings.set(BOOTSTRAP_SETTING, [...list, address].slice(-MAX_REMEMBERED_BOOTSTRAP))
      }
      bootstrapper.add(parsePeerAddress(address))
    },

    async learn (peer, addresses) {
      if (addresses.length === 0) {
        return
      }
      await libp2p.peerStore.merge(peer, { multiaddrs: addresses.map(a => parsePeerAddress(a)) })
        .catch(err => { log('could not record the addresses of %p: %s', peer, (err as Error).message) })
    },

    join () {
      void bootstrapper.dialAll()
    }
  }
}
