/**
 * CLI errors and exit codes. Commands throw named errors (their own, or the
 * daemon's as {@link ApiError} carrying the daemon's error name); the entry's
 * one handler turns them into a one-line message and an exit code.
 *
 * @module
 */
import { safeText } from './safe-text.js'
import type { ErrorDetails } from '../node/api/types.js'

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
  PASSPHRASE: 9
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

/**
 * Messages to a contact are held: its identity key changed and the user has
 * not accepted or rejected the new one. Same name as the library's error.
 */
export class IdentityKeyChangedError extends Error {
  readonly details: ErrorDetails
  /** Set when the command printed its --json document already: the handler prints no second one. */
  readonly jsonPrinted: boolean
  constructor (message: string, options: ErrorOptions & { details: ErrorDetails, jsonPrinted?: boolean }) {
    super(message, options)
    this.name = 'IdentityKeyChangedError'
    this.details = options.details
    this.jsonPrinted = options.jsonPrinted ?? false
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

const CODES: Record<string, number> = {
  UsageError: ExitCode.USAGE,
  BadRequestError: ExitCode.USAGE,
  InvalidArgumentError: ExitCode.USAGE,
  InvalidPeerIdError: ExitCode.USAGE,
  InvalidContactNameError: ExitCode.USAGE,
  MessageTooLargeError: ExitCode.USAGE,
  ConfigError: ExitCode.USAGE,
  InvalidTargetError: ExitCode.USAGE,
  DaemonNotRunningError: ExitCode.NO_DAEMON,
  ContactNotFoundError: ExitCode.NOT_FOUND,
  PeerNotFoundError: ExitCode.NOT_FOUND,
  RequestNotFoundError: ExitCode.NOT_FOUND,
  MessageNotFoundError: ExitCode.NOT_FOUND,
  PeerUnreachableError: ExitCode.DELIVERY,
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
  NoPendingIdentityKeyError: ExitCode.NOT_FOUND,
  NoIdentityError: ExitCode.NOT_FOUND,
  IdentityKeyChangedError: ExitCode.KEY_CHANGED,
  PassphraseRequiredError: ExitCode.PASSPHRASE,
  WrongPassphraseError: ExitCode.PASSPHRASE,
  PassphraseFileError: ExitCode.USAGE,
  InvalidKeyFileError: ExitCode.USAGE
}

/** The exit code for an error, by its name. */
export function exitCodeFor (err: unknown): number {
  const name = err instanceof Error ? err.name : ''
  return CODES[name] ?? ExitCode.ERROR
}

const HINTS: Record<string, string> = {
  ContactNotFoundError: ' (see `natter contacts list`)',
  PeerNotFoundError: ' (is the peer online? add them by invite to reach them directly)',
  PeerUnreachableError: ' (is the peer online?)',
  DeliveryTimeoutError: ' (the peer did not acknowledge in time; the message may still arrive)',
  UnauthorizedError: ' (is api.token the one this daemon created?)',
  NoPendingIdentityKeyError: ' (see `natter contacts list`)'
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
  return safeText(text) + (HINTS[err.name] ?? '')
}
