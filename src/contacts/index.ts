/**
 * Contacts: petnames for peer ids, with their pinned identity keys
 * (PROTOCOL.md §6.9). A contact's name works wherever a peer id does. A
 * different key under a known name is never taken silently: it waits as the
 * contact's pending key, messages to the contact are held, and the user
 * accepts or rejects it.
 *
 * @module
 */
import { InvalidArgumentError } from '../base-errors.js'
import { parsePeerId, peerFromPublicKey } from '../crypto/peer.js'
import { decodeInvite, isInvite } from '../invite.js'
import { safetyNumber } from '../sessions/safety-number.js'
import { NoPendingIdentityKeyError } from '../store/errors.js'
import { systemClock } from '../util/clock.js'
import { acceptContactKey, assertNotHeld, observeContactKey, rejectContactKey } from './key-change.js'
import type { ContactKeyChange } from './key-change.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { MessageStateChange } from '../messaging/types.js'
import type { PeerBook } from '../network/peer-book.js'
import type { SafetyNumber } from '../sessions/safety-number.js'
import type { Contact, Store } from '../store/index.js'
import type { Clock } from '../util/clock.js'
import type { ComponentLogger } from '@libp2p/interface'

export type { ContactKeyChange } from './key-change.js'
export type { Contact } from '../store/index.js'

/** Contact management; a contact's name works wherever a peer id does. */
export interface Contacts {
  /**
   * Adds a contact from a peer id or an invite string. With an invite, the
   * node dials the inviter's addresses and keeps them as bootstrap peers.
   * The contact's identity key (its peer id) is pinned. A name that is already
   * a contact with another peer id is not replaced: the new key is kept as the
   * contact's `pendingIdentityKey`, `contact:key-changed` is emitted, and
   * messages to the contact are held until {@link Contacts.acceptKey} or
   * {@link Contacts.rejectKey}; the returned contact shows the pending key.
   */
  add(name: string, peerIdOrInvite: string): Promise<Contact>
  /** Every contact. */
  list(): Contact[]
  /** The contact with this name or peer id, or undefined. */
  get(nameOrPeerId: string): Contact | undefined
  /** Renames a contact. Throws `ContactNotFoundError`, `InvalidContactNameError`, `ContactExistsError`. */
  rename(nameOrPeerId: string, newName: string): Contact
  /** Removes a contact (the conversation stays). Throws `ContactNotFoundError`. */
  remove(nameOrPeerId: string): Contact
  /** Marks a contact verified (safety number checked) or not. */
  setVerified(nameOrPeerId: string, verified: boolean): Contact
  /**
   * Accepts a contact's new identity key (after `add` with a different peer id
   * under its name): the contact moves to the new peer id, unverified, and
   * messages held for it are sent again to the new key (as new messages; the
   * held ones fail with the reason `identity key changed: re-sent to <peer id>`).
   * Throws `ContactNotFoundError`, `NoPendingIdentityKeyError`.
   */
  acceptKey(nameOrPeerId: string): Promise<Contact>
  /**
   * Refuses a contact's new identity key: the contact keeps its key and held
   * messages go out to it. Throws `ContactNotFoundError`, `NoPendingIdentityKeyError`.
   */
  rejectKey(nameOrPeerId: string): Contact
  /**
   * The safety number of this node and a contact (or peer id), to compare
   * with theirs out of band (read aloud or scan the QR payload); then mark
   * the contact verified with {@link Contacts.setVerified}. With `pending`, the
   * number for the contact's new, not yet accepted key.
   * Throws `ContactNotFoundError`, `InvalidPeerIdError`, `NoPendingIdentityKeyError`.
   */
  safetyNumber(nameOrPeerId: string, options?: { pending?: boolean }): SafetyNumber
  /** Resolves a contact name or peer id. Throws `InvalidPeerIdError` / `ContactNotFoundError`. */
  resolve(nameOrPeerId: string): Ed25519Peer
}

/** What the contacts service tells the node. */
export interface ContactsEvents {
  /** A contact was presented with a different identity key. */
  keyChanged(change: ContactKeyChange): void
  /** A held message failed (it is re-sent to the contact's new key). */
  state(change: MessageStateChange): void
}

/** What the contacts service needs. */
export interface ContactsComponents {
  self: Ed25519Peer
  store: Pick<Store, 'contacts' | 'settings' | 'outbox' | 'messages' | 'transaction'>
  peers: PeerBook
  /** Sends (again) and nudges messages. */
  messenger: {
    send(peer: Ed25519Peer, text: string, options: { wait: 'queued' }): Promise<unknown>
    nudge(peer: string): void
  }
  events: ContactsEvents
  logger: ComponentLogger
  /** @default the system clock */
  clock?: Clock
}

