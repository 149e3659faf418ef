/**
 * The address book: named peers, the identity key pinned for each (to notice
 * a key change), and their last known addresses.
 *
 * @module
 */

import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgumentError, InvalidPeerIdError } from '../base-errors.js'
import { CONTACT_NAME_MAX_LENGTH } from './constants.js'
import {
  ContactExistsError,
  ContactNotFoundError,
  InvalidContactNameError,
  NoPendingIdentityKeyError
} from './errors.js'
import { assertBytes, assertPeerKey, assertTimestamp, toBytesOrNull } from './validate.js'
import type { Db } from './database.js'

/** A saved contact. */
export interface Contact {
  /** Display name, unique among contacts ignoring case. */
  readonly name: string
  /** The contact's libp2p peer id (base58). */
  readonly peerId: string
  /** When the contact was added, ms since the epoch. */
  readonly addedAt: number
  /** Whether the user checked the pinned identity key out of band (e.g. a safety number). */
  readonly verified: boolean
  /** The identity key pinned for this contact, or `null` if none was seen yet. */
  readonly identityKey: Uint8Array | null
  /** A different key the peer presented that the user has not accepted, or `null`. */
  readonly pendingIdentityKey: Uint8Array | null
  /** Whether the peer is on the block list. */
  readonly blocked: boolean
  /** Last known multiaddrs, as strings. */
  readonly addresses: readonly string[]
}

/** Options of {@link ContactStore.add}. */
export interface AddContactOptions {
  /** Identity key to pin now (e.g. from an invite). Without one the first key seen is pinned. */
  identityKey?: Uint8Array
  /** Whether the key was verified out of band. @default false */
  verified?: boolean
  /** Known multiaddrs. @default [] */
  addresses?: readonly string[]
  /** When the contact was added. @default now */
  addedAt?: number
}

/**
 * What {@link ContactStore.observeIdentityKey} concluded:
 * - `not-contact`: the peer is not a contact, nothing stored;
 * - `pinned`: no key was pinned yet, this one now is (trust on first use);
 * - `match`: the key is the pinned one;
 * - `changed`: the key differs from the pinned one; it is kept as `pendingIdentityKey`
 *   until the user accepts it with {@link ContactStore.acceptIdentityKey}.
 */
export type KeyObservation = 'not-contact' | 'pinned' | 'match' | 'changed'

/**
 * Contacts, keyed by peer id and by case-insensitive name.
 *
 * Methods that take `nameOrPeerId` look the argument up as a peer id first
 * and as a name second; names that parse as a peer id are refused, so the two
 * never collide.
 */
export interface ContactStore {
  /**
   * Adds a contact and accepts the conversation with the peer (pending
   * message requests from it move to the inbox).
   *
   * @throws {InvalidPeerIdError} `peerId` is not a base58 libp2p peer id
   * @throws {InvalidContactNameError} the name is empty, too long, has control characters or is a peer id
   * @throws {ContactExistsError} the name (ignoring case) or the peer id is taken; `field` says which
   */
  add(name: string, peerId: string, options?: AddContactOptions): Contact
  /** All contacts, by name (case-insensitively). */
  list(): Contact[]
  /** The contact with this peer id, if any. */
  get(peerId: string): Contact | undefined
  /** The contact with this name (ignoring case), if any. */
  getByName(name: string): Contact | undefined
  /**
   * The contact with this peer id, or else with this name.
   *
   * @throws {ContactNotFoundError}
   */
  resolve(nameOrPeerId: string): Contact
  /**
   * Renames a contact; a change of case only is allowed.
   *
   * @throws {ContactNotFoundError}
   * @throws {InvalidContactNameError}
   * @throws {ContactExistsError} another contact has the name
   */
  rename(nameOrPeerId: string, newName: string): Contact
  /**
   * Removes a contact and returns it. The conversation and its history stay.
   *
   * @throws {ContactNotFoundError}
   */
  remove(nameOrPeerId: string): Contact
  /**
   * Marks the pinned key as verified out of band, or not.
   *
   * @throws {ContactNotFoundError}
   */
  setVerified(nameOrPeerId: string, verified: boolean): Contact
  /** Replaces the contact's last known addresses; returns `false` if the peer is not a contact. */
  setAddresses(peerId: string, addresses: readonly string[]): boolean
  /**
   * Compares the identity key a peer just presented with the pinned one; see
   * {@link KeyObservation}. Seeing the pinned key again drops a stale pending key.
   */
  observeIdentityKey(peerId: string, key: Uint8Array): KeyObservation
  /**
   * Pins the pending identity key in place of the old one. The contact becomes
   * unverified, since the new key has not been checked.
   *
   * @throws {ContactNotFoundError}
   * @throws {NoPendingIdentityKeyError}
   */
  acceptIdentityKey(nameOrPeerId: string): Contact
}

