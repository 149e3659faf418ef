/**
 * `npm run bench:groups`: group messages next to raw gossipsub in the same run,
 * with real natter nodes (the full stack: SQLite, DM channel, DHT, both
 * gossipsubs) spread over forked worker processes (bench/groups-worker.ts over
 * bench/workers.ts, shared with bench:presence; one process's event loop
 * saturates near 50 full nodes). Figures, not assertions; run it niced.
 *
 *   npm run bench:groups                 N = 5 and 20 (and the local work of a change at 100, one node)
 *   npm run bench:groups -- --100        N = 5, 20 and 100
 *   GROUPS_BENCH_N=5,20,50 npm run bench:groups
 *   GROUPS_BENCH_PROCS=4                 workers (default ceil(N / 12), 2 to 10)
 *
 * Per N: node 0 is the admin; every other node is its contact (and has it as
 * one), members are not each other's contacts (the hard case: strangers who
 * meet in the group, PROTOCOL.md §4.4.1). All nodes bootstrap to the admin.
 * - formed: from `groups.create` with N-1 members until every member joined
 *   (and, separately, until every member holds every chain);
 * - raw: the admin publishes 30 200-byte messages on a plain topic of the same
 *   unsigned gossipsub every node subscribed to; latency = publish request →
 *   the coordinator hears the last of the N-1 receptions;
 * - group: the admin sends 30 group messages (200-byte texts); latency = send
 *   request → the last member's `group:message` event. Both latencies include
 *   two IPC hops and are measured on the coordinator's one clock;
 * - CPU (all workers, receipts and everything else included) and frame bytes
 *   received per member per message during the group phase;
 * - membership change (at every N; at 100 it is the issue's figure): the admin
 *   adds one more node, then removes one member: the admin's local work (op,
 *   resolution, new chain, payloads queued) and the time until every member
 *   applied it (its `group:changed` event).
 */
