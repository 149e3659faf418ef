/**
 * Node handlers: identity and invite, connected peers, ping, connect, stop.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { Replies } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the node handlers need. */
export interface NodeHandlersComponents {
  facade: NodeFacade
  /** The daemon's home and the name it suggests in invites. */
  home: string
  name: string
  /** Starts the daemon's shutdown (after the reply is sent). */
  requestStop(): void
}

/** The node handlers. */
export function nodeHandlers (components: NodeHandlersComponents): Pick<Handlers, 'id' | 'resolve' | 'peers' | 'ping' | 'connect' | 'stop'> {
  const { facade } = components
  return {
    async id () {
      return {
        body: {
          peerId: facade.peerId,
          addresses: facade.addresses,
          invite: facade.invite(components.name),
          presence: facade.ownPresence(),
          pid: process.pid,
          home: components.home,
          connections: facade.connectedPeers.length,
          storage: facade.storage(),
          reachability: facade.reachability
        }
      }
    },

    async resolve ({ query }) {
      const peerId = facade.resolvePeer(query.peer)
      const name = facade.nameOf(peerId)
      return { body: name == null ? { peerId } : { peerId, name } }
    },

    async peers () {
      const peers: Replies['peers']['peers'] = []
      for (const peerId of facade.connectedPeers) {
        const name = facade.nameOf(peerId)
        peers.push(name == null ? { peerId } : { peerId, name })
      }
      return { body: { peers } }
    },

    async ping ({ body, signal }) {
      const peerId = facade.resolvePeer(body.peer)
      const rttMs = await facade.ping(peerId, { signal })
      return { body: { peerId, rttMs } }
    },

    async connect ({ body, signal }) {
      await facade.connect(body.address, { bootstrap: body.bootstrap, signal })
      return { body: { connected: true } }
    },

    async stop ({ res }) {
      res.once('finish', () => { components.requestStop() })
      return { status: 202, body: { pid: process.pid } }
    }
  }
}
