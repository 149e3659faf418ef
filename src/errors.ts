/**
 * Every error the natter library throws on purpose, in one place. Each is a
 * {@link NatterError} subclass whose `name` is a stable string (never the
 * message text); branch on it with `instanceof`, or on `err.name` typed as
 * {@link ErrorName} across a process boundary (the daemon's API, the CLI's
 * exit codes and hints are `Record<ErrorName, …>`).
 *
 * The classes are declared in their area's `errors.ts` (store, keys,
 * sessions, mailbox, abuse, ratchet) and here re-exported once.
 *
 * @module
 */
import {
  NatterError, IdentityKeyError, InvalidPeerIdError, PeerNotFoundError, PeerUnreachableError, NoPeersError, DeliveryTimeoutError,
  DeliveryRefusedError, InvalidMessageError, MessageTooLargeError, InvalidArgumentError, NotStartedError,
  MissingServicesError
} from './base-errors.js'
import {
  InvalidStampError, StampExpiredError, StampNotYetValidError, InsufficientWorkError, StampReplayedError, RateLimitedError
} from './abuse/errors.js'
import {
  InvalidBundleError, InvalidSignatureError, IdentityMismatchError, ExpiredBundleError, UnknownPrekeyError, InvalidKeyError,
  RatchetMessageError, RatchetDecryptError, DuplicateMessageError, TooManySkippedMessagesError, RatchetNotReadyError,
  CounterExhaustedError, InvalidStateError, SessionMismatchError
} from './crypto/ratchet/errors.js'
import { WrongPassphraseError, PassphraseRequiredError, InvalidKeyFileError, StoredSecretError } from './keys/errors.js'
import { DepositStampRequiredError, MailboxRefusedError, NoMailboxError } from './mailbox/errors.js'
import { IdentityKeyChangedError } from './sessions/errors.js'
import { PingMismatchError } from './network/ping-rtt.js'
import {
  StoreError, StoreCorruptError, StoreMissingError, StoreBusyError, StoreClosedError, StoreVersionError, MigrationError, ContactExistsError,
  ContactNotFoundError, InvalidContactNameError, NoPendingIdentityKeyError, MessageNotFoundError, MessageIdConflictError,
  InvalidMessageStateError, RequestNotFoundError, MailboxQuotaExceededError, SettingTypeError
} from './store/errors.js'
// issue 16 (groups)
import { GroupNotFoundError, AmbiguousGroupError, NotGroupAdminError, NotGroupMemberError, GroupFullError } from './groups/errors.js'

export {
  GroupNotFoundError, AmbiguousGroupError, NotGroupAdminError, NotGroupMemberError, GroupFullError,
  NatterError, IdentityKeyError, InvalidPeerIdError, PeerNotFoundError, PeerUnreachableError, NoPeersError, DeliveryTimeoutError,
  DeliveryRefusedError, InvalidMessageError, MessageTooLargeError, InvalidArgumentError, NotStartedError,
  MissingServicesError,
  InvalidStampError, StampExpiredError, StampNotYetValidError, InsufficientWorkError, StampReplayedError, RateLimitedError,
  InvalidBundleError, InvalidSignatureError, IdentityMismatchError, ExpiredBundleError, UnknownPrekeyError, InvalidKeyError,
  RatchetMessageError, RatchetDecryptError, DuplicateMessageError, TooManySkippedMessagesError, RatchetNotReadyError,
  CounterExhaustedError, InvalidStateError, SessionMismatchError,
  WrongPassphraseError, PassphraseRequiredError, InvalidKeyFileError, StoredSecretError,
  MailboxRefusedError, NoMailboxError, DepositStampRequiredError,
  IdentityKeyChangedError,
  PingMismatchError,
  StoreError, StoreCorruptError, StoreMissingError, StoreBusyError, StoreClosedError, StoreVersionError, MigrationError, ContactExistsError,
  ContactNotFoundError, InvalidContactNameError, NoPendingIdentityKeyError, MessageNotFoundError, MessageIdConflictError,
  InvalidMessageStateError, RequestNotFoundError, MailboxQuotaExceededError, SettingTypeError
}
export type { InvalidMessageReason } from './base-errors.js'

/**
 * Every library error class by its `name`. A test checks that each key is
 * the name its instances carry, so {@link ErrorName} cannot drift.
 */
export const ERRORS = {
  NatterError,
  IdentityKeyError,
  InvalidPeerIdError,
  PeerNotFoundError,
  PeerUnreachableError,
  NoPeersError,
  DeliveryTimeoutError,
  DeliveryRefusedError,
  InvalidMessageError,
  MessageTooLargeError,
  InvalidArgumentError,
  NotStartedError,
  MissingServicesError,
  InvalidStampError,
  StampExpiredError,
  StampNotYetValidError,
  InsufficientWorkError,
  StampReplayedError,
  RateLimitedError,
  InvalidBundleError,
  InvalidSignatureError,
  IdentityMismatchError,
  ExpiredBundleError,
  UnknownPrekeyError,
  InvalidKeyError,
  RatchetMessageError,
  RatchetDecryptError,
  DuplicateMessageError,
  TooManySkippedMessagesError,
  RatchetNotReadyError,
  CounterExhaustedError,
  InvalidStateError,
  SessionMismatchError,
  WrongPassphraseError,
  PassphraseRequiredError,
  InvalidKeyFileError,
  StoredSecretError,
  MailboxRefusedError,
  NoMailboxError,
  DepositStampRequiredError,
  IdentityKeyChangedError,
  PingMismatchError,
  StoreError,
  StoreCorruptError,
  StoreBusyError,
  StoreMissingError,
  StoreClosedError,
  StoreVersionError,
  MigrationError,
  ContactExistsError,
  ContactNotFoundError,
  InvalidContactNameError,
  NoPendingIdentityKeyError,
  MessageNotFoundError,
  MessageIdConflictError,
  InvalidMessageStateError,
  RequestNotFoundError,
  MailboxQuotaExceededError,
  SettingTypeError,
  GroupNotFoundError,
  AmbiguousGroupError,
  NotGroupAdminError,
  NotGroupMemberError,
  GroupFullError
} as const

/** The `name` of every error the library throws on purpose. */
export type ErrorName = keyof typeof ERRORS

/** Every {@link ErrorName}, for code that maps all of them (exhaustiveness checks, docs). */
export const ERROR_NAMES: readonly ErrorName[] = Object.freeze(Object.keys(ERRORS) as ErrorName[])

/** True when `name` is the name of a natter library error. */
export function isErrorName (name: unknown): name is ErrorName {
  return typeof name === 'string' && Object.hasOwn(ERRORS, name)
}
