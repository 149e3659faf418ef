/**
 * Telling a store that was never created from one that was lost: an identity
 * key with no store file, or a 0-byte one, means the user's contacts and
 * history are gone (a truncated copy, a file removed by hand, a failed
 * restore), and opening it would silently create an empty store over them.
 *
 * A missing store is told from a store never created by a marker file written
 * next to it once it exists ({@link STORE_MARKER}): an identity created
 * before the first start (by an embedder, or `id import`) has no marker yet.
 * A 0-byte store file is never a first start.
 *
 * @module
 */
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IDENTITY_FILE } from '../keys/identity.js'
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

/** Name of the marker file written next to the store once it exists. */
export const STORE_MARKER = 'natter.db.created'

/** Writes the marker `markerFile` unless it exists (mode 0600); the store at its side now exists. */
export function markStoreCreated (markerFile: string): void {
  try {
    writeFileSync(markerFile, `${new Date().toISOString()}\n`, { flag: 'wx', mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err
    }
  }
}

/**
 * Throws {@link StoreMissingError} when, although `identityFile` existed
 * before this start, the store file at `path` is empty, or missing while its
 * marker `markerFile` says it was created. A 0-byte file with a non-empty
 * write-ahead log (`-wal`, e.g. after a kill before the first checkpoint) is
 * not lost.
 */
export function assertStoreNotLost (path: string, identityFile: string, markerFile: string): void {
  const size = sizeOf(path)
  if (size != null && size > 0) {
    return
  }
  if ((sizeOf(`${path}-wal`) ?? 0) > 0) {
    return
  }
  if (size == null && sizeOf(markerFile) == null) {
    return // never created: the identity was made before the first start
  }
  const what = size == null ? 'is missing' : 'is empty (0 bytes)'
  throw new StoreMissingError(`the store ${path} ${what}, but the identity key ${identityFile} exists: its contacts and messages are not there. Restore the file from a backup, or start with a new, empty store (\`natter daemon --new-store\`; the identity is kept)`, { path })
}

/**
 * The lost-store check (src/store/lost.ts): taken before the identity is
 * loaded (was there one already?), checked after, and the marker written once
 * the store exists.
 */
export function lostStoreCheck (dataDir: string, newStore: boolean): { check(): void, mark(): void } {
  const identityFile = join(dataDir, IDENTITY_FILE)
  const markerFile = join(dataDir, STORE_MARKER)
  const identityExisted = existsSync(identityFile)
  return {
    check () {
      if (identityExisted && !newStore) {
        assertStoreNotLost(join(dataDir, 'natter.db'), identityFile, markerFile)
      }
    },
    mark () { markStoreCreated(markerFile) }
  }
}
