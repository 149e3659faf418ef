/**
 * CLI errors and exit codes. Commands throw named errors (their own, the
 * library's, or the daemon's as {@link ApiError} carrying the daemon's error
 * name); the entry's one handler turns them into a one-line message and an
 * exit code. The maps from names to exit codes and hints are exhaustive
 * (`Record<CliErrorName, …>`): a new error name anywhere does not
 * type-check until it is given both here.
 *
 * @module
 */
import { detailsOf } from '../node/api/errors.js'
import { safeText } from './safe-text.js'
import type { ErrorDetails } from '../node/api/contract/index.js'
import type { ApiErrorName } from '../node/api/errors.js'
import type { NodeErrorName } from '../node/errors.js'

/** Exit codes; documented in `natter --help` and node/API.md. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Any other failure. */
  ERROR: 1,
  /** Bad arguments: unknown command or option, malformed peer id, invite, multiaddr or config. */
  USAGE: 2,
  /** No daemon is running for this home. */
  NO_DAEMON: 3,
  /** Unknown contact, peer or request; no pending key to accept; no identity in the home. */
  NOT_FOUND: 4,
  /** The message was not delivered: peer unreachable, refused, or no acknowledgement in time. */
  DELIVERY: 5,
  /** The daemon refused our API token. */
  AUTH: 6,
  /** Already exists: a daemon already runs on this home, the contact, identity or output file exists. */
  CONFLICT: 7,
  /** Held: the contact's identity key changed; messages wait for `contacts accept-key` or `reject-key`. */
  KEY_CHANGED: 8,
  /** The identity key (or backup) is encrypted and its passphrase is missing or wrong. */
  PASSPHRASE: 9,
  /** Not allowed in this group: only an admin can do that, or this node is no longer a member. */
  NOT_ALLOWED: 10
} as const

/** Bad command-line input found after commander's own parsing. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** No daemon answers for the home. */
export class DaemonNotRunningError extends Error {
  readonly home: string
  constructor (message: string, options: ErrorOptions & { home: string }) {
    super(message, options)
    this.name = 'DaemonNotRunningError'
    this.home = options.home
  }
}

/** The daemon refused our token, or the token cannot be read. */
export class AuthRefusedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AuthRefusedError'
  }
}

/** The daemon answered with an error; `name` is the daemon's (often the library's) error name. */
export class ApiError extends Error {
  /** HTTP status. */
  readonly status: number
  /** What the daemon said the error is about (contact, peer ids, message id). */
  readonly details?: ErrorDetails
  constructor (name: string, message: string, status: number, details?: ErrorDetails) {
    super(message)
    this.name = name
    this.status = status
    if (details != null) {
      this.details = details
    }
  }
}

/** The home has no identity key yet. */
export class NoIdentityError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoIdentityError'
  }
}

/** A file the command would write exists already. */
export class FileExistsError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'FileExistsError'
  }
}

/** A secret was not entered: the prompt was cancelled, or the two entries differ. */
export class PromptError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PromptError'
  }
}

/** A sent message was not delivered (yet); the daemon keeps it queued and retries unless it was refused. */
export class DeliveryFailedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DeliveryFailedError'
  }
}

/** The daemon took longer than the client's timeout. */
export class ClientTimeoutError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ClientTimeoutError'
  }
}

/** A name is both a contact and a group (or matches neither); the message says how to choose. */
export class AmbiguousTargetError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'AmbiguousTargetError'
  }
}

/** A reply or event from the daemon that is not what the API contract says (not JSON, or not the declared shape). */
export class ProtocolError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProtocolError'
  }
}

/** The names of the CLI's own errors (this file; `ApiError` when the daemon's reply named none). */
export type CliOwnErrorName =
  | 'UsageError' | 'DaemonNotRunningError' | 'AuthRefusedError' | 'ApiError' | 'NoIdentityError' | 'FileExistsError'
  | 'PromptError' | 'DeliveryFailedError' | 'ClientTimeoutError' | 'ProtocolError' | 'AmbiguousTargetError'
  // cli/target.ts: neither a contact nor a group has the name
  | 'TargetNotFoundError'
  // `natter conformance`: a bad target; a MUST rule failed (the report is printed)
  | 'InvalidTargetError' | 'ConformanceFailedError'

/** Every error name a command can end with: the daemon's replies, the daemon's own (`natter daemon`, `natter id import`) and the CLI's. */
export type CliErrorName = ApiErrorName | NodeErrorName | CliOwnErrorName

type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode]

