/**
 * A bounded set of seen proof-of-work stamps, so one stamp buys one message.
 *
 * @module
 */

import { DEFAULT_REPLAY_CACHE_MAX_ENTRIES } from './constants.js'

export { DEFAULT_REPLAY_CACHE_MAX_ENTRIES } from './constants.js'

/** Options for {@link createReplayCache}. */
export interface ReplayCacheInit {
  /**
   * Most entries kept. When full, the entry closest to expiry is dropped to
   * make room: it is the one whose replay the acceptance window would soon
   * refuse anyway. With the default stamp difficulty, filling the cache costs
   * an attacker roughly this many CPU-seconds of work per acceptance window.
   * Each entry costs about 120 bytes (about 6 MB when full at the default).
   *
   * @default 50_000
   */
  maxEntries?: number
}

/**
 * Remembers keys (stamp digests) until they expire. Memory is bounded by
 * `maxEntries`; expired entries are dropped as time passes.
 */
export interface ReplayCache {
  /**
   * Records `key` until `expiresAt` (inclusive) unless it is already recorded.
   *
   * @param key - the stamp's digest (any bytes identifying the stamp)
   * @param expiresAt - the last instant, in ms, at which the stamp could still be accepted
   * @param now - the current time in ms
   * @returns `true` if the key was new (the stamp may be accepted), `false` if it was seen before and has not expired
   */
  add(key: Uint8Array, expiresAt: number, now: number): boolean
  /** Whether `key` is recorded and not expired at `now`. */
  has(key: Uint8Array, now: number): boolean
  /** Entries currently held (expired ones may linger until the next `add`). */
  readonly size: number
  /** Forgets everything. */
  clear(): void
}

/**
 * Creates a {@link ReplayCache}. Pass it to `verifyStamp` as `replayCache`
 * so that a second use of the same stamp throws `StampReplayedError`.
 *
 * @example
 * ```ts
 * const seen = createReplayCache({ maxEntries: 10_000 })
 * verifyStamp(stamp, { sender, recipient, replayCache: seen })
 * ```
 */
export function createReplayCache (init: ReplayCacheInit = {}): ReplayCache {
  const maxEntries = init.maxEntries ?? DEFAULT_REPLAY_CACHE_MAX_ENTRIES
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
  }

  // key -> expiresAt, plus a binary min-heap on expiresAt over the same keys
  // (always exactly the same set), so both pruning and eviction are O(log n).
  const entries = new Map<string, number>()
  const heapKeys: string[] = []
  const heapExp: number[] = []

  const toKey = (bytes: Uint8Array): string => String.fromCharCode(...bytes)

  const swap = (i: number, j: number): void => {
    const k = heapKeys[i] as string
    heapKeys[i] = heapKeys[j] as string
    heapKeys[j] = k
    const e = heapExp[i] as number
    heapExp[i] = heapExp[j] as number
    heapExp[j] = e
  }

  const push = (key: string, exp: number): void => {
    heapKeys.push(key)
    heapExp.push(exp)
    let i = heapKeys.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((heapExp[parent] as number) <= exp) break
      swap(i, parent)
      i = parent
    }
  }

  const popMin = (): void => {
    const key = heapKeys[0]
    if (key === undefined) return
    entries.delete(key)
    const last = heapKeys.length - 1
    swap(0, last)
    heapKeys.pop()
    heapExp.pop()
    let i = 0
    const n = heapKeys.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let smallest = i
      if (l < n && (heapExp[l] as number) < (heapExp[smallest] as number)) smallest = l
      if (r < n && (heapExp[r] as number) < (heapExp[smallest] as number)) smallest = r
      if (smallest === i) break
      swap(i, smallest)
      i = smallest
    }
  }

  const prune = (now: number): void => {
    while (heapExp.length > 0 && (heapExp[0] as number) < now) popMin()
  }

  return {
    add (key, expiresAt, now) {
      prune(now)
      const k = toKey(key)
      if (entries.has(k)) return false
      // Already outside any acceptance window: nothing to guard.
      if (expiresAt < now) return true
      if (entries.size >= maxEntries) {
        // The newcomer is itself the one closest to expiry: keep the others.
        if (expiresAt <= (heapExp[0] as number)) return true
        popMin()
      }
      entries.set(k, expiresAt)
      push(k, expiresAt)
      return true
    },
    has (key, now) {
      const exp = entries.get(toKey(key))
      return exp !== undefined && exp >= now
    },
    get size () {
      return entries.size
    },
    clear () {
      entries.clear()
      heapKeys.length = 0
      heapExp.length = 0
    }
  }
}
