/**
 * Contact handlers. A contact added by invite also joins the network
 * through the inviter: the library keeps the invite's addresses as bootstrap
 * peers, and the handler dials them so the reply can say whether it worked.
 * Adding a known name with another peer id does not replace the contact: it
 * records a pending identity key (see `contact-keys.ts`).
 *
 * @module
 */
import { ContactExistsError, ContactNotFoundError, decodeInvite, INVITE_PREFIX, InvalidPeerIdError, isInvite } from '../../../src/index.js'
import { BadRequestError } from '../errors.js'
import { silentLog } from '../../log.js'
import type { Log } from '../../log.js'
import type { NodeFacade } from '../../node-api.js'
import type { ContactView } from '../contract/index.js'
import type { Handlers } from '../handlers.js'

/** What the contact handlers need. */
export interface ContactHandlersComponents {
  facade: NodeFacade
  /** How long dialling one invite address may take, in ms. @default 5000 */
  dialTimeoutMs?: number
  log?: Log
}

/**
 * The contact named by `key` (name or peer id). Throws the library's error for
 * a malformed id, else `ContactNotFoundError`.
 */
export function mustGetContact (facade: NodeFacade, key: string): ContactView {
  const contact = facade.contacts.get(key)
  if (contact == null) {
    facade.resolvePeer(key)
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
function nameFromInvite (facade: NodeFacade, invite: { peerId: string, name: string } | undefined): string {
  const name = invite?.name.trim() ?? ''
  if (invite == null) {
    throw new BadRequestError('name: give a name for a contact added by peer id (natter contacts add <name> <peer id>)')
  }
  if (name === '') {
    throw new BadRequestError('name: this invite suggests no name; give one (natter contacts add <name> <invite>)')
  }
  const existing = facade.contacts.get(name)
  if (existing != null && existing.peerId !== invite.peerId) {
    throw new ContactExistsError(`the invite suggests the name "${name}", which is already your contact ${existing.peerId}; give another name (natter contacts add <name> <invite>)`, { field: 'name' })
  }
  return name
}

/** The contact handlers. */
export function contactHandlers (components: ContactHandlersComponents): Pick<Handlers, 'listContacts' | 'addContact' | 'getContact' | 'renameContact' | 'removeContact'> {
  const { facade } = components
  const log = components.log ?? silentLog
  const dialTimeoutMs = components.dialTimeoutMs ?? 5_000

  return {
    async listContacts () {
      return { body: { contacts: facade.contacts.list() } }
    },

    async addContact ({ body, signal }) {
      const value = body.peer.trim()
      checkInvitePrefix(value)
      const invite = isInvite(value) ? decodeInvite(value) : undefined
      const bootstrap = invite?.addresses ?? []
      const name = body.name ?? nameFromInvite(facade, invite)
      const contact = await facade.contacts.add(name, value)
      if (contact.keyChanged) {
        // the name is taken by the contact's pinned key: the new one waits for the user, and is
        // not dialled or kept as a bootstrap peer until accepted
        return { status: 200, body: { contact, bootstrap: [], connected: facade.connectedPeers.includes(contact.peerId) } }
      }
      let connected = facade.connectedPeers.includes(contact.peerId)
      for (const address of connected ? [] : bootstrap) {
        try {
          await facade.connect(address, { bootstrap: true, signal: AbortSignal.any([signal, AbortSignal.timeout(dialTimeoutMs)]) })
          connected = true
          break
        } catch (err) {
          log.info('dialling invite address %s failed: %s', address, (err as Error).message)
        }
      }
      return { status: 201, body: { contact, bootstrap, connected } }
    },

    async getContact ({ params }) {
      return { body: { contact: mustGetContact(facade, params.contact) } }
    },

    async renameContact ({ params, body }) {
      return { body: { contact: facade.contacts.rename(params.contact, body.name) } }
    },

    async removeContact ({ params }) {
      return { body: { contact: facade.contacts.remove(params.contact) } }
    }
  }
}