const CODES: Record<CliErrorName, ExitCodeValue> = {
  UsageError: ExitCode.USAGE,
  AmbiguousTargetError: ExitCode.USAGE,
  TargetNotFoundError: ExitCode.NOT_FOUND,
  BadRequestError: ExitCode.USAGE,
  InvalidArgumentError: ExitCode.USAGE,
  InvalidPeerIdError: ExitCode.USAGE,
  InvalidContactNameError: ExitCode.USAGE,
  MessageTooLargeError: ExitCode.USAGE,
  ConfigError: ExitCode.USAGE,
  InvalidTargetError: ExitCode.USAGE,
  ConformanceFailedError: ExitCode.ERROR,
  PassphraseFileError: ExitCode.USAGE,
  InvalidKeyFileError: ExitCode.USAGE,
  DaemonNotRunningError: ExitCode.NO_DAEMON,
  ContactNotFoundError: ExitCode.NOT_FOUND,
  PeerNotFoundError: ExitCode.NOT_FOUND,
  RequestNotFoundError: ExitCode.NOT_FOUND,
  MessageNotFoundError: ExitCode.NOT_FOUND,
  NoPendingIdentityKeyError: ExitCode.NOT_FOUND,
  NoIdentityError: ExitCode.NOT_FOUND,
  PeerUnreachableError: ExitCode.DELIVERY,
  NoPeersError: ExitCode.DELIVERY,
  DeliveryTimeoutError: ExitCode.DELIVERY,
  DeliveryRefusedError: ExitCode.DELIVERY,
  DeliveryFailedError: ExitCode.DELIVERY,
  MailboxRefusedError: ExitCode.DELIVERY,
  NoMailboxError: ExitCode.DELIVERY,
  ClientTimeoutError: ExitCode.DELIVERY,
  UnauthorizedError: ExitCode.AUTH,
  AuthRefusedError: ExitCode.AUTH,
  DaemonRunningError: ExitCode.CONFLICT,
  ContactExistsError: ExitCode.CONFLICT,
  IdentityExistsError: ExitCode.CONFLICT,
  FileExistsError: ExitCode.CONFLICT,
  StoreMissingError: ExitCode.NOT_FOUND,
  IdentityKeyChangedError: ExitCode.KEY_CHANGED,
  PassphraseRequiredError: ExitCode.PASSPHRASE,
  WrongPassphraseError: ExitCode.PASSPHRASE,
  // everything else is a failure without a code of its own
  ApiError: ExitCode.ERROR,
  ProtocolError: ExitCode.ERROR,
  PromptError: ExitCode.ERROR,
  RouteNotFoundError: ExitCode.ERROR,
  MethodNotAllowedError: ExitCode.ERROR,
  PayloadTooLargeError: ExitCode.ERROR,
  InvalidMessageError: ExitCode.ERROR,
  InvalidMessageStateError: ExitCode.ERROR,
  MessageIdConflictError: ExitCode.ERROR,
  NotStartedError: ExitCode.ERROR,
  StoreBusyError: ExitCode.ERROR,
  TimeoutError: ExitCode.ERROR,
  AbortError: ExitCode.ERROR,
  NatterError: ExitCode.ERROR,
  IdentityKeyError: ExitCode.ERROR,
  StoreError: ExitCode.ERROR,
  StoreCorruptError: ExitCode.ERROR,
  StoreClosedError: ExitCode.ERROR,
  StoreVersionError: ExitCode.ERROR,
  MigrationError: ExitCode.ERROR,
  MailboxQuotaExceededError: ExitCode.ERROR,
  ListenError: ExitCode.ERROR,
  HomeError: ExitCode.ERROR,
  MissingServicesError: ExitCode.ERROR,
  InvalidStampError: ExitCode.ERROR,
  StampExpiredError: ExitCode.ERROR,
  StampNotYetValidError: ExitCode.ERROR,
  InsufficientWorkError: ExitCode.ERROR,
  StampReplayedError: ExitCode.ERROR,
  RateLimitedError: ExitCode.ERROR,
  InvalidBundleError: ExitCode.ERROR,
  InvalidSignatureError: ExitCode.ERROR,
  IdentityMismatchError: ExitCode.ERROR,
  ExpiredBundleError: ExitCode.ERROR,
  UnknownPrekeyError: ExitCode.ERROR,
  InvalidKeyError: ExitCode.ERROR,
  RatchetMessageError: ExitCode.ERROR,
  RatchetDecryptError: ExitCode.ERROR,
  DuplicateMessageError: ExitCode.ERROR,
  TooManySkippedMessagesError: ExitCode.ERROR,
  RatchetNotReadyError: ExitCode.ERROR,
  CounterExhaustedError: ExitCode.ERROR,
  InvalidStateError: ExitCode.ERROR,
  SessionMismatchError: ExitCode.ERROR,
  StoredSecretError: ExitCode.ERROR,
  DepositStampRequiredError: ExitCode.ERROR,
  PingMismatchError: ExitCode.ERROR,
  SettingTypeError: ExitCode.ERROR,
  // issue 16 (groups)
  GroupNotFoundError: ExitCode.NOT_FOUND,
  AmbiguousGroupError: ExitCode.USAGE,
  NotGroupAdminError: ExitCode.NOT_ALLOWED,
  NotGroupMemberError: ExitCode.NOT_ALLOWED,
  GroupFullError: ExitCode.ERROR
}

function isCliErrorName (name: string): name is CliErrorName {
  return Object.hasOwn(CODES, name)
}

