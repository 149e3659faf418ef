/**
 * Mailbox storage: opaque encrypted envelopes this node holds for other
 * peers while they are offline, under quotas so no depositor or recipient can
 * fill the disk.
 *
 * @module
 */

import { InvalidArgumentError } from '../base-errors.js'
import {
  MAILBOX_FETCH_LIMIT_DEFAULT,
  MAILBOX_FETCH_LIMIT_MAX,
  MAILBOX_MAX_BYTES_PER_DEPOSITOR_DEFAULT,
  MAILBOX_MAX_BYTES_PER_DEPOSITOR_RECIPIENT_DEFAULT,
  MAILBOX_MAX_BYTES_PER_RECIPIENT_DEFAULT,
  MAILBOX_MAX_ENVELOPE_BYTES_DEFAULT,
  MAILBOX_MAX_ENVELOPES_PER_DEPOSITOR_DEFAULT,
  MAILBOX_MAX_ENVELOPES_PER_DEPOSITOR_RECIPIENT_DEFAULT,
  MAILBOX_MAX_ENVELOPES_PER_RECIPIENT_DEFAULT,
  MAILBOX_MAX_TOTAL_BYTES_DEFAULT,
  MAILBOX_MAX_TTL_DEFAULT
} from './constants.js'
import { MailboxQuotaExceededError } from './errors.js'
import { assertBytes, assertInteger, assertMessageId, assertPeerKey, assertTimestamp, resolveLimit, toBytes } from './validate.js'
import type { Db } from './database.js'
import type { MailboxQuota } from './errors.js'

/** The mailbox's limits. */
export interface MailboxQuotas {
  /** Largest single envelope, in bytes. */
  readonly maxEnvelopeBytes: number
  /** Most bytes held for one recipient. */
  readonly maxBytesPerRecipient: number
  /** Most envelopes held for one recipient. */
  readonly maxEnvelopesPerRecipient: number
  /** Most envelopes one depositor may have here, across recipients. */
  readonly maxEnvelopesPerDepositor: number
  /** Most envelope bytes one depositor may have here, across recipients. */
  readonly maxBytesPerDepositor: number
  /** Most envelopes one depositor may have held for one recipient. */
  readonly maxEnvelopesPerDepositorRecipient: number
  /** Most bytes one depositor may have held for one recipient. */
  readonly maxBytesPerDepositorRecipient: number
  /** Most envelope bytes held in total. */
  readonly maxTotalBytes: number
  /** Longest an envelope is held, in ms; a later `expiresAt` is clamped to deposit time plus this. */
  readonly maxTtl: number
}

/** Quotas as given to `openStore`, each field optional. */
export interface MailboxQuotasInit {
  /** @default 262144 (256 KiB) */
  maxEnvelopeBytes?: number
  /** @default 16777216 (16 MiB) */
  maxBytesPerRecipient?: number
  /** @default 1000 */
  maxEnvelopesPerRecipient?: number
  /** @default 200 */
  maxEnvelopesPerDepositor?: number
  /** @default 8388608 (8 MiB) */
  maxBytesPerDepositor?: number
  /** @default 125 */
  maxEnvelopesPerDepositorRecipient?: number
  /** @default 2097152 (2 MiB) */
  maxBytesPerDepositorRecipient?: number
  /** @default 268435456 (256 MiB) */
  maxTotalBytes?: number
  /** @default 1209600000 (14 days) */
  maxTtl?: number
}

/** An envelope to hold. */
export interface MailboxDeposit {
  /** The offline peer it is for. */
  recipient: string
  /** The peer handing it over (authenticated by the transport). */
  depositor: string
  /** The envelope's message id, lowercase hex; unique per recipient. */
  id: string
  /** The encrypted envelope, opaque to this node. */
  envelope: Uint8Array
  /** When to drop it if not fetched, ms since the epoch. */
  expiresAt: number
}

/** Options of {@link Mailbox.deposit}. */
export interface DepositOptions {
  /** Quotas for this call, field by field over the store's. */
  quotas?: MailboxQuotasInit
  /** Deposit time. @default now */
  now?: number
}

/** What {@link Mailbox.deposit} did. */
export interface DepositResult {
  /** `false` when an envelope with this recipient and id was already held (nothing changed). */
  readonly stored: boolean
  /** The held envelope's metadata. */
  readonly entry: MailboxEntryInfo
}

