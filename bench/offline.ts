/**
 * Offline delivery: a message sent while its recipient is offline is left
 * with mailbox peers; the figure is the time from the recipient starting
 * (`createNatter` called) to the message event. Target ≤ 2 s.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNatter } from '../src/index.js'
import { Samples, now } from './stats.js'
import { checkAborted } from './suite.js'
import type { Natter, NatterInit } from '../src/index.js'
import type { Suite, SuiteContext } from './suite.js'

const ROUNDS = 5

/** The offline-delivery suite. */
export const offlineSuite: Suite = {
  name: 'offline',
  description: 'recipient comes online → message fetched from mailbox peers; 3 mailbox nodes on 127.0.0.1',
  budgetMs: 90_000,
  run: runOffline
}

async function runOffline (ctx: SuiteContext): Promise<void> {
  const { signal, record, progress } = ctx
  const root = await mkdtemp(join(tmpdir(), 'natter-bench-offline-'))
  const running = new Set<Natter>()
  const start = async (name: string, init: Partial<NatterInit> = {}): Promise<Natter> => {
    const node = await createNatter({ dataDir: join(root, name), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', ...init })
    running.add(node)
    return node
  }
  const stop = async (node: Natter): Promise<void> => {
    running.delete(node)
    await node.stop()
  }
  try {
    const hub = await start('hub')
    const bootstrap = [hub.addresses[0]!]
    await start('m1', { bootstrap })
    await start('m2', { bootstrap })
    const alice = await start('alice', { bootstrap })
    // bob exists and knows alice, then goes offline
    let bob = await start('bob', { bootstrap })
    const bobId = bob.peerId
    await bob.contacts.add('alice', alice.peerId)
    await alice.contacts.add('bob', bobId)
    await stop(bob)

    const samples = new Samples(ROUNDS)
    for (let round = 0; round < ROUNDS; round++) {
      checkAborted(signal)
      const sent = await alice.send(bobId, `while you were away #${round}`, { wait: 'queued' })
      while (alice.messages.get(sent.id)?.state !== 'sent') {
        checkAborted(signal)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      const t0 = now()
      const arrived = Promise.withResolvers<void>()
      bob = await start('bob', { bootstrap })
      const onMessage = (e: CustomEvent<{ id: string }>): void => { if (e.detail.id === sent.id) arrived.resolve() }
      bob.addEventListener('message', onMessage)
      if (bob.messages.history(alice.peerId, { limit: 1000 }).some(m => m.id === sent.id)) {
        arrived.resolve()
      }
      await Promise.race([arrived.promise, new Promise((_resolve, reject) => signal.addEventListener('abort', () => { reject(new Error('aborted')) }, { once: true }))])
      samples.add(now() - t0)
      progress(`round ${round + 1}: ${(now() - t0).toFixed(0)} ms`)
      bob.removeEventListener('message', onMessage)
      await stop(bob)
    }
    record('online-to-delivered', { kind: 'latency', label: 'recipient starts → offline message delivered (target ≤ 2 s)', truncated: false, cpuUsPerOp: 0, ...samples.summary() })
  } finally {
    await Promise.allSettled([...running].map(async n => { await n.stop() }))
    await rm(root, { recursive: true, force: true })
  }
}
