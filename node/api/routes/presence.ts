/**
 * Presence endpoints: everyone's presence, and setting our own.
 *
 * @module
 */
import { z } from 'zod'
import { parseRequest } from '../validate.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { PresenceResponse, PresenceView } from '../types.js'

/** What the presence routes need. */
export interface PresenceRoutesComponents {
  messenger: Messenger
}

const SetBody = z.strictObject({
  status: z.enum(['online', 'away', 'busy'], { error: 'must be "online", "away" or "busy"' }),
  note: z.string({ error: 'must be a string' }).optional()
})

/** The presence routes. */
export function presenceRoutes (components: PresenceRoutesComponents): Route[] {
  const { messenger } = components
  return [
    {
      method: 'GET',
      path: '/v1/presence',
      async handle () {
        const contacts = messenger.contacts.list()
        const seen = new Map(messenger.presences().map(p => [p.peerId, p]))
        const peers: PresenceView[] = contacts.map(c => {
          const p = seen.get(c.peerId)
          seen.delete(c.peerId)
          return { ...(p ?? { peerId: c.peerId, status: 'offline' as const, note: '', updatedAt: 0, expiresAt: 0 }), name: c.name }
        })
        peers.push(...seen.values())
        return { body: { own: messenger.ownPresence(), peers } satisfies PresenceResponse }
      }
    },
    {
      method: 'PUT',
      path: '/v1/presence',
      async handle ({ body }) {
        const { status, note } = parseRequest(SetBody, body)
        return { body: { presence: await messenger.setPresence(status, note ?? '') } }
      }
    }
  ]
}
