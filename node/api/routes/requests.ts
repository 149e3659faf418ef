/**
 * Message requests (conversations opened by non-contacts) and the block list.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { Handlers } from '../handlers.js'

/** What the request handlers need. */
export interface RequestHandlersComponents {
  facade: NodeFacade
}

/** The request and block handlers. */
export function requestHandlers (components: RequestHandlersComponents): Pick<Handlers, 'requests' | 'acceptRequest' | 'declineRequest' | 'blocked' | 'block' | 'unblock'> {
  const { facade } = components
  return {
    async requests () {
      return { body: { requests: facade.requests() } }
    },

    async acceptRequest ({ params }) {
      const peerId = facade.resolvePeer(params.peer)
      facade.acceptRequest(peerId)
      return { body: { peerId, accepted: true } }
    },

    async declineRequest ({ params, body }) {
      const block = body.block ?? false
      const peerId = facade.resolvePeer(params.peer)
      const deleted = facade.declineRequest(peerId, { block })
      return { body: { peerId, declined: true, blocked: block, deleted } }
    },

    async blocked () {
      return { body: { blocked: facade.blocked() } }
    },

    async block ({ body }) {
      const peerId = facade.resolvePeer(body.peer)
      facade.block(peerId)
      return { body: { peerId, blocked: true } }
    },

    async unblock ({ body }) {
      const peerId = facade.resolvePeer(body.peer)
      facade.unblock(peerId)
      return { body: { peerId, blocked: false } }
    }
  }
}
