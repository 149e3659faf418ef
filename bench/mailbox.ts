/**
 * Mailbox hand-over (issue 15, target 4): how long 100 sealed envelopes for an
 * offline recipient take to be stored by 3 mailbox peers, each envelope with
 * all three. The mailbox peers are natter nodes in a separate process (forked
 * bench/perf-peer.js); the depositor is a stock libp2p node running natter's
 * mailbox client (src/mailbox/client.ts), so the figure is the mailbox path
 * alone: no message insert, sealing or direct-delivery attempt (those are the
 * sender's hot path, measured by bench:perf's `mailbox` rows end to end).
 *
 *   npm run bench:mailbox [-- --repeats 3 --count 100 --stranger]
 *
 * Two shapes per run: a burst (all deposits asked for in one turn of the event
 * loop) and a trickle (one per turn, as an outbox hands them over). With
 * --stranger the mailboxes do not know the depositor and ask deposit stamps
 * (PROTOCOL.md §9.3, difficulty 20): the figure then includes minting them.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { Payload, sealEnvelope } from '../src/crypto/envelope.js'
import { parsePeerId } from '../src/crypto/peer.js'
import { createMailboxClient } from '../src/mailbox/client.js'
import { defaultLogger } from '@libp2p/logger'
import type { ChildProcess } from 'node:child_process'

ensurePromiseWithResolvers()
const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    count: { type: 'string', default: '100' },
    stranger: { type: 'boolean', default: false }
  }
})
const repeats = Math.max(1, Math.min(10, Number(values.repeats)))
const count = Math.max(1, Math.min(120, Number(values.count)))

/** The forked mailbox process, driven by bench/perf-peer.ts commands. */
function boxesProcess (): { call: <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>, child: ChildProcess } {
  const child = fork(join(here, 'perf-peer.js'), ['natter'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let seq = 0
  const waiting = new Map<number, { resolve(v: unknown): void, reject(e: Error): void }>()
  const ready = Promise.withResolvers<void>()
  child.on('message', (msg: { ready?: boolean, seq: number, ok: boolean, value?: unknown, error?: string }) => {
    if (msg.ready === true) { ready.resolve(); return }
    const w = waiting.get(msg.seq)
    waiting.delete(msg.seq)
    if (msg.ok) w?.resolve(msg.value)
    else w?.reject(new Error(msg.error))
  })
  child.on('exit', code => {
    const err = new Error(`mailbox process exited (${code})`)
    ready.reject(err)
    for (const w of waiting.values()) w.reject(err)
  })
  return {
    child,
    call: async <T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> => {
      await ready.promise
      const s = seq++
      const p = new Promise<T>((resolve, reject) => { waiting.set(s, { resolve: v => { resolve(v as T) }, reject }) })
      child.send({ seq: s, cmd, ...args })
      return p
    }
  }
}

type Shape = 'burst' | 'trickle'

/**
 * One measurement on fresh nodes: a new depositor key and new mailbox peers,
 * so the per-depositor quota (200 envelopes, PROTOCOL.md §9.3) starts empty.
 */
async function measure (shape: Shape): Promise<{ ms: number, copies: number }> {
  const key = await generateKeyPair('Ed25519')
  const self = parsePeerId(key.publicKey.toString())
  const boxes = boxesProcess()
  const depositor = await createLibp2p({ privateKey: key, addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  try {
    await boxes.call('start')
    const addrs = await boxes.call<string[]>('startExtra', { count: 3, contact: values.stranger === true ? undefined : self.peerId.toString() })
    for (const a of addrs) await depositor.dial(multiaddr(a))
    const client = createMailboxClient({
      libp2p: {
        peerId: depositor.peerId,
        dialProtocol: depositor.dialProtocol.bind(depositor),
        getConnections: depositor.getConnections.bind(depositor),
        // the three mailbox peers are the connected candidates
        services: { dht: { getClosestPeers: async function * () {} } }
      },
      key,
      self,
      log: defaultLogger().forComponent('bench:mailbox')
    }, { replication: 3 })
    const recipient = parsePeerId((await generateKeyPair('Ed25519')).publicKey.toString())
    const envelopes = await Promise.all(Array.from({ length: count + 1 }, async (_, i) => (await sealEnvelope({
      senderKey: key, sender: self.bytes, recipient, payload: { type: Payload.Type.TEXT, text: `${shape} ${i}`, seq: BigInt(i + 1), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    })).bytes))
    // warm-up: one deposit opens the streams' connections (and pays a stranger's first stamps)
    await client.deposit(recipient, envelopes.pop() as Uint8Array)
    const t0 = performance.now()
    const pending: Array<Promise<number>> = []
    for (const e of envelopes) {
      pending.push(client.deposit(recipient, e))
      if (shape === 'trickle') {
        await new Promise(resolve => setImmediate(resolve))
      }
    }
    const copies = await Promise.all(pending)
    return { ms: performance.now() - t0, copies: copies.reduce((a, b) => a + b, 0) }
  } finally {
    await depositor.stop()
    await boxes.call('stop').catch(() => {})
    setTimeout(() => { boxes.child.kill('SIGTERM') }, 5_000).unref()
  }
}

const rows: string[] = []
for (let r = 0; r < repeats; r++) {
  for (const shape of ['burst', 'trickle'] as const) {
    const { ms, copies } = await measure(shape)
    process.stderr.write(`run ${r + 1} ${shape}: ${ms.toFixed(0)} ms, ${copies} copies\n`)
    rows.push(`| ${r + 1} | ${shape === 'burst' ? 'burst (one turn)' : 'one per event-loop turn'} | ${count} | ${ms.toFixed(0)} | ${copies} |`)
  }
}
process.stdout.write(`\nmailbox hand-over, 3 natter mailbox peers in another process, depositor ${values.stranger === true ? 'a stranger (deposit stamps)' : 'their contact (no stamps)'}\n\n`)
process.stdout.write('| run | shape | envelopes | ms until all stored | copies stored |\n|---|---|---|---|---|\n')
process.stdout.write(rows.join('\n') + '\n')
