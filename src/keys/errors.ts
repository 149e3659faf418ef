/**
 * Named errors of keys at rest. Callers branch on `err.name`; the CLI maps
 * them to a clear one-line message and an exit code.
 *
 * @module
 */
import { NatterError } from '../base-errors.js'

/**
 * The passphrase does not open the encrypted key file or backup (or the file
 * was damaged: the two cannot be told apart). Nothing was written.
 */
export class WrongPassphraseError extends NatterError {
  constructor (message = 'wrong passphrase (or the encrypted file is damaged)', options?: ErrorOptions) {
    super(message, options)
    this.name = 'WrongPassphraseError'
  }
}

/** The identity key file is encrypted and no passphrase was given. */
export class PassphraseRequiredError extends NatterError {
  constructor (message = 'the identity key is encrypted: a passphrase is required', options?: ErrorOptions) {
    super(message, options)
    this.name = 'PassphraseRequiredError'
  }
}

/** An encrypted key file or backup is malformed, of an unknown version, or of another kind than expected. */
export class InvalidKeyFileError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidKeyFileError'
  }
}

/**
 * A secret kept in the store (ratchet sessions, prekeys) cannot be decrypted:
 * written under another identity, or damaged.
 */
export class StoredSecretError extends NatterError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoredSecretError'
  }
}
