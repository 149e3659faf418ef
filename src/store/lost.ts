/**
 * Telling a store that was never created from one that was lost: an identity
 * key with no store file, or a 0-byte one, means the user's contacts and
 * history are gone (a truncated copy, a file removed by hand, a failed
 * restore), and opening it would silently create an empty store over them.
 *
 * @module
 */
import { statSync } from 'node:fs'
import { StoreMissingError } from './errors.js'

function sizeOf (path: string): number | undefined {
  try {
    return statSync(path).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined
    }
    throw err
  }
}

/**
 * Throws {@link StoreMissingError} when the store file at `path` is missing
 * or empty although `identityFile` existed before this start. A 0-byte file
 * with a non-empty write-ahead log (`-wal`, e.g. after a kill before the
 * first checkpoint) is not lost.
 */
export function assertStoreNotLost (path: string, identityFile: string): void {
  const size = sizeOf(path)
  if (size != null && size > 0) {
    return
  }
  if ((sizeOf(`${path}-wal`) ?? 0) > 0) {
    return
  }
  const what = size == null ? 'is missing' : 'is empty (0 bytes)'
  throw new StoreMissingError(`the store ${path} ${what}, but the identity key ${identityFile} exists: its contacts and messages are not there. Restore the file from a backup, or start with a new, empty store (\`natter daemon --new-store\`; the identity is kept)`, { path })
}
