/**
 * What a stranger may put in this node's requests inbox (PROTOCOL.md §8.5.2,
 * §8.9), and the persisted stamp ledger that makes each stamp buy one message
 * across restarts (§8.5.1). Pure policy over the store; the messenger's
 * receive path calls it after the duplicate check and before decrypting.
 */
import { DmResponse } from '../pb/dm.js'
import type { ReplayCache } from '../abuse/index.js'
import type { DmVerdict } from '../dm/protocol.js'
import type { RequestUsage, StampReplayStore } from '../store/index.js'

/** Unstamped follow-ups a stranger may add to its pending request after its stamped first message. */
export const STRANGER_UNSTAMPED_ALLOWANCE = 3
/** Most messages one stranger's pending request may hold; past it: `REFUSED`. */
export const REQUEST_MAX_MESSAGES_PER_PEER = 50
/** Most text bytes one stranger's pending request may hold (256 KiB); past it: `REFUSED`. */
export const REQUEST_MAX_BYTES_PER_PEER = 256 * 1024
/** Most messages all pending requests together may hold; past it: `UNAVAILABLE`. */
export const REQUEST_MAX_MESSAGES_TOTAL = 1000
/** Most text bytes all pending requests together may hold (4 MiB); past it: `UNAVAILABLE`. */
export const REQUEST_MAX_BYTES_TOTAL = 4 * 1024 * 1024
/** The retry hint sent with a full requests inbox: it empties only when the user acts (1 hour). */
export const REQUESTS_FULL_RETRY_AFTER_MS = 60 * 60 * 1000

/** The requests inbox caps; each field defaults to the constant of the same meaning above. */
export interface RequestLimits {
  /** @default STRANGER_UNSTAMPED_ALLOWANCE (3) */
  unstampedAllowance: number
  /** @default REQUEST_MAX_MESSAGES_PER_PEER (50) */
  maxMessagesPerPeer: number
  /** @default REQUEST_MAX_BYTES_PER_PEER (256 KiB) */
  maxBytesPerPeer: number
  /** @default REQUEST_MAX_MESSAGES_TOTAL (1000) */
  maxMessagesTotal: number
  /** @default REQUEST_MAX_BYTES_TOTAL (4 MiB) */
  maxBytesTotal: number
}

/** Resolves the caps field by field. */
export function resolveRequestLimits (init: Partial<RequestLimits> = {}): RequestLimits {
  return {
    unstampedAllowance: init.unstampedAllowance ?? STRANGER_UNSTAMPED_ALLOWANCE,
    maxMessagesPerPeer: init.maxMessagesPerPeer ?? REQUEST_MAX_MESSAGES_PER_PEER,
    maxBytesPerPeer: init.maxBytesPerPeer ?? REQUEST_MAX_BYTES_PER_PEER,
    maxMessagesTotal: init.maxMessagesTotal ?? REQUEST_MAX_MESSAGES_TOTAL,
    maxBytesTotal: init.maxBytesTotal ?? REQUEST_MAX_BYTES_TOTAL
  }
}

/** What the receiver knows of a stranger when its envelope arrives. */
export interface StrangerFacts {
  /** The pending request from this sender, and all pending requests (before this message). */
  usage: RequestUsage
  /** Text bytes of the message (UTF-8), when known; the caps are checked again with it. */
  textBytes?: number
}

/**
 * Whether a stranger's envelope needs its own stamp: its first message does,
 * and every message once its pending request holds the first plus
 * {@link STRANGER_UNSTAMPED_ALLOWANCE} more.
 */
export function strangerNeedsStamp (usage: RequestUsage, limits: RequestLimits = resolveRequestLimits()): boolean {
  return usage.peerMessages === 0 || usage.peerMessages > limits.unstampedAllowance
}

/**
 * The refusal for a stranger's message that would overfill the requests
 * inbox, or `undefined` when it fits. One sender's share is refused for good
 * (`REFUSED`: wait until the recipient accepts); a full inbox is a passing
 * state (`UNAVAILABLE` with a retry hint).
 */
export function requestsInboxVerdict (facts: StrangerFacts, limits: RequestLimits = resolveRequestLimits()): DmVerdict | undefined {
  const { usage } = facts
  const bytes = facts.textBytes ?? 0
  if (usage.peerMessages + 1 > limits.maxMessagesPerPeer || usage.peerBytes + bytes > limits.maxBytesPerPeer) {
    return {
      status: DmResponse.Status.REFUSED,
      error: `your pending message request is full (${limits.maxMessagesPerPeer} messages or ${limits.maxBytesPerPeer} bytes); wait until the recipient accepts it`
    }
  }
  if (usage.totalMessages + 1 > limits.maxMessagesTotal || usage.totalBytes + bytes > limits.maxBytesTotal) {
    return {
      status: DmResponse.Status.UNAVAILABLE,
      error: 'the recipient\'s requests inbox is full; try again later',
      retryAfterMs: REQUESTS_FULL_RETRY_AFTER_MS
    }
  }
  return undefined
}

/**
 * A {@link ReplayCache} over the persisted stamp record whose `add` only
 * reserves the digest: `commit()` writes it once the message is stored, so a
 * message refused for a passing fault (disk full) can come back with the same
 * stamp. Reserved digests are refused to concurrent users meanwhile.
 */
export interface StampLedger {
  /** A cache for one `verifyStamp` call; `commit` records what it reserved, `release` forgets it. */
  begin(): ReplayCache & { commit(): void, release(): void }
}

/** Creates the ledger over the store's stamp record. */
export function createStampLedger (record: StampReplayStore): StampLedger {
  const reserved = new Set<string>()
  const keyOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
  return {
    begin () {
      let held: { key: string, digest: Uint8Array, expiresAt: number } | undefined
      return {
        add (digest, expiresAt, now) {
          const key = keyOf(digest)
          if (reserved.has(key) || record.has(digest, now)) {
            return false
          }
          reserved.add(key)
          held = { key, digest, expiresAt }
          return true
        },
        has (digest, now) {
          return reserved.has(keyOf(digest)) || record.has(digest, now)
        },
        get size () {
          return record.count()
        },
        clear () {},
        commit () {
          if (held != null) {
            record.add(held.digest, held.expiresAt)
          }
        },
        release () {
          if (held != null) {
            reserved.delete(held.key)
            held = undefined
          }
        }
      }
    }
  }
}
