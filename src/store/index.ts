/**
 * natter's local durable store: contacts, the block list, message history and
 * outbox, message requests, cached presence, mailbox envelopes held for
 * offline peers, settings and ratchet sessions, in one SQLite file.
 *
 * The API is synchronous (better-sqlite3 is): each call is one short
 * transaction on the caller's thread. Everything is keyed by peer id strings
 * (base58, as `peerId.toString()` gives them); times are integer ms since the
 * epoch.
 *
 * @example
 *
 * ```TypeScript
 * import { openStore } from './store/index.js'
 *
 * const store = openStore({ path: join(dataDir, 'natter.db') })
 * try {
 *   store.contacts.add('alice', '12D3KooW…')
 *   const sent = store.messages.insertOutgoing({ id, peer: '12D3KooW…', text: 'hi', sentAt: Date.now() })
 *   store.messages.setState(sent.id, 'sent')
 *   const page = store.messages.history('12D3KooW…', { limit: 20 })
 * } finally {
 *   store.close()
 * }
 * ```
 *
 * @module
 */

import { defaultLogger } from '@libp2p/logger'
import { blockList } from './blocklist.js'
import { BUSY_TIMEOUT_DEFAULT, INTEGRITY_CHECK_DEFAULT } from './constants.js'
import { contactStore } from './contacts.js'
import { guard, openDatabase, translateError } from './database.js'
import { StoreClosedError } from './errors.js'
import { mailbox } from './mailbox.js'
import { messageStore } from './messages.js'
import { runMigrations } from './migrations.js'
import { outbox } from './outbox.js'
import { presenceCache } from './presence.js'
import { goneMessages } from './gone-messages.js'
import { controlPending } from './control.js'
import { stampReplayStore } from './stamp-replay.js'
import { isStorageFault } from './faults.js'
import { ratchetSessionStore } from './ratchet-sessions.js'
import { requestInbox } from './requests.js'
import { settings } from './settings.js'
import type { BlockList } from './blocklist.js'
import type { ContactStore } from './contacts.js'
import type { Mailbox, MailboxQuotasInit } from './mailbox.js'
import type { MessageStore } from './messages.js'
import type { Outbox } from './outbox.js'
import type { PresenceCache } from './presence.js'
import type { RatchetSessionStore } from './ratchet-sessions.js'
import type { RequestInbox } from './requests.js'
import type { Settings } from './settings.js'
import type { GoneMessages } from './gone-messages.js'
import type { ControlPendingStore } from './control.js'
import type { StampReplayStore } from './stamp-replay.js'
import type { StoreError } from './errors.js'
import type { ComponentLogger } from '@libp2p/interface'
import { createGroupCommit } from './group-commit.js'

/** Store methods that only read: they may run inside an open group commit without committing it first. */
const READ_ONLY_METHODS = new Set([
  'list', 'get', 'getByName', 'resolve', 'isBlocked', 'getEnvelope', 'history', 'hasIncoming', 'conversations', 'gaps', 'pending', 'due',
  'pendingFor', 'attempts', 'nextRetryAt', 'isAccepted', 'usage', 'usageOf', 'positionOf', 'getBytes', 'peers', 'has', 'count', 'now',
  // registers a listener, writes nothing
  'onChange'
])

export * from './errors.js'
export { MEMORY_PATH } from './database.js'
export { MIGRATIONS, SCHEMA_VERSION } from './migrations.js'
export type { Migration, MigrationResult } from './migrations.js'
export type { BlockList, BlockedPeer } from './blocklist.js'
export type { AddContactOptions, Contact, ContactStore, KeyObservation } from './contacts.js'
export type {
  DepositOptions,
  DepositResult,
  Mailbox,
  MailboxDeposit,
  MailboxEntry,
  MailboxEntryInfo,
  MailboxQuotas,
  MailboxQuotasInit,
  MailboxTotals,
  MailboxUsage
} from './mailbox.js'
export type {
  IncomingMessage,
  IncomingState,
  Message,
  MessageDirection,
  MessageState,
  OutgoingMessage,
  OutgoingState
} from './message-types.js'
export type {
  ConversationSummary,
  HistoryCursor,
  HistoryOptions,
  IncomingInsert,
  MessageStore,
  NewIncomingMessage,
  NewOutgoingMessage,
  SetStateOptions,
  StateChange
} from './messages.js'
export type { Outbox, OutboxEntry } from './outbox.js'
export type { PresenceCache, PresenceInput, PresenceRecord } from './presence.js'
export type { RatchetSession, RatchetSessionStore } from './ratchet-sessions.js'
export type { DeclineOptions, MessageRequest, RequestInbox, RequestUsage } from './requests.js'
export type { GoneMessages } from './gone-messages.js'
export type { ControlPendingStore, ControlPendingRow } from './control.js'
export type { StampReplayStore } from './stamp-replay.js'
export { isStorageFault, isTransientStoreError } from './faults.js'
export type { Settings } from './settings.js'

