/**
 * The node's identity: an encrypted backup of its key (and contacts).
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'

/** `POST /v1/identity/export`. */
export const exportIdentity = operation({
  method: 'POST',
  path: '/v1/identity/export',
  summary: 'an encrypted backup of the identity (and contacts)',
  body: z.strictObject({
    /** The passphrase the backup is sealed under (not the key file's). */
    passphrase: z.string({ error: 'a passphrase for the backup is required' }).min(1, 'must not be empty'),
    /** Include the contact list. @default false */
    contacts: z.boolean({ error: 'must be true or false' }).optional()
  }),
  reply: z.strictObject({
    /** One line: `natter-backup-v1:…`. */
    backup: z.string(),
    peerId: z.string(),
    /** How many contacts it holds. */
    contacts: z.number()
  }),
  errors: ['InvalidArgumentError']
})
