/**
 * Contact identity keys: safety numbers to compare out of band, marking a
 * contact verified, and deciding on a key change (a known name presented
 * with another peer id), which holds messages to the contact until the user
 * accepts or rejects the new key.
 *
 * @module
 */
import { NoPendingIdentityKeyError } from '../../../src/index.js'
import { mustGetContact } from './contacts.js'
import type { NodeFacade } from '../../node-api.js'
import type { Handlers } from '../handlers.js'

/** What the contact key handlers need. */
export interface ContactKeyHandlersComponents {
  facade: NodeFacade
}

/** The contact key handlers. */
export function contactKeyHandlers (components: ContactKeyHandlersComponents): Pick<Handlers, 'safetyNumber' | 'verifyContact' | 'acceptKey' | 'rejectKey'> {
  const { facade } = components
  return {
    async safetyNumber ({ params, query }) {
      const key = params.contact
      const pending = query.pending === 'true'
      if (pending) {
        const contact = mustGetContact(facade, key)
        if (contact.pendingPeerId == null) {
          throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key`)
        }
        const number = facade.safetyNumber(contact.peerId, { pending: true })
        return { body: { peerId: contact.pendingPeerId, name: contact.name, ...number, verified: false, pending } }
      }
      // a peer that is not a contact has a number too: it can be compared before adding them
      const peerId = facade.resolvePeer(key)
      const contact = facade.contacts.get(peerId)
      const number = facade.safetyNumber(peerId, {})
      return {
        body: contact == null
          ? { peerId, ...number, verified: false, pending }
          : { peerId, name: contact.name, ...number, verified: contact.verified, pending }
      }
    },

    async verifyContact ({ params, body }) {
      mustGetContact(facade, params.contact)
      return { body: { contact: facade.contacts.setVerified(params.contact, body.verified ?? true) } }
    },

    async acceptKey ({ params }) {
      const before = mustGetContact(facade, params.contact)
      const contact = await facade.contacts.acceptKey(before.peerId)
      return { body: { contact, previousPeerId: before.peerId } }
    },

    async rejectKey ({ params }) {
      mustGetContact(facade, params.contact)
      return { body: { contact: facade.contacts.rejectKey(params.contact) } }
    }
  }
}
