/**
 * The requests inbox: messages from strangers wait here until the user
 * accepts the conversation (it moves to the inbox) or declines it (deleted,
 * optionally blocking the sender).
 *
 * @module
 */
import type { Ed25519Peer } from '../crypto/peer.js'
import type { DeclineOptions, MessageRequest, RequestInbox } from '../store/index.js'

export type { MessageRequest } from '../store/index.js'

/** Strangers' messages awaiting the user's decision. */
export interface Requests {
  /** Strangers who sent messages that wait for acceptance. */
  list(): MessageRequest[]
  /** Accepts a stranger's messages (peer id or contact name): the conversation moves to the inbox. */
  accept(peer: string): void
  /** Declines a stranger's messages (deleting them), optionally blocking the peer. Returns how many were deleted. */
  decline(peer: string, options?: { block?: boolean }): number
}

/** What the requests service needs. */
export interface RequestsComponents {
  requests: Pick<RequestInbox, 'list' | 'accept' | 'decline'>
  resolve(nameOrPeerId: string): Ed25519Peer
}

/** Creates the requests service. */
export function createRequests ({ requests, resolve }: RequestsComponents): Requests {
  const id = (peer: string): string => resolve(peer).peerId.toString()
  return {
    list: () => requests.list(),
    accept: (peer) => { requests.accept(id(peer)) },
    decline: (peer, options: DeclineOptions = {}) => requests.decline(id(peer), options)
  }
}
