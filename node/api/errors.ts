/**
 * Errors of the control API itself, and the HTTP status each error name
 * (the library's or ours) is answered with.
 *
 * @module
 */
import type { ErrorDetails } from './contract/views.js'
import type { LibraryErrorName, NodeErrorName } from '../errors.js'

/** The request has no valid bearer token. */
export class UnauthorizedError extends Error {
  constructor (message = 'missing or wrong API token (Authorization: Bearer <contents of api.token>)') {
    super(message)
    this.name = 'UnauthorizedError'
  }
}

/** The request is malformed: bad JSON, a missing or mistyped field. */
export class BadRequestError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BadRequestError'
  }
}

/** No endpoint has this path. */
export class RouteNotFoundError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RouteNotFoundError'
  }
}

/** The path exists but not with this method. */
export class MethodNotAllowedError extends Error {
  readonly allow: string[]
  constructor (message: string, allow: string[]) {
    super(message)
    this.name = 'MethodNotAllowedError'
    this.allow = allow
  }
}

/** The request body is over the limit. */
export class PayloadTooLargeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PayloadTooLargeError'
  }
}

/** The names of the API's own errors (this file). */
export type ApiOwnErrorName = 'UnauthorizedError' | 'BadRequestError' | 'RouteNotFoundError' | 'MethodNotAllowedError' | 'PayloadTooLargeError'

/** Every error name a reply of the API can carry, besides 500s for the unexpected. */
export type ApiErrorName = LibraryErrorName | ApiOwnErrorName | Extract<NodeErrorName, 'ConfigError'>

/**
 * The HTTP status of each error name. Exhaustive: a new library or API error
 * does not type-check until it has its status here (500 where it means a bug
 * or a broken node rather than a bad request).
 */
export const STATUS: Record<ApiErrorName, number> = {
  BadRequestError: 400,
  StoreMissingError: 500,
  InvalidArgumentError: 400,
  ConfigError: 400,
  InvalidPeerIdError: 400,
  InvalidContactNameError: 400,
  InvalidMessageError: 400,
  InvalidMessageStateError: 400,
  UnauthorizedError: 401,
  RouteNotFoundError: 404,
  ContactNotFoundError: 404,
  PeerNotFoundError: 404,
  RequestNotFoundError: 404,
  MessageNotFoundError: 404,
  MethodNotAllowedError: 405,
  ContactExistsError: 409,
  MessageIdConflictError: 409,
  IdentityKeyChangedError: 409,
  NoPendingIdentityKeyError: 409,
  PayloadTooLargeError: 413,
  MessageTooLargeError: 413,
  DeliveryRefusedError: 422,
  PeerUnreachableError: 502,
  MailboxRefusedError: 502,
  NoMailboxError: 502,
  NotStartedError: 503,
  NoPeersError: 503,
  StoreBusyError: 503,
  StoreError: 503,
  DeliveryTimeoutError: 504,
  TimeoutError: 504,
  AbortError: 504,
  // conditions of the node itself, not of the request: logged, answered as server errors
  NatterError: 500,
  IdentityKeyError: 500,
  StoreCorruptError: 500,
  StoreClosedError: 500,
  StoreVersionError: 500,
  MigrationError: 500,
  MailboxQuotaExceededError: 500,
  WrongPassphraseError: 500,
  PassphraseRequiredError: 500,
  InvalidKeyFileError: 500,
  // internal to the library (sessions, stamps, wiring): reaching the API means a bug
  MissingServicesError: 500,
  InvalidStampError: 500,
  StampExpiredError: 500,
  StampNotYetValidError: 500,
  InsufficientWorkError: 500,
  StampReplayedError: 500,
  RateLimitedError: 500,
  InvalidBundleError: 500,
  InvalidSignatureError: 500,
  IdentityMismatchError: 500,
  ExpiredBundleError: 500,
  UnknownPrekeyError: 500,
  InvalidKeyError: 500,
  RatchetMessageError: 500,
  RatchetDecryptError: 500,
  DuplicateMessageError: 500,
  TooManySkippedMessagesError: 500,
  RatchetNotReadyError: 500,
  CounterExhaustedError: 500,
  InvalidStateError: 500,
  SessionMismatchError: 500,
  StoredSecretError: 500,
  DepositStampRequiredError: 500,
  PingMismatchError: 502,
  SettingTypeError: 500,
  // issue 16 (groups)
  GroupNotFoundError: 404,
  AmbiguousGroupError: 409,
  NotGroupAdminError: 403,
  NotGroupMemberError: 409,
  GroupFullError: 409
}

const DETAIL_FIELDS = ['contact', 'peerId', 'newPeerId', 'messageId'] as const satisfies ReadonlyArray<keyof ErrorDetails>

/**
 * What an error says about what failed (`IdentityKeyChangedError`'s contact
 * and peer ids, a delivery error's `messageId`), for the error reply. Only
 * string fields of known names are copied.
 */
export function detailsOf (err: Error): ErrorDetails | undefined {
  const source = err as Error & Record<string, unknown>
  const details: ErrorDetails = {}
  for (const field of DETAIL_FIELDS) {
    const value = source[field]
    if (typeof value === 'string') {
      details[field] = value
    }
  }
  return Object.keys(details).length > 0 ? details : undefined
}

/** The HTTP status for an error name; 500 for anything unexpected. */
export function statusFor (name: string): number {
  return Object.hasOwn(STATUS, name) ? STATUS[name as ApiErrorName] : 500
}
