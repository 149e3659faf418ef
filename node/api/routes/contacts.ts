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
import { ContactExistsError, decodeInvite, INVITE_PREFIX, InvalidPeerIdError, isInvite } from '../../../src/index.js'
import { ContactNotFoundError } from '../../errors.js'
import { BadRequestError } from '../errors.js'
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
  /** Left out: the name the invite suggests. */
  name: Name.optional(),
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

/** A pasted invite that lost its `natter:` prefix gets a clear error, not "not a peer id". */
function checkInvitePrefix (value: string): void {
  if (isInvite(value) || !/^[A-Za-z0-9_-]{40,}$/.test(value) || value.startsWith('12D3Koo') || value.startsWith('Qm')) {
    return
  }
  try {
    decodeInvite(INVITE_PREFIX + value)
  } catch {
    return
  }
  throw new InvalidPeerIdError(`that looks like an invite without its "${INVITE_PREFIX}" prefix; paste the whole invite, starting with ${INVITE_PREFIX}`)
}

/**
 * The name an invite suggests, when the user gave none. A suggested name
 * never takes over an existing contact: a stranger's invite named "bob" must
 * not look like bob's key change.
 */
function nameFromInvite (messenger: Messenger, invite: { peerId: string, name: string } | undefined): string {
  const name = invite?.name.trim() ?? ''
  if (invite == null) {
    throw new BadRequestError('name: give a name for a contact added by peer id (natter contacts add <name> <peer id>)')
  }
  if (name === '') {
    throw new BadRequestError('name: this invite suggests no name; give one (natter contacts add <name> <invite>)')
  }
  const existing = messenger.contacts.get(name)
  if (existing != null && existing.peerId !== invite.peerId) {
    throw new ContactExistsError(`the invite suggests the name "${name}", which is already your contact ${existing.peerId}; give another name (natter contacts add <name> <invite>)`, { field: 'name' })
  }
  return name
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
        const { name: given, peer } = parseRequest(AddBody, body)
        const value = peer.trim()
        checkInvitePrefix(value)
        const invite = isInvite(value) ? decodeInvite(value) : undefined
        const bootstrap = invite?.addresses ?? []
        const name = given ?? nameFromInvite(messenger, invite)
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
