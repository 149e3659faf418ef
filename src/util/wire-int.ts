/**
 * Wire integers (protobuf uint64) arrive as bigints and stay bigints until
 * bounded: a peer can send any value up to 2^64 − 1, and `Number()` of such a
 * value silently loses precision, which later code (SQLite bindings, timers,
 * comparisons) may turn into a throw far from the wire. PROTOCOL.md §1 caps
 * every uint64 field natter reads at 2^53 − 1, which no conforming peer
 * exceeds (they carry milliseconds since the epoch or small counters).
 */
import { InvalidMessageError } from '../base-errors.js'

/** The largest wire integer natter accepts: 2^53 − 1 (PROTOCOL.md §1). */
export const MAX_WIRE_UINT = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * Converts a wire uint64 to a number, refusing values above 2^53 − 1.
 *
 * @param field - names the field in the error message
 * @throws {@link InvalidMessageError} with reason `malformed` when out of range
 */
export function wireUint (value: bigint, field: string): number {
  if (value < 0n || value > MAX_WIRE_UINT) {
    throw new InvalidMessageError(`${field} ${value} is out of range (at most 2^53 - 1)`, { reason: 'malformed' })
  }
  return Number(value)
}
