/**
 * The control API's bearer token: 32 random bytes, hex, in `<home>/api.token`
 * (mode 0600), created on the daemon's first start. Every request carries it
 * as `Authorization: Bearer <token>`.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, open, readFile, stat } from 'node:fs/promises'
import { HomeError } from '../errors.js'
import type { IncomingMessage } from 'node:http'

const TOKEN_PATTERN = /^[0-9a-f]{64}$/

/**
 * Reads the token, creating it (O_EXCL, mode 0600) if missing. A token file
 * other users can read is tightened back to 0600.
 */
export async function ensureToken (path: string): Promise<string> {
  try {
    const handle = await open(path, 'wx', 0o600)
    const token = randomBytes(32).toString('hex')
    try {
      await handle.writeFile(token + '\n')
    } finally {
      await handle.close()
    }
    return token
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new HomeError(`cannot create the API token ${path}: ${(err as Error).message}`, { cause: err })
    }
  }
  const info = await stat(path)
  if ((info.mode & 0o077) !== 0) {
    await chmod(path, 0o600)
  }
  const token = (await readFile(path, 'utf8')).trim()
  if (!TOKEN_PATTERN.test(token)) {
    throw new HomeError(`the API token ${path} is damaged (expected 64 hex characters); delete it and restart the daemon to make a new one`)
  }
  return token
}

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
export function isAuthorized (req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
    return false
  }
  const given = Buffer.from(header.slice('Bearer '.length).trim())
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
