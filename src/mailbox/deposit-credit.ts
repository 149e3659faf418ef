/**
 * Proof of work on mailbox deposits (PROTOCOL.md §9.3): a depositor that is
 * not a contact of the mailbox node pays one stamp (S = depositor, R = the
 * mailbox's own peer id) for a credit of {@link DEPOSIT_CREDIT_ENVELOPES}
 * envelopes or {@link DEPOSIT_CREDIT_BYTES} bytes, good for
 * {@link DEPOSIT_CREDIT_TTL_MS}. Fresh keys therefore cost work each, and the
 * store's per-depositor and per-recipient quotas bound what one credit buys.
 */
import { decodeStamp, verifyStamp } from '../abuse/index.js'
import { DepositStampRequiredError } from './errors.js'
import type { ReplayCache } from '../abuse/index.js'

/** Envelopes one deposit stamp buys. */
export const DEPOSIT_CREDIT_ENVELOPES = 64
/** Envelope bytes one deposit stamp buys (1 MiB). */
export const DEPOSIT_CREDIT_BYTES = 1024 * 1024
/** How long a credit lasts (24 h, the stamp acceptance window). */
export const DEPOSIT_CREDIT_TTL_MS = 24 * 60 * 60 * 1000
/** Most depositors with a credit remembered; the least recently used is forgotten first (it pays again). */
export const DEPOSIT_CREDIT_MAX_DEPOSITORS = 10_000

/** The credits of depositors at this mailbox. */
export interface DepositCredits {
  /**
   * Admits one deposit of `size` bytes from `depositor` (peer id bytes
   * `depositorBytes`), spending its credit or buying one with `stamp`.
   *
   * @throws {DepositStampRequiredError} no credit left and no valid stamp
   * @throws the replay record's store error, when it cannot be written
   */
  admit(depositor: string, depositorBytes: Uint8Array, size: number, stamp: Uint8Array): void
}

/** What the credits need. */
export interface DepositCreditsComponents {
  /** This mailbox's peer id bytes (the stamp's R). */
  self: Uint8Array
  /** The persisted record of accepted stamps (shared with direct messages: one stamp buys one thing). */
  replayCache: ReplayCache
}

/** Options of {@link createDepositCredits}. */
export interface DepositCreditsInit {
  /** Difficulty wanted, in bits. @default 20 */
  difficulty?: number
  /** @default Date.now */
  now?(): number
}

interface Credit {
  envelopes: number
  bytes: number
  expiresAt: number
}

/** Creates the credit ledger (memory only, bounded). */
export function createDepositCredits (components: DepositCreditsComponents, init: DepositCreditsInit = {}): DepositCredits {
  const difficulty = init.difficulty ?? 20
  const now = init.now ?? Date.now
  const credits = new Map<string, Credit>()

  return {
    admit (depositor, depositorBytes, size, stamp) {
      const t = now()
      let credit = credits.get(depositor)
      if (credit != null) {
        credits.delete(depositor)
        if (credit.expiresAt <= t || credit.envelopes < 1 || credit.bytes < size) {
          credit = undefined
        }
      }
      if (credit == null) {
        if (stamp.byteLength === 0) {
          throw new DepositStampRequiredError(`a depositor that is not a contact pays a ${difficulty}-bit proof-of-work stamp per ${DEPOSIT_CREDIT_ENVELOPES} envelopes or ${DEPOSIT_CREDIT_BYTES} bytes`, difficulty)
        }
        try {
          verifyStamp(decodeStamp(stamp), { sender: depositorBytes, recipient: components.self, minDifficulty: difficulty, replayCache: components.replayCache, now: t })
        } catch (err) {
          const name = (err as Error).name
          if (name.startsWith('Store')) {
            throw err
          }
          throw new DepositStampRequiredError(`deposit stamp refused: ${(err as Error).message}`, difficulty, { cause: err })
        }
        credit = { envelopes: DEPOSIT_CREDIT_ENVELOPES, bytes: DEPOSIT_CREDIT_BYTES, expiresAt: t + DEPOSIT_CREDIT_TTL_MS }
      }
      credit.envelopes -= 1
      credit.bytes -= size
      if (credits.size >= DEPOSIT_CREDIT_MAX_DEPOSITORS) {
        const oldest = credits.keys().next()
        if (oldest.done !== true) {
          credits.delete(oldest.value)
        }
      }
      credits.set(depositor, credit)
    }
  }
}
