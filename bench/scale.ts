/**
 * `npm run bench:scale`: N natter daemons, each a separate process started by
 * the real CLI, against N plain libp2p nodes (bench/scale-plain-node.ts) with
 * the same transports, DHT and gossipsub, all on loopback. For each N:
 *
 * - start: every node bootstraps through node 0 only (no same-machine
 *   rendezvous: each daemon gets a private, empty rendezvous directory), so
 *   the others are found as on the internet, through the DHT;
 * - presence all→all: natter daemons add each other as contacts, then the
 *   time until every daemon sees every contact online; plain nodes publish on
 *   a topic until each has heard all others;
 * - connect by peer id to a never-connected peer (a DHT lookup, then a dial);
 * - msg/s: acked messages between random pairs (natter: `send`, waiting for
 *   delivery; plain: 1 KiB on a new stream, 1-byte ack), a few in flight;
 * - RSS and idle CPU per node over an idle window (from /proc).
 *
 *   node dist/bench/scale.js [--n 10,20,40] [--idle-seconds 60] [--lookups 6]
 *     [--messages 200] [--in-flight 8] [--only natter|plain] [--profile-idle DIR] [--json]
 *
 * Bounded and self-stopping: every wait has a limit, every process is stopped
 * (then killed) and every temporary directory removed, also on Ctrl-C.
 * Linux only (reads /proc). Machine load is printed with the figures.
 */
import { spawn } from 'node:child_process'
import { openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { connectClient } from '../cli/client.js'
import { percentile } from './stats.js'
import type { ApiClient } from '../cli/client.js'
import type { ChildProcess } from 'node:child_process'

const BIN = fileURLToPath(new URL('../cli/index.js', import.meta.url))
/** The node flags of the `natter` command's `#!` line (a daemon runs with them when started as `natter daemon`). */
const BIN_NODE_FLAGS = /^#!.*\bnode\b(.*)$/m.exec(readFileSync(BIN, 'utf8').split('\n', 1)[0] ?? '')?.[1]?.trim().split(/\s+/).filter(f => f.startsWith('--')) ?? []
const PLAIN = fileURLToPath(new URL('./scale-plain-node.js', import.meta.url))
const START_LIMIT_MS = 60_000
const PRESENCE_LIMIT_MS = 180_000
const STOP_LIMIT_MS = 15_000
const POLL_MS = 250
const START_BATCH = 4
const CLK_TCK = 100

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10,20,40' },
    'idle-seconds': { type: 'string', default: '60' },
    lookups: { type: 'string', default: '6' },
    messages: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '8' },
    only: { type: 'string' },
    'profile-idle': { type: 'string' },
    json: { type: 'boolean', default: false }
  }
})
const sizes = values.n.split(',').map(Number).filter(n => Number.isInteger(n) && n >= 2 && n <= 100)
const idleMs = Math.min(600, Math.max(1, Number(values['idle-seconds']))) * 1000
const lookups = Math.min(50, Math.max(0, Number(values.lookups)))
const messages = Math.min(100_000, Math.max(0, Number(values.messages)))
const inFlight = Math.min(64, Math.max(1, Number(values['in-flight'])))

const cleanups: Array<() => Promise<void>> = []
/** Pids of daemons being stopped on purpose. */
const daemonStops = new Set<number>()
let stopping = false
async function cleanup (): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    await c().catch(() => {})
  }
}
process.on('SIGINT', () => {
  if (!stopping) {
    stopping = true
    void cleanup().finally(() => process.exit(130))
  }
})

const sleep = async (ms: number): Promise<void> => new Promise(resolve => { setTimeout(resolve, ms) })

/** CPU seconds used so far by a process (user + system), from /proc. */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

/** Resident memory of a process, in MB, from /proc. */
function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m == null ? NaN : Number(m[1]) / 1024
}

