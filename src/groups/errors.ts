/**
 * The errors of group conversations.
 *
 * @module
 */
import { NatterError } from '../base-errors.js'

/** No group matches the id, id prefix or name given. */
export class GroupNotFoundError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'GroupNotFoundError'
  }
}

/** A group id prefix or name matches more than one group. */
export class AmbiguousGroupError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AmbiguousGroupError'
  }
}

/** Only an admin of the group may do that. */
export class NotGroupAdminError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotGroupAdminError'
  }
}

/** This node left or was removed from the group (or the peer is not a member). */
export class NotGroupMemberError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotGroupMemberError'
  }
}

/** The group is at its member limit, its op limit, or this node at its group limit. */
export class GroupFullError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'GroupFullError'
  }
}