/** A held envelope's metadata. */
export interface MailboxEntryInfo {
  readonly recipient: string
  readonly depositor: string
  readonly id: string
  /** Envelope size in bytes. */
  readonly size: number
  readonly depositedAt: number
  /** After clamping to the maximum time to live. */
  readonly expiresAt: number
}

/** A held envelope. */
export interface MailboxEntry extends MailboxEntryInfo {
  readonly envelope: Uint8Array
  /** Opaque paging position (`fetchFor`'s `after`): stays valid after the envelope is deleted. */
  readonly position: string
}

/** How much the mailbox holds. */
export interface MailboxUsage {
  readonly envelopes: number
  readonly bytes: number
}

/** Whole-mailbox usage. */
export interface MailboxTotals extends MailboxUsage {
  /** Distinct recipients with envelopes held. */
  readonly recipients: number
  /** The store's quotas. */
  readonly quotas: MailboxQuotas
}

/** Envelopes held for offline peers. */
export interface Mailbox {
  /**
   * Holds an envelope, first dropping lapsed ones. Depositing the same
   * recipient and id again is a no-op returning `stored: false`, even when
   * quotas are full.
   *
   * @throws {MailboxQuotaExceededError} a quota would be exceeded (`quota` says which); nothing changed
   * @throws {InvalidArgumentError} `expiresAt` is not after `now`
   */
  deposit(deposit: MailboxDeposit, options?: DepositOptions): DepositResult
  /**
   * Unexpired envelopes for `recipient`, oldest first, at most `limit`
   * (default 100, clamped to 1000); with `after`, only those held after that
   * position (a {@link MailboxEntry.position} from an earlier page), so a
   * recipient can page past envelopes it leaves in place.
   */
  fetchFor(recipient: string, options?: { limit?: number, now?: number, after?: string }): MailboxEntry[]
  /** The paging position of a held envelope, or `undefined` when none is held under this id. */
  positionOf(recipient: string, id: string): string | undefined
  /** Deletes the recipient's envelopes with these ids (it has them now); returns how many. */
  ack(recipient: string, ids: readonly string[]): number
  /** Deletes envelopes that lapsed at or before `now`; returns how many. */
  expire(now?: number): number
  /** Totals over the whole mailbox. */
  usage(): MailboxTotals
  /** What is held for one recipient. */
  usageOf(recipient: string): MailboxUsage
}

/** What the mailbox needs. */
export interface MailboxComponents {
  db: Db
  now(): number
}

