/**
 * The warning shown wherever a contact's changed identity key matters
 * (`contacts add`, `contacts list`, `send`, `chat`), and the error that ends
 * a command whose messages are held because of it. Loud on purpose: a new
 * key for a known name is how an impersonation would look.
 *
 * @module
 */
// the error class alone, not the library's index (which loads libp2p): the CLI stays quick to start
import { IdentityKeyChangedError } from '../src/sessions/errors.js'
import { markJsonPrinted } from './errors.js'
import { safeText, shellQuote } from './safe-text.js'
import type { Style } from './output.js'

/** A contact whose identity key changed. */
export interface KeyChange {
  /** The contact's name. */
  contact: string
  /** Its current (accepted) peer id. */
  peerId: string
  /** The peer id of the new, not yet accepted key. */
  newPeerId: string
}

/** The warning, as lines (for stderr, or the chat screen). `natter` is the command prefix to suggest. */
export function keyChangeWarning (style: Style, change: KeyChange, natter = 'natter'): string[] {
  const name = safeText(change.contact)
  const q = shellQuote(name)
  return [
    style.red(style.bold(`WARNING: the identity key of ${name} has changed`)),
    `  ${name} is ${change.peerId},`,
    `  but was presented with a new key, ${change.newPeerId}.`,
    `  That happens when ${name} reinstalled natter, and also when someone impersonates ${name}.`,
    `  Messages to ${name} are held (not sent) until you decide:`,
    `    ${natter} verify ${q} --pending      compare the new safety number with ${name} (in person or on a call)`,
    `    ${natter} contacts accept-key ${q}   trust the new key: held messages are sent to it`,
    `    ${natter} contacts reject-key ${q}   keep the old key: held messages go to it`
  ]
}

/** The error ending a command whose message to `change.contact` is held. */
export function heldError (change: KeyChange & { messageId?: string }, options: { natter?: string, jsonPrinted?: boolean, count?: number } = {}): IdentityKeyChangedError {
  const natter = options.natter ?? 'natter'
  const q = shellQuote(change.contact)
  const name = safeText(change.contact)
  const what = options.count != null && options.count !== 1
    ? `${options.count} messages to ${name} are held`
    : `the message${change.messageId == null ? '' : ` ${change.messageId}`} to ${name} is held`
  const err = new IdentityKeyChangedError(
    `${what} because their identity key changed; run \`${natter} contacts accept-key ${q}\` or \`${natter} contacts reject-key ${q}\``,
    { contact: change.contact, peerId: change.peerId, newPeerId: change.newPeerId }
  )
  if (change.messageId != null) {
    err.messageId = change.messageId
  }
  return options.jsonPrinted === true ? markJsonPrinted(err) : err
}
