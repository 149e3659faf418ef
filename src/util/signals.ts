/**
 * Abort-signal helpers, so that no module rebuilds `AbortSignal.any([...])`
 * by hand.
 *
 * @module
 */

/**
 * One signal that aborts when any of `signals` does, or after `timeoutMs`
 * (when given). Absent signals are skipped.
 *
 * @example
 * ```ts
 * await deliver(envelope, { signal: anySignal([shutdown, options.signal], 15_000) })
 * ```
 */
export function anySignal (signals: ReadonlyArray<AbortSignal | undefined>, timeoutMs?: number): AbortSignal {
  const all = signals.filter((s): s is AbortSignal => s != null)
  if (timeoutMs != null) {
    all.push(AbortSignal.timeout(timeoutMs))
  }
  return all.length === 1 ? all[0] as AbortSignal : AbortSignal.any(all)
}
