/**
 * Passphrase management of the identity key file: whether it is encrypted,
 * and encrypting, re-encrypting or decrypting it in place, atomically.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { IdentityKeyError } from '../base-errors.js'
import { IDENTITY_FILE, decodeIdentity, writeSecretFile } from './identity.js'
import { PassphraseRequiredError } from './errors.js'
import { KeyFileKind, decryptKeyFile, encryptKeyFile, isEncryptedKeyFile, normalizePassphrase } from './key-file.js'
import type { ScryptParams } from './key-file.js'

/** What {@link identityFileStatus} found. */
export type IdentityFileStatus = 'missing' | 'plain' | 'encrypted'

/**
 * Whether `dataDir` has an identity key file, and whether it is encrypted
 * (so a daemon knows whether to ask for a passphrase before starting).
 */
export async function identityFileStatus (dataDir: string): Promise<IdentityFileStatus> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(join(dataDir, IDENTITY_FILE))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return 'missing'
    }
    throw new IdentityKeyError(`cannot read identity key in ${dataDir}: ${(err as Error).message}`, { cause: err })
  }
  return isEncryptedKeyFile(bytes) ? 'encrypted' : 'plain'
}

/** Options of {@link setPassphrase}. */
export interface SetPassphraseOptions {
  /** scrypt cost of the new file. @default DEFAULT_SCRYPT */
  scrypt?: ScryptParams
}

/**
 * Encrypts the identity key file under `next`, re-encrypts it (from `current`
 * to `next`), or with `next` undefined stores it unencrypted (mode 0600). The
 * file is replaced atomically (temp file, fsync, rename) and only after the
 * current passphrase has opened it; the identity itself does not change, nor
 * does anything in the store.
 *
 * @throws {PassphraseRequiredError} the file is encrypted and `current` is undefined
 * @throws {WrongPassphraseError} `current` does not open it; the file is untouched
 * @throws {IdentityKeyError} there is no key file, or it is corrupt
 */
export async function setPassphrase (dataDir: string, current: string | undefined, next: string | undefined, options: SetPassphraseOptions = {}): Promise<void> {
  const file = join(dataDir, IDENTITY_FILE)
  if (next !== undefined) {
    normalizePassphrase(next)
  }
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    throw new IdentityKeyError(`cannot read identity key ${file}: ${(err as Error).message}`, { cause: err })
  }
  let plain = bytes
  if (isEncryptedKeyFile(bytes)) {
    if (current === undefined) {
      throw new PassphraseRequiredError(`the identity key ${file} is encrypted: its current passphrase is required`)
    }
    plain = await decryptKeyFile(bytes, current, KeyFileKind.IDENTITY)
  }
  // refuse to wrap something that is not a key
  decodeIdentity(plain, file)
  const written = next === undefined ? plain : await encryptKeyFile(plain, next, { kind: KeyFileKind.IDENTITY, scrypt: options.scrypt })
  await writeSecretFile(file, written, { overwrite: true })
}
