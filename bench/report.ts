/**
 * Turning suite results into a report: the machine line, natter-to-raw
 * ratios against the targets, and the human tables.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, arch, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatMs, formatRate } from './stats.js'
import type { Measurement, SuiteResults } from './suite.js'

/** Where the figures were taken. */
export interface MachineInfo {
  node: string
  cpu: string
  /** Logical CPUs the OS reports. */
  cores: number
  /** CPUs this process may use. */
  availableParallelism: number
  platform: string
  memoryGiB: number
  libp2p: string
  /** Where suites put their data dirs (natter's SQLite store): its disk's fsync cost is in natter's figures. */
  tmpdir: string
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number
}

/** Describes this machine and runtime. */
export function machineInfo (): MachineInfo {
  const cpuList = cpus()
  return {
    node: process.version,
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    platform: `${platform()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    libp2p: packageVersion('libp2p'),
    tmpdir: tmpdir(),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100
  }
}

function packageVersion (name: string): string {
  try {
    // walk up from the package's entry point to its package.json (its exports map hides it)
    let dir = dirname(fileURLToPath(import.meta.resolve(name)))
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
        if (pkg.name === name && pkg.version != null) {
          return pkg.version
        }
      } catch {
        // no package.json here; keep climbing
      }
      dir = dirname(dir)
    }
  } catch {
    // not resolvable
  }
  return 'unknown'
}

/** One suite's outcome as reported. */
export interface SuiteReport {
  description: string
  durationMs: number
  results: SuiteResults
  /** Set when the suite failed or ran out of time; `results` then holds what it finished. */
  error?: string
}

/** natter's figure beside the raw libp2p figure it is judged against. */
export interface Comparison {
  label: string
  natter: number
  baseline: number
  baselineLabel: string
  unit: 'ms' | 'msg/s' | 'µs'
  /** natter / baseline. */
  ratio: number
  /** From the performance issue; absent for figures shown for context. */
  target?: string
  meets?: boolean
}

interface ComparisonSpec {
  label: string
  natter: [key: string, field: string]
  baseline: [key: string, field: string]
  baselineLabel: string
  unit: Comparison['unit']
  /** Target on the ratio: at most `max` (latency) or at least `min` (throughput). */
  target?: { max: number } | { min: number }
}

const COMPARISONS: ComparisonSpec[] = [
  { label: 'send → ack p50', natter: ['sendAck', 'p50'], baseline: ['rttReused', 'p50'], baselineLabel: 'round trip p50, reused stream', unit: 'ms', target: { max: 2 } },
  { label: 'send → ack p50', natter: ['sendAck', 'p50'], baseline: ['rttNewStream', 'p50'], baselineLabel: 'round trip p50, new stream', unit: 'ms' },
  { label: 'send → ack p99', natter: ['sendAck', 'p99'], baseline: ['rttReused', 'p99'], baselineLabel: 'round trip p99, reused stream', unit: 'ms' },
  { label: 'send → ack p99', natter: ['sendAck', 'p99'], baseline: ['rttNewStream', 'p99'], baselineLabel: 'round trip p99, new stream', unit: 'ms' },
  { label: 'sustained acked sends', natter: ['rateAcked', 'perSecond'], baseline: ['rateAcked', 'perSecond'], baselineLabel: 'acked, pipelined', unit: 'msg/s', target: { min: 0.5 } },
  { label: 'sustained acked sends', natter: ['rateAcked', 'perSecond'], baseline: ['rateOneWay', 'perSecond'], baselineLabel: 'unacked one way', unit: 'msg/s' },
  { label: 'CPU per acked message', natter: ['rateAcked', 'cpuUsPerOp'], baseline: ['rateAcked', 'cpuUsPerOp'], baselineLabel: 'acked, pipelined', unit: 'µs' }
]

/** The suites whose figures are compared with raw libp2p: natter as configured by default, and variants. */
export const NATTER_SUITES = ['natter', 'natter-sealed']

/** natter's figures against the raw baseline; empty unless both suites produced them. */
export function compare (suites: Record<string, SuiteReport>): Comparison[] {
  return NATTER_SUITES.flatMap(name => compareSuite(name, suites))
}

function compareSuite (name: string, suites: Record<string, SuiteReport>): Comparison[] {
  const natter = suites[name]?.results
  const raw = suites.raw?.results
  if (natter == null || raw == null) {
    return []
  }
  const prefix = name === 'natter' ? '' : `[${name}] `
  const out: Comparison[] = []
  for (const spec of COMPARISONS) {
    const n = field(natter[spec.natter[0]], spec.natter[1])
    const b = field(raw[spec.baseline[0]], spec.baseline[1])
    if (n == null || b == null) {
      continue
    }
    const ratio = n / b
    const c: Comparison = { label: prefix + spec.label, natter: n, baseline: b, baselineLabel: spec.baselineLabel, unit: spec.unit, ratio }
    if (spec.target != null) {
      if ('max' in spec.target) {
        c.target = `≤ ${spec.target.max}×`
        c.meets = ratio <= spec.target.max
      } else {
        c.target = `≥ ${spec.target.min * 100}%`
        c.meets = ratio >= spec.target.min
      }
    }
    out.push(c)
  }
  return out
}

function field (m: Measurement | undefined, name: string): number | undefined {
  const v = (m as unknown as Record<string, unknown> | undefined)?.[name]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** The whole report as text: machine line, a table per suite, then the comparison. */
export function renderText (machine: MachineInfo, suites: Record<string, SuiteReport>, comparisons: Comparison[]): string {
  const lines: string[] = []
  lines.push(`machine: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores (${machine.availableParallelism} usable), ` +
    `${machine.platform}, ${machine.memoryGiB} GiB, libp2p ${machine.libp2p}, data dirs in ${machine.tmpdir}, load ${machine.loadAverage} at start`)
  lines.push('both ends of every exchange run in this one process, so each figure carries both ends\' CPU on one JS thread')
  for (const [name, suite] of Object.entries(suites)) {
    lines.push('', `## ${name}: ${suite.description} (${(suite.durationMs / 1000).toFixed(1)} s)`)
    if (suite.error != null) {
      lines.push(`  FAILED: ${suite.error}`)
    }
    lines.push(...renderResults(suite.results))
  }
  if (comparisons.length > 0) {
    lines.push('', '## natter vs raw libp2p')
    lines.push(...table(['figure', 'natter', 'raw libp2p', 'raw figure', 'ratio', 'target', ''], comparisons.map(c => [
      c.label,
      formatValue(c.natter, c.unit),
      formatValue(c.baseline, c.unit),
      c.baselineLabel,
      c.unit === 'msg/s' ? `${(c.ratio * 100).toFixed(1)}%` : `${c.ratio.toFixed(2)}×`,
      c.target ?? '',
      c.meets == null ? '' : c.meets ? 'meets' : 'MISSES'
    ]), [false, true, true, false, true, false, false]))
  }
  return lines.join('\n') + '\n'
}

