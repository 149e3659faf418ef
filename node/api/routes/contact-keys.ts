/**
 * Contact identity keys: safety numbers to compare out of band, marking a
 * contact verified, and deciding on a key change (a known name presented
 * with another peer id), which holds messages to the contact until the user
 * accepts or rejects the new key.
 *
 * @module
 */
import { z } from 'zod'
import { NoPendingIdentityKeyError } from '../../errors.js'
import { mustGetContact } from './contacts.js'
import { parseRequest } from '../validate.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { AcceptKeyResponse, ContactView, SafetyNumberResponse } from '../types.js'

/** What the contact key routes need. */
export interface ContactKeyRoutesComponents {
  messenger: Messenger
}

const SafetyNumberQuery = z.strictObject({
  pending: z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).optional()
})
const VerifyBody = z.strictObject({ verified: z.boolean({ error: 'must be true or false' }).optional() })

/** The contact key routes. */
export function contactKeyRoutes (components: ContactKeyRoutesComponents): Route[] {
  const { messenger } = components

  const mustGet = (key: string): ContactView => mustGetContact(messenger, key)

  return [
    {
      method: 'GET',
      path: '/v1/contacts/:contact/safety-number',
      async handle ({ params, query }) {
        const key = params.contact!
        const pending = parseRequest(SafetyNumberQuery, Object.fromEntries(query), 'query').pending === 'true'
        if (pending) {
          const contact = mustGet(key)
          if (contact.pendingPeerId == null) {
            throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key`)
          }
          const number = messenger.safetyNumber(contact.peerId, { pending: true })
          return { body: { peerId: contact.pendingPeerId, name: contact.name, ...number, verified: false, pending } satisfies SafetyNumberResponse }
        }
        // a peer that is not a contact has a number too: it can be compared before adding them
        const peerId = messenger.resolvePeer(key)
        const contact = messenger.contacts.get(peerId)
        const number = messenger.safetyNumber(peerId, {})
        const reply: SafetyNumberResponse = contact == null
          ? { peerId, ...number, verified: false, pending }
          : { peerId, name: contact.name, ...number, verified: contact.verified, pending }
        return { body: reply }
      }
    },
    {
      method: 'POST',
      path: '/v1/contacts/:contact/verify',
      async handle ({ params, body }) {
        const { verified } = parseRequest(VerifyBody, body)
        mustGet(params.contact!)
        return { body: { contact: messenger.contacts.setVerified(params.contact!, verified ?? true) } }
      }
    },
    {
      method: 'POST',
      path: '/v1/contacts/:contact/accept-key',
      async handle ({ params }) {
        const before = mustGet(params.contact!)
        const contact = await messenger.contacts.acceptKey(before.peerId)
        return { body: { contact, previousPeerId: before.peerId } satisfies AcceptKeyResponse }
      }
    },
    {
      method: 'POST',
      path: '/v1/contacts/:contact/reject-key',
      async handle ({ params }) {
        mustGet(params.contact!)
        return { body: { contact: messenger.contacts.rejectKey(params.contact!) } }
      }
    }
  ]
}
