/**
 * Load drivers shared by the suites: a sequential latency loop and a windowed
 * (N in flight) rate loop, both bounded by count and by time.
 */
import { performance } from 'node:perf_hooks'
import { deadline } from './suite.js'
import { Samples, now } from './stats.js'
import type { LatencyMeasurement, OpMeasurement, RateMeasurement } from './suite.js'

/** Options of {@link measureLatency}. */
export interface LatencyInit {
  label: string
  /** Timed iterations. */
  count: number
  /** Untimed iterations first (JIT, buffers, lazily opened streams). */
  warmup: number
  /** Time cap for warm-up plus timed iterations, ms. */
  maxMs: number
  signal: AbortSignal
  /** One operation; awaited before the next starts. */
  op: (i: number) => Promise<unknown>
}

/** Times `count` sequential calls of `op` after `warmup` untimed ones. */
export async function measureLatency (init: LatencyInit): Promise<LatencyMeasurement> {
  const cap = deadline(init.maxMs, init.signal)
  for (let i = 0; i < init.warmup && !cap.expired(); i++) {
    await init.op(i)
  }
  const samples = new Samples(init.count)
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < init.count && !cap.expired(); i++) {
    const t0 = now()
    await init.op(init.warmup + i)
    samples.add(now() - t0)
  }
  const cpu = process.cpuUsage(cpu0)
  const cpuUsPerOp = samples.length === 0 ? Number.NaN : (cpu.user + cpu.system) / samples.length
  return { kind: 'latency', label: init.label, ...samples.summary(), cpuUsPerOp, truncated: samples.length < init.count }
}

/** Options of {@link measureRate}. */
export interface RateInit {
  label: string
  /** Operations to complete. */
  count: number
  /** Operations in flight at once. */
  window: number
  /** Time cap, ms. */
  maxMs: number
  signal: AbortSignal
  /** One operation; up to `window` run concurrently. Resolves when acknowledged. */
  op: (i: number) => Promise<unknown>
}

/**
 * Runs `count` operations keeping `window` in flight, and reports the rate,
 * the CPU spent per operation (both ends, as they share this process), how
 * busy the event loop was, and each operation's latency under that load.
 */
export async function measureRate (init: RateInit): Promise<RateMeasurement> {
  const cap = deadline(init.maxMs, init.signal)
  const samples = new Samples(init.count)
  let next = 0
  let done = 0
  let failure: Error | undefined

  const worker = async (): Promise<void> => {
    while (failure == null && !cap.expired()) {
      const i = next++
      if (i >= init.count) {
        return
      }
      const t0 = now()
      try {
        await init.op(i)
      } catch (err) {
        failure ??= err as Error
        return
      }
      samples.add(now() - t0)
      done++
    }
  }

  const { elapsedMs, cpuUs, eventLoopUtilization } = await withUsage(async () => {
    await Promise.all(Array.from({ length: Math.max(1, init.window) }, worker))
  })
  if (failure != null) {
    throw failure
  }
  return {
    kind: 'rate',
    label: init.label,
    count: done,
    seconds: elapsedMs / 1000,
    perSecond: done / (elapsedMs / 1000),
    cpuUsPerOp: done === 0 ? Number.NaN : cpuUs / done,
    eventLoopUtilization,
    latency: samples.summary(),
    truncated: done < init.count
  }
}

/** Wall time, process CPU time and event-loop utilisation of one call. */
export interface Usage<T> {
  result: T
  elapsedMs: number
  /** User + system CPU of the whole process, µs. */
  cpuUs: number
  /** 0–1. */
  eventLoopUtilization: number
}

/** Runs `fn` and reports what it cost. */
export async function withUsage<T> (fn: () => Promise<T>): Promise<Usage<T>> {
  const cpu0 = process.cpuUsage()
  const elu0 = performance.eventLoopUtilization()
  const t0 = now()
  const result = await fn()
  const elapsedMs = now() - t0
  const elu = performance.eventLoopUtilization(elu0)
  const cpu = process.cpuUsage(cpu0)
  return { result, elapsedMs, cpuUs: cpu.user + cpu.system, eventLoopUtilization: elu.utilization }
}

/** Options of {@link measureOp}. */
export interface OpInit {
  label: string
  count: number
  warmup: number
  maxMs: number
  signal: AbortSignal
  op: () => unknown
}

/** Mean cost of a synchronous (or immediately awaited) call over a tight loop. */
export async function measureOp (init: OpInit): Promise<OpMeasurement> {
  const cap = deadline(init.maxMs, init.signal)
  for (let i = 0; i < init.warmup && !cap.expired(); i++) {
    await init.op()
  }
  let n = 0
  const t0 = now()
  for (; n < init.count && !cap.expired(); n++) {
    await init.op()
  }
  const elapsedMs = now() - t0
  return { kind: 'op', label: init.label, count: n, usPerOp: n === 0 ? Number.NaN : elapsedMs * 1000 / n, truncated: n < init.count }
}
