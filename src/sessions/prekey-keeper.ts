/**
 * The owner's side of prekeys: the private prekey store, kept encrypted in the
 * settings table, topped up and rotated on schedule, and the public bundle
 * made from it (PROTOCOL.md §6.4).
 *
 * @module
 */
import { ONE_TIME_PREKEYS, PUBLISHED_ONE_TIME_PREKEYS, SIGNED_PREKEY_GRACE_MS, SIGNED_PREKEY_ROTATE_AFTER_MS } from './constants.js'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import {
  createPrekeyStore, deserializePrekeyStore, encodeBundle, exportBundle, replenishOneTimePrekeys, rotateSignedPrekey, serializePrekeyStore
} from '../crypto/ratchet/index.js'
import type { IdentityKeyPair, PrekeyStore } from '../crypto/ratchet/index.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { SecretBox } from '../keys/data-key.js'
import type { Store } from '../store/index.js'
import type { Logger } from '@libp2p/interface'


/** Settings key of the sealed prekey store. */
export const PREKEYS_SETTING = 'prekeys'
const LABEL = 'prekey store'

/** Options of {@link loadPrekeys}. */
export interface PrekeyKeeperInit {
  /** One-time prekeys kept in stock. @default 100 */
  oneTimePrekeys?: number
  /** Top the stock up when it falls below this. @default oneTimePrekeys / 2 */
  replenishBelow?: number
  /** Replace the signed prekey once it is this old, in ms. @default 7 days */
  rotateAfterMs?: number
  /** How long a replaced signed prekey is still accepted, in ms. @default 30 days */
  graceMs?: number
  /** One-time prekeys published in the bundle (the record must stay under 8 KiB). @default 100 */
  publishedOneTimePrekeys?: number
}

/** What the keeper needs. */
export interface PrekeyKeeperComponents {
  identity: IdentityKeyPair
  self: Ed25519Peer
  store: Store
  box: SecretBox
  log: Logger
}

/** The owner's prekeys. */
export interface PrekeyKeeper {
  /** The private store; `acceptSession` consumes one-time prekeys from it in place. */
  readonly prekeys: PrekeyStore
  /** Rotates the signed prekey and tops up one-time prekeys when due; returns whether anything changed. */
  maintain(now?: number): boolean
  /** Whether the stock is low enough to top up. */
  readonly low: boolean
  /** Writes the store, sealed; call inside the transaction that consumed a prekey. */
  save(): void
  /** The encoded public bundle (identity key, signed prekey, the lowest one-time prekeys). */
  bundleBytes(): Uint8Array
}

/**
 * Loads the prekey store from the settings table, or creates (and saves) one
 * if there is none or it cannot be read (e.g. written under another identity).
 */
export function loadPrekeys (components: PrekeyKeeperComponents, init: PrekeyKeeperInit = {}): PrekeyKeeper {
  const { identity, self, store, box, log } = components
  const target = init.oneTimePrekeys ?? ONE_TIME_PREKEYS
  const replenishBelow = init.replenishBelow ?? Math.floor(target / 2)
  const rotateAfterMs = init.rotateAfterMs ?? SIGNED_PREKEY_ROTATE_AFTER_MS
  const graceMs = init.graceMs ?? SIGNED_PREKEY_GRACE_MS
  const published = init.publishedOneTimePrekeys ?? PUBLISHED_ONE_TIME_PREKEYS

  let prekeys: PrekeyStore | undefined
  try {
    const sealed = store.settings.getBytes(PREKEYS_SETTING)
    if (sealed != null) {
      const loaded = deserializePrekeyStore(box.open(LABEL, self.bytes, sealed))
      if (uint8ArrayEquals(loaded.identityKey, identity.publicKey)) {
        prekeys = loaded
      } else {
        log.error('stored prekeys belong to another identity; creating new ones')
      }
    }
  } catch (err) {
    log.error('stored prekeys cannot be read (%s); creating new ones', (err as Error).message)
  }
  const created = prekeys == null
  const current = prekeys ?? createPrekeyStore(identity, { oneTimePrekeys: target })

  const keeper: PrekeyKeeper = {
    prekeys: current,
    get low () {
      return current.oneTimePrekeys.length < replenishBelow
    },
    maintain (now = Date.now()) {
      let changed = false
      if (now - current.signedPrekey.createdAt >= rotateAfterMs) {
        rotateSignedPrekey(current, identity, { now, gracePeriodMs: graceMs })
        changed = true
      }
      // drop retired signed prekeys past their grace period
      const kept = current.previousSignedPrekeys.filter(r => r.expiresAt > now)
      if (kept.length !== current.previousSignedPrekeys.length) {
        current.previousSignedPrekeys = kept
        changed = true
      }
      if (current.oneTimePrekeys.length < replenishBelow) {
        changed = replenishOneTimePrekeys(current, target) > 0 || changed
      }
      return changed
    },
    save () {
      store.settings.setBytes(PREKEYS_SETTING, box.seal(LABEL, self.bytes, serializePrekeyStore(current)))
    },
    bundleBytes () {
      return encodeBundle(exportBundle(current, { maxOneTimePrekeys: published }))
    }
  }
  if (created) {
    keeper.save()
  }
  return keeper
}
