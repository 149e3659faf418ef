import { constants as fsConstants } from 'node:fs'
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { IdentityKeyError } from '../errors.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'

/** File name of the identity key inside the data directory. */
export const IDENTITY_FILE = 'identity.key'

/**
 * Loads the node's Ed25519 identity from `dataDir`, creating the directory
 * (mode 0700) and a fresh key (file mode 0600) on first start.
 *
 * An existing key file that is unreadable, empty, corrupt or of another key
 * type throws {@link IdentityKeyError}: natter never silently replaces an
 * identity, because the peer id is how contacts know this node.
 */
export async function loadOrCreateIdentity (dataDir: string): Promise<Ed25519PrivateKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, IDENTITY_FILE)

  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityKeyError(`cannot read identity key ${file}: ${(err as Error).message}`, { cause: err })
    }
    return createIdentity(file)
  }

  return decodeIdentity(bytes, file)
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

async function createIdentity (file: string): Promise<Ed25519PrivateKey> {
  const key = await generateKeyPair('Ed25519')
  await writeSecretFile(file, privateKeyToProtobuf(key))
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
