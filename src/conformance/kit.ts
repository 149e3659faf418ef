/**
 * The conformance kit's runner: the probes it starts, the results it
 * collects, and the order the check groups run in.
 */
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { parsePeerId } from '../crypto/peer.js'
import { fullProbe, lightProbe, pubsubProbe } from './probe.js'
import { summarize } from './report.js'
import type { Ed25519Peer } from '../crypto/peer.js'
import type { PrekeyBundle } from '../crypto/ratchet/index.js'
import type { NatterLibp2p } from '../network/libp2p.js'
import type { LightLibp2p, Probe, PubsubLibp2p } from './probe.js'
import type { ConformanceReport, RuleLevel, RuleOutcome, RuleResult } from './report.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('natter:conformance')

/** The PROTOCOL.md version whose rules the kit checks. */
export const CONFORMANCE_PROTOCOL_VERSION = '1.1'

/** A target address that is not a multiaddr ending in `/p2p/<Ed25519 peer id>`. */
export class InvalidTargetError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidTargetError'
  }
}

/** What a check function returns: pass or fail with evidence, or another outcome. */
export type CheckOutcome = [boolean, string] | { outcome: RuleOutcome, evidence: string }

/** What every check group gets. */
export interface Kit {
  /** The target's address (ends in `/p2p/<peer id>`). */
  target: Multiaddr
  /** The target's identity. */
  peer: Ed25519Peer
  /** The target's invite, when given (§7). */
  invite?: string
  signal: AbortSignal
  /** A fresh light probe (stopped when the run ends). */
  light(): Promise<Probe<LightLibp2p>>
  /** A fresh gossipsub probe (stopped when the run ends). */
  pubsub(): Promise<Probe<PubsubLibp2p>>
  /** A fresh full probe: DHT and gossipsub (stopped when the run ends). */
  full(): Promise<Probe<NatterLibp2p>>
  /** Runs one rule's check; a throw is a failure with the error as evidence. Returns whether it passed. */
  check(section: string, level: RuleLevel, rule: string, fn: () => Promise<CheckOutcome>): Promise<boolean>
  /** Records a rule the kit does not check this run (`skip`) or cannot see (`unobservable`). */
  note(section: string, level: RuleLevel, rule: string, outcome: 'skip' | 'unobservable', evidence: string): void
  /** Facts one group learns for another (e.g. the proof-of-work difficulty the target wants). */
  facts: {
    requiredDifficulty?: number
    /** The target's prekey bundle, as its DHT record gave it (§6.3). */
    bundle?: PrekeyBundle
  }
}

/** A group of checks. */
export type CheckGroup = (kit: Kit) => Promise<void>

/** Options of {@link runChecks}. */
export interface RunInit {
  target: string
  invite?: string
  signal?: AbortSignal
  /** Called with each result as it is known (for progress output). */
  onResult?(result: RuleResult): void
}

/** Parses the target: a multiaddr ending in `/p2p/<Ed25519 peer id>`. Throws {@link InvalidTargetError}. */
export function parseTarget (value: string): { target: Multiaddr, peer: Ed25519Peer } {
  let target: Multiaddr
  try {
    target = multiaddr(value)
  } catch (err) {
    throw new InvalidTargetError(`"${value}" is not a multiaddr`, { cause: err })
  }
  const id = target.getComponents().findLast(c => c.name === 'p2p')?.value
  if (id == null) {
    throw new InvalidTargetError(`"${value}" does not end in /p2p/<peer id>`)
  }
  try {
    return { target, peer: parsePeerId(id) }
  } catch (err) {
    throw new InvalidTargetError(`"${id}" is not an Ed25519 peer id (PROTOCOL.md §1)`, { cause: err })
  }
}

/** Runs `groups` in order against the target and returns the report. */
export async function runChecks (groups: readonly CheckGroup[], init: RunInit): Promise<ConformanceReport> {
  const { target, peer } = parseTarget(init.target)
  const startedAt = Date.now()
  const results: RuleResult[] = []
  const probes: Libp2p[] = []
  const signal = init.signal ?? new AbortController().signal
  const push = (result: RuleResult): void => {
    results.push(result)
    try {
      init.onResult?.(result)
    } catch (err) {
      log.error('onResult threw: %s', (err as Error).message)
    }
  }
  const kit: Kit = {
    target,
    peer,
    invite: init.invite,
    signal,
    facts: {},
    async light () {
      const probe = await lightProbe()
      probes.push(probe.libp2p)
      return probe
    },
    async pubsub () {
      const probe = await pubsubProbe()
      probes.push(probe.libp2p)
      return probe
    },
    async full () {
      const probe = await fullProbe()
      probes.push(probe.libp2p)
      return probe
    },
    async check (section, level, rule, fn) {
      let outcome: RuleOutcome
      let evidence: string
      if (signal.aborted) {
        push({ section, level, rule, outcome: 'skip', evidence: 'the run was aborted' })
        return false
      }
      try {
        const r = await fn()
        if (Array.isArray(r)) {
          outcome = r[0] ? 'pass' : 'fail'
          evidence = r[1]
        } else {
          outcome = r.outcome
          evidence = r.evidence
        }
      } catch (err) {
        outcome = 'fail'
        evidence = `${(err as Error).name}: ${(err as Error).message}`
      }
      push({ section, level, rule, outcome, evidence })
      return outcome === 'pass'
    },
    note (section, level, rule, outcome, evidence) {
      push({ section, level, rule, outcome, evidence })
    }
  }
  try {
    for (const group of groups) {
      if (signal.aborted) {
        break
      }
      try {
        await group(kit)
      } catch (err) {
        // a group that breaks (a probe could not start) is reported, and the other groups still run
        push({ section: '-', level: 'MUST', rule: 'the kit could run this group', outcome: 'fail', evidence: `${(err as Error).name}: ${(err as Error).message}` })
      }
    }
  } finally {
    await Promise.allSettled(probes.map(async p => { await p.stop() }))
  }
  return {
    target: init.target,
    protocolVersion: CONFORMANCE_PROTOCOL_VERSION,
    startedAt,
    durationMs: Date.now() - startedAt,
    results,
    summary: summarize(results)
  }
}
