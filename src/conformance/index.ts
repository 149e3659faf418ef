/**
 * The natter conformance kit: drives any peer that claims to speak natter
 * through the observable rules of PROTOCOL.md, section by section, and
 * reports a result per rule (pass, fail, skip, or not observable from
 * outside) with the evidence seen. It needs no natter daemon: it starts its
 * own short-lived libp2p nodes ("probes") on loopback and dials the target.
 *
 * @example
 * ```ts
 * import { runConformance, formatReport } from 'natter/conformance'
 *
 * const report = await runConformance({ target: '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…' })
 * console.log(formatReport(report).join('\n'))
 * process.exitCode = report.summary.mustFailures > 0 ? 1 : 0
 * ```
 *
 * @module
 */
import { ensurePromiseWithResolvers } from '../polyfill.js'
import { dhtChecks } from './checks/dht.js'
import { dmChecks } from './checks/dm.js'
import { inviteChecks } from './checks/invite.js'
import { mailboxChecks } from './checks/mailbox.js'
import { presenceChecks } from './checks/presence.js'
import { presenceV2Checks } from './checks/presence-v2.js'
import { transportChecks } from './checks/transport.js'
import { runChecks } from './kit.js'
import type { CheckGroup } from './kit.js'
import type { ConformanceReport, RuleResult } from './report.js'

export { CONFORMANCE_PROTOCOL_VERSION, InvalidTargetError, parseTarget } from './kit.js'
export { formatReport, formatResult, summarize } from './report.js'
export type { ConformanceReport, RuleLevel, RuleOutcome, RuleResult } from './report.js'

/** The check groups, by name, in the order they run. */
export const CONFORMANCE_GROUPS = ['transport', 'dht', 'presence', 'dm', 'mailbox', 'invite'] as const

/** A group name. */
export type ConformanceGroup = typeof CONFORMANCE_GROUPS[number]

/** Options of {@link runConformance}. */
export interface ConformanceInit {
  /** The peer to check: a multiaddr ending in `/p2p/<Ed25519 peer id>`. */
  target: string
  /** The target's invite (`natter:…`), for the §7 checks. @default none: §7 is skipped */
  invite?: string
  /** Groups to run. @default all of {@link CONFORMANCE_GROUPS} */
  groups?: readonly ConformanceGroup[]
  /** Fill a depositor's mailbox quota (a few hundred deposits, some seconds). @default true */
  quotas?: boolean
  signal?: AbortSignal
  /** Called with each result as soon as it is known. */
  onResult?(result: RuleResult): void
}

/**
 * Runs the kit against `init.target` and returns the report. Throws
 * `InvalidTargetError` for a target that is not a multiaddr ending in
 * `/p2p/<Ed25519 peer id>`; every other problem is a result in the report.
 */
export async function runConformance (init: ConformanceInit): Promise<ConformanceReport> {
  // libp2p v3 on Node 20 needs Promise.withResolvers before any probe starts
  ensurePromiseWithResolvers()
  const all: Record<ConformanceGroup, CheckGroup> = {
    transport: transportChecks,
    dht: dhtChecks,
    presence: async (kit) => { await presenceChecks(kit); await presenceV2Checks(kit) },
    dm: dmChecks,
    mailbox: mailboxChecks({ quotas: init.quotas }),
    invite: inviteChecks
  }
  const wanted = new Set(init.groups ?? CONFORMANCE_GROUPS)
  return runChecks(CONFORMANCE_GROUPS.filter(g => wanted.has(g)).map(g => all[g]), init)
}
