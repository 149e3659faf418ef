/**
 * The node's identity: an encrypted backup of its key (and contacts), to be
 * restored with `natter id import` on a home where no daemon runs.
 *
 * @module
 */
import { z } from 'zod'
import { parseRequest } from '../validate.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { ExportIdentityResponse } from '../types.js'

/** What the identity routes need. */
export interface IdentityRoutesComponents {
  messenger: Messenger
}

const ExportBody = z.strictObject({
  passphrase: z.string({ error: 'a passphrase for the backup is required' }).min(1, 'must not be empty'),
  contacts: z.boolean({ error: 'must be true or false' }).optional()
})

/** The identity routes. */
export function identityRoutes (components: IdentityRoutesComponents): Route[] {
  const { messenger } = components
  return [
    {
      method: 'POST',
      path: '/v1/identity/export',
      async handle ({ body }) {
        const { passphrase, contacts } = parseRequest(ExportBody, body)
        const withContacts = contacts ?? false
        const backup = await messenger.exportIdentity(passphrase, { contacts: withContacts })
        const reply: ExportIdentityResponse = {
          backup,
          peerId: messenger.peerId,
          contacts: withContacts ? messenger.contacts.list().length : 0
        }
        return { body: reply }
      }
    }
  ]
}
