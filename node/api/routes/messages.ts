/**
 * Message endpoints: send, and history.
 *
 * @module
 */
import { z } from 'zod'
import { parseRequest } from '../validate.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { HistoryResponse, ReadResponse, SendResponse } from '../types.js'

/** What the message routes need. */
export interface MessageRoutesComponents {
  messenger: Messenger
}

const SendBody = z.strictObject({
  to: z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty'),
  text: z.string({ error: 'the message text is required' }).min(1, 'must not be empty'),
  wait: z.enum(['queued', 'delivered'], { error: 'must be "queued" or "delivered"' }).optional()
})

const ReadBody = z.strictObject({
  peer: z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty')
})

const HistoryQuery = z.strictObject({
  peer: z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty'),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
  before: z.coerce.number({ error: 'must be a time in ms since the epoch' }).int('must be a whole number').min(0, 'must not be negative').optional()
})

/** The message routes. */
export function messageRoutes (components: MessageRoutesComponents): Route[] {
  const { messenger } = components
  return [
    {
      method: 'POST',
      path: '/v1/send',
      async handle ({ body, signal }) {
        const { to, text, wait } = parseRequest(SendBody, body)
        // the client going away stops the wait; the message stays queued and is retried
        const message = await messenger.send(to, text, { wait: wait ?? 'delivered', signal })
        // only "queued" gets here for a held message: "delivered" throws IdentityKeyChangedError
        const contact = messenger.contacts.get(message.peer)
        const reply: SendResponse = contact?.pendingPeerId == null
          ? { message }
          : { message, held: { contact: contact.name, peerId: contact.peerId, newPeerId: contact.pendingPeerId } }
        return { status: 201, body: reply }
      }
    },
    {
      method: 'GET',
      path: '/v1/history',
      async handle ({ query }) {
        const { peer, limit, before } = parseRequest(HistoryQuery, Object.fromEntries(query), 'query')
        const peerId = messenger.resolvePeer(peer)
        const messages = messenger.history(peerId, { limit: limit ?? 50, before })
        const name = messenger.nameOf(peerId)
        const reply: HistoryResponse = name == null ? { peer: peerId, messages } : { peer: peerId, name, messages }
        return { body: reply }
      }
    },
    {
      method: 'POST',
      path: '/v1/read',
      async handle ({ body }) {
        const { peer } = parseRequest(ReadBody, body)
        const peerId = messenger.resolvePeer(peer)
        const marked = await messenger.markRead(peerId)
        return { body: { peerId, marked } satisfies ReadResponse }
      }
    }
  ]
}
