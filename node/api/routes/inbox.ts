/**
 * The inbox: every conversation with its unread count, last message and the
 * peer's presence, including accepted strangers who are not contacts.
 *
 * @module
 */
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { ConversationView, InboxResponse, PresenceView } from '../types.js'

/** What the inbox route needs. */
export interface InboxRoutesComponents {
  messenger: Pick<Messenger, 'conversations' | 'contacts' | 'presences' | 'requests'>
}

function offline (peerId: string): PresenceView {
  return { peerId, status: 'offline', note: '', updatedAt: 0, expiresAt: 0 }
}

/** `GET /v1/inbox`. */
export function inboxRoutes (components: InboxRoutesComponents): Route[] {
  const { messenger } = components
  return [
    {
      method: 'GET',
      path: '/v1/inbox',
      async handle () {
        const contacts = new Map(messenger.contacts.list().map(c => [c.peerId, c]))
        const presence = new Map(messenger.presences().map(p => [p.peerId, p]))
        const view = (peer: string, unread: number, last: ConversationView['last']): ConversationView => {
          const contact = contacts.get(peer)
          const p = presence.get(peer) ?? offline(peer)
          return contact == null
            ? { peer, contact: false, unread, last, presence: p }
            : { peer, name: contact.name, contact: true, unread, last, presence: { ...p, name: contact.name } }
        }
        const conversations = messenger.conversations().map(c => view(c.peer, c.unread, c.last))
        const listed = new Set(conversations.map(c => c.peer))
        for (const c of contacts.values()) {
          if (!listed.has(c.peerId) && !c.blocked) {
            conversations.push(view(c.peerId, 0, null))
          }
        }
        return { body: { conversations, requests: messenger.requests().length } satisfies InboxResponse }
      }
    }
  ]
}
