/**
 * `npm run bench:presence`: presence v1 (one global topic, every record to
 * every node) next to presence v2 (sealed records on shard topics, a node
 * follows its own shard and its contacts') in the same run, at N = 10, 50,
 * 100 nodes (override: PRESENCE_BENCH_N=10,50). Figures, not assertions.
 * Run it niced (`nice -n 10 npm run bench:presence`): the workers inherit it.
 *
 * How it runs (why: the one-process bench of 1.2 starved at N = 50/100; its
 * CPU profile showed the process's single event loop, not presence, as the
 * limit):
 * - The N nodes are spread over K worker processes (bench/presence-worker.ts;
 *   K = ceil(N / 12), 2 to 10, override PRESENCE_BENCH_PROCS), node i in
 *   worker i mod K, so most contacts live in another process. Each node is
 *   natter's real network stack (`createNetwork`, local mode: TCP, Noise,
 *   yamux, identify, ping, kad-dht, both gossipsubs with natter's scoring).
 * - Connected like a real network, not a full mesh: each node dials two
 *   bootstrap nodes and two random earlier nodes (what a DHT walk would have
 *   found), and its contacts (natter's DM channel connects them when it hands
 *   over the presence keys); presence v2 then finds further shard peers
 *   itself (DHT provider records, PROTOCOL.md §3.6.3). Same graph for v1 and v2.
 * - Each node has C = 4 contacts (ring neighbours ±1, ±2). Presence keys are
 *   handed over in memory instead of through the DM control channel (a
 *   one-off per contact pair that the integration tests cover).
 * - This coordinator does all timing on its one clock: a change's latency
 *   runs from the moment it sends the "set" request to a worker until the
 *   moment it receives the watcher's "seen" message — two IPC hops included,
 *   so the figure is an upper bound.
 *
 * Per N and per version: change → all contacts latency p50 / p99 / max (20
 * publishers change their note one after the other; each of their contacts'
 * time to accept it), presence records and bytes received per node per
 * minute (unique records accepted by the node's validator), CPU per node per
 * minute (all of the workers' CPU over the window, divided by N: libp2p,
 * DHT and gossip heartbeats included) and heap per node. Then a table and an
 * ASCII plot of the per-node cost against N.
 */
import { loadavg } from 'node:os'
import { randomBytes } from 'node:crypto'
import { spawnWorker } from './workers.js'
import type { BenchWorker } from './workers.js'
import type { SeenEvent, WorkerCounters, WorkerRequest } from './presence-worker.js'
import { sumCounts } from './wire-count.js'
import type { WireCounts } from './wire-count.js'

const SIZES = (process.env.PRESENCE_BENCH_N ?? '10,50,100').split(',').map(Number)
const CONTACTS = [-2, -1, 1, 2]
const TTL_MS = 30_000
const REPUBLISH_MS = 10_000
const WINDOW_MS = Number(process.env.PRESENCE_BENCH_WINDOW_MS ?? 30_000)
const SETTLE_MS = Number(process.env.PRESENCE_BENCH_SETTLE_MS ?? 10_000)
const CHANGES = Number(process.env.PRESENCE_BENCH_CHANGES ?? 20)
const VERSIONS = (process.env.PRESENCE_BENCH_VERSIONS ?? 'v1,v2').split(',').filter((v): v is 'v1' | 'v2' => v === 'v1' || v === 'v2')
/**
 * PRESENCE_BENCH_PROFILE=DIR: each worker writes a V8 CPU profile of the idle window only (not of the set-up) into
 * DIR; summarise with `node dist/bench/profile-summary.js DIR`.
 */
const PROFILE_TAG = `${Date.now()}`
let tagCounter = 0
/** Whether the per-protocol message table is printed (PRESENCE_BENCH_WIRE=0 hides it). */
const SHOW_WIRE = process.env.PRESENCE_BENCH_WIRE !== '0'
const CHANGE_TIMEOUT_MS = 5_000

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!
}

type Worker = BenchWorker<WorkerRequest>

function spawn (onSeen: (e: SeenEvent) => void): Worker {
  return spawnWorker<WorkerRequest, SeenEvent & { op: string }>(new URL('./presence-worker.js', import.meta.url), (e) => { if (e.op === 'seen') onSeen(e) }, { execArgv: ['--expose-gc'], env: { ...process.env, PRESENCE_BENCH_PROFILE_TAG: `${PROFILE_TAG}-${tagCounter++}` } })
}

interface Figures {
  n: number
  procs: number
  version: 'v1' | 'v2'
  p50: number
  p99: number
  max: number
  missed: number
  deliveries: number
  recordsPerMin: number
  bytesPerMin: number
  cpuMsPerMin: number
  heapPerNodeKiB: number
  rssPerNodeMiB: number
  connectionsPerNode: number
  load: string
  /** Per node per minute over the idle window, by protocol (bench/wire-count.ts). */
  wire: WireCounts
}

const loadNow = (): string => loadavg().map(l => l.toFixed(1)).join(' ')