/** What the contact store needs. */
export interface ContactStoreComponents {
  db: Db
  now(): number
}

interface ContactRow {
  peer_id: string
  name: string
  added_at: number
  verified: number
  identity_key: Uint8Array | null
  pending_identity_key: Uint8Array | null
  addresses: string
  blocked: number
}

const SELECT = `
  SELECT c.peer_id, c.name, c.added_at, c.verified, c.identity_key, c.pending_identity_key, c.addresses,
         EXISTS (SELECT 1 FROM blocked_peers b WHERE b.peer_id = c.peer_id) AS blocked
  FROM contacts c`

/** Creates the contact store over an open, migrated database. */
export function contactStore (components: ContactStoreComponents): ContactStore {
  const { db, now } = components

  const selectByPeer = db.prepare<[string], ContactRow>(`${SELECT} WHERE c.peer_id = ?`)
  const selectByName = db.prepare<[string], ContactRow>(`${SELECT} WHERE c.name_key = ?`)
  const selectAll = db.prepare<[], ContactRow>(`${SELECT} ORDER BY c.name_key`)
  const insert = db.prepare(`
    INSERT INTO contacts (peer_id, name, name_key, added_at, verified, identity_key, addresses)
    VALUES (@peerId, @name, @nameKey, @addedAt, @verified, @identityKey, @addresses)`)
  const acceptConversation = db.prepare(`
    INSERT INTO conversations (peer, accepted, created_at) VALUES (?, 1, ?)
    ON CONFLICT (peer) DO UPDATE SET accepted = 1`)
  const updateName = db.prepare('UPDATE contacts SET name = ?, name_key = ? WHERE peer_id = ?')
  const deleteContact = db.prepare('DELETE FROM contacts WHERE peer_id = ?')
  const updateVerified = db.prepare('UPDATE contacts SET verified = ? WHERE peer_id = ?')
  const updateAddresses = db.prepare('UPDATE contacts SET addresses = ? WHERE peer_id = ?')
  const pinKey = db.prepare('UPDATE contacts SET identity_key = ?, pending_identity_key = NULL WHERE peer_id = ?')
  const clearPending = db.prepare('UPDATE contacts SET pending_identity_key = NULL WHERE peer_id = ?')
  const setPending = db.prepare('UPDATE contacts SET pending_identity_key = ? WHERE peer_id = ?')
  const promotePending = db.prepare(`
    UPDATE contacts SET identity_key = pending_identity_key, pending_identity_key = NULL, verified = 0
    WHERE peer_id = ?`)

  const byPeer = (peerId: string): Contact | undefined => {
    const row = selectByPeer.get(peerId)
    return row === undefined ? undefined : toContact(row)
  }
  const byName = (name: string): Contact | undefined => {
    const row = selectByName.get(nameKey(name))
    return row === undefined ? undefined : toContact(row)
  }
  const resolve = (nameOrPeerId: string): Contact => {
    const contact = byPeer(nameOrPeerId) ?? byName(nameOrPeerId)
    if (contact === undefined) {
      throw new ContactNotFoundError(`no contact named or with peer id "${nameOrPeerId}"`)
    }
    return contact
  }
  const mustGet = (peerId: string): Contact => resolve(peerId)

  const add = db.transaction((rawName: string, rawPeerId: string, options: AddContactOptions): Contact => {
    const peerId = canonicalPeerId(rawPeerId)
    const name = normalizeName(rawName)
    const addedAt = options.addedAt ?? now()
    assertTimestamp('addedAt', addedAt)
    if (options.identityKey !== undefined) {
      assertBytes('identityKey', options.identityKey)
    }
    const addresses = encodeAddresses(options.addresses ?? [])

    if (selectByPeer.get(peerId) !== undefined) {
      throw new ContactExistsError(`peer ${peerId} is already a contact`, { field: 'peerId' })
    }
    const clash = selectByName.get(nameKey(name))
    if (clash !== undefined) {
      throw new ContactExistsError(`a contact named "${clash.name}" already exists`, { field: 'name' })
    }

    insert.run({
      peerId,
      name,
      nameKey: nameKey(name),
      addedAt,
      verified: options.verified === true ? 1 : 0,
      identityKey: options.identityKey ?? null,
      addresses
    })
    acceptConversation.run(peerId, addedAt)
    return mustGet(peerId)
  })

  const rename = db.transaction((nameOrPeerId: string, newName: string): Contact => {
    const contact = resolve(nameOrPeerId)
    const name = normalizeName(newName)
    const clash = selectByName.get(nameKey(name))
    if (clash !== undefined && clash.peer_id !== contact.peerId) {
      throw new ContactExistsError(`a contact named "${clash.name}" already exists`, { field: 'name' })
    }
    updateName.run(name, nameKey(name), contact.peerId)
    return mustGet(contact.peerId)
  })

  const remove = db.transaction((nameOrPeerId: string): Contact => {
    const contact = resolve(nameOrPeerId)
    deleteContact.run(contact.peerId)
    return contact
  })

  const setVerified = db.transaction((nameOrPeerId: string, verified: boolean): Contact => {
    const contact = resolve(nameOrPeerId)
    updateVerified.run(verified ? 1 : 0, contact.peerId)
    return mustGet(contact.peerId)
  })

  const observeIdentityKey = db.transaction((peerId: string, key: Uint8Array): KeyObservation => {
    const row = selectByPeer.get(peerId)
    if (row === undefined) {
      return 'not-contact'
    }
    if (row.identity_key === null) {
      pinKey.run(key, peerId)
      return 'pinned'
    }
    if (equalBytes(row.identity_key, key)) {
      if (row.pending_identity_key !== null) {
        clearPending.run(peerId)
      }
      return 'match'
    }
    setPending.run(key, peerId)
    return 'changed'
  })

  const acceptIdentityKey = db.transaction((nameOrPeerId: string): Contact => {
    const contact = resolve(nameOrPeerId)
    if (contact.pendingIdentityKey === null) {
      throw new NoPendingIdentityKeyError(`contact "${contact.name}" has no new identity key to accept`)
    }
    promotePending.run(contact.peerId)
    return mustGet(contact.peerId)
  })

  return {
    add (name, peerId, options = {}) {
      return add.immediate(name, peerId, options)
    },
    list () {
      return selectAll.all().map(toContact)
    },
    get (peerId) {
      return byPeer(peerId)
    },
    getByName (name) {
      return typeof name === 'string' ? byName(name) : undefined
    },
    resolve (nameOrPeerId) {
      return resolve(nameOrPeerId)
    },
    rename (nameOrPeerId, newName) {
      return rename.immediate(nameOrPeerId, newName)
    },
    remove (nameOrPeerId) {
      return remove.immediate(nameOrPeerId)
    },
    setVerified (nameOrPeerId, verified) {
      return setVerified.immediate(nameOrPeerId, verified)
    },
    setAddresses (peerId, addresses) {
      return updateAddresses.run(encodeAddresses(addresses), peerId).changes > 0
    },
    observeIdentityKey (peerId, key) {
      assertPeerKey('peerId', peerId)
      assertBytes('key', key)
      return observeIdentityKey.immediate(peerId, key)
    },
    acceptIdentityKey (nameOrPeerId) {
      return acceptIdentityKey.immediate(nameOrPeerId)
    }
  }
}

