/**
 * Caps on streams open at the same time: per peer and kind, and over all
 * peers, so one peer cannot tie up the node's handlers.
 *
 * @module
 */

import { TooManyStreamsError } from './errors.js'
import type { RateLimitKind } from './rate-limit.js'

/**
 * Default per-peer caps: `dm` 4, `mailbox` 2, `presence` 2 streams at once.
 */
export const DEFAULT_STREAM_LIMITS: Readonly<Record<'dm' | 'mailbox' | 'presence', number>> = Object.freeze({
  dm: 4,
  mailbox: 2,
  presence: 2
})

/** Default per-peer cap for kinds not in {@link DEFAULT_STREAM_LIMITS} or the configured limits. */
export const DEFAULT_STREAM_LIMIT = 2

/** Default cap on streams held over all peers and kinds. */
export const DEFAULT_MAX_TOTAL_STREAMS = 256

/** Options for {@link createConcurrencyLimiter}. */
export interface ConcurrencyLimiterInit {
  /**
   * Per-peer caps by kind. A kind missing here uses {@link DEFAULT_STREAM_LIMITS},
   * then `defaultLimit`.
   *
   * @default DEFAULT_STREAM_LIMITS
   */
  limits?: Record<string, number>
  /**
   * Per-peer cap for kinds not otherwise configured.
   *
   * @default 2
   */
  defaultLimit?: number
  /**
   * Cap on streams held over all peers and kinds.
   *
   * @default 256
   */
  maxTotal?: number
}

/**
 * Gives back a stream slot. Calling it again does nothing, so it is safe in
 * both a `finally` block and an abort handler.
 */
export type Release = () => void

/** Counts streams per (peer, kind) and overall, refusing those over a cap. */
export interface ConcurrencyLimiter {
  /**
   * Takes a slot for a stream of `kind` from `peerId`. Call the returned
   * function when the stream ends.
   *
   * @throws {@link TooManyStreamsError} with `scope: 'peer'` when the peer holds its cap for `kind`, or `scope: 'global'` when the overall cap is reached
   */
  acquire(peerId: string, kind: RateLimitKind): Release
  /** Streams of `kind` (or of every kind, when omitted) that `peerId` holds. */
  active(peerId: string, kind?: RateLimitKind): number
  /** The per-peer cap that applies to `kind`. */
  limitFor(kind: RateLimitKind): number
  /** Streams held over all peers and kinds. */
  readonly total: number
}

function assertLimit (n: number, where: string): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${where} must be an integer ≥ 0, got ${n}`)
  }
  return n
}

/**
 * Creates a {@link ConcurrencyLimiter}. Memory is proportional to the streams
 * held: a peer's entry goes when its last stream is released.
 *
 * @example
 * ```ts
 * const streams = createConcurrencyLimiter({ limits: { dm: 2 } })
 * // in a stream handler:
 * const release = streams.acquire(connection.remotePeer.toString(), 'dm')
 * try { await handle(stream) } finally { release() }
 * ```
 */
export function createConcurrencyLimiter (init: ConcurrencyLimiterInit = {}): ConcurrencyLimiter {
  const defaultLimit = assertLimit(init.defaultLimit ?? DEFAULT_STREAM_LIMIT, 'defaultLimit')
  const maxTotal = assertLimit(init.maxTotal ?? DEFAULT_MAX_TOTAL_STREAMS, 'maxTotal')
  const limits = new Map<string, number>()
  const defaults: Readonly<Record<string, number>> = DEFAULT_STREAM_LIMITS
  for (const kind of new Set([...Object.keys(defaults), ...Object.keys(init.limits ?? {})])) {
    limits.set(kind, assertLimit(init.limits?.[kind] ?? defaults[kind] ?? defaultLimit, `limits.${kind}`))
  }

  /** peerId -> kind -> streams held; entries are removed at zero. */
  const held = new Map<string, Map<string, number>>()
  let total = 0

  const limitFor = (kind: string): number => limits.get(kind) ?? defaultLimit

  return {
    acquire (peerId, kind) {
      const limit = limitFor(kind)
      const kinds = held.get(peerId)
      const current = kinds?.get(kind) ?? 0
      if (current >= limit) {
        throw new TooManyStreamsError(`peer ${peerId} already holds ${current} '${kind}' streams (limit ${limit})`, { scope: 'peer', limit, peerId, kind })
      }
      if (total >= maxTotal) {
        throw new TooManyStreamsError(`${total} streams open over all peers (limit ${maxTotal})`, { scope: 'global', limit: maxTotal, peerId, kind })
      }
      const entry = kinds ?? new Map<string, number>()
      if (kinds === undefined) held.set(peerId, entry)
      entry.set(kind, current + 1)
      total++

      let released = false
      return () => {
        if (released) return
        released = true
        total--
        const n = (entry.get(kind) ?? 1) - 1
        if (n > 0) {
          entry.set(kind, n)
          return
        }
        entry.delete(kind)
        // Only drop the peer's entry if it is still the live one.
        if (entry.size === 0 && held.get(peerId) === entry) held.delete(peerId)
      }
    },
    active (peerId, kind) {
      const kinds = held.get(peerId)
      if (kinds === undefined) return 0
      if (kind !== undefined) return kinds.get(kind) ?? 0
      let sum = 0
      for (const n of kinds.values()) sum += n
      return sum
    },
    limitFor (kind) {
      return limitFor(kind)
    },
    get total () {
      return total
    }
  }
}
