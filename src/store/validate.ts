/**
 * Argument checks shared by the store's parts. They throw the library-wide
 * {@link InvalidArgumentError} so callers handle bad input one way everywhere.
 *
 * @module
 */

import { InvalidArgumentError } from '../base-errors.js'
import { MESSAGE_ID_MAX_LENGTH } from './constants.js'

const MESSAGE_ID = new RegExp(`^[0-9a-f]{1,${MESSAGE_ID_MAX_LENGTH}}$`)
// Peer ids are base58/base32 text; anything with whitespace or control characters is a caller bug.
// eslint-disable-next-line no-control-regex
const PEER_KEY = /^[^\s\u0000-\u001f\u007f]{1,256}$/

/** Throws unless `value` is a non-negative safe integer (ms since the epoch). */
export function assertTimestamp (field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${field} must be a non-negative integer of ms since the epoch, got ${String(value)}`)
  }
}

/** Throws unless `value` is a safe integer of at least `min`. */
export function assertInteger (field: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`${field} must be an integer >= ${min}, got ${String(value)}`)
  }
}

/** Throws unless `value` is a plausible peer id string (non-empty, no whitespace or control characters). */
export function assertPeerKey (field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !PEER_KEY.test(value)) {
    throw new InvalidArgumentError(`${field} must be a peer id string, got ${JSON.stringify(value)}`)
  }
}

/** Throws unless `value` is a message id: lowercase hex, 1 to 128 digits. */
export function assertMessageId (field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !MESSAGE_ID.test(value)) {
    throw new InvalidArgumentError(`${field} must be lowercase hex of at most ${MESSAGE_ID_MAX_LENGTH} digits, got ${JSON.stringify(value)}`)
  }
}

/** Throws unless `value` is a string. */
export function assertString (field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${field} must be a string`)
  }
}

/** Throws unless `value` is a `Uint8Array` (a `Buffer` is one). */
export function assertBytes (field: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${field} must be a Uint8Array`)
  }
}

/**
 * Resolves an optional page size: `undefined` gives `fallback`, values above
 * `max` are clamped, anything that is not a positive integer throws.
 */
export function resolveLimit (field: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) {
    return fallback
  }
  assertInteger(field, value, 1)
  return Math.min(value, max)
}

/**
 * Copies an SQLite BLOB (a Node `Buffer`, possibly a view into a shared pool)
 * into a plain `Uint8Array` the caller owns.
 */
export function toBytes (blob: Uint8Array): Uint8Array {
  return new Uint8Array(blob)
}

/** Like {@link toBytes} but passes `null` through. */
export function toBytesOrNull (blob: Uint8Array | null): Uint8Array | null {
  return blob === null ? null : toBytes(blob)
}
