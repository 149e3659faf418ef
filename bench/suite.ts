/**
 * What a benchmark suite is and what it returns. A suite is one file under
 * `bench/` exporting a {@link Suite}; `run.ts` lists them.
 */
import type { LatencySummary } from './stats.js'

/** Latency percentiles of one operation. */
export interface LatencyMeasurement extends LatencySummary {
  kind: 'latency'
  /** What was timed, in words. */
  label: string
  /** Process CPU time (user + system, both ends) per timed operation, µs. */
  cpuUsPerOp: number
  /** True when the time cap stopped the loop before its planned count. */
  truncated: boolean
}

/** A sustained rate: `count` operations completed in `seconds`. */
export interface RateMeasurement {
  kind: 'rate'
  label: string
  count: number
  seconds: number
  perSecond: number
  /** Process CPU time (user + system, both ends of the exchange) per operation, µs. */
  cpuUsPerOp: number
  /** Share of wall time the event loop was busy, 0–1. Near 1 means CPU-bound on the main thread. */
  eventLoopUtilization: number
  /** Latency of each operation while the window was full, when measured. */
  latency?: LatencySummary
  truncated: boolean
}

/** The cost of one call, from a tight loop. */
export interface OpMeasurement {
  kind: 'op'
  label: string
  /** Calls timed. */
  count: number
  /** Mean time per call, µs. */
  usPerOp: number
  truncated: boolean
}

export type Measurement = LatencyMeasurement | RateMeasurement | OpMeasurement

/** Results of one suite, by measurement key (unique within the suite). */
export type SuiteResults = Record<string, Measurement>

/** What a running suite gets from the runner. */
export interface SuiteContext {
  /** Aborts when the suite's time budget runs out; the suite must then stop and clean up. */
  signal: AbortSignal
  /** Progress lines, to stderr. */
  progress: (message: string) => void
  /** Something the reader of the figures should know (printed with them, and in the JSON). */
  warn: (message: string) => void
  /** Keeps one measurement; what was recorded is reported even if the suite later fails. */
  record: (key: string, measurement: Measurement) => void
}

/** A named group of measurements. */
export interface Suite {
  /** Short name, used by `--only` and as the suite's key in the report. */
  name: string
  description: string
  /** Hard time budget for the whole suite, ms. */
  budgetMs: number
  /**
   * Runs the measurements, passing each to `ctx.record`. Must release
   * everything it started (nodes, streams, temp dirs) before returning or throwing.
   */
  run: (ctx: SuiteContext) => Promise<void>
}

/**
 * A time cap for one measurement loop: `expired()` turns true once `ms` have
 * passed or `signal` aborted, so every loop stops by itself even when the
 * machine is slower than planned.
 */
export function deadline (ms: number, signal: AbortSignal): { expired: () => boolean } {
  const end = performance.now() + ms
  return { expired: () => signal.aborted || performance.now() > end }
}

/** Throws the signal's reason if it aborted. */
export function checkAborted (signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
  }
}
