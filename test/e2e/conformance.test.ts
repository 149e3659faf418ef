/**
 * The conformance kit (`natter conformance`) against a real natter daemon:
 * natter must pass every rule the kit can observe. And the kit must be able
 * to fail: against a stock js-libp2p node that speaks none of natter's
 * protocols it reports MUST failures and exits non-zero.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { harness } from './helpers.js'
import type { ConformanceReport } from '../../src/conformance/index.js'
import type { Libp2p } from '@libp2p/interface'

/**
 * Rules natter does not meet yet, each with the reason; every other MUST rule must pass.
 * (Empty: the single-use FETCH nonce of erratum 8 landed with `faults`.)
 */
const PENDING: string[] = []

describe('natter conformance', () => {
  const h = harness()
  let stock: Libp2p | undefined
  afterEach(async () => {
    await stock?.stop()
    stock = undefined
    await h.cleanup()
  })

  it('a natter daemon passes every rule the kit can observe', async () => {
    const daemon = await h.startDaemon()
    const { invite } = await h.json<{ invite: string }>(['id'], { home: daemon.home })
    const run = await h.natter(['conformance', daemon.info.addresses[0]!, '--invite', invite, '--json'])
    const report = JSON.parse(run.stdout) as ConformanceReport
    const failed = report.results.filter(r => r.outcome === 'fail')
    const mustFailed = failed.filter(r => r.level === 'MUST' && !PENDING.includes(r.rule))
    expect(mustFailed, JSON.stringify(mustFailed, null, 2)).toEqual([])
    expect(run.code).toBe(failed.some(r => r.level === 'MUST') ? 1 : 0)
    // every group ran and was observed, not skipped
    const passed = new Set(report.results.filter(r => r.outcome === 'pass').map(r => `${r.section} ${r.rule}`))
    for (const rule of [
      '§2 speaks /natter/dm/1.0.0',
      '§2 a brand-new connection carries pings and a DM stream at once',
      '§6.3 refuses to store a prekey record with a bad signature',
      '§3.3 rejects seq above 2^53 − 1',
      '§3.3 accepts a note of exactly 140 UTF-8 bytes',
      '§3.6.1 serves presence v2\'s gossipsub /natter/presence/2/meshsub',
      '§3.6.5 forwards a well-formed record it cannot open',
      '§3.6.5 rejects a ciphertext other than 528 bytes',
      '§3.6.5 rejects records of one tag past 30 per epoch from one peer',
      '§5 INVALID, empty id, then close (not reset) on an undecodable frame (65,552 zero bytes)',
      '§4.3 refuses an empty TEXT (1..16384 bytes)',
      '§8.5.1 a stamp on a refused envelope is spent (or not) consistently',
      '§9.4 FETCH with the recipient\'s signature over the nonce returns the deposited envelope',
      '§9.3 QUOTA_EXCEEDED once a depositor\'s quota is full (natter: 200), nothing else changes',
      '§9.3 STAMP_REQUIRED (1.1) for a stranger\'s first unstamped deposit',
      '§9.4 a second FETCH over the same nonce: UNAUTHORIZED (single-use, 1.1)',
      '§9.2 INVALID, then close (not reset), for an undecodable request',
      '§6.8 INVALID for a ratchet message replayed in a new envelope (its message key was used)',
      '§7 a fresh node reaches the inviter through the invite\'s addresses'
    ]) {
      expect(passed, rule).toContain(rule)
    }
    // what the kit cannot see is said, not passed
    expect(report.results.filter(r => r.outcome === 'unobservable').length).toBeGreaterThan(0)
    expect(report.summary.mustFailures).toBe(failed.filter(r => r.level === 'MUST').length)
  }, 240_000)

  it('reports MUST failures and exits 1 against a stock libp2p node that speaks none of natter', async () => {
    stock = await createLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() }
    })
    const run = await h.natter(['conformance', stock.getMultiaddrs()[0]!.toString(), '--group', 'transport'])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/§2 +MUST +pass +connects over TCP \+ Noise \+ yamux and answers identify/)
    expect(run.stdout).toMatch(/§2 +MUST +fail +speaks \/natter\/dm\/1\.0\.0 — not among/)
    expect(run.stderr).toContain('MUST rule')
  }, 60_000)

  it('refuses a target that is not a multiaddr ending in /p2p/<peer id> (exit 2)', async () => {
    const run = await h.natter(['conformance', '/ip4/127.0.0.1/tcp/1'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('/p2p/')
  })
})
