/**
 * Named errors thrown by the local store. Callers branch on `err.name`
 * (stable strings), never on the message text. Invalid arguments (a bad
 * timestamp, a malformed peer id) use the library-wide
 * {@link InvalidArgumentError} and {@link InvalidPeerIdError}.
 *
 * @module
 */

import { NatterError } from '../base-errors.js'

/**
 * A database operation failed for a reason not covered by a more specific
 * store error (disk full, I/O error, …). `code` is SQLite's error code when
 * there is one (e.g. `SQLITE_FULL`) and `cause` the original error.
 */
export class StoreError extends NatterError {
  /** SQLite's extended error code, when the failure came from SQLite. */
  readonly code: string | undefined
  constructor (message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options)
    this.name = 'StoreError'
    this.code = options?.code
  }
}

/** The store file is not an SQLite database, or its pages fail SQLite's integrity check. */
export class StoreCorruptError extends StoreError {
  /** Path of the damaged file. */
  readonly path: string
  constructor (message: string, options: ErrorOptions & { path: string, code?: string }) {
    super(message, options)
    this.name = 'StoreCorruptError'
    this.path = options.path
  }
}

/** Another process held the database lock for longer than the store's `busyTimeout`. */
export class StoreBusyError extends StoreError {
  constructor (message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options)
    this.name = 'StoreBusyError'
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends StoreError {
  constructor (message = 'the store is closed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoreClosedError'
  }
}

/** The file was written by a newer natter whose schema this version does not know. */
export class StoreVersionError extends StoreError {
  /** Schema version found in the file. */
  readonly found: number
  /** Newest schema version this build knows. */
  readonly supported: number
  constructor (message: string, options: ErrorOptions & { found: number, supported: number }) {
    super(message, options)
    this.name = 'StoreVersionError'
    this.found = options.found
    this.supported = options.supported
  }
}

/** A schema migration failed; the file is left at the last good version (`from`). */
export class MigrationError extends StoreError {
  /** Version the schema was at before the failed step. */
  readonly from: number
  /** Version the failed step was migrating to. */
  readonly to: number
  constructor (message: string, options: ErrorOptions & { from: number, to: number }) {
    super(message, options)
    this.name = 'MigrationError'
    this.from = options.from
    this.to = options.to
  }
}

/** Which uniqueness rule a new or renamed contact broke. */
export type ContactClash = 'name' | 'peerId'

/** A contact with the same name (case-insensitively) or the same peer id already exists. */
export class ContactExistsError extends NatterError {
  /** Which field clashed. */
  readonly field: ContactClash
  constructor (message: string, options: ErrorOptions & { field: ContactClash }) {
    super(message, options)
    this.name = 'ContactExistsError'
    this.field = options.field
  }
}

/** No contact has that name or peer id. */
export class ContactNotFoundError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ContactNotFoundError'
  }
}

/** A contact name is empty, too long, contains control characters or looks like a peer id. */
export class InvalidContactNameError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidContactNameError'
  }
}

/** `acceptIdentityKey` was called for a contact with no pending identity key. */
export class NoPendingIdentityKeyError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoPendingIdentityKeyError'
  }
}

/** No message has that id. */
export class MessageNotFoundError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MessageNotFoundError'
  }
}

/**
 * A message id is already used by a different message (another peer, or the
 * other direction). Honest senders draw ids at random, so this means a buggy
 * or hostile sender; the new message is not stored.
 */
export class MessageIdConflictError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MessageIdConflictError'
  }
}

/**
 * A state that does not exist for the message's direction (e.g. `received`
 * on an outgoing message), or `requeue` of a message that has not failed.
 */
export class InvalidMessageStateError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidMessageStateError'
  }
}

/** There is no pending message request from that peer (none arrived, or it was already accepted). */
export class RequestNotFoundError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RequestNotFoundError'
  }
}

/** Which mailbox quota a deposit would exceed. */
export type MailboxQuota =
  | 'envelopeBytes'
  | 'recipientBytes'
  | 'recipientEnvelopes'
  | 'depositorEnvelopes'
  | 'depositorBytes'
  | 'depositorRecipientEnvelopes'
  | 'depositorRecipientBytes'
  | 'totalBytes'

/** A deposit would exceed a mailbox quota; nothing was stored and nothing else changed. */
export class MailboxQuotaExceededError extends NatterError {
  /** The quota that would be exceeded. */
  readonly quota: MailboxQuota
  /** The quota's limit (bytes or envelopes). */
  readonly limit: number
  constructor (message: string, options: ErrorOptions & { quota: MailboxQuota, limit: number }) {
    super(message, options)
    this.name = 'MailboxQuotaExceededError'
    this.quota = options.quota
    this.limit = options.limit
  }
}

/** A setting exists but holds the other kind of value (bytes read as JSON, or the reverse). */
export class SettingTypeError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SettingTypeError'
  }
}
