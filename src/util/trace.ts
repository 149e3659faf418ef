/**
 * Stage timestamps of the messaging hot path, for `bench/perf-trace.ts`:
 * one message's timeline at both ends (store, seal, write, receiver
 * verify/open/store/commit, reply, ack). Off unless the process runs with
 * `NATTER_TRACE=1`; then each stage appends a label and an absolute time in
 * ms (comparable across processes on one machine), up to a bound.
 *
 * @module
 */

const enabled = process.env.NATTER_TRACE === '1'
/** Entries kept at most; later stages are dropped. */
export const TRACE_MAX_ENTRIES = 200_000
/** The recorded stages, oldest first: `[label, time in ms since the epoch]`. */
export const traceLog: Array<[string, number]> = []

/** Records that the hot path reached `label` (no-op unless `NATTER_TRACE=1`). */
export function trace (label: string): void {
  if (enabled && traceLog.length < TRACE_MAX_ENTRIES) {
    traceLog.push([label, performance.timeOrigin + performance.now()])
  }
}