/** Options of {@link openStore}. */
export interface StoreInit {
  /**
   * Path of the database file; its directory is created (mode 0700) and a new
   * file gets mode 0600. `':memory:'` keeps everything in memory (tests).
   */
  path: string
  /** How long to wait for another process's lock before `StoreBusyError`, in ms. @default 5000 */
  busyTimeout?: number
  /** Run SQLite's `quick_check` on open and refuse a damaged file. @default true */
  integrityCheck?: boolean
  /**
   * `'normal'`: WAL with `synchronous=NORMAL` — every committed write survives
   * a crash or SIGKILL of the process; a power cut may lose the last commits.
   * `'full'`: every commit is synced to disk (several fsyncs per message).
   * @default 'normal'
   */
  durability?: 'full' | 'normal'
  /** Mailbox quotas; each left-out field takes its default (see {@link MailboxQuotasInit}). */
  mailbox?: MailboxQuotasInit
  /** Clock used for every "now" the caller does not pass. @default Date.now */
  now?(): number
  /** Logger factory. @default defaultLogger() from `@libp2p/logger` */
  logger?: ComponentLogger
  /**
   * Called with every error a store call fails with that says the disk cannot
   * take writes (full, read-only, I/O error): the host may switch to a
   * read-only mode until a write succeeds again. Must not throw.
   */
  onFault?(err: StoreError): void
}

/** An open store. Each part is a thin view over the one SQLite connection. */
export interface Store {
  /** The database file path. */
  readonly path: string
  /** Whether the store is still open. */
  readonly isOpen: boolean
  /** Contacts and their pinned identity keys. */
  readonly contacts: ContactStore
  /** Blocked peers, contacts or not. */
  readonly blocklist: BlockList
  /** Message history, both directions. */
  readonly messages: MessageStore
  /** Outgoing messages awaiting delivery, with retry scheduling. */
  readonly outbox: Outbox
  /** Conversations opened by non-contacts, awaiting accept or decline. */
  readonly requests: RequestInbox
  /** Last known presence of peers. */
  readonly presence: PresenceCache
  /** Envelopes held for offline peers. */
  readonly mailbox: Mailbox
  /** Key-value settings. */
  readonly settings: Settings
  /** Serialized Double Ratchet sessions. */
  readonly ratchetSessions: RatchetSessionStore
  /** Ids of received messages that are gone (declined, deleted), for duplicate detection. */
  readonly goneMessages: GoneMessages
  /** The control channel's pending payloads (PROTOCOL.md §4.4). */
  readonly controlPending: ControlPendingStore
  /** Digests of accepted proof-of-work stamps, persisted. */
  readonly stampReplay: StampReplayStore
  /**
   * Runs `fn` in one write transaction: every store call inside commits
   * together or not at all (if `fn` throws, which it rethrows). Nested calls
   * become savepoints. `fn` must be synchronous.
   *
   * @example
   *
   * ```TypeScript
   * store.transaction(() => {
   *   store.ratchetSessions.put(peer, ratchet.serialize())
   *   store.messages.insertIncoming(message)
   * })
   * ```
   */
  transaction<T>(fn: () => T): T
  /**
   * Runs `fn` (synchronous) in the group commit of this event-loop turn
   * (src/store/group-commit.ts): its writes commit together with the other
   * grouped writes of the turn, at the end of it. Await {@link Store.committed}
   * before anything that must follow the commit (a send, an acknowledgement).
   */
  group<T>(fn: () => T): T
  /** Resolves once every grouped write so far is committed; rejects with the store error if that commit failed. */
  committed(): Promise<void>
  /**
   * Calls `listener` synchronously when a group commit fails and its writes
   * are rolled back, before any waiter of {@link Store.committed} runs (so an
   * in-memory copy of grouped state is dropped before anyone can act on it).
   * Returns the function that removes the listener.
   */
  onRollback(listener: () => void): () => void
  /** Closes the database. Idempotent; any later call throws `StoreClosedError`. */
  close(): void
}

