/**
 * Encrypted identity backups: the identity key (and optionally the contact
 * list) sealed under a passphrase in the key-file format (kind `backup`),
 * written as one line of text: `natter-backup-v1:` followed by the file in
 * base64url without padding. Ratchet sessions are deliberately not backed up:
 * restoring old session state would undo forward secrecy, and peers simply
 * start new sessions (PROTOCOL.md §6).
 *
 * @module
 */
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { z } from 'zod'
import { parsePeerId } from '../crypto/peer.js'
import { IdentityKeyError } from '../base-errors.js'
import { IDENTITY_FILE, decodeIdentity, writeSecretFile } from './identity.js'
import { openStore } from '../store/index.js'
import { InvalidKeyFileError } from './errors.js'
import { KeyFileKind, decryptKeyFile, encryptKeyFile, normalizePassphrase } from './key-file.js'
import type { ScryptParams } from './key-file.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

/** Prefix of a backup string. */
export const BACKUP_PREFIX = 'natter-backup-v1:'

/** A contact as kept in a backup. */
export interface BackupContact {
  name: string
  peerId: string
  verified: boolean
  addresses: string[]
}

/** What a backup holds besides the key. */
export interface BackupContents {
  /** The identity's peer id (checked against the key on import). */
  peerId: string
  /** When the backup was made, ms since the epoch. */
  createdAt: number
  contacts: BackupContact[]
}

const BackupJson = z.object({
  version: z.literal(1),
  identity: z.string().max(4096),
  peerId: z.string().max(128),
  createdAt: z.number().int().nonnegative(),
  contacts: z.array(z.object({
    name: z.string().max(256),
    peerId: z.string().max(128),
    verified: z.boolean(),
    addresses: z.array(z.string().max(1024)).max(64)
  })).max(100_000)
})

/** Options of {@link createBackup}. */
export interface CreateBackupOptions {
  /** Contacts to include. @default [] */
  contacts?: BackupContact[]
  /** scrypt cost. @default DEFAULT_SCRYPT */
  scrypt?: ScryptParams
}

/** Makes an encrypted backup string of `key` (and contacts). Throws `InvalidArgumentError` for an empty passphrase. */
export async function createBackup (key: Ed25519PrivateKey, passphrase: string, options: CreateBackupOptions = {}): Promise<string> {
  normalizePassphrase(passphrase)
  const json = {
    version: 1,
    identity: uint8ArrayToString(privateKeyToProtobuf(key), 'base64'),
    peerId: peerIdFromPrivateKey(key).toString(),
    createdAt: Date.now(),
    contacts: options.contacts ?? []
  }
  const sealed = await encryptKeyFile(uint8ArrayFromString(JSON.stringify(json)), passphrase, { kind: KeyFileKind.BACKUP, scrypt: options.scrypt })
  return BACKUP_PREFIX + uint8ArrayToString(sealed, 'base64url')
}

/**
 * Opens a backup string.
 *
 * @throws {WrongPassphraseError} the passphrase does not open it
 * @throws {InvalidKeyFileError} not a natter backup, or its contents are malformed
 */
export async function readBackup (backup: string, passphrase: string): Promise<{ key: Ed25519PrivateKey, contents: BackupContents }> {
  const text = typeof backup === 'string' ? backup.trim() : ''
  if (!text.startsWith(BACKUP_PREFIX)) {
    throw new InvalidKeyFileError(`not a natter backup (it should start with "${BACKUP_PREFIX}")`)
  }
  let sealed: Uint8Array
  try {
    sealed = uint8ArrayFromString(text.slice(BACKUP_PREFIX.length).replace(/\s+/g, ''), 'base64url')
  } catch (err) {
    throw new InvalidKeyFileError('backup is not valid base64url', { cause: err })
  }
  const plain = await decryptKeyFile(sealed, passphrase, KeyFileKind.BACKUP)
  let json: z.infer<typeof BackupJson>
  try {
    json = BackupJson.parse(JSON.parse(uint8ArrayToString(plain)))
  } catch (err) {
    throw new InvalidKeyFileError('backup contents are malformed', { cause: err })
  }
  const key = decodeIdentity(uint8ArrayFromString(json.identity, 'base64'), 'backup identity key')
  if (peerIdFromPrivateKey(key).toString() !== json.peerId) {
    throw new InvalidKeyFileError('backup identity key does not match its peer id')
  }
  return { key, contents: { peerId: json.peerId, createdAt: json.createdAt, contacts: json.contacts } }
}

/** Options of {@link importIdentity}. */
export interface ImportIdentityOptions {
  /**
   * Passphrase for the restored key file: a string, or `null` to write it
   * unencrypted (mode 0600). @default the backup's passphrase
   */
  keyPassphrase?: string | null
  /** Replace an identity key file already in `dataDir`. @default false */
  overwrite?: boolean
  /** Restore the backup's contacts into the store (existing names and peer ids are kept). @default true */
  contacts?: boolean
  /** scrypt cost of the restored key file. @default DEFAULT_SCRYPT */
  scrypt?: ScryptParams
}

/** What {@link importIdentity} restored. */
export interface ImportIdentityResult {
  peerId: string
  /** Contacts added to the store. */
  contacts: number
}

/**
 * Restores an identity from a backup string into `dataDir` (the node must not
 * be running there). The backup is decrypted before anything is written, so a
 * wrong passphrase changes nothing.
 *
 * @throws {WrongPassphraseError} the passphrase does not open the backup
 * @throws {InvalidKeyFileError} not a natter backup
 * @throws {IdentityKeyError} `dataDir` already has an identity and `overwrite` is not set
 */
export async function importIdentity (dataDir: string, backup: string, passphrase: string, options: ImportIdentityOptions = {}): Promise<ImportIdentityResult> {
  const { key, contents } = await readBackup(backup, passphrase)
  const file = join(dataDir, IDENTITY_FILE)
  const exists = await stat(file).then(() => true, () => false)
  if (exists && options.overwrite !== true) {
    throw new IdentityKeyError(`${file} already exists; refusing to replace an identity (pass overwrite to do it anyway)`)
  }
  const keyPassphrase = options.keyPassphrase === undefined ? passphrase : options.keyPassphrase
  const plain = privateKeyToProtobuf(key)
  const bytes = keyPassphrase === null ? plain : await encryptKeyFile(plain, keyPassphrase, { kind: KeyFileKind.IDENTITY, scrypt: options.scrypt })
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await writeSecretFile(file, bytes, { overwrite: options.overwrite === true })
  let restored = 0
  if (options.contacts !== false && contents.contacts.length > 0) {
    const store = openStore({ path: join(dataDir, 'natter.db') })
    try {
      for (const contact of contents.contacts) {
        if (store.contacts.get(contact.peerId) != null || store.contacts.getByName(contact.name) != null || contact.peerId === contents.peerId) {
          continue
        }
        try {
          store.contacts.add(contact.name, contact.peerId, {
            identityKey: parsePeerId(contact.peerId).publicKey.raw,
            verified: contact.verified,
            addresses: contact.addresses
          })
          restored++
        } catch {
          // a contact this version cannot hold (bad name or peer id): the identity matters, not it
        }
      }
    } finally {
      store.close()
    }
  }
  return { peerId: contents.peerId, contacts: restored }
}
