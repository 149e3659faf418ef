/**
 * `npm run bench:perf`: natter's messaging hot path measured as users run it,
 * every end in its own process (bench/perf-peer.ts), against raw libp2p with
 * the same transports and prosody (XMPP, no TLS) in the same run. Prints
 * figures and ratios within each run; asserts nothing.
 *
 *   node dist/bench/perf.js [--repeats 3] [--only raw,natter,natter12,xmpp,offline,mailbox] [--profile DIR] [--json]
 *
 * `natter12`: the same pair with `dmVersion: '1.2'` (every envelope signed), for 1.3 against 1.2 in one run.
 *
 * Per repeat: send→ack p50/p99 on an open connection (sequential), sustained
 * acked 1 KiB msg/s with WINDOW in flight, CPU per acked message (sender +
 * receiver process.cpuUsage, plus the prosody server's from /proc), 100
 * messages queued while the recipient is offline → all delivered after it
 * comes online, and handing 100 messages to 3 mailbox peers. prosody is
 * skipped with a note when it is not installed.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { fork, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { connect as netConnect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { LatencyMeasurement, RateMeasurement } from './suite.js'

ensurePromiseWithResolvers()

const WINDOW = 64
const OFFLINE_COUNT = 100
const here = dirname(fileURLToPath(import.meta.url))

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    only: { type: 'string', default: 'raw,natter,natter12,xmpp,offline,mailbox' },
    profile: { type: 'string' },
    json: { type: 'boolean', default: false }
  }
})
const repeats = Math.max(1, Math.min(10, Number(values.repeats)))
const only = new Set(values.only.split(','))
const progress = (m: string): void => { process.stderr.write(`${m}\n`) }

/** What a peer's commands answer; each field is present only for the commands that give it. */
interface Answer {
  peerId: string
  addresses: string[]
  ms: number
  firstMs: number
}

/** One forked end, driven by commands. */
class Peer {
  private seq = 0
  private readonly waiting = new Map<number, { resolve(v: unknown): void, reject(e: Error): void }>()
  readonly ready: Promise<void>
  readonly child: ChildProcess

