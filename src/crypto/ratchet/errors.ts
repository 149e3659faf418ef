/**
 * Named errors of the ratchet module. Each is a {@link NatterError} with a name no other area
 * uses; callers branch with `instanceof`. The cause, when there is one, is kept in `error.cause`.
 *
 * @module
 */
import { NatterError } from '../../base-errors.js'

/** A prekey bundle is malformed: wrong length, bad version, out-of-range or duplicate ids. */
export class InvalidBundleError extends NatterError {
  static override name = 'InvalidBundleError'

  constructor (message = 'Invalid prekey bundle', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidBundleError'
  }
}

/** The signed prekey's Ed25519 signature does not verify under the bundle's identity key. */
export class InvalidSignatureError extends NatterError {
  static override name = 'InvalidSignatureError'

  constructor (message = 'Invalid signed prekey signature', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidSignatureError'
  }
}

/** A bundle, store or session belongs to a different identity than the one expected. */
export class IdentityMismatchError extends NatterError {
  static override name = 'IdentityMismatchError'

  constructor (message = 'Identity key does not match the expected identity', options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityMismatchError'
  }
}

/** A bundle's signed prekey is older than the caller's freshness limit. */
export class ExpiredBundleError extends NatterError {
  static override name = 'ExpiredBundleError'

  constructor (message = 'Signed prekey is too old', options?: ErrorOptions) {
    super(message, options)
    this.name = 'ExpiredBundleError'
  }
}

/**
 * An initial message names a signed prekey or one-time prekey this store does not hold: never
 * issued, already consumed, or retired past its grace period.
 */
export class UnknownPrekeyError extends NatterError {
  static override name = 'UnknownPrekeyError'

  constructor (message = 'Unknown prekey', options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownPrekeyError'
  }
}

/**
 * A key has the wrong length, is not a valid curve point, or yields an all-zero (low-order)
 * X25519 shared secret.
 */
export class InvalidKeyError extends NatterError {
  static override name = 'InvalidKeyError'

  constructor (message = 'Invalid key', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidKeyError'
  }
}

/**
 * An encoded header, initial header or ratchet message is malformed. (The envelope layer's
 * `InvalidMessageError` wraps it with a `reason` when a peer's message is refused.)
 */
export class RatchetMessageError extends NatterError {
  static override name = 'RatchetMessageError'

  constructor (message = 'Invalid message encoding', options?: ErrorOptions) {
    super(message, options)
    this.name = 'RatchetMessageError'
  }
}

/**
 * A ratchet message failed to decrypt (authentication failure, no receiving chain, wrong keys).
 * The ratchet state is unchanged.
 */
export class RatchetDecryptError extends NatterError {
  static override name = 'RatchetDecryptError'

  constructor (message = 'Message failed to decrypt', options?: ErrorOptions) {
    super(message, options)
    this.name = 'RatchetDecryptError'
  }
}

/**
 * A message for the current receiving chain whose key was already used (a replay) or evicted.
 * Subclass of {@link RatchetDecryptError}; the ratchet state is unchanged.
 */
export class DuplicateMessageError extends RatchetDecryptError {
  static override name = 'DuplicateMessageError'

  constructor (message = 'Message key already used or expired', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DuplicateMessageError'
  }
}

/** Decrypting would skip more than MAX_SKIP message keys in one chain. The state is unchanged. */
export class TooManySkippedMessagesError extends NatterError {
  static override name = 'TooManySkippedMessagesError'

  constructor (message = 'Too many skipped messages', options?: ErrorOptions) {
    super(message, options)
    this.name = 'TooManySkippedMessagesError'
  }
}

/** `encrypt` was called on a receiver that has not yet received a message (no sending chain). */
export class RatchetNotReadyError extends NatterError {
  static override name = 'RatchetNotReadyError'

  constructor (message = 'No sending chain yet: a message must be received first', options?: ErrorOptions) {
    super(message, options)
    this.name = 'RatchetNotReadyError'
  }
}

/** A message counter or prekey id would exceed 2^32 - 1. */
export class CounterExhaustedError extends NatterError {
  static override name = 'CounterExhaustedError'

  constructor (message = 'Counter exhausted', options?: ErrorOptions) {
    super(message, options)
    this.name = 'CounterExhaustedError'
  }
}

/** Serialized ratchet state, session or prekey store is malformed or of an unknown version. */
export class InvalidStateError extends NatterError {
  static override name = 'InvalidStateError'

  constructor (message = 'Invalid serialized state', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidStateError'
  }
}

/**
 * A message carrying an X3DH initial header does not belong to this session: it starts a different
 * session (e.g. the peer started over, or both peers initiated at once) and must go to
 * `acceptSession` instead.
 */
export class SessionMismatchError extends NatterError {
  static override name = 'SessionMismatchError'

  constructor (message = 'Message belongs to a different session', options?: ErrorOptions) {
    super(message, options)
    this.name = 'SessionMismatchError'
  }
}
