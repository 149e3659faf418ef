/**
 * The conformance report: one result per rule of PROTOCOL.md the kit checks
 * (or cannot observe), with the evidence it saw.
 */

/** RFC 2119 level of a rule. */
export type RuleLevel = 'MUST' | 'SHOULD' | 'MAY'

/**
 * What became of a rule:
 * - `pass` / `fail`: observed;
 * - `skip`: not run (a precondition failed, or an input such as `--invite` is missing);
 * - `unobservable`: the rule holds inside the peer and cannot be seen on the wire without a control hook.
 */
export type RuleOutcome = 'pass' | 'fail' | 'skip' | 'unobservable'

/** One line of the report. */
export interface RuleResult {
  /** PROTOCOL.md section, e.g. `§5`. */
  section: string
  level: RuleLevel
  /** The rule, in a few words. */
  rule: string
  outcome: RuleOutcome
  /** What the kit saw, or why it could not look. */
  evidence: string
}

/** The whole run. */
export interface ConformanceReport {
  /** The multiaddr checked. */
  target: string
  /** Protocol version of PROTOCOL.md the rules come from. */
  protocolVersion: string
  startedAt: number
  durationMs: number
  results: RuleResult[]
  summary: Record<RuleOutcome, number> & { mustFailures: number }
}

/** Counts outcomes; `mustFailures` decides the exit code. */
export function summarize (results: readonly RuleResult[]): ConformanceReport['summary'] {
  const summary = { pass: 0, fail: 0, skip: 0, unobservable: 0, mustFailures: 0 }
  for (const r of results) {
    summary[r.outcome]++
    if (r.outcome === 'fail' && r.level === 'MUST') {
      summary.mustFailures++
    }
  }
  return summary
}

/** One line per rule: `§5     MUST    pass  rule — evidence`. */
export function formatResult (r: RuleResult): string {
  return `${r.section.padEnd(7)} ${r.level.padEnd(6)} ${r.outcome.padEnd(12)} ${r.rule} — ${r.evidence}`
}

/** The report as text lines, ending with a summary. */
export function formatReport (report: ConformanceReport): string[] {
  const s = report.summary
  return [
    `natter conformance ${report.protocolVersion} against ${report.target}`,
    ...report.results.map(formatResult),
    `${s.pass} passed, ${s.fail} failed (${s.mustFailures} MUST), ${s.skip} skipped, ${s.unobservable} not observable, in ${(report.durationMs / 1000).toFixed(1)} s`
  ]
}
