/**
 * The node's identity: an encrypted backup of its key (and contacts), to be
 * restored with `natter id import` on a home where no daemon runs.
 *
 * @module
 */
import type { NodeFacade } from '../../node-api.js'
import type { Handlers } from '../handlers.js'

/** What the identity handlers need. */
export interface IdentityHandlersComponents {
  facade: NodeFacade
}

/** The identity handlers. */
export function identityHandlers (components: IdentityHandlersComponents): Pick<Handlers, 'exportIdentity'> {
  const { facade } = components
  return {
    async exportIdentity ({ body }) {
      const withContacts = body.contacts ?? false
      const backup = await facade.exportIdentity(body.passphrase, { contacts: withContacts })
      return {
        body: {
          backup,
          peerId: facade.peerId,
          contacts: withContacts ? facade.contacts.list().length : 0
        }
      }
    }
  }
}
