/**
 * Named errors of the daemon. Callers branch on `err.name`; the CLI maps
 * names to exit codes.
 *
 * @module
 */

/** `config.json` or a daemon flag holds a bad value. The message names the field. */
export class ConfigError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigError'
  }
}

/** Another daemon holds this home's lock. */
export class DaemonRunningError extends Error {
  /** The running daemon's pid. */
  readonly pid: number
  constructor (message: string, options: ErrorOptions & { pid: number }) {
    super(message, options)
    this.name = 'DaemonRunningError'
    this.pid = options.pid
  }
}

/** The node cannot listen on its configured addresses (port in use, address not on this machine). */
export class ListenError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ListenError'
  }
}

/** The home directory, its lock, token or socket cannot be used (permissions, path too long, …). */
export class HomeError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'HomeError'
  }
}

/**
 * A peer id that is valid but not a contact, where a contact is needed. Same
 * name as the library's store error, so clients handle both alike.
 */
export class ContactNotFoundError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ContactNotFoundError'
  }
}

/** A contact has no pending identity key to show, accept or reject. Same name as the library's store error. */
export class NoPendingIdentityKeyError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoPendingIdentityKeyError'
  }
}

/**
 * The identity key file is encrypted and no passphrase was given (or could
 * be asked for). Same name as the library's error, so clients handle both alike.
 */
export class PassphraseRequiredError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PassphraseRequiredError'
  }
}

/** A passphrase file cannot be read, or holds no passphrase. */
export class PassphraseFileError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PassphraseFileError'
  }
}

/** The home already has an identity key, and replacing it was not asked for. */
export class IdentityExistsError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityExistsError'
  }
}
