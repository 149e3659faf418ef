/**
 * Named errors of the daemon, and the names of the library's errors the
 * daemon and the CLI map (to HTTP statuses, exit codes, hints). Callers
 * branch on `err.name`; where the daemon reports a library condition it
 * throws the library's own class (`ContactNotFoundError`,
 * `PassphraseRequiredError`, …), never a look-alike.
 *
 * @module
 */
import { ERROR_NAMES } from '../src/errors.js'
import type { ErrorName } from '../src/errors.js'

/**
 * The library's error names (its `ErrorName`), plus the platform's
 * `TimeoutError` and `AbortError` (from aborted signals). Maps keyed by it
 * are exhaustive: a new library error fails type-checking until it is
 * mapped (HTTP status, exit code, hint).
 */
export const LIBRARY_ERROR_NAMES: readonly LibraryErrorName[] = Object.freeze([...ERROR_NAMES, 'TimeoutError', 'AbortError'])

/** See {@link LIBRARY_ERROR_NAMES}. */
export type LibraryErrorName = ErrorName | 'TimeoutError' | 'AbortError'

/** The names of the daemon's own errors (this file). */
export type NodeErrorName = 'ConfigError' | 'DaemonRunningError' | 'ListenError' | 'HomeError' | 'PassphraseFileError' | 'IdentityExistsError'

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