async function runSize (n: number): Promise<Figures[]> {
  const procs = Number(process.env.PRESENCE_BENCH_PROCS ?? Math.min(10, Math.max(2, Math.ceil(n / 12))))
  // publisher → watcher → time the coordinator learnt of it
  const seen = new Map<string, Map<string, number>>()
  const want = new Map<string, string>()
  let notify: (() => void) | undefined
  const onSeen = (e: SeenEvent): void => {
    if (want.get(e.publisher) !== e.note) return
    const m = seen.get(e.publisher) ?? new Map<string, number>()
    if (!m.has(e.watcher)) m.set(e.watcher, performance.now())
    seen.set(e.publisher, m)
    notify?.()
  }
  const workers = Array.from({ length: procs }, () => spawn(onSeen))
  const workerOf = (i: number): Worker => workers[i % procs]!
  try {
    type Created = Array<{ index: number, id: string, addrs: string[], key: string, generation: string }>
    const created = (await Promise.all(workers.map(async (w, k) => w.call<Created>({ op: 'create', indices: Array.from({ length: n }, (_, i) => i).filter(i => i % procs === k) })))).flat()
    created.sort((a, b) => a.index - b.index)
    // bootstrap + a few earlier nodes each (a DHT walk's worth), staggered by index; and each node's contacts
    // (ring +1, +2: each pair once), as natter's DM channel leaves them after handing over the presence keys
    const dials = new Map<number, string[]>()
    for (let i = 0; i < n; i++) {
      const targets = new Set<number>([0, 1].filter(b => b < i))
      const earlier = Array.from({ length: i }, (_, j) => j).filter(j => !targets.has(j)).sort(() => Math.random() - 0.5).slice(0, 2)
      for (const e of earlier) targets.add(e)
      for (const d of CONTACTS.filter(d => d > 0)) targets.add((i + d) % n)
      targets.delete(i)
      dials.set(i, [...targets].map(t => created[t]!.addrs[0]!))
    }
    for (let k = 0; k < procs; k++) {
      await workers[k]!.call({ op: 'connect', dials: Object.fromEntries([...dials].filter(([i]) => i % procs === k)) })
    }
    const contacts: Record<number, string[]> = {}
    for (let i = 0; i < n; i++) {
      contacts[i] = [...new Set(CONTACTS.map(d => created[(i + d + n) % n]!.id))].filter(p => p !== created[i]!.id)
    }
    const keys = Object.fromEntries(created.map(c => [c.id, { key: c.key, generation: c.generation }]))
    const out: Figures[] = []
    for (const version of VERSIONS) {
      const base = await Promise.all(workers.map(async w => w.call<WorkerCounters>({ op: 'read' })))
      await Promise.all(workers.map(async (w, k) => w.call({
        op: 'start', version, ttlMs: TTL_MS, republishMs: REPUBLISH_MS, keys,
        contacts: Object.fromEntries(Object.entries(contacts).filter(([i]) => Number(i) % procs === k))
      })))
      // meshes settle (gossipsub heartbeats; v2: contacts dialled and DHT rendezvous for shards)
      await sleep(SETTLE_MS)
      await Promise.all(workers.map(async w => w.call({ op: 'reset' })))
      await sleep(WINDOW_MS)
      const counters = await Promise.all(workers.map(async w => w.call<WorkerCounters>({ op: 'read' })))
      const sum = (f: (c: WorkerCounters) => number): number => counters.reduce((a, c) => a + f(c), 0)
      const perMin = (v: number): number => v / n * 60_000 / WINDOW_MS
      const wire = Object.fromEntries(Object.entries(sumCounts(counters.map(c => c.wire))).map(([k, v]) => [k, perMin(v)]))

      // change → all contacts, one publisher at a time
      const latencies: number[] = []
      const publishers = Array.from({ length: n }, (_, i) => i).sort(() => Math.random() - 0.5).slice(0, Math.min(CHANGES, n))
      for (const p of publishers) {
        const id = created[p]!.id
        const note = `n-${randomBytes(4).toString('hex')}`
        want.set(id, note)
        seen.delete(id)
        const start = performance.now()
        const done = new Promise<void>(resolve => {
          const timer = setTimeout(resolve, CHANGE_TIMEOUT_MS)
          // v1 delivers to everyone: only the contacts' deliveries count
          notify = () => { if (contacts[p]!.every(c => seen.get(id)?.has(c) === true)) { clearTimeout(timer); resolve() } }
        })
        if (process.env.BENCH_DEBUG != null) console.log(Date.now() % 100000, 'set', p, id.slice(-4), note, contacts[p]!.map(c => c.slice(-4)))
        await workerOf(p).call({ op: 'set', index: p, note })
        notify?.()
        await done
        for (const c of contacts[p]!) {
          const at = seen.get(id)?.get(c)
          latencies.push(at == null ? Infinity : at - start)
        }
        await sleep(200)
      }
      notify = undefined
      await Promise.all(workers.map(async w => w.call({ op: 'stop' })))
      const missed = latencies.filter(l => !Number.isFinite(l)).length
      const all = latencies.map(l => Number.isFinite(l) ? l : CHANGE_TIMEOUT_MS)
      out.push({
        n,
        procs,
        version,
        p50: pct(all, 0.5),
        p99: pct(all, 0.99),
        max: Math.max(...all),
        missed,
        deliveries: latencies.length,
        recordsPerMin: perMin(sum(c => c.records)),
        bytesPerMin: perMin(sum(c => c.bytes)),
        cpuMsPerMin: perMin(sum(c => c.cpuMicros) / 1000),
        heapPerNodeKiB: Math.round((sum(c => c.heapUsed) - base.reduce((a, c) => a + c.heapUsed, 0)) / n / 1024),
        rssPerNodeMiB: sum(c => c.rss) / n / 1024 / 1024,
        connectionsPerNode: sum(c => c.connections) / n,
        load: loadNow(),
        wire
      })
      const f = out[out.length - 1]!
      console.log(`  N=${n} ${version}: ${row(f)}`)
    }
    return out
  } finally {
    await Promise.all(workers.map(async w => w.call({ op: 'exit' }).catch(() => {})))
    // a worker writes its CPU profile as it exits: give it a moment before killing it
    await Promise.all(workers.map(async w => {
      if (w.child.exitCode != null) return
      await new Promise<void>(resolve => { const t = setTimeout(resolve, 10_000); w.child.once('exit', () => { clearTimeout(t); resolve() }) })
      if (w.child.exitCode == null) w.child.kill()
    }))
  }
}

