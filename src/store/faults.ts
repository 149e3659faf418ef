/**
 * Which store failures are the disk's or another process's fault, not the
 * data's: a receiver answers them "try later" (PROTOCOL.md §5 `UNAVAILABLE`),
 * never as if the sender's message were bad.
 *
 * @module
 */

import type { StoreError } from './errors.js'

/** SQLite result codes meaning the disk cannot take writes now (full, read-only, failing I/O). */
const STORAGE_FAULT_CODES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL']

/** True for a store error saying the disk cannot take writes (full, read-only, I/O error). */
export function isStorageFault (err: unknown): err is StoreError {
  const code = (err as { code?: unknown } | undefined)?.code
  return err instanceof Error && typeof code === 'string' && STORAGE_FAULT_CODES.some(c => code === c || code.startsWith(`${c}_`))
}

/** Store errors that are never the data's fault (the disk, a lock, shutdown, a damaged file). */
const LOCAL_STORE_ERRORS = new Set(['StoreError', 'StoreBusyError', 'StoreClosedError', 'StoreCorruptError'])

/**
 * True for a failure of the local store rather than of the input: a storage
 * fault, a lock held by another process, a store closed by shutdown, a
 * damaged file. A receiver answers these "try later", never "your message is
 * bad". Follows `cause` chains, so a store error wrapped by another part is
 * recognised.
 */
export function isTransientStoreError (err: unknown): boolean {
  let e = err as (Error & { cause?: unknown }) | undefined
  for (let depth = 0; e != null && typeof e === 'object' && depth < 8; depth++) {
    if (LOCAL_STORE_ERRORS.has(e.name) || isStorageFault(e)) {
      return true
    }
    e = e.cause as (Error & { cause?: unknown }) | undefined
  }
  return false
}
