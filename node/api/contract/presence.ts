/**
 * Presence operations: everyone's presence, and setting our own.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'
import { PresenceViewSchema, StatusViewSchema } from './views.js'

/** `GET /v1/presence`. */
export const presence = operation({
  method: 'GET',
  path: '/v1/presence',
  summary: 'own presence and everyone else\'s',
  reply: z.strictObject({
    own: PresenceViewSchema,
    /** Who sees our presence: contacts, invisible or public (the `presenceVisibility` setting). */
    visibility: z.enum(['invisible', 'contacts', 'public']),
    /** Contacts (with what is known of their presence; `offline` when nothing is) and other peers seen. */
    peers: z.array(PresenceViewSchema)
  })
})

/** `PUT /v1/presence`. */
export const setPresence = operation({
  method: 'PUT',
  path: '/v1/presence',
  summary: 'set own presence',
  body: z.strictObject({
    status: StatusViewSchema,
    /** @default '' */
    note: z.string({ error: 'must be a string' }).optional()
  }),
  reply: z.strictObject({ presence: PresenceViewSchema }),
  errors: ['InvalidArgumentError', 'MessageTooLargeError']
})
