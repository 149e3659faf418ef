/**
 * A small key-value table for the node's own state (last announced presence
 * sequence number, preferences, …). Each key holds either a JSON value or
 * bytes.
 *
 * @module
 */

import { InvalidArgumentError } from '../base-errors.js'
import { SettingTypeError } from './errors.js'
import { assertBytes, assertString, toBytes } from './validate.js'
import type { Db } from './database.js'

/** Key-value settings. */
export interface Settings {
  /**
   * The JSON value stored under `key`, parsed, or `undefined` if none.
   * Validate it (e.g. with zod) before use.
   *
   * @throws {SettingTypeError} the key holds bytes
   */
  get(key: string): unknown
  /**
   * Stores a JSON-serializable value under `key`, replacing what was there.
   *
   * @throws {InvalidArgumentError} the value does not serialize to JSON
   */
  set(key: string, value: unknown): void
  /**
   * The bytes stored under `key`, or `undefined` if none.
   *
   * @throws {SettingTypeError} the key holds a JSON value
   */
  getBytes(key: string): Uint8Array | undefined
  /** Stores bytes under `key`, replacing what was there. */
  setBytes(key: string, value: Uint8Array): void
  /** Deletes `key`; returns whether it existed. */
  delete(key: string): boolean
}

/** What the settings table needs. */
export interface SettingsComponents {
  db: Db
  now(): number
}

interface SettingRow {
  json: string | null
  bytes: Uint8Array | null
}

/** Creates the settings table over an open, migrated database. */
export function settings (components: SettingsComponents): Settings {
  const { db, now } = components
  const select = db.prepare<[string], SettingRow>('SELECT json, bytes FROM settings WHERE key = ?')
  const upsert = db.prepare(`
    INSERT INTO settings (key, json, bytes, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET json = excluded.json, bytes = excluded.bytes, updated_at = excluded.updated_at`)
  const remove = db.prepare('DELETE FROM settings WHERE key = ?')

  return {
    get (key) {
      const row = select.get(key)
      if (row === undefined) {
        return undefined
      }
      if (row.json === null) {
        throw new SettingTypeError(`setting "${key}" holds bytes; read it with getBytes`)
      }
      return JSON.parse(row.json)
    },
    set (key, value) {
      assertString('key', key)
      let json: string | undefined
      try {
        json = JSON.stringify(value)
      } catch (err) {
        throw new InvalidArgumentError(`setting "${key}" cannot be stored as JSON: ${(err as Error).message}`, { cause: err })
      }
      if (json === undefined) {
        throw new InvalidArgumentError(`setting "${key}" cannot be stored as JSON (got ${typeof value})`)
      }
      upsert.run(key, json, null, now())
    },
    getBytes (key) {
      const row = select.get(key)
      if (row === undefined) {
        return undefined
      }
      if (row.bytes === null) {
        throw new SettingTypeError(`setting "${key}" holds a JSON value; read it with get`)
      }
      return toBytes(row.bytes)
    },
    setBytes (key, value) {
      assertString('key', key)
      assertBytes('value', value)
      upsert.run(key, null, value, now())
    },
    delete (key) {
      return remove.run(key).changes > 0
    }
  }
}
