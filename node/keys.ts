/**
 * Offline operations on a home's identity key, for when no daemon runs on
 * it: restoring a backup and setting, changing or removing the key file's
 * passphrase. The caller holds the home's daemon lock ({@link lockHome})
 * while it works, so a running daemon is refused and none can start meanwhile.
 *
 * @example
 * ```ts
 * const lock = await lockHome(home, 'import an identity')
 * try {
 *   await restoreBackup(home, backup, 'backup passphrase', { force: false })
 * } finally {
 *   await lock.release()
 * }
 * ```
 *
 * @module
 */
// first: the library entry installs the Promise.withResolvers polyfill before libp2p loads
import { BACKUP_PREFIX, WrongPassphraseError, identityFileStatus, importIdentity, setPassphrase } from '../src/index.js'
import { mkdir } from 'node:fs/promises'
import { homeFiles } from './api/discovery.js'
import { DaemonRunningError, HomeError, IdentityExistsError } from './errors.js'
import { acquireLock } from './lock.js'
import type { DaemonLock } from './lock.js'
import type { IdentityFileStatus } from '../src/index.js'

export type { IdentityFileStatus }

/**
 * Takes the home's daemon lock (creating the home if needed). Throws
 * {@link DaemonRunningError} saying `what` cannot be done while the daemon runs.
 */
export async function lockHome (home: string, what: string): Promise<DaemonLock> {
  try {
    await mkdir(home, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new HomeError(`cannot create the home directory ${home}: ${(err as Error).message}`, { cause: err })
  }
  try {
    return await acquireLock(homeFiles(home).lock)
  } catch (err) {
    if (err instanceof DaemonRunningError) {
      throw new DaemonRunningError(`cannot ${what} while a natter daemon (pid ${err.pid}) runs on ${home}; stop it first with \`natter stop\``, { pid: err.pid, cause: err })
    }
    throw err
  }
}

/** Whether the home has an identity key, and whether it is encrypted. */
export async function keyStatus (home: string): Promise<IdentityFileStatus> {
  return identityFileStatus(home)
}

/** Whether `text` looks like a backup string (`natter-backup-v1:…`), before asking for its passphrase. */
export function looksLikeBackup (text: string): boolean {
  return text.trim().startsWith(BACKUP_PREFIX)
}

/** Throws {@link IdentityExistsError} when the home has an identity key and `force` is not set. */
export async function assertNoIdentity (home: string, force: boolean): Promise<void> {
  if (!force && await identityFileStatus(home) !== 'missing') {
    throw new IdentityExistsError(`${homeFiles(home).identity} already exists; pass --force to replace this home's identity (it is lost unless you have a backup of it)`)
  }
}

/** Options of {@link restoreBackup}. */
export interface RestoreBackupOptions {
  /** Replace an identity key already in the home. @default false */
  force?: boolean
  /** Restore the backup's contacts. @default true */
  contacts?: boolean
}

/**
 * Restores an identity from a backup string into `home`; the key file is
 * encrypted under the backup's passphrase. Throws {@link IdentityExistsError}
 * when the home has an identity and `force` is not set, the library's
 * `WrongPassphraseError` (nothing written) or `InvalidKeyFileError`.
 */
export async function restoreBackup (home: string, backup: string, passphrase: string, options: RestoreBackupOptions = {}): Promise<{ peerId: string, contacts: number }> {
  const force = options.force ?? false
  await assertNoIdentity(home, force)
  try {
    return await importIdentity(home, backup, passphrase, { overwrite: force, contacts: options.contacts ?? true })
  } catch (err) {
    throw named(err, 'the backup', 'nothing was written')
  }
}

/** The library's WrongPassphraseError, saying what the passphrase was for. */
function named (err: unknown, what: string, consequence: string): unknown {
  return (err as Error).name === 'WrongPassphraseError'
    ? new WrongPassphraseError(`wrong passphrase for ${what} (or it is damaged); ${consequence}`, { cause: err })
    : err
}

/**
 * Encrypts the home's key file under `next`, re-encrypts it from `current`,
 * or (with `next` undefined) stores it unencrypted. Throws the library's
 * `WrongPassphraseError` (the file untouched) or `IdentityKeyError`.
 */
export async function changePassphrase (home: string, current: string | undefined, next: string | undefined): Promise<void> {
  try {
    await setPassphrase(home, current, next)
  } catch (err) {
    throw named(err, homeFiles(home).identity, 'nothing was changed')
  }
}