  constructor (role: string, profileDir?: string) {
    const execArgv = profileDir != null ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${role}-${process.hrtime.bigint()}.cpuprofile`] : []
    this.child = fork(join(here, 'perf-peer.js'), [role], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const ready = Promise.withResolvers<void>()
    this.ready = ready.promise
    this.child.on('message', (msg: { ready?: boolean, seq: number, ok: boolean, value?: unknown, error?: string }) => {
      if (msg.ready === true) { ready.resolve(); return }
      const w = this.waiting.get(msg.seq)
      this.waiting.delete(msg.seq)
      if (msg.ok === true) w?.resolve(msg.value)
      else w?.reject(new Error(msg.error))
    })
    this.child.on('exit', (code) => {
      const err = new Error(`${role} process exited (${code})`)
      ready.reject(err)
      for (const w of this.waiting.values()) w.reject(err)
      this.waiting.clear()
    })
  }

  async call<T = Answer> (cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.ready
    const seq = this.seq++
    const p = new Promise<T>((resolve, reject) => { this.waiting.set(seq, { resolve: v => { resolve(v as T) }, reject }) })
    this.child.send({ seq, cmd, ...args })
    return p
  }

  async cpuUs (): Promise<number> {
    const c = await this.call<{ user: number, system: number }>('cpu')
    return c.user + c.system
  }

  async stop (): Promise<void> {
    if (this.child.exitCode != null) return
    const exited = new Promise(resolve => { this.child.once('exit', resolve) })
    await Promise.race([this.call('stop').catch(() => {}), new Promise(resolve => setTimeout(resolve, 10_000))])
    // it exits by itself after answering (writing its --cpu-prof profile); killed only if it does not
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5_000))])
    if (this.child.exitCode == null) this.child.kill('SIGTERM')
  }
}

interface Row { latency?: LatencyMeasurement, rate?: RateMeasurement, cpuUsPerMsg?: number, offlineMs?: number, mailboxMs?: number, note?: string }
type RunResult = Record<string, Row>

/** Time spent by both ends around `fn`, per message. */
async function cpuAround (ends: Array<{ cpuUs(): Promise<number> }>, fn: () => Promise<RateMeasurement>): Promise<{ rate: RateMeasurement, cpuUsPerMsg: number }> {
  const before = await Promise.all(ends.map(async e => e.cpuUs()))
  const rate = await fn()
  const after = await Promise.all(ends.map(async e => e.cpuUs()))
  const used = after.reduce((s, v, i) => s + v - (before[i] ?? 0), 0)
  return { rate, cpuUsPerMsg: used / Math.max(1, rate.count) }
}

async function runRaw (): Promise<Row> {
  const [rx, tx] = [new Peer('raw', values.profile), new Peer('raw', values.profile)]
  try {
    const r = await rx.call('start')
    await tx.call('start')
    await tx.call('connect', { address: r.addresses[0] })
    const latency = await tx.call<LatencyMeasurement>('latency', { count: 2000, warmup: 500, maxMs: 15_000 })
    await tx.call('rate', { count: 2000, window: WINDOW, maxMs: 10_000 })
    const { rate, cpuUsPerMsg } = await cpuAround([rx, tx], async () => tx.call<RateMeasurement>('rate', { count: 20_000, window: WINDOW, maxMs: 20_000 }))
    return { latency, rate, cpuUsPerMsg }
  } finally {
    await Promise.all([rx.stop(), tx.stop()])
  }
}

async function natterPair (init: Record<string, unknown> = {}): Promise<{ rx: Peer, tx: Peer, r: Answer, t: Answer }> {
  const [rx, tx] = [new Peer('natter', values.profile), new Peer('natter', values.profile)]
  const r = await rx.call('start', { init })
  const t = await tx.call('start', { init })
  await rx.call('addContact', { name: 'alice', peerId: t.peerId })
  await tx.call('addContact', { name: 'bob', peerId: r.peerId })
  await tx.call('connect', { address: r.addresses[0] })
  await rx.call('publish')
  return { rx, tx, r, t }
}

/** `init` `{ dmVersion: '1.2' }` (step `natter12`): both ends sign every envelope, as 1.2 did (PROTOCOL.md §5.2). */
async function runNatter (init: Record<string, unknown> = {}): Promise<Row> {
  const { rx, tx, r } = await natterPair(init)
  try {
    // the first message carries a proof-of-work stamp: in the warm-up
    const latency = await tx.call<LatencyMeasurement>('latency', { peerId: r.peerId, count: 1000, warmup: 200, maxMs: 30_000 })
    await tx.call('rate', { peerId: r.peerId, count: 300, window: WINDOW, maxMs: 10_000 })
    const { rate, cpuUsPerMsg } = await cpuAround([rx, tx], async () => tx.call<RateMeasurement>('rate', { peerId: r.peerId, count: 3000, window: WINDOW, maxMs: 30_000 }))
    return { latency, rate, cpuUsPerMsg }
  } finally {
    await Promise.all([rx.stop(), tx.stop()])
  }
}

async function runNatterOffline (): Promise<Row> {
  const { rx, tx, r, t } = await natterPair()
  try {
    await tx.call('latency', { peerId: r.peerId, count: 1, warmup: 1, maxMs: 20_000 })
    await rx.call('stopNode')
    await tx.call('queue', { peerId: r.peerId, count: OFFLINE_COUNT })
    // let the first direct attempts fail and back off, as they would for a real absence
    await new Promise(resolve => setTimeout(resolve, 1500))
    const online = await rx.call('comeOnline', { address: t.addresses[0], count: OFFLINE_COUNT, maxMs: 60_000 })
    return { offlineMs: online.ms }
  } finally {
    await Promise.all([rx.stop(), tx.stop()])
  }
}

async function runNatterMailbox (asContact = false): Promise<Row> {
  const boxes = new Peer('natter')
  const tx = new Peer('natter', values.profile)
  const rx = new Peer('natter')
  try {
    const t = await tx.call('start')
    const addrs = await boxes.call<string[]>('startExtra', { count: 3, bootstrap: [t.addresses[0]], contact: asContact ? t.peerId : undefined })
    for (const a of addrs) await tx.call('connect', { address: a })
    const r = await rx.call('start')
    await rx.call('stopNode')
    await tx.call('addContact', { name: 'bob', peerId: r.peerId })
    // warm-up: the first message to a stranger carries a proof-of-work stamp
    await tx.call('deposit', { peerId: r.peerId, count: 1, maxMs: 30_000 })
    const d = await tx.call('deposit', { peerId: r.peerId, count: OFFLINE_COUNT, maxMs: 60_000 })
    progress(`mailbox${asContact ? ' (contact)' : ''}: first deposit after ${Math.round(d.firstMs)} ms, all ${OFFLINE_COUNT} after ${Math.round(d.ms)} ms`)
    return { mailboxMs: d.ms }
  } finally {
    await Promise.all([boxes.stop(), tx.stop(), rx.stop()])
  }
}

// ---------------------------------------------------------------- prosody

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => { if (typeof a === 'object' && a != null) resolve(a.port); else reject(new Error('no port')) })
    })
  })
}

function prosodyInstalled (): boolean {
  return spawnSync('sh', ['-c', 'command -v prosody && command -v prosodyctl']).status === 0
}

/** CPU time of a process from /proc, µs (clock ticks of 10 ms). */
function procCpuUs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

async function withProsody<T> (fn: (service: string, server: { cpuUs(): Promise<number> }) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'natter-perf-prosody-'))
  chmodSync(dir, 0o777)
  const port = await freePort()
  const config = join(dir, 'prosody.cfg.lua')
  writeFileSync(config, [
    'run_as_root = true',
    `pidfile = "${dir}/prosody.pid"`,
    `data_path = "${dir}"`,
    `certificates = "${dir}"`,
    'interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${port} }`,
    's2s_ports = { }', 'http_ports = { }', 'https_ports = { }',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    'authentication = "internal_plain"',
    'storage = "internal"',
    'log = { error = "*console" }',
    'modules_enabled = { "roster", "saslauth", "disco", "offline", "ping", "presence" }',
    'modules_disabled = { "s2s", "tls" }',
    'Host "bench.local"',
    ''
  ].join('\n'))
  for (const user of ['alice', 'bob']) {
    spawnSync('prosodyctl', ['--config', config, 'register', user, 'bench.local', 'pw'], { stdio: 'ignore', timeout: 20_000 })
  }
  const server = spawn('prosody', ['--config', config, '-F'], { stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    // wait for the port to accept
    const end = Date.now() + 15_000
    for (;;) {
      const ok = await new Promise<boolean>(resolve => {
        const s = netConnect(port, '127.0.0.1', () => { s.end(); resolve(true) })
        s.on('error', () => { resolve(false) })
      })
      if (ok) break
      if (Date.now() > end) throw new Error('prosody did not start')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const pid = server.pid as number
    return await fn(`xmpp://127.0.0.1:${port}`, { cpuUs: async () => procCpuUs(pid) })
  } finally {
    server.kill('SIGTERM')
    await new Promise(resolve => { server.once('exit', resolve); setTimeout(resolve, 5000) })
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runXmpp (): Promise<Row> {
  return withProsody(async (service, server) => {
    const [rx, tx] = [new Peer('xmpp'), new Peer('xmpp')]
    try {
      await rx.call('start', { service, jid: 'bob@bench.local', password: 'pw', echo: true })
      await tx.call('start', { service, jid: 'alice@bench.local', password: 'pw' })
      const to = 'bob@bench.local/bench'
      const latency = await tx.call<LatencyMeasurement>('latency', { to, count: 2000, warmup: 500, maxMs: 15_000 })
      await tx.call('rate', { to, count: 1000, window: WINDOW, maxMs: 10_000 })
      const { rate, cpuUsPerMsg } = await cpuAround([rx, tx, server], async () => tx.call<RateMeasurement>('rate', { to, count: 10_000, window: WINDOW, maxMs: 20_000 }))
      return { latency, rate, cpuUsPerMsg }
    } finally {
      await Promise.all([rx.stop(), tx.stop()])
    }
  })
}

async function runXmppOffline (): Promise<Row> {
  return withProsody(async (service) => {
    const [rx, tx] = [new Peer('xmpp'), new Peer('xmpp')]
    try {
      await rx.call('start', { service, jid: 'bob@bench.local', password: 'pw', offline: true })
      await tx.call('start', { service, jid: 'alice@bench.local', password: 'pw' })
      // to the bare JID: the server keeps it for an offline user (mod_offline)
      await tx.call('queue', { to: 'bob@bench.local', count: OFFLINE_COUNT })
      const online = await rx.call('comeOnline', { count: OFFLINE_COUNT, maxMs: 30_000 })
      return { offlineMs: online.ms }
    } finally {
      await Promise.all([rx.stop(), tx.stop()])
    }
  })
}

// ---------------------------------------------------------------- report

const f = (v: number | undefined, d = 2): string => v == null || !Number.isFinite(v) ? '—' : v.toFixed(d)

function render (runs: RunResult[]): string {
  const lines: string[] = []
  lines.push(`| run | figure | natter | raw libp2p | prosody | natter/raw | natter/prosody |`)
  lines.push('|---|---|---|---|---|---|---|')
  runs.forEach((run, i) => {
    const n = run.natter ?? {}
    const r = run.raw ?? {}
    const x = run.xmpp ?? {}
    const ratio = (a?: number, b?: number): string => a == null || b == null || b === 0 ? '—' : `${(a / b).toFixed(2)}×`
    lines.push(`| ${i + 1} | send→ack p50 / p99 ms | ${f(n.latency?.p50)} / ${f(n.latency?.p99)} | ${f(r.latency?.p50)} / ${f(r.latency?.p99)} | ${f(x.latency?.p50)} / ${f(x.latency?.p99)} | ${ratio(n.latency?.p50, r.latency?.p50)} | ${ratio(n.latency?.p50, x.latency?.p50)} |`)
    lines.push(`| ${i + 1} | acked 1 KiB msg/s (${WINDOW} in flight) | ${f(n.rate?.perSecond, 0)} | ${f(r.rate?.perSecond, 0)} | ${f(x.rate?.perSecond, 0)} | ${ratio(n.rate?.perSecond, r.rate?.perSecond)} | ${ratio(n.rate?.perSecond, x.rate?.perSecond)} |`)
    lines.push(`| ${i + 1} | CPU µs per acked msg (all processes) | ${f(n.cpuUsPerMsg, 0)} | ${f(r.cpuUsPerMsg, 0)} | ${f(x.cpuUsPerMsg, 0)} | ${ratio(n.cpuUsPerMsg, r.cpuUsPerMsg)} | ${ratio(n.cpuUsPerMsg, x.cpuUsPerMsg)} |`)
    const o = run.natter12
    if (o != null) {
      lines.push(`| ${i + 1} | natter with 1.2 signatures: p50 ms / msg/s / CPU µs per msg | ${f(o.latency?.p50)} / ${f(o.rate?.perSecond, 0)} / ${f(o.cpuUsPerMsg, 0)} | — | — | 1.3/1.2: ${ratio(n.latency?.p50, o.latency?.p50)} / ${ratio(n.rate?.perSecond, o.rate?.perSecond)} / ${ratio(n.cpuUsPerMsg, o.cpuUsPerMsg)} | — |`)
    }
    lines.push(`| ${i + 1} | ${OFFLINE_COUNT} offline msgs, online → all delivered, ms | ${f(run.offline?.offlineMs, 0)} | — | ${f(run['xmpp-offline']?.offlineMs, 0)} | — | ${ratio(run.offline?.offlineMs, run['xmpp-offline']?.offlineMs)} |`)
    lines.push(`| ${i + 1} | ${OFFLINE_COUNT} msgs handed to 3 mailbox peers (stranger: deposit stamps), ms | ${f(run.mailbox?.mailboxMs, 0)} | — | — | — | — |`)
    lines.push(`| ${i + 1} | ${OFFLINE_COUNT} msgs handed to 3 mailbox peers (their contact: no stamps), ms | ${f(run['mailbox-contact']?.mailboxMs, 0)} | — | — | — | — |`)
  })
  const notes = runs.flatMap(run => Object.entries(run).filter(([, row]) => row.note != null).map(([k, row]) => `${k}: ${row.note}`))
  return lines.join('\n') + '\n' + [...new Set(notes)].map(n => `note: ${n}\n`).join('')
}

async function main (): Promise<void> {
  const haveProsody = prosodyInstalled()
  const runs: RunResult[] = []
  const step = async (run: RunResult, key: string, fn: () => Promise<Row>): Promise<void> => {
    progress(`run ${runs.length}: ${key}`)
    try {
      run[key] = await fn()
    } catch (err) {
      run[key] = { note: `failed: ${(err as Error).message.split('\n')[0]}` }
      progress(`${key}: ${(err as Error).stack}`)
    }
  }
  for (let i = 0; i < repeats; i++) {
    const run: RunResult = {}
    runs.push(run)
    if (only.has('raw')) await step(run, 'raw', runRaw)
    if (only.has('natter')) await step(run, 'natter', async () => runNatter())
    // 1.3 against 1.2 (per-message signatures) in the same run
    if (only.has('natter12')) await step(run, 'natter12', async () => runNatter({ dmVersion: '1.2' }))
    if (only.has('xmpp')) {
      if (haveProsody) await step(run, 'xmpp', runXmpp)
      else run.xmpp = { note: 'prosody not installed (apt-get install -y prosody): skipped' }
    }
    if (only.has('offline')) {
      await step(run, 'offline', runNatterOffline)
      if (haveProsody) await step(run, 'xmpp-offline', runXmppOffline)
    }
    if (only.has('mailbox')) await step(run, 'mailbox', async () => runNatterMailbox(false))
    if (only.has('mailbox') || only.has('mailbox-contact')) await step(run, 'mailbox-contact', async () => runNatterMailbox(true))
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(runs, null, 2) + '\n')
  } else {
    process.stdout.write('\n' + render(runs))
  }
  setTimeout(() => process.exit(), 2000).unref()
}

await main()
