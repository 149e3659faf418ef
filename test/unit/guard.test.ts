import { describe, expect, it } from 'vitest'
import { BURST_LIMIT, installLastResort } from '../../node/last-resort.js'
import { guard } from '../../src/util/guard.js'
import { wireUint } from '../../src/util/wire-int.js'
import type { Log } from '../../node/log.js'

function recordingLog (): Log & { lines: string[] } {
  const lines: string[] = []
  const line = (message: string, ...args: unknown[]): void => { lines.push([message, ...args].join(' ')) }
  return { lines, error: line, warn: line, info: line, debug: line }
}

describe('guard', () => {
  it('logs a synchronous throw instead of letting it escape', () => {
    const log = recordingLog()
    const fn = guard(log, 'sweep', () => { throw new Error('disk full') })
    expect(() => { fn() }).not.toThrow()
    expect(log.lines.join('\n')).toContain('disk full')
  })

  it('logs a rejection instead of leaving it unhandled', async () => {
    const log = recordingLog()
    guard(log, 'republish', async () => { throw new Error('SQLITE_FULL') })()
    await new Promise(resolve => setImmediate(resolve))
    expect(log.lines.join('\n')).toContain('SQLITE_FULL')
  })

  it('passes arguments through', () => {
    const seen: number[] = []
    guard(recordingLog(), 'x', (a: number, b: number) => { seen.push(a + b) })(2, 3)
    expect(seen).toEqual([5])
  })
})

describe('wireUint', () => {
  it('accepts 0 and 2^53 - 1 and refuses 2^53 and above with a named error', () => {
    expect(wireUint(0n, 'seq')).toBe(0)
    expect(wireUint(2n ** 53n - 1n, 'seq')).toBe(Number.MAX_SAFE_INTEGER)
    expect(() => wireUint(2n ** 53n, 'seq')).toThrow(expect.objectContaining({ name: 'InvalidMessageError', reason: 'malformed' }))
    expect(() => wireUint(2n ** 64n - 1n, 'seq')).toThrow(/out of range/)
  })
})

describe('the daemon\'s last-resort handlers', () => {
  function fakeProcess () {
    const handlers = new Map<string, (reason: unknown) => void>()
    return {
      handlers,
      on (event: string, fn: (reason: unknown) => void) { handlers.set(event, fn); return this },
      off (event: string) { handlers.delete(event); return this }
    }
  }

  it('log an unhandled rejection and keep serving', () => {
    const log = recordingLog()
    const proc = fakeProcess()
    const fatal: Error[] = []
    const uninstall = installLastResort({ log, fatal: err => fatal.push(err), process: proc as never })
    proc.handlers.get('unhandledRejection')!(new Error('boom'))
    proc.handlers.get('uncaughtException')!(new Error('bang'))
    expect(fatal).toEqual([])
    expect(log.lines.join('\n')).toMatch(/keeps serving.*boom/s)
    uninstall()
    expect(proc.handlers.size).toBe(0)
  })

  it('stop cleanly on a corrupt store', () => {
    const proc = fakeProcess()
    const fatal: Error[] = []
    installLastResort({ log: recordingLog(), fatal: err => fatal.push(err), process: proc as never })
    proc.handlers.get('uncaughtException')!(Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' }))
    expect(fatal).toHaveLength(1)
    expect(fatal[0]!.name).toBe('DaemonFaultError')
  })

  it('stop cleanly after a burst of faults, once', () => {
    const proc = fakeProcess()
    const fatal: Error[] = []
    let t = 0
    installLastResort({ log: recordingLog(), fatal: err => fatal.push(err), process: proc as never, now: () => t })
    for (let i = 0; i <= BURST_LIMIT + 5; i++) {
      t += 10
      proc.handlers.get('unhandledRejection')!(new Error(`fault ${i}`))
    }
    expect(fatal).toHaveLength(1)
  })

  it('forget faults older than the window', () => {
    const proc = fakeProcess()
    const fatal: Error[] = []
    let t = 0
    installLastResort({ log: recordingLog(), fatal: err => fatal.push(err), process: proc as never, now: () => t })
    for (let i = 0; i < BURST_LIMIT * 3; i++) {
      t += 10_000
      proc.handlers.get('unhandledRejection')!(new Error(`fault ${i}`))
    }
    expect(fatal).toEqual([])
  })
})
