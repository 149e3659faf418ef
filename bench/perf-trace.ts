/**
 * One message's timeline at both ends: two natter nodes in separate
 * processes (bench/perf-peer.ts) with `NATTER_TRACE=1`, sequential sends
 * (one message in flight), and the median time between consecutive stages
 * (src/util/trace.ts: store, seal, write, receiver verify/open/store/commit,
 * reply, ack). Asserts nothing.
 *
 *   node dist/bench/perf-trace.js [--count 300] [--warmup 50]
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { ChildProcess } from 'node:child_process'

ensurePromiseWithResolvers()

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { count: { type: 'string', default: '300' }, warmup: { type: 'string', default: '50' } } })
const count = Math.max(20, Math.min(5000, Number(values.count)))
const warmup = Math.max(1, Math.min(5000, Number(values.warmup)))

interface Peer { child: ChildProcess, call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> }

function peer (): Peer {
  const child = fork(join(here, 'perf-peer.js'), ['natter'], { env: { ...process.env, NATTER_TRACE: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let seq = 0
  const waiting = new Map<number, { resolve(v: unknown): void, reject(e: Error): void }>()
  const ready = Promise.withResolvers<void>()
  child.on('message', (m: { ready?: boolean, seq: number, ok: boolean, value?: unknown, error?: string }) => {
    if (m.ready === true) { ready.resolve(); return }
    const w = waiting.get(m.seq)
    waiting.delete(m.seq)
    if (m.ok) w?.resolve(m.value)
    else w?.reject(new Error(m.error))
  })
  child.on('exit', () => { ready.reject(new Error('perf-peer exited')); for (const w of waiting.values()) w.reject(new Error('perf-peer exited')) })
  return {
    child,
    async call<T> (cmd: string, args: Record<string, unknown> = {}): Promise<T> {
      await ready.promise
      const s = seq++
      const p = new Promise<T>((resolve, reject) => { waiting.set(s, { resolve: v => { resolve(v as T) }, reject }) })
      child.send({ seq: s, cmd, ...args })
      return p
    }
  }
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0
const rx = peer()
const tx = peer()
try {
  const r = await rx.call<{ peerId: string, addresses: string[] }>('start')
  const t = await tx.call<{ peerId: string }>('start')
  await rx.call('addContact', { name: 'alice', peerId: t.peerId })
  await tx.call('addContact', { name: 'bob', peerId: r.peerId })
  await tx.call('connect', { address: r.addresses[0] })
  await rx.call('publish')
  // the first message carries a proof-of-work stamp and starts the session: in the warm-up
  await tx.call('latency', { peerId: r.peerId, count: warmup, warmup: 0, maxMs: 60_000 })
  await tx.call('trace')
  await rx.call('trace')
  const latency = await tx.call<{ p50: number, p90: number, cpuUsPerOp: number }>('latency', { peerId: r.peerId, count, warmup: 0, maxMs: 120_000 })
  const all = [...await tx.call<Array<[string, number]>>('trace'), ...await rx.call<Array<[string, number]>>('trace')].sort((a, b) => a[1] - b[1])
  // one message's stages run from its tx.send to the next tx.send (one in flight)
  const messages: Array<Array<[string, number]>> = []
  for (const entry of all) {
    if (entry[0] === 'tx.send') messages.push([])
    messages.at(-1)?.push(entry)
  }
  const steps = new Map<string, number[]>()
  for (const m of messages.slice(5)) {
    for (let i = 1; i < m.length; i++) {
      const key = `${m[i - 1]?.[0]} → ${m[i]?.[0]}`
      const list = steps.get(key) ?? []
      list.push((m[i]?.[1] ?? 0) - (m[i - 1]?.[1] ?? 0))
      steps.set(key, list)
    }
  }
  process.stdout.write(`send→ack p50 ${latency.p50.toFixed(2)} ms, p90 ${latency.p90.toFixed(2)} ms, CPU ${(latency.cpuUsPerOp / 1000).toFixed(2)} ms per message (both ends)\n\n`)
  process.stdout.write('| stage → next stage | messages | median µs |\n| --- | --- | --- |\n')
  // the usual order first: steps seen in at least half of the messages
  for (const [key, list] of [...steps].filter(([, l]) => l.length >= messages.length / 2)) {
    process.stdout.write(`| ${key} | ${list.length} | ${Math.round(median(list) * 1000)} |\n`)
  }
  process.stdout.write(`\nmedian total per message: ${Math.round(median(messages.slice(5).map(m => (m.at(-1)?.[1] ?? 0) - (m[0]?.[1] ?? 0))) * 1000)} µs\n`)
} finally {
  await Promise.all([rx, tx].map(async p => p.call('stop').catch(() => {})))
  process.exit(0)
}
