/**
 * CLI errors and exit codes. Commands throw named errors (their own, or the
 * daemon's as {@link ApiError} carrying the daemon's error name); the entry's
 * one handler turns them into a one-line message and an exit code.
 *
 * @module
 */

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
  /** Unknown contact, peer or request. */
  NOT_FOUND: 4,
  /** The message was not delivered: peer unreachable, refused, or no acknowledgement in time. */
  DELIVERY: 5,
  /** The daemon refused our API token. */
  AUTH: 6,
  /** Already exists: a daemon already runs on this home, or the contact exists. */
  CONFLICT: 7
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
  constructor (name: string, message: string, status: number) {
    super(message)
    this.name = name
    this.status = status
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
  ContactExistsError: ExitCode.CONFLICT
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
  UnauthorizedError: ' (is api.token the one this daemon created?)'
}

/** The one-line message for an error. */
export function messageFor (err: unknown): string {
  if (!(err instanceof Error)) {
    return String(err)
  }
  const text = err.message.split('\n')[0] ?? err.name
  return text + (HINTS[err.name] ?? '')
}
