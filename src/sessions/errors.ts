/**
 * Named errors of forward-secret sessions and identity checks.
 *
 * @module
 */
import { NatterError } from '../base-errors.js'

/**
 * A contact's identity key changed (a different peer id was presented for a
 * name the user knows) and the user has not accepted it yet: messages to the
 * contact are held, still queued, until `natter.contacts.acceptKey(name)`.
 */
export class IdentityKeyChangedError extends NatterError {
  /** The contact's name. */
  readonly contact: string
  /** The contact's current peer id (the key messages would go to). */
  readonly peerId: string
  /** The peer id of the new, not yet accepted key. */
  readonly newPeerId: string
  constructor (message: string, init: { contact: string, peerId: string, newPeerId: string }, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityKeyChangedError'
    this.contact = init.contact
    this.peerId = init.peerId
    this.newPeerId = init.newPeerId
  }
}
