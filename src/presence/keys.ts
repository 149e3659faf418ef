/**
 * Presence keys (PROTOCOL.md §3.6.2): this node's own (random, 32 bytes,
 * with a generation that increases at every rotation) and the ones its
 * contacts handed over in PRESENCE_KEY control payloads. All persisted in the
 * settings table; contacts' keys are bounded by the contact list (a key from
 * anyone else is never stored).
 *
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { PresenceKey } from '../pb/presence.js'
import { InvalidMessageError } from '../base-errors.js'
import { wireUint } from '../util/wire-int.js'
import { PRESENCE_KEY_BYTES } from './sealed.js'
import type { Settings } from '../store/index.js'

export { PresenceKey }

const OWN_KEY = 'presence.v2.own'
const CONTACT_KEYS = 'presence.v2.keys'
const SENT_KEY = 'presence.v2.sent'

/** A presence key and its generation. */
export interface KeyGeneration {
  key: Uint8Array
  generation: bigint
}

interface StoredKey { key: string, generation: string }

const toStored = (k: KeyGeneration): StoredKey => ({ key: uint8ArrayToString(k.key, 'base64'), generation: k.generation.toString() })
const fromStored = (s: StoredKey): KeyGeneration => ({ key: uint8ArrayFromString(s.key, 'base64'), generation: BigInt(s.generation) })

/** The persisted keys. */
export interface PresenceKeys {
  own(): KeyGeneration
  /** A fresh own key, one generation up; every contact must be sent it again. */
  rotate(): KeyGeneration
  contact(peer: string): KeyGeneration | undefined
  contacts(): Array<[string, KeyGeneration]>
  /** Stores a contact's key unless an equal or newer generation is known; returns whether it changed. */
  setContact(peer: string, key: KeyGeneration): boolean
  deleteContact(peer: string): boolean
  /** The generation of our own key last handed to `peer`. */
  sentTo(peer: string): bigint | undefined
  markSent(peer: string, generation: bigint | undefined): void
  /** Every peer our key was handed to (the contacts at the last run). */
  sentPeers(): string[]
}

/** Loads (or creates) the presence keys kept in `settings`. */
export function presenceKeys (settings: Pick<Settings, 'get' | 'set'>): PresenceKeys {
  const read = <T>(key: string, fallback: T): T => {
    try {
      return (settings.get(key) as T | undefined) ?? fallback
    } catch {
      return fallback
    }
  }
  let own = read<StoredKey | undefined>(OWN_KEY, undefined)
  if (own == null) {
    own = toStored({ key: randomBytes(PRESENCE_KEY_BYTES), generation: 1n })
    settings.set(OWN_KEY, own)
  }
  let ownKey = fromStored(own)
  const contactKeys = new Map<string, KeyGeneration>(Object.entries(read<Record<string, StoredKey>>(CONTACT_KEYS, {})).map(([p, s]) => [p, fromStored(s)]))
  const sent = new Map<string, string>(Object.entries(read<Record<string, string>>(SENT_KEY, {})))
  const saveContacts = (): void => { settings.set(CONTACT_KEYS, Object.fromEntries([...contactKeys].map(([p, k]) => [p, toStored(k)]))) }
  const saveSent = (): void => { settings.set(SENT_KEY, Object.fromEntries(sent)) }

  return {
    own: () => ownKey,
    rotate () {
      ownKey = { key: randomBytes(PRESENCE_KEY_BYTES), generation: ownKey.generation + 1n }
      settings.set(OWN_KEY, toStored(ownKey))
      sent.clear()
      saveSent()
      return ownKey
    },
    contact: (peer) => contactKeys.get(peer),
    contacts: () => [...contactKeys],
    setContact (peer, key) {
      const known = contactKeys.get(peer)
      if (known != null && known.generation >= key.generation) {
        return false
      }
      contactKeys.set(peer, key)
      saveContacts()
      return true
    },
    deleteContact (peer) {
      const had = contactKeys.delete(peer)
      if (had) saveContacts()
      return had
    },
    sentTo: (peer) => { const g = sent.get(peer); return g == null ? undefined : BigInt(g) },
    sentPeers: () => [...sent.keys()],
    markSent (peer, generation) {
      if (generation == null) sent.delete(peer)
      else sent.set(peer, generation.toString())
      saveSent()
    }
  }
}

/** Encodes a PRESENCE_KEY control body. */
export function encodePresenceKey (key: KeyGeneration | undefined, want: boolean): Uint8Array {
  return PresenceKey.encode({ key: key?.key ?? new Uint8Array(), generation: key?.generation ?? 0n, want })
}

/** Decodes and bounds a PRESENCE_KEY control body; `key` undefined means the sender withdrew it. Throws {@link InvalidMessageError}. */
export function decodePresenceKey (body: Uint8Array): { key?: KeyGeneration, want: boolean } {
  let msg: PresenceKey
  try {
    msg = PresenceKey.decode(body)
  } catch (err) {
    throw new InvalidMessageError('malformed presence key', { cause: err, reason: 'malformed' })
  }
  if (msg.key.byteLength === 0) {
    return { want: msg.want }
  }
  if (msg.key.byteLength !== PRESENCE_KEY_BYTES) {
    throw new InvalidMessageError(`presence key must be ${PRESENCE_KEY_BYTES} bytes`, { reason: 'malformed' })
  }
  return { key: { key: msg.key, generation: BigInt(wireUint(msg.generation, 'presence key generation')) }, want: msg.want }
}