/**
 * Opens (creating if need be) the store file and brings its schema up to
 * date.
 *
 * @throws {StoreCorruptError} the file is not an SQLite database or is damaged
 * @throws {StoreVersionError} the file comes from a newer natter
 * @throws {MigrationError} a schema step failed; the file is left at the last good version
 * @throws {StoreBusyError} another process held the lock past `busyTimeout`
 */
export function openStore (init: StoreInit): Store {
  const path = init.path
  const now = init.now ?? Date.now
  const log = (init.logger ?? defaultLogger()).forComponent('natter:store')

  const db = openDatabase({
    path,
    busyTimeout: init.busyTimeout ?? BUSY_TIMEOUT_DEFAULT,
    integrityCheck: init.integrityCheck ?? INTEGRITY_CHECK_DEFAULT,
    durability: init.durability ?? 'normal'
  })

  const components = { db, now }
  const onFault = (err: unknown): void => {
    if (init.onFault != null && isStorageFault(err)) {
      try {
        init.onFault(err)
      } catch {
        // a failing listener must not replace the store's own error
      }
    }
  }
  const group = createGroupCommit(db, (err) => {
    const translated = translateError(err, path)
    onFault(translated)
    return translated
  })
  // a write outside the group commits the group first: nothing outside the hot path waits for the end of the turn
  const beforeCall = (method: string): void => {
    if (group.open && !group.running && !READ_ONLY_METHODS.has(method)) {
      group.flush()
    }
  }
  const wrap = <T extends object>(api: T): T => guard(api, db, path, onFault, beforeCall)
  let parts
  try {
    const { from, to } = runMigrations(db, undefined, log)
    log('opened store %s at schema version %d (was %d)', path, to, from)
    parts = {
      contacts: wrap(contactStore(components)),
      blocklist: wrap(blockList(components)),
      messages: wrap(messageStore(components)),
      outbox: wrap(outbox(components)),
      requests: wrap(requestInbox(components)),
      presence: wrap(presenceCache(components)),
      mailbox: wrap(mailbox(components, init.mailbox)),
      settings: wrap(settings(components)),
      ratchetSessions: wrap(ratchetSessionStore(components)),
      goneMessages: wrap(goneMessages(components)),
      controlPending: wrap(controlPending(components)),
      stampReplay: wrap(stampReplayStore(components))
    }
  } catch (err) {
    db.close()
    throw translateError(err, path)
  }

  return {
    path,
    get isOpen () {
      return db.open
    },
    ...parts,
    transaction<T> (fn: () => T): T {
      if (!db.open) {
        throw new StoreClosedError()
      }
      try {
        if (group.running) {
          return db.transaction(fn)()
        }
        group.flush()
        return db.transaction(fn).immediate()
      } catch (err) {
        const translated = translateError(err, path)
        onFault(translated)
        throw translated
      }
    },
    group<T> (fn: () => T): T {
      if (!db.open) {
        throw new StoreClosedError()
      }
      try {
        return group.run(fn)
      } catch (err) {
        const translated = translateError(err, path)
        onFault(translated)
        throw translated
      }
    },
    committed: async () => group.committed(),
    onRollback: (listener) => group.onRollback(listener),
    close () {
      if (!db.open) {
        return
      }
      group.flush()
      try {
        db.pragma('optimize')
      } catch (err) {
        log.error('optimize before close failed: %e', err)
      }
      db.close()
      log('closed store %s', path)
    }
  }
}