import { loadavg, tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { createNatter } from '../src/index.js'
import { percentile } from './stats.js'
import { spawnWorker } from './workers.js'
import type { BenchWorker } from './workers.js'
import type { GroupsWorkerEvent, GroupsWorkerRequest } from './groups-worker.js'

ensurePromiseWithResolvers()
type Worker = BenchWorker<GroupsWorkerRequest>
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const MESSAGES = Number(process.env.GROUPS_BENCH_MESSAGES ?? 30)
const FORM_TIMEOUT_MS = Number(process.env.GROUPS_BENCH_FORM_TIMEOUT_MS ?? 300_000)
const EACH_TIMEOUT_MS = 20_000

interface Row {
  n: number
  procs: number
  joinedMs: number
  chainsMs: number | undefined
  raw: number[]
  group: number[]
  cpuMsPerMemberMsg: number
  frameBytes: number
  addLocalMs: number
  addAllMs: number | undefined
  removeLocalMs: number
  removeAllMs: number | undefined
  load: string
  note: string
}

const fmt = (xs: number[]): string => xs.length === 0 ? '–' : `${percentile([...xs].sort((a, b) => a - b), 50).toFixed(0)} / ${percentile([...xs].sort((a, b) => a - b), 99).toFixed(0)}`

async function runN (n: number): Promise<Row> {
  const procs = Number(process.env.GROUPS_BENCH_PROCS ?? Math.min(10, Math.max(2, Math.ceil(n / 12))))
  const waiters = new Set<() => void>()
  const notify = (): void => { for (const w of waiters) w() }
  const got = new Map<string, Map<number, number>>()
  const changed: Array<{ index: number, change: string, member?: string, at: number }> = []
  const onEvent = (e: GroupsWorkerEvent): void => {
    const at = performance.now()
    if (e.op === 'got' || e.op === 'raw') {
      const m = got.get(e.tag) ?? new Map<number, number>()
      if (!m.has(e.index)) m.set(e.index, at)
      got.set(e.tag, m)
    } else if (e.op === 'changed') {
      changed.push({ ...e, at })
    }
    notify()
  }
  /** Resolves once `fn` holds (checked on every event and every 250 ms), or false after `ms`. */
  const until = async (fn: () => boolean, ms: number): Promise<boolean> => {
    const end = performance.now() + ms
    while (!fn()) {
      if (performance.now() > end) return false
      await new Promise<void>(resolve => { const w = (): void => { waiters.delete(w); resolve() }; waiters.add(w); setTimeout(w, 250) })
    }
    return true
  }
  const workers = Array.from({ length: procs }, () => spawnWorker<GroupsWorkerRequest, GroupsWorkerEvent>(new URL('./groups-worker.js', import.meta.url), onEvent))
  const workerOf = (i: number): Worker => workers[i % procs]!
  const all = async <T>(req: GroupsWorkerRequest): Promise<T[]> => Promise.all(workers.map(async w => w.call<T>(req)))
  try {
    type Created = Array<{ index: number, id: string, addrs: string[], invite: string }>
    const tStart = performance.now()
    const [admin] = await workerOf(0).call<Created>({ op: 'create', indices: [0], bootstrap: [] })
    // n - 1 members plus one more node, added during the membership-change measure
    const rest = (await Promise.all(workers.map(async (w, k) => w.call<Created>({ op: 'create', indices: Array.from({ length: n }, (_, i) => i + 1).filter(i => i % procs === k), bootstrap: [admin!.addrs[0]!] })))).flat()
    const nodes = [admin!, ...rest].sort((a, b) => a.index - b.index)
    for (const m of nodes.slice(1)) {
      await workerOf(0).call({ op: 'contact', index: 0, name: `m${m.index}`, invite: m.invite })
      await workerOf(m.index).call({ op: 'contact', index: m.index, name: 'admin', invite: admin!.invite })
    }
    console.log(`N=${n}: ${nodes.length} nodes up, contacts added (${((performance.now() - tStart) / 1000).toFixed(0)} s)`)
    const members = nodes.slice(1, n)
    const extra = nodes[n]!
    const t0 = performance.now()
    const { id: group } = await workerOf(0).call<{ id: string, ms: number }>({ op: 'createGroup', index: 0, name: 'bench', members: members.map(m => `m${m.index}`) })
    type State = Record<number, { members: number, chains: number, joined: boolean }>
    const state = async (): Promise<State> => Object.assign({}, ...await all<State>({ op: 'state', group }))
    let s: State = {}
    let shown = performance.now()
    const poll = async (fn: (s: State) => boolean, ms: number): Promise<boolean> => {
      const end = performance.now() + ms
      for (;;) {
        s = await state()
        if (fn(s)) return true
        if (performance.now() - shown > 15_000) {
          shown = performance.now()
          const vals = Object.values(s)
          console.log(`N=${n}: ${((performance.now() - t0) / 1000).toFixed(0)} s: ${vals.filter(v => v.joined).length}/${n} joined, chains held ${vals.reduce((a, v) => a + v.chains, 0)}/${n * n}`)
        }
        if (performance.now() > end) return false
        await sleep(500)
      }
    }
    const inGroup = [0, ...members.map(m => m.index)]
    const joined = await poll(st => inGroup.every(i => st[i]?.joined === true && st[i]?.members === n), FORM_TIMEOUT_MS)
    const joinedMs = performance.now() - t0
    if (!joined) throw new Error(`the group did not form in ${FORM_TIMEOUT_MS} ms: ${inGroup.filter(i => s[i]?.joined === true).length}/${n} joined`)
    const chained = await poll(st => inGroup.every(i => (st[i]?.chains ?? 0) >= n), FORM_TIMEOUT_MS)
    const chainsMs = chained ? performance.now() - t0 : undefined
    const holding = inGroup.filter(i => (s[i]?.chains ?? 0) >= n).length
    console.log(`N=${n} (${procs} workers): joined ${joinedMs.toFixed(0)} ms; every chain everywhere ${chainsMs?.toFixed(0) ?? `not within ${FORM_TIMEOUT_MS} ms (${holding}/${n})`}`)

    // raw gossipsub on the same nodes and the same (unsigned) gossipsub
    const rawTopic = '/natter/bench/raw'
    await all({ op: 'watch', group, rawTopic })
    await sleep(3000)
    const others = members.map(m => m.index)
    const raw: number[] = []
    for (let i = 0; i < MESSAGES; i++) {
      const tag = randomBytes(8).toString('hex')
      const start = performance.now()
      await workerOf(0).call({ op: 'rawPublish', index: 0, topic: rawTopic, tag })
      if (await until(() => others.every(o => got.get(tag)?.has(o) === true), EACH_TIMEOUT_MS)) raw.push(Math.max(...got.get(tag)!.values()) - start)
      await sleep(50)
    }

    // group messages
    await all({ op: 'reset' })
    const lat: number[] = []
    for (let i = 0; i < MESSAGES; i++) {
      const tag = `g${i}-${randomBytes(4).toString('hex')}`
      const start = performance.now()
      await workerOf(0).call({ op: 'send', index: 0, group, text: `${tag} ${'x'.repeat(200 - tag.length - 1)}` })
      if (await until(() => others.every(o => got.get(tag)?.has(o) === true), EACH_TIMEOUT_MS)) lat.push(Math.max(...got.get(tag)!.values()) - start)
      await sleep(50)
    }
    await sleep(1000) // the last receipts
    const reads = await all<{ cpuMicros: number, frameBytes: number, frames: number }>({ op: 'read' })
    const cpuMs = reads.reduce((a, r) => a + r.cpuMicros, 0) / 1000
    const frames = reads.reduce((a, r) => a + r.frames, 0)
    const frameBytes = reads.reduce((a, r) => a + r.frameBytes, 0)

    // membership change: add one node, then remove one member; local work and until every member applied it
    const appliedBy = async (change: string, member: string, who: number[], since: number): Promise<number | undefined> => {
      const ok = await until(() => who.every(i => changed.some(c => c.at >= since && c.index === i && c.change === change && c.member === member)), 120_000)
      return ok ? Math.max(...who.map(i => changed.find(c => c.at >= since && c.index === i && c.change === change && c.member === member)!.at)) - since : undefined
    }
    let t = performance.now()
    const add = await workerOf(0).call<{ ms: number }>({ op: 'change', index: 0, group, kind: 'add', member: `m${extra.index}` })
    const addAll = await appliedBy('member-added', extra.id, others, t)
    const victim = members.at(-1)!
    t = performance.now()
    const remove = await workerOf(0).call<{ ms: number }>({ op: 'change', index: 0, group, kind: 'remove', member: victim.id })
    const removeAll = await appliedBy('member-removed', victim.id, [...others.filter(o => o !== victim.index), extra.index], t)
    const row: Row = {
      n,
      procs,
      joinedMs,
      chainsMs,
      raw,
      group: lat,
      cpuMsPerMemberMsg: cpuMs / Math.max(1, lat.length) / (n - 1),
      frameBytes: frames > 0 ? frameBytes / frames : NaN,
      addLocalMs: add.ms,
      addAllMs: addAll,
      removeLocalMs: remove.ms,
      removeAllMs: removeAll,
      load: loadavg().map(l => l.toFixed(1)).join(' '),
      note: `raw ${raw.length}/${MESSAGES}, group ${lat.length}/${MESSAGES}`
    }
    console.log(`N=${n}: raw ${fmt(raw)} ms, group ${fmt(lat)} ms (p50 / p99; ${row.note}); CPU ${row.cpuMsPerMemberMsg.toFixed(2)} ms and ${row.frameBytes.toFixed(0)} frame bytes per member per message; add ${add.ms.toFixed(0)} ms local / ${addAll?.toFixed(0) ?? '–'} ms all; remove ${remove.ms.toFixed(0)} / ${removeAll?.toFixed(0) ?? '–'} ms`)
    return row
  } finally {
    await Promise.allSettled(workers.map(async w => { await w.call({ op: 'exit' }) }))
  }
}

/**
 * The local work of a membership change at 100 members, on one node whose 99 other members are contacts with no
 * node behind them (so nothing but the local work is timed): creating with 98, adding the 100th, removing one.
 */
async function localWorkAt100 (): Promise<{ createMs: number, addMs: number, removeMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'natter-bench-groups-'))
  const node = await createNatter({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local' })
  try {
    const names: string[] = []
    for (let i = 0; i < 100; i++) {
      await node.contacts.add(`p${i}`, peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
      names.push(`p${i}`)
    }
    let t = performance.now()
    const group = await node.groups.create('hundred', names.slice(0, 98))
    const createMs = performance.now() - t
    t = performance.now()
    await node.groups.add(group.id, names[98]!)
    const addMs = performance.now() - t
    t = performance.now()
    await node.groups.remove(group.id, names[0]!)
    const removeMs = performance.now() - t
    console.log(`N=100 (local work only): create with 98 ${createMs.toFixed(0)} ms, add the 100th ${addMs.toFixed(1)} ms, remove one of 100 ${removeMs.toFixed(1)} ms`)
    return { createMs, addMs, removeMs }
  } finally {
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

const local100 = process.env.GROUPS_BENCH_SKIP_LOCAL100 === '1' ? undefined : await localWorkAt100().catch((err) => { console.log(`N=100 local work: ${(err as Error).message}`); return undefined })
const sizes = (process.env.GROUPS_BENCH_N ?? (process.argv.includes('--100') ? '5,20,100' : '5,20')).split(',').map(Number).filter(x => x > 1)
const rows: Array<Row | { n: number, error: string }> = []
for (const n of sizes) {
  try {
    rows.push(await runN(n))
  } catch (err) {
    console.log(`N=${n}: ${(err as Error).message}`)
    rows.push({ n, error: (err as Error).message })
  }
}
const ms = (x: number | undefined): string => x == null || Number.isNaN(x) ? '–' : x.toFixed(0)
console.log('\n| N | workers | joined / all chains (ms) | raw gossipsub p50 / p99 (ms) | group send → all p50 / p99 (ms) | CPU ms / member / msg | frame bytes / member / msg | add: local / all applied (ms) | remove: local / all applied (ms) | load |')
console.log('|---|---|---|---|---|---|---|---|---|---|')
for (const r of rows) {
  if ('error' in r) { console.log(`| ${r.n} | | ${r.error} | | | | | | | |`); continue }
  console.log(`| ${r.n} | ${r.procs} | ${ms(r.joinedMs)} / ${ms(r.chainsMs)} | ${fmt(r.raw)} | ${fmt(r.group)} | ${r.cpuMsPerMemberMsg.toFixed(2)} | ${ms(r.frameBytes)} | ${ms(r.addLocalMs)} / ${ms(r.addAllMs)} | ${ms(r.removeLocalMs)} / ${ms(r.removeAllMs)} | ${r.load} |`)
}
if (local100 != null) console.log(`\nN = 100, local work of the admin (one node, 99 members with no node behind them): create with 98 members ${local100.createMs.toFixed(0)} ms; add the 100th ${local100.addMs.toFixed(0)} ms; remove one of 100 ${local100.removeMs.toFixed(0)} ms`)
process.exit(0)
