/**
 * Identity-key changes of contacts (PROTOCOL.md §6.9). In natter the identity
 * key is the peer id, so a contact's key "changes" when the user is handed a
 * different peer id for a name they already know (a new invite from "bob").
 * The new key is never taken silently: it is kept as the contact's pending
 * key, messages to the contact are held, and only the user's acceptance makes
 * the new peer id the contact (unverified until checked again).
 *
 * @module
 */
import { ContactExistsError, NoPendingIdentityKeyError } from '../store/errors.js'
import { IdentityKeyChangedError } from '../sessions/errors.js'
import { parsePeerId, peerFromPublicKey } from '../crypto/peer.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { Contact, ContactStore, OutboxEntry, Store } from '../store/index.js'

const PENDING_SETTING_PREFIX = 'contact-key-change:'

/** The parts of the store identity-key changes touch. */
export type KeyChangeStore = Pick<Store, 'contacts' | 'settings' | 'outbox' | 'messages' | 'transaction'>

/** A contact's identity key changed. */
export interface ContactKeyChange {
  /** The contact, with `pendingIdentityKey` set. */
  contact: Contact
  /** The contact's current (accepted) peer id. */
  peerId: string
  /** The peer id of the new key, awaiting acceptance. */
  newPeerId: string
}

/** What accepting a new key did. */
export interface AcceptedKeyChange {
  /** The contact under its new peer id, unverified. */
  contact: Contact
  /** The peer id it had before. */
  previousPeerId: string
  /** Addresses given with the new key (from its invite). */
  addresses: string[]
  /** Messages that were held for the old key; they are now `failed` with {@link AcceptedKeyChange.reason}, for the caller to send again. */
  held: OutboxEntry[]
  /** The failure reason given to the held messages. */
  reason: string
}

/**
 * Called before adding contact `name` with `peer`: if a contact of that name
 * exists with another key, records the new key as pending and returns the
 * change; otherwise returns undefined (add the contact normally).
 *
 * @throws {ContactExistsError} another contact already has the new peer id
 */
export function observeContactKey (store: KeyChangeStore, name: string, peer: Ed25519Peer, addresses: readonly string[]): ContactKeyChange | undefined {
  const existing = store.contacts.getByName(name)
  const newPeerId = peer.peerId.toString()
  if (existing == null || existing.peerId === newPeerId) {
    return undefined
  }
  const other = store.contacts.get(newPeerId)
  if (other != null) {
    throw new ContactExistsError(`peer ${newPeerId} is already the contact "${other.name}"`, { field: 'peerId' })
  }
  return store.transaction(() => {
    // the key the contact was added with is pinned (contacts added before pinning have none yet)
    if (existing.identityKey == null) {
      store.contacts.observeIdentityKey(existing.peerId, parsePeerId(existing.peerId).publicKey.raw)
    }
    store.contacts.observeIdentityKey(existing.peerId, peer.publicKey.raw)
    store.settings.set(PENDING_SETTING_PREFIX + existing.peerId, { peerId: newPeerId, addresses: [...addresses] })
    const contact = store.contacts.get(existing.peerId) as Contact
    return { contact, peerId: existing.peerId, newPeerId }
  })
}

/**
 * Makes the contact's pending key its key: the contact moves to the new peer
 * id (same name, unverified), and the messages held for the old one are
 * failed, in the same transaction so none can slip out to the old key, and
 * returned for the caller to send again to the new one.
 *
 * @throws {ContactNotFoundError}
 * @throws {NoPendingIdentityKeyError}
 */
export function acceptContactKey (store: KeyChangeStore, nameOrPeerId: string): AcceptedKeyChange {
  return store.transaction(() => {
    const contact = store.contacts.resolve(nameOrPeerId)
    if (contact.pendingIdentityKey == null) {
      throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key to accept`)
    }
    const next = peerFromPublicKey(contact.pendingIdentityKey)
    const pending = store.settings.get(PENDING_SETTING_PREFIX + contact.peerId) as { addresses?: unknown } | undefined
    const addresses = Array.isArray(pending?.addresses) ? pending.addresses.filter((a): a is string => typeof a === 'string') : []
    const held = store.outbox.pending().filter(e => e.message.peer === contact.peerId)
    const reason = `identity key changed: re-sent to ${next.peerId.toString()}`
    for (const entry of held) {
      store.messages.setState(entry.message.id, 'failed', { reason })
    }
    store.settings.delete(PENDING_SETTING_PREFIX + contact.peerId)
    store.contacts.remove(contact.peerId)
    const moved = store.contacts.add(contact.name, next.peerId.toString(), { identityKey: next.publicKey.raw, addresses, verified: false })
    return { contact: moved, previousPeerId: contact.peerId, addresses, held, reason }
  })
}

/**
 * Keeps the contact's current key and forgets the pending one; held messages
 * go out again to the current key.
 *
 * @throws {ContactNotFoundError}
 * @throws {NoPendingIdentityKeyError}
 */
export function rejectContactKey (store: KeyChangeStore, nameOrPeerId: string): Contact {
  return store.transaction(() => {
    const contact = store.contacts.resolve(nameOrPeerId)
    if (contact.pendingIdentityKey == null) {
      throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key to reject`)
    }
    // seeing the pinned key again drops the pending one
    store.contacts.observeIdentityKey(contact.peerId, contact.identityKey ?? parsePeerId(contact.peerId).publicKey.raw)
    store.settings.delete(PENDING_SETTING_PREFIX + contact.peerId)
    return store.contacts.get(contact.peerId) as Contact
  })
}

/**
 * Throws `IdentityKeyChangedError` when messages to `recipient` must be held:
 * it is a contact whose new identity key awaits the user's decision.
 */
export function assertNotHeld (contacts: Pick<ContactStore, 'get'>, recipient: Ed25519Peer): void {
  const contact = contacts.get(recipient.peerId.toString())
  if (contact?.pendingIdentityKey != null) {
    const newPeerId = peerFromPublicKey(contact.pendingIdentityKey).peerId.toString()
    throw new IdentityKeyChangedError(`identity key changed: messages to ${contact.name} are held until its new key is accepted or rejected`, {
      contact: contact.name, peerId: contact.peerId, newPeerId
    })
  }
}
