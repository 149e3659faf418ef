/**
 * Message handlers: send, history, mark read.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { Handlers } from '../handlers.js'

/** What the message handlers need. */
export interface MessageHandlersComponents {
  facade: NodeFacade
}

/** The message handlers. */
export function messageHandlers (components: MessageHandlersComponents): Pick<Handlers, 'send' | 'history' | 'markRead'> {
  const { facade } = components
  return {
    async send ({ body, signal }) {
      // the client going away stops the wait; the message stays queued and is retried
      const message = await facade.send(body.to, body.text, { wait: body.wait ?? 'delivered', signal })
      // only "queued" gets here for a held message: "delivered" throws IdentityKeyChangedError
      const contact = facade.contacts.get(message.peer)
      return {
        status: 201,
        body: contact?.pendingPeerId == null
          ? { message }
          : { message, held: { contact: contact.name, peerId: contact.peerId, newPeerId: contact.pendingPeerId } }
      }
    },

    async history ({ query }) {
      const peerId = facade.resolvePeer(query.peer)
      const messages = facade.history(peerId, { limit: query.limit ?? 50, before: query.before })
      const name = facade.nameOf(peerId)
      return { body: name == null ? { peer: peerId, messages } : { peer: peerId, name, messages } }
    },

    async markRead ({ body }) {
      const peerId = facade.resolvePeer(body.peer)
      const marked = await facade.markRead(peerId)
      return { body: { peerId, marked } }
    }
  }
}
