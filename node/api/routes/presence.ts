/**
 * Presence handlers: everyone's presence, and setting our own.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { PresenceView } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the presence handlers need. */
export interface PresenceHandlersComponents {
  facade: NodeFacade
}

/** The presence handlers. */
export function presenceHandlers (components: PresenceHandlersComponents): Pick<Handlers, 'presence' | 'setPresence'> {
  const { facade } = components
  return {
    async presence () {
      const contacts = facade.contacts.list()
      const seen = new Map(facade.presences().map(p => [p.peerId, p]))
      const peers: PresenceView[] = contacts.map(c => {
        const p = seen.get(c.peerId)
        seen.delete(c.peerId)
        return { ...(p ?? { peerId: c.peerId, status: 'offline' as const, note: '', updatedAt: 0, expiresAt: 0 }), name: c.name }
      })
      peers.push(...seen.values())
      return { body: { own: facade.ownPresence(), visibility: facade.presenceVisibility(), peers } }
    },

    async setPresence ({ body }) {
      return { body: { presence: await facade.setPresence(body.status, body.note ?? '') } }
    }
  }
}
