/**
 * Summaries of benchmark samples: latency percentiles and rates.
 */

/** Percentiles and extremes of a set of latency samples, all in ms. */
export interface LatencySummary {
  /** Number of samples. */
  n: number
  p50: number
  p90: number
  p99: number
  mean: number
  min: number
  max: number
}

/**
 * The `p`-th percentile (0–100) of samples sorted ascending, by linear
 * interpolation between the two closest ranks (numpy's default), so small
 * sample sets do not jump from one sample to the next.
 */
export function percentile (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    return Number.NaN
  }
  const rank = Math.min(Math.max(p, 0), 100) / 100 * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (rank - lo)
}

/** Summarises latency samples in ms. Does not modify `samples`. */
export function summarize (samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const s of sorted) {
    sum += s
  }
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    min: sorted.length === 0 ? Number.NaN : sorted[0] as number,
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1] as number
  }
}

/**
 * Collects latency samples into a preallocated buffer, so recording one does
 * not allocate while the benchmark runs.
 */
export class Samples {
  private readonly buf: Float64Array
  private count = 0

  constructor (capacity: number) {
    this.buf = new Float64Array(capacity)
  }

  /** Records one sample (ms); samples past the capacity are dropped. */
  add (ms: number): void {
    if (this.count < this.buf.length) {
      this.buf[this.count++] = ms
    }
  }

  get length (): number {
    return this.count
  }

  summary (): LatencySummary {
    return summarize(this.buf.subarray(0, this.count))
  }
}

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function now (): number {
  return performance.now()
}

/** Formats a duration in ms with a sensible number of digits. */
export function formatMs (ms: number): string {
  if (!Number.isFinite(ms)) {
    return '–'
  }
  if (ms < 1) {
    return `${ms.toFixed(3)} ms`
  }
  if (ms < 100) {
    return `${ms.toFixed(2)} ms`
  }
  return `${ms.toFixed(0)} ms`
}

/** Formats a per-second rate. */
export function formatRate (perSecond: number, unit = 'msg/s'): string {
  if (!Number.isFinite(perSecond)) {
    return '–'
  }
  const n = Math.round(perSecond).toLocaleString('en-US')
  return unit === '' ? n : `${n} ${unit}`
}
