/**
 * Contact endpoints. A contact added by invite also joins the network
 * through the inviter: the library keeps the invite's addresses as bootstrap
 * peers, and the route dials them so the reply can say whether it worked.
 * Adding a known name with another peer id does not replace the contact: it
 * records a pending identity key (see `contact-keys.ts`).
 *
 * @module
 */
import { z } from 'zod'
import { decodeInvite, isInvite } from '../../../src/index.js'
import { ContactNotFoundError } from '../../errors.js'
import { silentLog } from '../../log.js'
import { parseRequest } from '../validate.js'
import type { Log } from '../../log.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { AddContactResponse, ContactView } from '../types.js'

/** What the contact routes need. */
export interface ContactRoutesComponents {
  messenger: Messenger
  /** How long dialling one invite address may take, in ms. @default 5000 */
  dialTimeoutMs?: number
  log?: Log
}

const Name = z.string({ error: 'a name is required' }).min(1, 'must not be empty')
const AddBody = z.strictObject({
  name: Name,
  peer: z.string({ error: 'a peer id or invite is required' }).min(1, 'must not be empty')
})
const RenameBody = z.strictObject({ name: Name })

/**
 * The contact named by `key` (name or peer id). Throws the library's error for
 * a malformed id, else `ContactNotFoundError`.
 */
export function mustGetContact (messenger: Messenger, key: string): ContactView {
  const contact = messenger.contacts.get(key)
  if (contact == null) {
    messenger.resolvePeer(key)
    throw new ContactNotFoundError(`${key} is not a contact`)
  }
  return contact
}

/** The contact routes. */
export function contactRoutes (components: ContactRoutesComponents): Route[] {
  const { messenger } = components
  const log = components.log ?? silentLog
  const dialTimeoutMs = components.dialTimeoutMs ?? 5_000

  const mustGet = (key: string): ContactView => mustGetContact(messenger, key)

  return [
    {
      method: 'GET',
      path: '/v1/contacts',
      async handle () {
        return { body: { contacts: messenger.contacts.list() } }
      }
    },
    {
      method: 'POST',
      path: '/v1/contacts',
      async handle ({ body, signal }) {
        const { name, peer } = parseRequest(AddBody, body)
        const value = peer.trim()
        const bootstrap = isInvite(value) ? decodeInvite(value).addresses : []
        const contact = await messenger.contacts.add(name, value)
        if (contact.keyChanged) {
          // the name is taken by the contact's pinned key: the new one waits for the user, and is
          // not dialled or kept as a bootstrap peer until accepted
          return { status: 200, body: { contact, bootstrap: [], connected: messenger.connectedPeers.includes(contact.peerId) } satisfies AddContactResponse }
        }
        let connected = messenger.connectedPeers.includes(contact.peerId)
        for (const address of connected ? [] : bootstrap) {
          try {
            await messenger.connect(address, { bootstrap: true, signal: AbortSignal.any([signal, AbortSignal.timeout(dialTimeoutMs)]) })
            connected = true
            break
          } catch (err) {
            log.info('dialling invite address %s failed: %s', address, (err as Error).message)
          }
        }
        return { status: 201, body: { contact, bootstrap, connected } satisfies AddContactResponse }
      }
    },
    {
      method: 'GET',
      path: '/v1/contacts/:contact',
      async handle ({ params }) {
        return { body: { contact: mustGet(params.contact!) } }
      }
    },
    {
      method: 'PATCH',
      path: '/v1/contacts/:contact',
      async handle ({ params, body }) {
        const { name } = parseRequest(RenameBody, body)
        return { body: { contact: messenger.contacts.rename(params.contact!, name) } }
      }
    },
    {
      method: 'DELETE',
      path: '/v1/contacts/:contact',
      async handle ({ params }) {
        return { body: { contact: messenger.contacts.remove(params.contact!) } }
      }
    }
  ]
}