function median (xs: number[]): number {
  return xs.length === 0 ? NaN : percentile([...xs].sort((a, b) => a - b), 50)
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await fn(item)
    }
  }))
}

/** A node of either kind, as the measurements see it. */
interface Node {
  pid: number
  peerId: string
  addresses: string[]
  proc: ChildProcess
  connectedPeers(): Promise<string[]>
  connectTo(peerId: string): Promise<boolean>
  send(peerId: string): Promise<void>
  stop(): Promise<void>
}

interface GroupResult {
  kind: 'natter' | 'plain'
  n: number
  startS: number
  presenceMs: number | null
  presenceNote?: string
  lookupsOk: number
  lookupsTried: number
  lookupMedianMs: number
  lookupMaxMs: number
  lookupErrors: string[]
  msgErrors: string[]
  msgPerS: number
  msgFailed: number
  rssMedianMb: number
  rssMaxMb: number
  idleCpuMedianPct: number
  idleCpuMaxPct: number
  idleCpuTotalPct: number
  connectionsMedian: number
}

/** Reads JSON lines from a child's stdout; resolves the first line `accept` takes. */
function firstLine<T> (proc: ChildProcess, accept: (v: Record<string, unknown>) => T | undefined, limitMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! })
    const timer = setTimeout(() => { rl.close(); reject(new Error(`${what}: nothing within ${limitMs} ms`)) }, limitMs)
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what}: exited with ${code}`)) })
    rl.on('line', (line) => {
      try {
        const v = accept(JSON.parse(line) as Record<string, unknown>)
        if (v !== undefined) {
          clearTimeout(timer)
          rl.close()
          resolve(v)
        }
      } catch {
        // not JSON
      }
    })
  })
}

async function startDaemon (root: string, i: number, bootstrap: string | undefined, profileDir: string | undefined): Promise<Node & { client: ApiClient }> {
  const home = join(root, `d${i}`)
  const args = [
    ...BIN_NODE_FLAGS,
    ...(profileDir != null ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    // local mode: on loopback, the internet default would keep these addresses out of the DHT
    BIN, '--home', home, 'daemon', '--json', '--network', 'local', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--log-level', 'error',
    ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])
  ]
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, NATTER_HOME: home, NATTER_RENDEZVOUS_DIR: join(root, `rv${i}`) },
    // stderr kept in the run's directory: a daemon that dies is explained (--keep leaves it there)
    stdio: ['ignore', 'pipe', openSync(join(root, `d${i}.log`), 'a')]
  })
  proc.once('exit', (code, signal) => {
    if (!stopping && !daemonStops.has(proc.pid!)) {
      process.stderr.write(`bench:scale: daemon ${i} exited (${code ?? signal}) during the run: ${readFileSync(join(root, `d${i}.log`), 'utf8').slice(-2000)}\n`)
    }
  })
  const banner = await firstLine(proc, v => typeof v.peerId === 'string' ? v as { peerId: string, addresses: string[] } : undefined, START_LIMIT_MS, `daemon ${i}`)
  proc.stdout!.resume()
  const client = await connectClient({ home, timeoutMs: 60_000 })
  return {
    pid: proc.pid!,
    peerId: banner.peerId,
    addresses: banner.addresses,
    proc,
    client,
    async connectedPeers () { return (await client.api.peers()).peers.map(p => p.peerId) },
    async connectTo (peerId) { return (await client.api.connect({ body: { address: peerId } })).connected },
    async send (peerId) { await client.api.send({ body: { to: peerId, text: 'x'.repeat(1024), wait: 'delivered' } }) },
    async stop () {
      const exited = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
      if (proc.exitCode != null) {
        return
      }
      daemonStops.add(proc.pid!)
      await client.api.stop().catch(() => { proc.kill('SIGTERM') })
      await Promise.race([exited, sleep(STOP_LIMIT_MS)])
      if (proc.exitCode == null) {
        proc.kill('SIGKILL')
      }
    }
  }
}

async function startPlain (i: number, bootstrap: string | undefined): Promise<Node & { call(req: Record<string, unknown>, limitMs?: number): Promise<Record<string, unknown>> }> {
  const proc = spawn(process.execPath, [PLAIN], { stdio: ['pipe', 'pipe', 'ignore'] })
  await firstLine(proc, v => v.ready === true ? true : undefined, START_LIMIT_MS, `plain node ${i}`)
  const waiting = new Map<number, (v: Record<string, unknown>) => void>()
  let next = 0
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const v = JSON.parse(line) as Record<string, unknown>
      waiting.get(Number(v.id))?.(v)
      waiting.delete(Number(v.id))
    } catch {
      // not a reply
    }
  })
  const call = async (req: Record<string, unknown>, limitMs = 60_000): Promise<Record<string, unknown>> => {
    const id = ++next
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`plain node ${i}: ${String(req.op)} timed out`)) }, limitMs)
      waiting.set(id, (v) => { clearTimeout(timer); resolve(v) })
    })
    proc.stdin!.write(JSON.stringify({ ...req, id }) + '\n')
    const v = await reply
    if (typeof v.error === 'string') {
      throw new Error(v.error)
    }
    return v
  }
  if (bootstrap != null) {
    await call({ op: 'dial', address: bootstrap })
  }
  const info = await call({ op: 'info' })
  return {
    pid: proc.pid!,
    peerId: String(info.peerId),
    addresses: info.addresses as string[],
    proc,
    call,
    async connectedPeers () { return (await call({ op: 'peers' })).peers as string[] },
    async connectTo (peerId) { return (await call({ op: 'connect', peerId }, 70_000)).ok === true },
    async send (peerId) { await call({ op: 'send', peerId }) },
    async stop () {
      const exited = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
      if (proc.exitCode != null) {
        return
      }
      await call({ op: 'stop' }, 5000).catch(() => { proc.kill('SIGTERM') })
      await Promise.race([exited, sleep(STOP_LIMIT_MS)])
      if (proc.exitCode == null) {
        proc.kill('SIGKILL')
      }
    }
  }
}

/** Starts N nodes: node 0 first, then the others in small batches, each bootstrapping through node 0. */
async function startAll<T extends Node> (n: number, start: (i: number, bootstrap: string | undefined) => Promise<T>): Promise<T[]> {
  const first = await start(0, undefined)
  cleanups.push(async () => { await first.stop() })
  const seed = first.addresses.find(a => a.includes('/ip4/127.0.0.1/')) ?? first.addresses[0]
  const nodes: T[] = [first]
  for (let i = 1; i < n; i += START_BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(START_BATCH, n - i) }, async (_, k) => start(i + k, seed)))
    for (const node of batch) {
      cleanups.push(async () => { await node.stop() })
      nodes.push(node)
    }
  }
  return nodes
}

/** Connects to never-connected peers by peer id; each pair's time and outcome. */
async function measureLookups (nodes: Node[]): Promise<{ ok: number, tried: number, ms: number[], errors: string[] }> {
  const ms: number[] = []
  const errors: string[] = []
  let ok = 0
  let tried = 0
  for (let attempt = 0; tried < lookups && attempt < lookups * 10; attempt++) {
    const a = nodes[Math.floor(Math.random() * nodes.length)]!
    const b = nodes[Math.floor(Math.random() * nodes.length)]!
    if (a === b || (await a.connectedPeers()).includes(b.peerId) || (await b.connectedPeers()).includes(a.peerId)) {
      continue
    }
    tried++
    const t = performance.now()
    try {
      if (await a.connectTo(b.peerId)) {
        ok++
        ms.push(performance.now() - t)
      } else {
        errors.push('not connected')
      }
    } catch (err) {
      errors.push(`${(err as Error).name}: ${(err as Error).message}`.slice(0, 160))
    }
  }
  return { ok, tried, ms, errors }
}

/** Acked messages across random pairs (pairs that may send to each other), `inFlight` at once. */
async function measureMessages (nodes: Node[]): Promise<{ perS: number, failed: number, errors: string[] }> {
  const pairs = Array.from({ length: messages }, () => {
    const a = Math.floor(Math.random() * nodes.length)
    const b = (a + 1 + Math.floor(Math.random() * (nodes.length - 1))) % nodes.length
    return [nodes[a]!, nodes[b]!] as const
  })
  let failed = 0
  const errors: string[] = []
  const t = performance.now()
  await pool(pairs, inFlight, async ([a, b]) => {
    await a.send(b.peerId).catch((err: Error) => {
      failed++
      errors.push(`${err.name}: ${err.message}`.slice(0, 160))
    })
  })
  return { perS: (messages - failed) / ((performance.now() - t) / 1000), failed, errors }
}

/** CPU and RSS of every node over the idle window. */
async function measureIdle (nodes: Node[]): Promise<{ cpuPct: number[], rss: number[] }> {
  const before = nodes.map(n => cpuSeconds(n.pid))
  const t = performance.now()
  await sleep(idleMs)
  const seconds = (performance.now() - t) / 1000
  const cpuPct = nodes.map((n, i) => 100 * (cpuSeconds(n.pid) - before[i]!) / seconds)
  return { cpuPct, rss: nodes.map(n => rssMb(n.pid)) }
}

async function runGroup (kind: 'natter' | 'plain', n: number): Promise<GroupResult> {
  const root = await mkdtemp(join(tmpdir(), `natter-scale-${kind}-`))
  cleanups.push(async () => { await rm(root, { recursive: true, force: true }) })
  const t0 = performance.now()
  const profileDir = values['profile-idle']
  const nodes: Node[] = kind === 'natter'
    ? await startAll(n, async (i, b) => startDaemon(root, i, b, i === n - 1 ? profileDir : undefined))
    : await startAll(n, async (i, b) => startPlain(i, b))
  const startS = (performance.now() - t0) / 1000

  // presence all→all
  let presenceMs: number | null = null
  let presenceNote: string | undefined
  const p0 = performance.now()
  if (kind === 'natter') {
    const daemons = nodes as Array<Node & { client: ApiClient }>
    await Promise.all(daemons.map(async (d, i) => {
      for (const [j, other] of daemons.entries()) {
        if (j !== i) {
          await d.client.api.addContact({ body: { name: `n${j}`, peer: other.peerId } })
        }
      }
    }))
    const c0 = performance.now()
    let seen = 0
    while (performance.now() - c0 < PRESENCE_LIMIT_MS) {
      const counts = await Promise.all(daemons.map(async d => (await d.client.api.presence()).peers.filter(p => p.name != null && p.status === 'online').length))
      seen = counts.reduce((a, b) => a + b, 0)
      if (counts.every(c => c >= n - 1)) {
        presenceMs = performance.now() - c0
        break
      }
      await sleep(POLL_MS)
    }
    presenceNote = presenceMs == null ? `${seen}/${n * (n - 1)} seen online after ${PRESENCE_LIMIT_MS / 1000} s` : `contacts added in ${((c0 - p0) / 1000).toFixed(1)} s, not counted`
  } else {
    const plain = nodes as Array<Node & { call(req: Record<string, unknown>, limitMs?: number): Promise<Record<string, unknown>> }>
    const replies = await Promise.all(plain.map(async p => p.call({ op: 'presence', n }, PRESENCE_LIMIT_MS + 10_000)))
    const heardAll = replies.every(r => Number(r.heard) >= n - 1)
    presenceMs = heardAll ? Math.max(...replies.map(r => Number(r.ms))) : null
    if (!heardAll) {
      presenceNote = `${replies.reduce((a, r) => a + Number(r.heard), 0)}/${n * (n - 1)} heard`
    }
  }

  const idle = await measureIdle(nodes)
  const connections = await Promise.all(nodes.map(async node => (await node.connectedPeers()).length))
  const look = await measureLookups(nodes)
  const msg = await measureMessages(nodes)

  await Promise.all(nodes.map(async node => node.stop()))
  await rm(root, { recursive: true, force: true })
  const sortedLook = [...look.ms].sort((a, b) => a - b)
  return {
    kind,
    n,
    startS,
    presenceMs,
    presenceNote,
    lookupsOk: look.ok,
    lookupsTried: look.tried,
    lookupMedianMs: median(look.ms),
    lookupMaxMs: sortedLook.at(-1) ?? NaN,
    lookupErrors: look.errors,
    msgErrors: msg.errors,
    msgPerS: msg.perS,
    msgFailed: msg.failed,
    rssMedianMb: median(idle.rss),
    rssMaxMb: Math.max(...idle.rss),
    idleCpuMedianPct: median(idle.cpuPct),
    idleCpuMaxPct: Math.max(...idle.cpuPct),
    idleCpuTotalPct: idle.cpuPct.reduce((a, b) => a + b, 0),
    connectionsMedian: median(connections)
  }
}

function row (r: GroupResult): string {
  const f = (x: number, d = 1): string => Number.isFinite(x) ? x.toFixed(d) : '–'
  return `| ${r.kind} | ${r.n} | ${f(r.startS)} s | ${r.presenceMs == null ? `– (${r.presenceNote ?? ''})` : `${f(r.presenceMs / 1000, 2)} s`} | ` +
    `${r.lookupsOk}/${r.lookupsTried}, ${f(r.lookupMedianMs, 0)} ms (max ${f(r.lookupMaxMs, 0)}) | ${f(r.msgPerS)}${r.msgFailed > 0 ? ` (${r.msgFailed} failed)` : ''} | ` +
    `${f(r.rssMedianMb, 0)} / ${f(r.rssMaxMb, 0)} MB | ${f(r.idleCpuMedianPct, 2)} / ${f(r.idleCpuMaxPct, 2)} % (all: ${f(r.idleCpuTotalPct, 1)} %) | ${f(r.connectionsMedian, 0)} |`
}

const results: GroupResult[] = []
try {
  if (!values.json) {
    process.stdout.write(`bench:scale: N = ${sizes.join(', ')}; idle window ${idleMs / 1000} s; ${lookups} lookups; ${messages} messages, ${inFlight} in flight\n`)
    process.stdout.write('| kind | N | start all | presence all→all | connect by peer id (never connected) | msg/s | RSS median / max | idle CPU per node median / max | connections |\n|---|---|---|---|---|---|---|---|---|\n')
  }
  for (const n of sizes) {
    for (const kind of ['natter', 'plain'] as const) {
      if (values.only != null && values.only !== kind) {
        continue
      }
      const load = loadavg()[0]!
      let r: GroupResult
      try {
        r = await runGroup(kind, n)
      } catch (err) {
        // one failed group is reported, and the others still run
        process.stdout.write(`| ${kind} | ${n} | failed: ${(err as Error).name}: ${(err as Error).message.slice(0, 300)} |\n`)
        await cleanup()
        continue
      }
      results.push(r)
      if (!values.json) {
        process.stdout.write(row(r) + ` load ${load.toFixed(1)}→${loadavg()[0]!.toFixed(1)}\n`)
        if (r.lookupErrors.length > 0) {
          process.stdout.write(`  lookup errors: ${[...new Set(r.lookupErrors)].join('; ')}\n`)
        }
        if (r.msgErrors.length > 0) {
          process.stdout.write(`  message errors: ${[...new Set(r.msgErrors)].slice(0, 5).join('; ')}\n`)
        }
      }
      await cleanup()
    }
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ results, cores: 2, loadavg: loadavg() }, null, 2) + '\n')
  }
} finally {
  await cleanup()
}
process.exit(0)