/** Creates the mailbox over an open, migrated database. */
export function mailbox (components: MailboxComponents, init: MailboxQuotasInit = {}): Mailbox {
  const { db, now } = components
  const quotas = resolveQuotas(init, {
    maxEnvelopeBytes: MAILBOX_MAX_ENVELOPE_BYTES_DEFAULT,
    maxBytesPerRecipient: MAILBOX_MAX_BYTES_PER_RECIPIENT_DEFAULT,
    maxEnvelopesPerRecipient: MAILBOX_MAX_ENVELOPES_PER_RECIPIENT_DEFAULT,
    maxEnvelopesPerDepositor: MAILBOX_MAX_ENVELOPES_PER_DEPOSITOR_DEFAULT,
    maxBytesPerDepositor: MAILBOX_MAX_BYTES_PER_DEPOSITOR_DEFAULT,
    maxEnvelopesPerDepositorRecipient: MAILBOX_MAX_ENVELOPES_PER_DEPOSITOR_RECIPIENT_DEFAULT,
    maxBytesPerDepositorRecipient: MAILBOX_MAX_BYTES_PER_DEPOSITOR_RECIPIENT_DEFAULT,
    maxTotalBytes: MAILBOX_MAX_TOTAL_BYTES_DEFAULT,
    maxTtl: MAILBOX_MAX_TTL_DEFAULT
  })

  const selectInfo = db.prepare<[string, string], EntryInfoRow>(`
    SELECT recipient, depositor, id, size, deposited_at, expires_at FROM mailbox WHERE recipient = ? AND id = ?`)
  const recipientUsage = db.prepare<[string], MailboxUsage>(`
    SELECT COUNT(*) AS envelopes, coalesce(SUM(size), 0) AS bytes FROM mailbox WHERE recipient = ?`)
  const depositorCount = db.prepare<[string], MailboxUsage>(`
    SELECT COUNT(*) AS envelopes, coalesce(SUM(size), 0) AS bytes FROM mailbox WHERE depositor = ?`)
  const pairUsage = db.prepare<[string, string], MailboxUsage>(`
    SELECT COUNT(*) AS envelopes, coalesce(SUM(size), 0) AS bytes FROM mailbox WHERE depositor = ? AND recipient = ?`)
  const totals = db.prepare<[], MailboxUsage>('SELECT envelopes, bytes FROM mailbox_totals WHERE id = 1')
  const recipientCount = db.prepare<[], { recipients: number }>('SELECT COUNT(DISTINCT recipient) AS recipients FROM mailbox')
  const insert = db.prepare(`
    INSERT INTO mailbox (recipient, id, depositor, envelope, size, deposited_at, expires_at)
    VALUES (@recipient, @id, @depositor, @envelope, @size, @depositedAt, @expiresAt)`)
  const selectFor = db.prepare<[string, number, number], EntryRow>(`
    SELECT recipient, depositor, id, size, deposited_at, expires_at, envelope, rowid AS row FROM mailbox
    WHERE recipient = ? AND expires_at > ?
    ORDER BY deposited_at, rowid LIMIT ?`)
  const selectAfter = db.prepare<[string, number, number, number, number], EntryRow>(`
    SELECT recipient, depositor, id, size, deposited_at, expires_at, envelope, rowid AS row FROM mailbox
    WHERE recipient = ? AND expires_at > ? AND (deposited_at, rowid) > (?, ?)
    ORDER BY deposited_at, rowid LIMIT ?`)
  const selectPosition = db.prepare<[string, string], { deposited_at: number, row: number }>(
    'SELECT deposited_at, rowid AS row FROM mailbox WHERE recipient = ? AND id = ?')
  const deleteOne = db.prepare('DELETE FROM mailbox WHERE recipient = ? AND id = ?')
  const deleteLapsed = db.prepare('DELETE FROM mailbox WHERE expires_at <= ?')

  const deposit = db.transaction((item: MailboxDeposit, limits: MailboxQuotas, at: number): DepositResult => {
    deleteLapsed.run(at)
    const existing = selectInfo.get(item.recipient, item.id)
    if (existing !== undefined) {
      return { stored: false, entry: toInfo(existing) }
    }

    const size = item.envelope.byteLength
    check('envelopeBytes', size, limits.maxEnvelopeBytes, `envelope ${item.id} is ${size} bytes`)
    const forRecipient = recipientUsage.get(item.recipient) ?? { envelopes: 0, bytes: 0 }
    check('recipientEnvelopes', forRecipient.envelopes + 1, limits.maxEnvelopesPerRecipient, `recipient ${item.recipient} already has ${forRecipient.envelopes} envelopes held`)
    check('recipientBytes', forRecipient.bytes + size, limits.maxBytesPerRecipient, `recipient ${item.recipient} already has ${forRecipient.bytes} bytes held`)
    const byDepositor = depositorCount.get(item.depositor) ?? { envelopes: 0, bytes: 0 }
    check('depositorEnvelopes', byDepositor.envelopes + 1, limits.maxEnvelopesPerDepositor, `depositor ${item.depositor} already has ${byDepositor.envelopes} envelopes held`)
    check('depositorBytes', byDepositor.bytes + size, limits.maxBytesPerDepositor, `depositor ${item.depositor} already has ${byDepositor.bytes} bytes held`)
    const pair = pairUsage.get(item.depositor, item.recipient) ?? { envelopes: 0, bytes: 0 }
    check('depositorRecipientEnvelopes', pair.envelopes + 1, limits.maxEnvelopesPerDepositorRecipient, `depositor ${item.depositor} already has ${pair.envelopes} envelopes held for ${item.recipient}`)
    check('depositorRecipientBytes', pair.bytes + size, limits.maxBytesPerDepositorRecipient, `depositor ${item.depositor} already has ${pair.bytes} bytes held for ${item.recipient}`)
    const total = totals.get()?.bytes ?? 0
    check('totalBytes', total + size, limits.maxTotalBytes, `the mailbox already holds ${total} bytes`)

    const entry: MailboxEntryInfo = {
      recipient: item.recipient,
      depositor: item.depositor,
      id: item.id,
      size,
      depositedAt: at,
      expiresAt: Math.min(item.expiresAt, at + limits.maxTtl)
    }
    insert.run({ ...entry, envelope: item.envelope })
    return { stored: true, entry }
  })

  const ack = db.transaction((recipient: string, ids: readonly string[]): number => {
    let deleted = 0
    for (const id of ids) {
      deleted += deleteOne.run(recipient, id).changes
    }
    return deleted
  })

  return {
    deposit (item, options = {}) {
      assertPeerKey('recipient', item.recipient)
      assertPeerKey('depositor', item.depositor)
      assertMessageId('id', item.id)
      assertBytes('envelope', item.envelope)
      assertTimestamp('expiresAt', item.expiresAt)
      const at = options.now ?? now()
      assertTimestamp('now', at)
      if (item.expiresAt <= at) {
        throw new InvalidArgumentError(`envelope ${item.id} expires at ${item.expiresAt}, not after now (${at})`)
      }
      const limits = resolveQuotas(options.quotas ?? {}, quotas)
      return deposit.immediate(item, limits, at)
    },
    fetchFor (recipient, options = {}) {
      const limit = resolveLimit('limit', options.limit, MAILBOX_FETCH_LIMIT_DEFAULT, MAILBOX_FETCH_LIMIT_MAX)
      const at = options.now ?? now()
      assertTimestamp('now', at)
      const after = options.after == null ? undefined : parsePosition(options.after)
      const rows = after == null ? selectFor.all(recipient, at, limit) : selectAfter.all(recipient, at, after[0], after[1], limit)
      return rows.map(row => ({ ...toInfo(row), envelope: toBytes(row.envelope), position: `${row.deposited_at}.${row.row}` }))
    },
    positionOf (recipient, id) {
      const row = selectPosition.get(recipient, id)
      return row === undefined ? undefined : `${row.deposited_at}.${row.row}`
    },
    ack (recipient, ids) {
      if (!Array.isArray(ids)) {
        throw new InvalidArgumentError('ids must be an array of message ids')
      }
      return ack.immediate(recipient, ids)
    },
    expire (at = now()) {
      assertTimestamp('now', at)
      return deleteLapsed.run(at).changes
    },
    usage () {
      const { envelopes, bytes } = totals.get() ?? { envelopes: 0, bytes: 0 }
      return { envelopes, bytes, recipients: recipientCount.get()?.recipients ?? 0, quotas }
    },
    usageOf (recipient) {
      return recipientUsage.get(recipient) ?? { envelopes: 0, bytes: 0 }
    }
  }
}

