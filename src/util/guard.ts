/**
 * Last line of defence for callbacks that nobody awaits (timers, event
 * listeners, fire-and-forget promises): an error thrown inside one would
 * otherwise become an uncaught exception or an unhandled rejection and end
 * the process. Nothing a peer does may end the process, so every such
 * callback runs through {@link guard}: the error is logged and dropped.
 */

/** The part of a logger {@link guard} needs. */
export interface GuardLog {
  error(formatter: string, ...args: unknown[]): void
}

/**
 * Wraps `fn` so that neither a synchronous throw nor a rejected promise it
 * returns escapes: both are logged as `<what> failed: <message>`.
 *
 * @example
 * ```ts
 * setInterval(guard(log, 'presence sweep', sweep), 1000)
 * ```
 */
export function guard<A extends unknown[]> (log: GuardLog, what: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A): void => {
    try {
      const result = fn(...args)
      if (result instanceof Promise) {
        result.catch(err => { report(log, what, err) })
      }
    } catch (err) {
      report(log, what, err)
    }
  }
}

function report (log: GuardLog, what: string, err: unknown): void {
  try {
    log.error('%s failed: %s', what, err instanceof Error ? err.message : String(err))
  } catch {
    // a logger that throws must not undo the guard
  }
}
