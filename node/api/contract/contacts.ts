/**
 * Contact operations, and the contact's identity key: safety numbers,
 * verification, and deciding on a key change.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'
import { ContactReplySchema, ContactViewSchema } from './views.js'

const Name = z.string({ error: 'a name is required' }).min(1, 'must not be empty')

/** `GET /v1/contacts`: every contact, by name. */
export const listContacts = operation({
  method: 'GET',
  path: '/v1/contacts',
  summary: 'list contacts',
  reply: z.strictObject({ contacts: z.array(ContactViewSchema) })
})

/**
 * `POST /v1/contacts`: `201` when the contact was added, `200` when the name
 * is already a contact with another peer id (its identity key changed:
 * `contact.keyChanged` is set and nothing was dialled).
 */
export const addContact = operation({
  method: 'POST',
  path: '/v1/contacts',
  summary: 'add a contact by peer id or invite',
  body: z.strictObject({
    /** Left out for an invite: the name the invite suggests (refused when it is another contact's). */
    name: Name.optional(),
    /** A peer id or an invite (`natter:…`). */
    peer: z.string({ error: 'a peer id or invite is required' }).min(1, 'must not be empty')
  }),
  reply: z.strictObject({
    contact: ContactViewSchema,
    /** Addresses from the invite, kept as bootstrap peers (empty when added by peer id). */
    bootstrap: z.array(z.string()),
    /** Whether the node is connected to the contact now. */
    connected: z.boolean()
  }),
  status: [201, 200],
  errors: ['ContactExistsError', 'InvalidContactNameError', 'InvalidPeerIdError']
})

/** `GET /v1/contacts/:contact`. */
export const getContact = operation({
  method: 'GET',
  path: '/v1/contacts/:contact',
  summary: 'one contact',
  reply: ContactReplySchema,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})

/** `PATCH /v1/contacts/:contact`: rename. */
export const renameContact = operation({
  method: 'PATCH',
  path: '/v1/contacts/:contact',
  summary: 'rename',
  body: z.strictObject({ name: Name }),
  reply: ContactReplySchema,
  errors: ['ContactNotFoundError', 'ContactExistsError', 'InvalidContactNameError']
})

/** `DELETE /v1/contacts/:contact`: remove (the history stays). */
export const removeContact = operation({
  method: 'DELETE',
  path: '/v1/contacts/:contact',
  summary: 'remove',
  reply: ContactReplySchema,
  errors: ['ContactNotFoundError']
})

/** `GET /v1/contacts/:contact/safety-number[?pending=true]`. */
export const safetyNumber = operation({
  method: 'GET',
  path: '/v1/contacts/:contact/safety-number',
  summary: 'the safety number to compare with a contact',
  query: z.strictObject({
    pending: z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).optional()
  }),
  reply: z.strictObject({
    /** The peer the number is for (with `pending`, the contact's new peer id). */
    peerId: z.string(),
    /** The contact's name, when the peer is a contact. */
    name: z.string().optional(),
    /** 60 decimal digits; the same on both sides. */
    digits: z.string(),
    /** The digits in twelve groups of five, for display. */
    groups: z.array(z.string()),
    /** What a QR code of the number encodes. */
    qr: z.string(),
    /** Whether the contact is marked verified (false for a peer that is not a contact). */
    verified: z.boolean(),
    /** Whether this is the number of the contact's new, not yet accepted key. */
    pending: z.boolean()
  }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'NoPendingIdentityKeyError']
})

/** `POST /v1/contacts/:contact/verify`: mark a contact verified (or not). */
export const verifyContact = operation({
  method: 'POST',
  path: '/v1/contacts/:contact/verify',
  summary: 'mark a contact verified (or not)',
  body: z.strictObject({
    /** @default true */
    verified: z.boolean({ error: 'must be true or false' }).optional()
  }),
  reply: ContactReplySchema,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})

/** `POST /v1/contacts/:contact/accept-key`: accept a contact's new identity key. */
export const acceptKey = operation({
  method: 'POST',
  path: '/v1/contacts/:contact/accept-key',
  summary: 'accept a contact\'s new identity key',
  reply: z.strictObject({
    /** The contact under its new peer id, unverified. */
    contact: ContactViewSchema,
    /** The peer id it had before. */
    previousPeerId: z.string()
  }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'NoPendingIdentityKeyError']
})

/** `POST /v1/contacts/:contact/reject-key`: reject it, keeping the old key. */
export const rejectKey = operation({
  method: 'POST',
  path: '/v1/contacts/:contact/reject-key',
  summary: 'reject it, keeping the old key',
  reply: ContactReplySchema,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'NoPendingIdentityKeyError']
})
