/**
 * The node's identity key on disk: loaded from (or created in) the data
 * directory, optionally passphrase-encrypted (PROTOCOL.md §6.10). Never
 * replaced silently when it cannot be read.
 *
 * @module
 */
import { constants as fsConstants } from 'node:fs'
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { IdentityKeyError } from '../base-errors.js'
import { PassphraseRequiredError } from './errors.js'
import { KeyFileKind, decryptKeyFile, encryptKeyFile, isEncryptedKeyFile } from './key-file.js'
import type { ScryptParams } from './key-file.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

/** File name of the identity key inside the data directory. */
export const IDENTITY_FILE = 'identity.key'

/**
 * A passphrase, or a function asked for it only when one is needed (an
 * encrypted key file exists, or a new one is created).
 */
export type Passphrase = string | (() => string | Promise<string>)

/** Options of {@link loadOrCreateIdentity}. */
export interface LoadIdentityOptions {
  /**
   * Opens an encrypted key file; a key created now is encrypted under it. An
   * existing unencrypted key file is loaded as it is (encrypt it with
   * `setPassphrase`). @default none
   */
  passphrase?: Passphrase
  /** scrypt cost for a key created now. @default DEFAULT_SCRYPT (N = 2^17, r = 8, p = 1) */
  scrypt?: ScryptParams
}

/**
 * Loads the node's Ed25519 identity from `dataDir`, creating the directory
 * (mode 0700) and a fresh key (file mode 0600) on first start.
 *
 * An existing key file that is unreadable, empty, corrupt or of another key
 * type throws {@link IdentityKeyError}: natter never silently replaces an
 * identity, because the peer id is how contacts know this node. An encrypted
 * key file throws `PassphraseRequiredError` without a passphrase and
 * `WrongPassphraseError` with a wrong one; the file is never written then.
 */
export async function loadOrCreateIdentity (dataDir: string, options: LoadIdentityOptions = {}): Promise<Ed25519PrivateKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, IDENTITY_FILE)

  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityKeyError(`cannot read identity key ${file}: ${(err as Error).message}`, { cause: err })
    }
    return createIdentity(file, options)
  }

  if (isEncryptedKeyFile(bytes)) {
    if (options.passphrase == null) {
      throw new PassphraseRequiredError(`the identity key ${file} is encrypted: a passphrase is required`)
    }
    return decodeIdentity(await decryptKeyFile(bytes, await resolvePassphrase(options.passphrase), KeyFileKind.IDENTITY), file)
  }
  return decodeIdentity(bytes, file)
}

/** The passphrase itself, asking for it if it is a function. */
export async function resolvePassphrase (passphrase: Passphrase): Promise<string> {
  return typeof passphrase === 'function' ? passphrase() : passphrase
}

/** Parses a libp2p-protobuf private key, insisting on Ed25519. */
export function decodeIdentity (bytes: Uint8Array, source = 'identity key'): Ed25519PrivateKey {
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityKeyError(`${source} is corrupt (${(err as Error).message}); restore it from a backup or move it aside to create a new identity`, { cause: err })
  }
  if (key.type !== 'Ed25519') {
    throw new IdentityKeyError(`${source} holds a ${key.type} key; natter identities are Ed25519`)
  }
  return key
}

async function createIdentity (file: string, options: LoadIdentityOptions): Promise<Ed25519PrivateKey> {
  const key = await generateKeyPair('Ed25519')
  const plain = privateKeyToProtobuf(key)
  const bytes = options.passphrase == null
    ? plain
    : await encryptKeyFile(plain, await resolvePassphrase(options.passphrase), { kind: KeyFileKind.IDENTITY, scrypt: options.scrypt })
  await writeSecretFile(file, bytes)
  return key
}

/**
 * Writes `bytes` to `file` with mode 0600, atomically (temp file, fsync,
 * rename) and refusing to clobber a file created concurrently by another
 * process.
 */
export async function writeSecretFile (file: string, bytes: Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  const handle = await open(tmp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await chmod(tmp, 0o600)
  if (options.overwrite !== true) {
    const exists = await stat(file).then(() => true, () => false)
    if (exists) {
      throw new IdentityKeyError(`${file} already exists; refusing to overwrite it`)
    }
  }
  await rename(tmp, file)
}