function formatValue (v: number, unit: Comparison['unit']): string {
  if (unit === 'ms') {
    return formatMs(v)
  }
  if (unit === 'msg/s') {
    return formatRate(v)
  }
  return `${v.toFixed(0)} µs`
}

function renderResults (results: SuiteResults): string[] {
  const all = Object.values(results)
  const lines: string[] = []
  const latency = all.filter(m => m.kind === 'latency')
  if (latency.length > 0) {
    lines.push(...table(['latency', 'p50', 'p90', 'p99', 'mean', 'max', 'CPU/op', 'n'], latency.map(m => [
      m.label + (m.truncated ? ' (time cap hit)' : ''), formatMs(m.p50), formatMs(m.p90), formatMs(m.p99), formatMs(m.mean), formatMs(m.max),
      `${m.cpuUsPerOp.toFixed(0)} µs`, String(m.n)
    ]), [false, true, true, true, true, true, true, true]))
  }
  const rate = all.filter(m => m.kind === 'rate')
  if (rate.length > 0) {
    if (lines.length > 0) {
      lines.push('')
    }
    lines.push(...table(['rate', 'messages/s', 'CPU/msg', 'loop busy', 'latency p50', 'latency p99', 'n', 'time'], rate.map(m => [
      m.label + (m.truncated ? ' (time cap hit)' : ''),
      formatRate(m.perSecond, ''),
      `${m.cpuUsPerOp.toFixed(0)} µs`,
      `${(m.eventLoopUtilization * 100).toFixed(0)}%`,
      m.latency != null ? formatMs(m.latency.p50) : '',
      m.latency != null ? formatMs(m.latency.p99) : '',
      String(m.count),
      `${m.seconds.toFixed(2)} s`
    ]), [false, true, true, true, true, true, true, true]))
  }
  const ops = all.filter(m => m.kind === 'op')
  if (ops.length > 0) {
    if (lines.length > 0) {
      lines.push('')
    }
    lines.push(...table(['call', 'µs/call', 'n'], ops.map(m => [
      m.label + (m.truncated ? ' (time cap hit)' : ''), m.usPerOp.toFixed(1), String(m.count)
    ]), [false, true, true]))
  }
  return lines
}

/** A Markdown table with padded columns; `right[i]` right-aligns column i. */
export function table (headers: string[], rows: string[][], right: boolean[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const cell = (s: string, i: number): string => right[i] === true ? s.padStart(widths[i] ?? 0) : s.padEnd(widths[i] ?? 0)
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`
  const rule = `|${widths.map((w, i) => right[i] === true ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`).join('|')}|`
  return [line(headers), rule, ...rows.map(line)]
}