/** The exit code for an error, by its name. */
export function exitCodeFor (err: unknown): number {
  const name = err instanceof Error ? err.name : ''
  return isCliErrorName(name) ? CODES[name] : ExitCode.ERROR
}

/** What the one-line message adds after the error's own, by name ('' for nothing). */
const HINTS: Record<CliErrorName, string> = {
  AmbiguousTargetError: '',
  TargetNotFoundError: ' (see `natter contacts list` and `natter group list`)',
  AmbiguousGroupError: ' (give the group id, or a longer prefix of it: see `natter group list`)',
  GroupNotFoundError: ' (see `natter group list`)',
  NotGroupAdminError: ' (see the admins with `natter group show <group>`)',
  NotGroupMemberError: ' (its history stays readable: `natter history --group <group>`)',
  GroupFullError: '',
  ContactNotFoundError: ' (see `natter contacts list`)',
  PeerNotFoundError: ' (is the peer online? add them by invite to reach them directly)',
  PeerUnreachableError: ' (is the peer online?)',
  NoPeersError: ' (add a friend\'s invite with `natter contacts add <invite>`, or set "bootstrap" in config.json to a public natter node; then check this machine\'s network)',
  DeliveryTimeoutError: ' (the peer did not acknowledge in time; the message may still arrive)',
  UnauthorizedError: ' (is api.token the one this daemon created?)',
  NoPendingIdentityKeyError: ' (see `natter contacts list`)',
  UsageError: '',
  BadRequestError: '',
  InvalidArgumentError: '',
  InvalidPeerIdError: '',
  InvalidContactNameError: '',
  MessageTooLargeError: '',
  ConfigError: '',
  PassphraseFileError: '',
  InvalidKeyFileError: '',
  DaemonNotRunningError: '',
  RequestNotFoundError: '',
  MessageNotFoundError: '',
  NoIdentityError: '',
  StoreMissingError: ' (to begin an empty store on purpose: natter daemon --new-store)',
  DeliveryRefusedError: '',
  DeliveryFailedError: '',
  MailboxRefusedError: '',
  NoMailboxError: '',
  ClientTimeoutError: '',
  AuthRefusedError: '',
  DaemonRunningError: '',
  ContactExistsError: '',
  IdentityExistsError: '',
  FileExistsError: '',
  IdentityKeyChangedError: '',
  PassphraseRequiredError: '',
  WrongPassphraseError: '',
  ApiError: '',
  ProtocolError: '',
  PromptError: '',
  RouteNotFoundError: '',
  MethodNotAllowedError: '',
  PayloadTooLargeError: '',
  InvalidMessageError: '',
  InvalidMessageStateError: '',
  MessageIdConflictError: '',
  NotStartedError: '',
  StoreBusyError: '',
  TimeoutError: '',
  AbortError: '',
  NatterError: '',
  IdentityKeyError: '',
  StoreError: '',
  StoreCorruptError: '',
  StoreClosedError: '',
  StoreVersionError: '',
  MigrationError: '',
  MailboxQuotaExceededError: '',
  ListenError: '',
  HomeError: '',
  MissingServicesError: '',
  InvalidStampError: '',
  StampExpiredError: '',
  StampNotYetValidError: '',
  InsufficientWorkError: '',
  StampReplayedError: '',
  RateLimitedError: '',
  InvalidBundleError: '',
  InvalidSignatureError: '',
  IdentityMismatchError: '',
  ExpiredBundleError: '',
  UnknownPrekeyError: '',
  InvalidKeyError: '',
  RatchetMessageError: '',
  RatchetDecryptError: '',
  DuplicateMessageError: '',
  TooManySkippedMessagesError: '',
  RatchetNotReadyError: '',
  CounterExhaustedError: '',
  InvalidStateError: '',
  SessionMismatchError: '',
  StoredSecretError: '',
  DepositStampRequiredError: '',
  PingMismatchError: '',
  SettingTypeError: '',
  InvalidTargetError: ' (give the multiaddr of the peer, ending in /p2p/<peer id>)',
  ConformanceFailedError: ' (see the report above)'
}

/**
 * The one-line message for an error, safe to print: a daemon's error message
 * may quote what a peer sent (a name, a reason), so control characters and
 * invisible formatting are shown escaped.
 */
export function messageFor (err: unknown): string {
  if (!(err instanceof Error)) {
    return safeText(String(err))
  }
  const text = err.message.split('\n')[0] ?? err.name
  return safeText(text) + (isCliErrorName(err.name) ? HINTS[err.name] : '')
}

const jsonPrinted = new WeakSet<Error>()

/** Marks an error whose command printed its --json document already: the handler prints no second one. */
export function markJsonPrinted<E extends Error> (err: E): E {
  jsonPrinted.add(err)
  return err
}

/** Whether {@link markJsonPrinted} marked the error. */
export function wasJsonPrinted (err: Error): boolean {
  return jsonPrinted.has(err)
}

/** What an error says about what failed, for the --json error document: the daemon's `details`, or the error's own fields. */
export function errorDetails (err: Error): ErrorDetails | undefined {
  return err instanceof ApiError ? err.details : detailsOf(err)
}
