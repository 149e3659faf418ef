/**
 * The error-name lists the daemon and CLI map exhaustively (HTTP status, exit
 * code, hint) against the error classes the library really exports.
 */
import { describe, expect, it } from 'vitest'
import * as library from '../../src/index.js'
import { LIBRARY_ERROR_NAMES } from '../../node/errors.js'
import { STATUS, statusFor } from '../../node/api/errors.js'
import { ApiError, ExitCode, exitCodeFor, messageFor } from '../../cli/errors.js'

const exportedErrors = Object.entries(library)
  .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
  .map(([name]) => name)

describe('error names', () => {
  it('lists every error class the library exports, and nothing else from it', () => {
    const platform = new Set(['TimeoutError', 'AbortError'])
    expect(exportedErrors.length).toBeGreaterThan(20)
    expect([...exportedErrors].sort()).toEqual(LIBRARY_ERROR_NAMES.filter(n => !platform.has(n)).sort())
  })

  it('every exported class names its instances after itself', () => {
    for (const name of exportedErrors) {
      const Cls = (library as unknown as Record<string, new (...args: unknown[]) => Error>)[name]!
      // constructors differ; what matters is the `name` they set
      const err = Reflect.construct(Cls, ['x', { contact: 'c', peerId: 'p', newPeerId: 'n', reason: 'malformed', path: '/', found: 1, supported: 1, from: 1, to: 2, field: 'name', quota: 'peer', limit: 1 }])
      expect(err.name, name).toBe(name)
    }
  })

  it('maps library errors to statuses and exit codes; unknown names to 500 and 1', () => {
    expect(statusFor('ContactNotFoundError')).toBe(404)
    expect(statusFor('SomethingNewError')).toBe(500)
    expect(statusFor('toString')).toBe(500)
    expect(Object.keys(STATUS)).toEqual(expect.arrayContaining([...LIBRARY_ERROR_NAMES]))
    expect(exitCodeFor(new library.ContactNotFoundError('x'))).toBe(ExitCode.NOT_FOUND)
    expect(exitCodeFor(new ApiError('IdentityKeyChangedError', 'held', 409))).toBe(ExitCode.KEY_CHANGED)
    expect(exitCodeFor(new ApiError('constructor', 'odd', 500))).toBe(ExitCode.ERROR)
    expect(messageFor(new ApiError('ContactNotFoundError', 'carol is not a contact', 404))).toBe('carol is not a contact (see `natter contacts list`)')
  })
})