const HEADER = 'N     procs ver  p50 / p99 / max (ms)        missed  records/node/min  bytes/node/min  CPU ms/node/min  heap/node KiB  RSS/node MiB  conns/node  load (1/5/15 min)'
function row (f: Figures): string {
  return `${String(f.n).padEnd(5)} ${String(f.procs).padEnd(5)} ${f.version}   ${f.p50.toFixed(1).padStart(6)} / ${f.p99.toFixed(1).padStart(6)} / ${f.max.toFixed(1).padStart(6)}   ${`${f.missed}/${f.deliveries}`.padStart(7)}  ${f.recordsPerMin.toFixed(1).padStart(16)}  ${Math.round(f.bytesPerMin).toString().padStart(14)}  ${f.cpuMsPerMin.toFixed(0).padStart(15)}  ${String(f.heapPerNodeKiB).padStart(13)}  ${f.rssPerNodeMiB.toFixed(1).padStart(12)}  ${f.connectionsPerNode.toFixed(1).padStart(10)}  ${f.load}`
}

/** What an idle node sent and received per minute over the window, by protocol: one column per (N, version). */
function wireTable (figures: Figures[]): string {
  const keys = [...new Set(figures.flatMap(f => Object.keys(f.wire)))].sort()
  const lines = [
    'per node per minute over the idle window (streams opened; gossipsub RPCs and their parts; yamux keep-alive pings)',
    `| what | ${figures.map(f => `N=${f.n} ${f.version}`).join(' | ')} |`,
    `|---|${figures.map(() => '---:').join('|')}|`
  ]
  for (const k of keys) lines.push(`| ${k} | ${figures.map(f => (f.wire[k] ?? 0).toFixed(1)).join(' | ')} |`)
  return lines.join('\n')
}

/** A horizontal bar per (N, version), scaled to the largest value. */
function plot (title: string, figures: Figures[], value: (f: Figures) => number, unit: string): string {
  const width = 50
  const maxValue = Math.max(...figures.map(value), 1e-9)
  const lines = [`${title} (v1 #, v2 =)`]
  for (const f of figures) {
    const v = value(f)
    const bar = (f.version === 'v1' ? '#' : '=').repeat(Math.max(v > 0 ? 1 : 0, Math.round(v / maxValue * width)))
    lines.push(`  N=${String(f.n).padEnd(4)} ${f.version} |${bar.padEnd(width)}| ${v.toFixed(v < 10 ? 1 : 0)} ${unit}`)
  }
  return lines.join('\n')
}

async function main (): Promise<void> {
  console.log(`presence bench: contacts per node ${CONTACTS.length}, ttl ${TTL_MS} ms, republish ${REPUBLISH_MS} ms, settle ${SETTLE_MS} ms, window ${WINDOW_MS} ms, ${CHANGES} changes per N and version; load at start ${loadNow()}`)
  const figures: Figures[] = []
  for (const n of SIZES) figures.push(...await runSize(n))
  console.log()
  console.log(HEADER)
  for (const f of figures) console.log(row(f))
  console.log()
  if (SHOW_WIRE) {
    console.log()
    console.log(wireTable(figures))
  }
  console.log()
  console.log(plot('presence records received per node per minute', figures, f => f.recordsPerMin, 'records'))
  console.log(plot('presence bytes received per node per minute', figures, f => f.bytesPerMin / 1024, 'KiB'))
  console.log(plot('CPU per node per minute (whole node: libp2p, DHT, gossip, presence)', figures, f => f.cpuMsPerMin, 'ms'))
  console.log(plot('change → all contacts p99', figures, f => f.p99, 'ms'))
}

main().then(() => { process.exit(0) }, (err) => { console.error(err); process.exit(1) })
