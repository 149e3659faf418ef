/**
 * Keys at rest: the identity key file (loaded or created by
 * {@link loadOrCreateIdentity}), the passphrase-encrypted key-file format,
 * passphrase management of the identity key file, encrypted identity backups, and the
 * data key that encrypts the secrets kept in the store.
 *
 * @example
 * ```ts
 * import { setPassphrase, identityFileStatus, importIdentity } from 'natter'
 *
 * if (await identityFileStatus(dataDir) === 'plain') {
 *   await setPassphrase(dataDir, undefined, 'correct horse battery staple')
 * }
 * const natter = await createNatter({ dataDir, passphrase: 'correct horse battery staple' })
 * const backup = await natter.exportIdentity('another passphrase')
 * // on another machine:
 * await importIdentity(otherDir, backup, 'another passphrase')
 * ```
 *
 * @module
 */
export * from './errors.js'
export { BACKUP_PREFIX, createBackup, importIdentity, readBackup } from './backup.js'
export type { BackupContact, BackupContents, CreateBackupOptions, ImportIdentityOptions, ImportIdentityResult } from './backup.js'
export { createSecretBox, deriveDataKey } from './data-key.js'
export type { SecretBox } from './data-key.js'
export { IDENTITY_FILE, loadOrCreateIdentity } from './identity.js'
export type { Passphrase, LoadIdentityOptions } from './identity.js'
export { identityFileStatus, setPassphrase } from './identity-file.js'
export type { IdentityFileStatus, SetPassphraseOptions } from './identity-file.js'
export {
  DEFAULT_SCRYPT, KEY_FILE_HEADER_BYTES, KEY_FILE_MAGIC, KeyFileKind, decryptKeyFile, encryptKeyFile, isEncryptedKeyFile, keyFileParams, passphraseKey
} from './key-file.js'
export type { EncryptKeyFileInit, ScryptParams } from './key-file.js'
