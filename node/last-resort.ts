/**
 * The daemon's last-resort handlers for errors that escaped every catch: an
 * `unhandledRejection` or `uncaughtException` would otherwise end the
 * process, and with it every conversation the node serves. Nothing a peer
 * does may end the process, so the daemon logs such an error and keeps
 * serving; the library catches its own (see src/util/guard.ts), so reaching
 * here is a bug worth reporting.
 *
 * Where carrying on is not safe it stops cleanly instead, with a message: a
 * corrupt or vanished database, or a burst of faults that says the process is
 * in a loop it cannot leave.
 *
 * @module
 */
import type { Log } from './log.js'

/** Faults within {@link BURST_WINDOW_MS} past which the daemon stops rather than spin. */
export const BURST_LIMIT = 20
/** The window of {@link BURST_LIMIT}, in ms. */
export const BURST_WINDOW_MS = 60_000

/** SQLite result codes after which the store cannot be trusted in this process. */
const FATAL_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR_DELETE_NOENT'])

/** Why the daemon stopped itself after a fault. */
export class DaemonFaultError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DaemonFaultError'
  }
}

/** What {@link installLastResort} needs. */
export interface LastResortInit {
  log: Log
  /** Called once when the daemon must stop; it should stop cleanly. */
  fatal: (err: DaemonFaultError) => void
  /** The process to watch. @default process */
  process?: Pick<NodeJS.Process, 'on' | 'off'>
  /** @default Date.now */
  now?: () => number
}

/** Installs the handlers; returns the function that removes them. */
export function installLastResort (init: LastResortInit): () => void {
  const proc = init.process ?? process
  const now = init.now ?? Date.now
  const recent: number[] = []
  let gaveUp = false

  const onFault = (kind: string) => (reason: unknown): void => {
    if (gaveUp) {
      return
    }
    try {
      const err = reason instanceof Error ? reason : new Error(String(reason))
      const code = (err as { code?: unknown }).code
      const t = now()
      recent.push(t)
      while (recent.length > 0 && recent[0]! <= t - BURST_WINDOW_MS) {
        recent.shift()
      }
      if (typeof code === 'string' && FATAL_CODES.has(code)) {
        gaveUp = true
        init.log.error('%s: %s (%s); the message store cannot be trusted any more, stopping cleanly', kind, err.message, code)
        init.fatal(new DaemonFaultError(`stopped after a fatal store error: ${err.message} (${code}); check the home's natter.db`, { cause: err }))
        return
      }
      if (recent.length > BURST_LIMIT) {
        gaveUp = true
        init.log.error('%s: %s; %d faults within %d s, stopping cleanly', kind, err.message, recent.length, BURST_WINDOW_MS / 1000)
        init.fatal(new DaemonFaultError(`stopped after ${recent.length} internal errors within ${BURST_WINDOW_MS / 1000} s; the last: ${err.message}`, { cause: err }))
        return
      }
      init.log.error('%s (a bug in natter; the daemon keeps serving): %s', kind, err.stack ?? err.message)
    } catch {
      // the last resort itself must not throw
    }
  }
  const onRejection = onFault('unhandled rejection')
  const onException = onFault('uncaught exception')
  proc.on('unhandledRejection', onRejection)
  proc.on('uncaughtException', onException)
  return () => {
    proc.off('unhandledRejection', onRejection)
    proc.off('uncaughtException', onException)
  }
}
