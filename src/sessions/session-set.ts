/**
 * The sessions kept with one peer, in order of preference, and the rules that
 * pick one for sending (PROTOCOL.md §6.8).
 *
 * - The first session that is not superseded sends.
 * - A session that decrypts a message moves to the front (the most recently
 *   received-from session sends), unless it is superseded.
 * - A session accepted from a peer's initial message goes to the front, except
 *   under simultaneous initiation: when this node holds an initiator session
 *   with the peer that no reply has confirmed yet, the session initiated by
 *   the lower identity key (bytewise) wins and the other is superseded: it
 *   still decrypts, but never sends. Both sides reach the same choice.
 * - At most `max` sessions are kept; the least preferred go first.
 *
 * Local encoding (inside the encrypted store row):
 * `0x01 ‖ u8 count ‖ count × (u8 flags (bit 0 superseded) ‖ u32be length ‖ session)`,
 * sessions as `Session.serialize()` writes them, most preferred first.
 *
 * @module
 */
import { compare as uint8ArrayCompare } from 'uint8arrays/compare'
import { deserializeSession, deserializeState, initialHeadersEqual } from '../crypto/ratchet/index.js'
import type { InitialHeader, Session } from '../crypto/ratchet/index.js'

/** One session with its flags. */
export interface SessionEntry {
  session: Session
  /** Lost a simultaneous-initiation tie-break: decrypts, never sends. */
  superseded: boolean
}

const VERSION = 0x01
const FLAG_SUPERSEDED = 0x01
// Session.serialize(): version, role, confirmed, own IK, peer IK, initial header, then the ratchet state
const SESSION_STATE_OFFSET = 3 + 32 + 32 + 73

/** Encodes the entries, in order. */
export function encodeSessionSet (entries: SessionEntry[]): Uint8Array {
  const parts = entries.map(e => ({ flags: e.superseded ? FLAG_SUPERSEDED : 0, bytes: e.session.serialize() }))
  const out = new Uint8Array(2 + parts.reduce((n, p) => n + 5 + p.bytes.byteLength, 0))
  const view = new DataView(out.buffer)
  out[0] = VERSION
  out[1] = parts.length
  let at = 2
  for (const part of parts) {
    out[at] = part.flags
    view.setUint32(at + 1, part.bytes.byteLength)
    out.set(part.bytes, at + 5)
    at += 5 + part.bytes.byteLength
  }
  return out
}

/** Decodes what {@link encodeSessionSet} wrote. Throws on malformed input. */
export function decodeSessionSet (bytes: Uint8Array): SessionEntry[] {
  if (bytes.byteLength < 2 || bytes[0] !== VERSION) {
    throw new Error('unknown session set version')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = bytes[1] ?? 0
  const entries: SessionEntry[] = []
  let at = 2
  for (let i = 0; i < count; i++) {
    if (at + 5 > bytes.byteLength) {
      throw new Error('truncated session set')
    }
    const flags = bytes[at] ?? 0
    const length = view.getUint32(at + 1)
    if (at + 5 + length > bytes.byteLength) {
      throw new Error('truncated session set')
    }
    entries.push({ session: deserializeSession(bytes.subarray(at + 5, at + 5 + length)), superseded: (flags & FLAG_SUPERSEDED) !== 0 })
    at += 5 + length
  }
  if (at !== bytes.byteLength) {
    throw new Error('trailing bytes after session set')
  }
  return entries
}

/** The session that sends: the first one not superseded. */
export function sendingEntry (entries: SessionEntry[]): SessionEntry | undefined {
  return entries.find(e => !e.superseded)
}

/** The responder session set up by `header`, if kept. */
export function findByInitialHeader (entries: SessionEntry[], header: InitialHeader, role: Session['role']): SessionEntry | undefined {
  return entries.find(e => e.session.role === role && initialHeadersEqual(e.session.initialHeader, header))
}

/** The current sending ratchet public key of a session (what its next messages carry in their header). */
export function sendingRatchetKey (session: Session): Uint8Array {
  return deserializeState(session.serialize().subarray(SESSION_STATE_OFFSET)).dhs.publicKey
}

/** Moves `entry` to the front, unless it is superseded. */
export function promote (entries: SessionEntry[], entry: SessionEntry): void {
  if (entry.superseded) {
    return
  }
  const index = entries.indexOf(entry)
  if (index > 0) {
    entries.splice(index, 1)
    entries.unshift(entry)
  }
}

/**
 * Adds a session just accepted from the peer's initial message, applying the
 * simultaneous-initiation rule (module comment). `ownKey` and `peerKey` are
 * the two Ed25519 identity public keys.
 */
export function addAccepted (entries: SessionEntry[], session: Session, ownKey: Uint8Array, peerKey: Uint8Array): SessionEntry {
  const entry: SessionEntry = { session, superseded: false }
  const pending = entries.find(e => e.session.role === 'initiator' && !e.session.confirmed && !e.superseded)
  if (pending != null && uint8ArrayCompare(ownKey, peerKey) < 0) {
    // both started at once and ours was started by the lower key: ours keeps sending
    entry.superseded = true
    entries.splice(entries.indexOf(pending) + 1, 0, entry)
    return entry
  }
  if (pending != null) {
    pending.superseded = true
  }
  entries.unshift(entry)
  return entry
}

/** Drops the least preferred entries beyond `max`. */
export function trim (entries: SessionEntry[], max: number): void {
  entries.splice(Math.max(1, max))
}
