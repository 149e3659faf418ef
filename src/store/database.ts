/**
 * Opening the SQLite file safely, and turning SQLite's failures into the
 * store's named errors.
 *
 * @module
 */

import { chmodSync, closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { StoreBusyError, StoreClosedError, StoreCorruptError, StoreError } from './errors.js'

/** The better-sqlite3 connection type, named once so the parts need not import the driver. */
export type Db = Database.Database

/** Path that keeps the whole store in memory (for tests); nothing touches the disk. */
export const MEMORY_PATH = ':memory:'

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

/** How {@link openDatabase} should open and check the file. */
export interface OpenDatabaseOptions {
  /** File path, or {@link MEMORY_PATH}. */
  path: string
  /** ms to wait for another connection's lock. */
  busyTimeout: number
  /** Run `PRAGMA quick_check` before use. */
  integrityCheck: boolean
  /** `full` syncs every commit to disk; `normal` (WAL) survives any process crash but may lose the last commits on a power cut. */
  durability: 'full' | 'normal'
}

/**
 * Opens (creating if need be) the database file with the store's connection
 * settings: WAL journal, `foreign_keys=ON`, `synchronous=FULL` or `NORMAL`
 * per `durability` (with FULL a committed message survives a power cut; with
 * NORMAL it survives any crash of the process), `secure_delete=ON` (deleted messages do not
 * linger in free pages) and a busy timeout.
 *
 * The parent directory is created with mode 0700 and a new file with mode
 * 0600; an existing file readable by group or others is narrowed to 0600
 * (SQLite gives the `-wal` and `-shm` files the same mode).
 *
 * @throws {StoreCorruptError} the file is not an SQLite database or fails the integrity check
 */
export function openDatabase (options: OpenDatabaseOptions): Db {
  const { path } = options
  if (path !== MEMORY_PATH) {
    prepareFile(path)
  }

  let db: Db
  try {
    db = new Database(path)
  } catch (err) {
    throw translateError(err, path)
  }

  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeout)}`)
    // The first statement that reads the header: a non-database fails here.
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('secure_delete = ON')
    if (options.integrityCheck) {
      checkIntegrity(db, path)
    }
  } catch (err) {
    db.close()
    throw translateError(err, path)
  }
  return db
}

function prepareFile (path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })

  let fd: number
  try {
    // 'wx' creates the file with our mode, or fails if it already exists.
    fd = openSync(path, 'wx', 0o600)
    closeSync(fd)
    return
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StoreError(`cannot create store file ${path}: ${(err as Error).message}`, { cause: err })
    }
  }

  const stats = statSync(path)
  if ((stats.mode & 0o077) !== 0) {
    chmodSync(path, 0o600)
  }
  if (stats.size > 0) {
    checkHeader(path)
  }
}

/**
 * SQLite treats a file shorter than its header as an empty database and
 * would overwrite it; checking the magic ourselves refuses any non-empty file
 * that is not a database instead of clobbering it.
 */
function checkHeader (path: string): void {
  const header = Buffer.alloc(SQLITE_HEADER.length)
  const fd = openSync(path, 'r')
  let read: number
  try {
    read = readSync(fd, header, 0, header.length, 0)
  } finally {
    closeSync(fd)
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) {
    throw new StoreCorruptError(`store file ${path} is not an SQLite database; move it aside to start afresh or restore a backup`, { path })
  }
}

function checkIntegrity (db: Db, path: string): void {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>
  const problems = rows.map(row => row.quick_check).filter(result => result !== 'ok')
  if (problems.length > 0) {
    throw new StoreCorruptError(`store file ${path} failed the integrity check: ${problems.slice(0, 3).join('; ')}`, { path })
  }
}

/**
 * Maps an error thrown by better-sqlite3 to the store's named errors; any
 * other error (including the store's own) passes through untouched.
 */
export function translateError (err: unknown, path: string): unknown {
  if (err instanceof Database.SqliteError) {
    const code = err.code
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
      return new StoreCorruptError(`store file ${path} is corrupt: ${err.message}`, { path, code, cause: err })
    }
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new StoreBusyError(`store file ${path} is locked by another process: ${err.message}`, { code, cause: err })
    }
    return new StoreError(`store operation failed: ${err.message}`, { code, cause: err })
  }
  return err
}

/**
 * Returns a copy of `api` whose methods throw {@link StoreClosedError} once
 * the connection is closed and translate SQLite errors with
 * {@link translateError}. Wrapping at the boundary keeps the parts free of
 * try/catch noise.
 */
export function guard<T extends object> (api: T, db: Db, path: string, onError?: (err: unknown) => void, beforeCall?: (method: string) => void): T {
  const wrapped: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(api)) {
    if (typeof value !== 'function') {
      wrapped[key] = value
      continue
    }
    const method = value as (...args: unknown[]) => unknown
    wrapped[key] = (...args: unknown[]): unknown => {
      if (!db.open) {
        throw new StoreClosedError()
      }
      try {
        beforeCall?.(key)
        return method.apply(api, args)
      } catch (err) {
        const translated = translateError(err, path)
        onError?.(translated)
        throw translated
      }
    }
  }
  return Object.freeze(wrapped) as T
}
