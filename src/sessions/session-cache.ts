/**
 * The decrypted session sets of the peers talked to lately, kept in memory
 * (write-through): a set is read from the store and decrypted once, then
 * mutated in place by sealing and opening, and written back (sealed) in the
 * same group commit as before. It saves the decryption, decoding and
 * deserialization of the whole set on every message.
 *
 * Bounded: the least recently used peers are dropped beyond `max` and read
 * again from the store when next needed. A peer's entry is dropped whenever
 * its row is written by anyone but the session manager (the store's change
 * listener), whenever an operation on it fails part-way (its in-memory
 * state may be ahead of the store), and all entries are dropped when a group
 * commit is rolled back.
 *
 * @module
 */
import type { SessionEntry } from './session-set.js'

/** An LRU of decrypted session sets, by peer id string. */
export interface SessionCache {
  /** The cached set of `peer` (marked most recently used), if any. */
  get(peer: string): SessionEntry[] | undefined
  /** Caches (replacing) the set of `peer`, dropping the least recently used beyond the bound. */
  set(peer: string, entries: SessionEntry[]): void
  /** Drops the set of `peer`. */
  delete(peer: string): void
  /** Drops every set. */
  clear(): void
  /** How many sets are cached. */
  readonly size: number
}

/** Creates a session cache holding at most `max` peers (0 disables it). */
export function createSessionCache (max: number): SessionCache {
  const sets = new Map<string, SessionEntry[]>()
  return {
    get (peer) {
      const entries = sets.get(peer)
      if (entries !== undefined) {
        sets.delete(peer)
        sets.set(peer, entries)
      }
      return entries
    },
    set (peer, entries) {
      if (max <= 0) {
        return
      }
      sets.delete(peer)
      sets.set(peer, entries)
      while (sets.size > max) {
        const oldest = sets.keys().next().value
        if (oldest === undefined) {
          break
        }
        sets.delete(oldest)
      }
    },
    delete (peer) {
      sets.delete(peer)
    },
    clear () {
      sets.clear()
    },
    get size () {
      return sets.size
    }
  }
}