function toContact (row: ContactRow): Contact {
  return {
    name: row.name,
    peerId: row.peer_id,
    addedAt: row.added_at,
    verified: row.verified === 1,
    identityKey: toBytesOrNull(row.identity_key),
    pendingIdentityKey: toBytesOrNull(row.pending_identity_key),
    blocked: row.blocked === 1,
    addresses: decodeAddresses(row.addresses)
  }
}

/** Case-insensitive key of a name: NFC-normalized, then lower-cased. */
function nameKey (name: string): string {
  return name.normalize('NFC').toLowerCase()
}

/** Checks a display name and returns it trimmed and NFC-normalized. */
function normalizeName (raw: unknown): string {
  if (typeof raw !== 'string') {
    throw new InvalidContactNameError('a contact name must be a string')
  }
  const name = raw.normalize('NFC').trim()
  if (name.length === 0) {
    throw new InvalidContactNameError('a contact name cannot be empty')
  }
  if ([...name].length > CONTACT_NAME_MAX_LENGTH) {
    throw new InvalidContactNameError(`a contact name is at most ${CONTACT_NAME_MAX_LENGTH} characters`)
  }
  if (/\p{Cc}/u.test(name)) {
    throw new InvalidContactNameError('a contact name cannot contain control characters')
  }
  if (isPeerId(name)) {
    throw new InvalidContactNameError(`"${name}" is a peer id, which cannot also be a name`)
  }
  return name
}

function isPeerId (text: string): boolean {
  try {
    peerIdFromString(text)
    return true
  } catch {
    return false
  }
}

/** Parses `raw` as a libp2p peer id and returns its canonical base58 form. */
function canonicalPeerId (raw: unknown): string {
  if (typeof raw !== 'string') {
    throw new InvalidPeerIdError('a peer id must be a string')
  }
  try {
    return peerIdFromString(raw.trim()).toString()
  } catch (err) {
    throw new InvalidPeerIdError(`"${raw}" is not a valid peer id`, { cause: err })
  }
}

function encodeAddresses (addresses: readonly string[]): string {
  if (!Array.isArray(addresses) || !addresses.every(address => typeof address === 'string')) {
    throw new InvalidArgumentError('addresses must be an array of multiaddr strings')
  }
  return JSON.stringify(addresses)
}

function decodeAddresses (json: string): string[] {
  const value: unknown = JSON.parse(json)
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index])
}
