/**
 * The block list: a blocked peer's messages, presence and mailbox deposits
 * are dropped without telling it, and what was known of it is hidden.
 *
 * @module
 */
import type { Ed25519Peer } from '../crypto/peer.js'
import type { BlockList, BlockedPeer } from '../store/index.js'

export type { BlockedPeer } from '../store/index.js'

/** Blocked peers. */
export interface Blocklist {
  /** Blocks a peer (peer id or contact name). */
  block(peer: string): void
  /** Unblocks a peer. */
  unblock(peer: string): void
  /** Blocked peers. */
  list(): BlockedPeer[]
  /** Whether a peer (peer id or contact name) is blocked. */
  has(peer: string): boolean
}

/** What the block list service needs. */
export interface BlocklistComponents {
  blocklist: Pick<BlockList, 'block' | 'unblock' | 'list' | 'isBlocked'>
  resolve(nameOrPeerId: string): Ed25519Peer
}

/** Creates the block list service. */
export function createBlocklist ({ blocklist, resolve }: BlocklistComponents): Blocklist {
  const id = (peer: string): string => resolve(peer).peerId.toString()
  return {
    block: (peer) => { blocklist.block(id(peer)) },
    unblock: (peer) => { blocklist.unblock(id(peer)) },
    list: () => blocklist.list(),
    has: (peer) => blocklist.isBlocked(id(peer))
  }
}
