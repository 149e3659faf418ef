/**
 * 1.3 (PROTOCOL.md §5.2): RATCHET envelopes of an established session travel
 * unsigned directly to their recipient on `/natter/dm/1.3.0`. Everywhere else
 * — a 1.2 peer, a mailbox peer — the envelope gets its sender's signature
 * over the same body on the way out. These helpers put that signing at the
 * two exits (the DM sender's channels and the mailbox deposits), so no
 * caller has to remember it.
 *
 * @module
 */
import { signUnsigned } from '../crypto/envelope.js'
import { DM_PROTOCOL, DM_PROTOCOLS } from './constants.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import type { AbortOptions } from '@libp2p/interface'
import type { Ed25519Peer } from '../crypto/peer.js'

/** What a node's DM protocol version decides. */
export interface DmVersionSettings {
  /** Whether unsigned envelopes are sealed in established sessions. */
  unsignedInSessions: boolean
  /** DM protocol ids served and proposed, preferred first. */
  protocols: string[]
}

/**
 * The settings of a node speaking `version` of the DM protocol: `'1.3'` (the
 * default) or `'1.2'` (interop tests: only `/natter/dm/1.0.0`, every envelope signed).
 */
export function dmVersionSettings (version: '1.2' | '1.3' = '1.3'): DmVersionSettings {
  return version === '1.2'
    ? { unsignedInSessions: false, protocols: [DM_PROTOCOL] }
    : { unsignedInSessions: true, protocols: DM_PROTOCOLS }
}

/** Signs an unsigned envelope of ours; a signed one is returned as it is. */
export function envelopeSigner (key: Ed25519PrivateKey): (envelope: Uint8Array) => Uint8Array {
  return (envelope) => signUnsigned(envelope, key)
}

/** The deposit function of a mailbox client. */
export interface Depositor {
  deposit(recipient: Ed25519Peer, envelope: Uint8Array, options?: AbortOptions): Promise<number>
}

/** `mailboxes` whose deposits are always signed: a mailbox peer verifies every envelope it holds (§4.1, §9.3). */
export function signedDeposits (mailboxes: Depositor, key: Ed25519PrivateKey): Depositor {
  const sign = envelopeSigner(key)
  return {
    deposit: async (recipient, envelope, options) => mailboxes.deposit(recipient, sign(envelope), options)
  }
}
