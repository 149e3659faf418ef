/**
 * The inbox: every conversation with its unread count, last message and the
 * peer's presence, including accepted strangers who are not contacts.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { ConversationView, PresenceView } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the inbox handler needs. */
export interface InboxHandlersComponents {
  facade: Pick<NodeFacade, 'conversations' | 'contacts' | 'presences' | 'requests' | 'groups'>
}

function offline (peerId: string): PresenceView {
  return { peerId, status: 'offline', note: '', updatedAt: 0, expiresAt: 0 }
}

/** The inbox handler. */
export function inboxHandlers (components: InboxHandlersComponents): Pick<Handlers, 'inbox'> {
  const { facade } = components
  return {
    async inbox () {
      const contacts = new Map(facade.contacts.list().map(c => [c.peerId, c]))
      const presence = new Map(facade.presences().map(p => [p.peerId, p]))
      const view = (peer: string, unread: number, last: ConversationView['last']): ConversationView => {
        const contact = contacts.get(peer)
        const p = presence.get(peer) ?? offline(peer)
        return contact == null
          ? { peer, contact: false, unread, last, presence: p }
          : { peer, name: contact.name, contact: true, unread, last, presence: { ...p, name: contact.name } }
      }
      const conversations = facade.conversations().map(c => view(c.peer, c.unread, c.last))
      const listed = new Set(conversations.map(c => c.peer))
      for (const c of contacts.values()) {
        if (!listed.has(c.peerId) && !c.blocked) {
          conversations.push(view(c.peerId, 0, null))
        }
      }
      return { body: { conversations, groups: facade.groups.conversations(), requests: facade.requests().length } }
    }
  }
}