interface EntryInfoRow {
  recipient: string
  depositor: string
  id: string
  size: number
  deposited_at: number
  expires_at: number
}

interface EntryRow extends EntryInfoRow {
  envelope: Uint8Array
  row: number
}

function parsePosition (position: string): [number, number] {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(position)
  if (match == null) {
    throw new InvalidArgumentError(`not a mailbox position: ${position.slice(0, 40)}`)
  }
  return [Number(match[1]), Number(match[2])]
}

function toInfo (row: EntryInfoRow): MailboxEntryInfo {
  return {
    recipient: row.recipient,
    depositor: row.depositor,
    id: row.id,
    size: row.size,
    depositedAt: row.deposited_at,
    expiresAt: row.expires_at
  }
}

/** Resolves quotas field by field, each from `init` or else `fallback`, and checks them. */
function resolveQuotas (init: MailboxQuotasInit, fallback: MailboxQuotas): MailboxQuotas {
  const quotas: MailboxQuotas = {
    maxEnvelopeBytes: init.maxEnvelopeBytes ?? fallback.maxEnvelopeBytes,
    maxBytesPerRecipient: init.maxBytesPerRecipient ?? fallback.maxBytesPerRecipient,
    maxEnvelopesPerRecipient: init.maxEnvelopesPerRecipient ?? fallback.maxEnvelopesPerRecipient,
    maxEnvelopesPerDepositor: init.maxEnvelopesPerDepositor ?? fallback.maxEnvelopesPerDepositor,
    maxBytesPerDepositor: init.maxBytesPerDepositor ?? fallback.maxBytesPerDepositor,
    maxEnvelopesPerDepositorRecipient: init.maxEnvelopesPerDepositorRecipient ?? fallback.maxEnvelopesPerDepositorRecipient,
    maxBytesPerDepositorRecipient: init.maxBytesPerDepositorRecipient ?? fallback.maxBytesPerDepositorRecipient,
    maxTotalBytes: init.maxTotalBytes ?? fallback.maxTotalBytes,
    maxTtl: init.maxTtl ?? fallback.maxTtl
  }
  for (const [field, value] of Object.entries(quotas)) {
    assertInteger(field, value, 0)
  }
  return Object.freeze(quotas)
}

function check (quota: MailboxQuota, wanted: number, limit: number, detail: string): void {
  if (wanted > limit) {
    throw new MailboxQuotaExceededError(`mailbox quota ${quota} (${limit}) exceeded: ${detail}`, { quota, limit })
  }
}
