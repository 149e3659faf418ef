/**
 * natter's direct messages through its public API only: two nodes on
 * 127.0.0.1 with temporary data dirs, connected once, then `send()` timed
 * until the recipient's acknowledgement resolves it. Whatever the send path
 * does (sealing, signing, storing, ratcheting) is in the figure.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNatter } from '../src/index.js'
import { measureLatency, measureRate } from './load.js'
import { MESSAGE_BYTES, WINDOW } from './raw.js'
import { checkAborted } from './suite.js'
import type { Natter, NatterInit } from '../src/index.js'
import type { Suite, SuiteContext } from './suite.js'

const LATENCY_WARMUP = 200
const LATENCY_COUNT = 1000
const RATE_WARMUP = 200
const RATE_COUNT = 3000

/** The natter suite: default settings, forward-secret Double Ratchet sessions. */
export const natterSuite: Suite = {
  name: 'natter',
  description: 'natter send() → acknowledgement, Double Ratchet sessions, two contacts on 127.0.0.1, stores under os.tmpdir()',
  budgetMs: 85_000,
  run: async (ctx) => { await runNatter(ctx, {}) }
}

/** The same with `forwardSecrecy: false`: every envelope SEALED (ephemeral X25519 per message). */
export const natterSealedSuite: Suite = {
  name: 'natter-sealed',
  description: 'natter send() → acknowledgement, SEALED envelopes (no forward secrecy), same setup',
  budgetMs: 85_000,
  run: async (ctx) => { await runNatter(ctx, { forwardSecrecy: false }) }
}

async function runNatter (ctx: SuiteContext, init: Partial<NatterInit>): Promise<void> {
  const { signal, record } = ctx
  const dirs: string[] = []
  const nodes: Natter[] = []
  const stopAll = async (): Promise<void> => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) }
  const onAbort = (): void => { void stopAll() }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (let i = 0; i < 2; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'natter-bench-'))
      dirs.push(dataDir)
      nodes.push(await createNatter({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', ...init }))
    }
    const [alice, bob] = nodes as [Natter, Natter]
    const bobAddr = bob.addresses[0]
    if (bobAddr == null) {
      throw new Error('natter node has no address')
    }
    // friends, not strangers: messages land in the conversation, not the requests inbox
    await alice.contacts.add('bob', bob.peerId)
    await bob.contacts.add('alice', alice.peerId)
    await alice.connect(bobAddr, { signal })
    // bob's prekey bundle is in the DHT before timing starts, so no lookup wait is measured
    await bob.publishPrekeys()

    let received = 0
    const count = (): void => { received++ }
    bob.addEventListener('message', count)
    bob.addEventListener('request', count)
    // 1 KiB of UTF-8 text, different each time so nothing can be deduplicated
    const text = (i: number): string => `${String(i).padStart(8, '0')}${'x'.repeat(MESSAGE_BYTES - 8)}`
    let sent = 0
    const send = async (i: number): Promise<void> => {
      await alice.send(bob.peerId, text(i), { signal })
      sent++
    }

    // the very first message carries a proof-of-work stamp (about a second): it falls in the warm-up
    ctx.progress('natter: send → ack latency')
    record('sendAck', await measureLatency({
      label: 'send() → ack, 1 KiB text, sequential',
      count: LATENCY_COUNT,
      warmup: LATENCY_WARMUP,
      maxMs: 25_000,
      signal,
      op: send
    }))

    checkAborted(signal)
    ctx.progress(`natter: sustained sends, ${WINDOW} in flight`)
    await measureRate({ label: 'warm-up', count: RATE_WARMUP, window: WINDOW, maxMs: 10_000, signal, op: send })
    record('rateAcked', await measureRate({
      label: `1 KiB text, send() ${WINDOW} in flight`,
      count: RATE_COUNT,
      window: WINDOW,
      maxMs: 35_000,
      signal,
      op: send
    }))
    if (received !== sent) {
      ctx.warn(`natter: ${sent} sends acknowledged but ${received} messages received`)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    await stopAll()
    await Promise.allSettled(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}
