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
  it('lists every error class the library exports', () => {
    expect(exportedErrors.length).toBeGreaterThan(20)
    expect(LIBRARY_ERROR_NAMES).toEqual(expect.arrayContaining(exportedErrors))
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