/** The contacts service: the public {@link Contacts} and the hold check of the sealer. */
export interface ContactsService extends Contacts {
  /** Throws `IdentityKeyChangedError` when messages to `recipient` must be held. */
  assertNotHeld(recipient: Ed25519Peer): void
}

/** A string that looks like a peer id (so a failure to parse it is reported as such, not as an unknown name). */
const PEER_ID_LIKE = /^(12D3Koo|Qm|[1-9A-HJ-NP-Za-km-z]{40,})/

/** Creates the contacts service. */
export function createContacts (components: ContactsComponents): ContactsService {
  const { self, store, peers, messenger, events } = components
  const log = components.logger.forComponent('natter:contacts')
  const clock = components.clock ?? systemClock

  /** A different key under a known contact name: pinned as pending, loudly, never taken silently. */
  function observeKey (name: string, peer: Ed25519Peer, addresses: readonly string[]): Contact | undefined {
    if (peer.peerId.equals(self.peerId)) {
      return undefined
    }
    const change = observeContactKey(store, name, peer, addresses)
    if (change == null) {
      return undefined
    }
    log.error('identity key of contact %s changed to %s: messages to it are held until it is accepted', change.contact.name, change.newPeerId)
    events.keyChanged(change)
    return change.contact
  }

  function resolve (nameOrPeerId: string): Ed25519Peer {
    const contact = store.contacts.get(nameOrPeerId) ?? store.contacts.getByName(nameOrPeerId)
    if (contact != null) {
      return parsePeerId(contact.peerId)
    }
    try {
      return parsePeerId(nameOrPeerId)
    } catch (err) {
      if (PEER_ID_LIKE.test(nameOrPeerId)) {
        throw err
      }
      // not a peer id: it was meant as a contact name
      return parsePeerId(store.contacts.resolve(nameOrPeerId).peerId)
    }
  }

  return {
    async add (name, peerIdOrInvite) {
      if (isInvite(peerIdOrInvite)) {
        const invite = decodeInvite(peerIdOrInvite)
        if (invite.peerId === self.peerId.toString()) {
          throw new InvalidArgumentError('that invite is your own')
        }
        const peer = parsePeerId(invite.peerId)
        const changed = observeKey(name, peer, invite.addresses)
        if (changed != null) {
          return changed
        }
        const contact = store.contacts.add(name, invite.peerId, { addresses: invite.addresses, identityKey: peer.publicKey.raw })
        for (const address of invite.addresses) {
          peers.remember(address)
        }
        await peers.learn(peer.peerId, invite.addresses)
        // join the network through the inviter, without making the caller wait for it
        peers.join()
        return contact
      }
      const peer = parsePeerId(peerIdOrInvite.trim())
      if (peer.peerId.equals(self.peerId)) {
        throw new InvalidArgumentError('you cannot add yourself as a contact')
      }
      return observeKey(name, peer, []) ?? store.contacts.add(name, peer.peerId.toString(), { identityKey: peer.publicKey.raw })
    },

    list: () => store.contacts.list(),
    get: (nameOrPeerId) => store.contacts.get(nameOrPeerId) ?? store.contacts.getByName(nameOrPeerId),
    rename: (nameOrPeerId, newName) => store.contacts.rename(nameOrPeerId, newName),
    remove: (nameOrPeerId) => store.contacts.remove(nameOrPeerId),
    setVerified: (nameOrPeerId, verified) => store.contacts.setVerified(nameOrPeerId, verified),

    async acceptKey (nameOrPeerId) {
      const accepted = acceptContactKey(store, nameOrPeerId)
      const next = parsePeerId(accepted.contact.peerId)
      for (const address of accepted.addresses) {
        peers.remember(address)
      }
      await peers.learn(next.peerId, accepted.addresses)
      // what the user wrote to this contact goes to its new key; the held copies failed, saying where
      for (const { message } of accepted.held) {
        events.state({ id: message.id, peer: message.peer, state: 'failed', reason: accepted.reason, at: clock.now() })
        await messenger.send(next, message.text, { wait: 'queued' })
      }
      return accepted.contact
    },

    rejectKey (nameOrPeerId) {
      const contact = rejectContactKey(store, nameOrPeerId)
      messenger.nudge(contact.peerId)
      return contact
    },

    safetyNumber (nameOrPeerId, options = {}) {
      if (options.pending === true) {
        const contact = store.contacts.resolve(nameOrPeerId)
        if (contact.pendingIdentityKey == null) {
          throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key`)
        }
        return safetyNumber(self, peerFromPublicKey(contact.pendingIdentityKey))
      }
      return safetyNumber(self, resolve(nameOrPeerId))
    },

    resolve,

    assertNotHeld: (recipient) => { assertNotHeld(store.contacts, recipient) }
  }
}
