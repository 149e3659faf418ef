/**
 * The base class of natter's errors and the errors shared by every area
 * (arguments, peers, delivery). Area errors live in each area's `errors.ts`;
 * `src/errors.ts` gathers them all. This file imports nothing, so every
 * area's errors can extend {@link NatterError} without an import cycle.
 *
 * @module
 */

/** Base class of every error natter throws on purpose. */
export class NatterError extends Error {
  /**
   * The message this error is about, when thrown by `send()` (the message is
   * stored and, unless it failed for good, stays queued).
   */
  messageId?: string

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NatterError'
  }
}

/** The identity key file exists but cannot be read or parsed. natter never replaces it silently. */
export class IdentityKeyError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityKeyError'
  }
}

/** A string that should be a peer id, multiaddr or invite is malformed. */
export class InvalidPeerIdError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidPeerIdError'
  }
}

/** The peer could not be found: not connected, no known address, and the DHT lookup came back empty. */
export class PeerNotFoundError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PeerNotFoundError'
  }
}

/**
 * This node has no connection to any peer at all, so it could neither look a
 * peer up nor reach it: not a fact about the peer (compare
 * {@link PeerNotFoundError}, {@link PeerUnreachableError}). Transient: it ends
 * when a bootstrap peer, a contact or an invite's inviter answers.
 */
export class NoPeersError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoPeersError'
  }
}

/** The peer's addresses are known but dialling it failed. */
export class PeerUnreachableError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PeerUnreachableError'
  }
}

/** The recipient did not acknowledge in time. The message may still arrive later. */
export class DeliveryTimeoutError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DeliveryTimeoutError'
  }
}

/** The recipient answered but refused the message (see `status`). */
export class DeliveryRefusedError extends NatterError {
  /** The wire status the recipient gave, e.g. `RATE_LIMITED`, `POW_REQUIRED`, `INVALID`. */
  readonly status: string
  /** With `POW_REQUIRED`: the proof-of-work difficulty (bits) the recipient wants. */
  readonly requiredDifficulty?: number
  /** With `RATE_LIMITED` or `UNAVAILABLE`: the recipient's hint of when to retry, in ms (absent: no hint). */
  readonly retryAfterMs?: number
  constructor (message: string, status: string, options?: ErrorOptions & { requiredDifficulty?: number, retryAfterMs?: number }) {
    super(message, options)
    this.name = 'DeliveryRefusedError'
    this.status = status
    this.requiredDifficulty = options?.requiredDifficulty
    this.retryAfterMs = options?.retryAfterMs
  }
}

/** Why an input was rejected; stable strings callers and tests may branch on. */
export type InvalidMessageReason =
  | 'malformed' | 'too-large' | 'bad-signature' | 'wrong-recipient' | 'decrypt-failed'
  | 'expired' | 'future' | 'stale' | 'unsupported-version'
  /** 1.3: an envelope without a signature where one is required (PROTOCOL.md §5.2). */
  | 'unsigned'

/** A frame, envelope or record is malformed, forged, tampered with, misaddressed or out of bounds. */
export class InvalidMessageError extends NatterError {
  /** Which check failed. */
  readonly reason: InvalidMessageReason
  constructor (message: string, options: ErrorOptions & { reason: InvalidMessageReason }) {
    super(message, options)
    this.name = 'InvalidMessageError'
    this.reason = options.reason
  }
}

/** A message, note or frame is over its size limit. */
export class MessageTooLargeError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MessageTooLargeError'
  }
}

/** An argument given to the API is invalid (bad status, empty text, …). */
export class InvalidArgumentError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidArgumentError'
  }
}

/** The node is not running (not started yet, or already stopped). */
export class NotStartedError extends NatterError {
  constructor (message = 'natter node is not running', options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotStartedError'
  }
}

/**
 * A libp2p node handed to `createNatter({ libp2p })` lacks services or
 * protocols natter needs. `missing` lists each one (e.g. `services.dht`,
 * `protocol /natter/kad/1.0.0`).
 */
export class MissingServicesError extends NatterError {
  /** What is missing, one entry per service or protocol. */
  readonly missing: readonly string[]
  constructor (missing: readonly string[], options?: ErrorOptions) {
    super(`the libp2p node lacks what natter needs: ${missing.join(', ')}`, options)
    this.name = 'MissingServicesError'
    this.missing = Object.freeze([...missing])
  }
}
