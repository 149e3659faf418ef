/**
 * `npm run soak`: kills and restarts a sending and a receiving natter node at
 * random (SIGKILL) while messages flow, then reports how many were lost and
 * how many were shown twice. Targets: 0 and 0. Bounded in count and time.
 *
 *   node dist/bench/soak.js [--count 10000] [--chaos-seconds 60] [--seed 42] [--json]
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createNatter } from '../src/index.js'
import { loadOrCreateIdentity } from '../src/keys/identity.js'
import { openStore } from '../src/store/index.js'
import type { ChildProcess } from 'node:child_process'

ensurePromiseWithResolvers()

const PEER = fileURLToPath(new URL('./soak-peer.js', import.meta.url))
const DRAIN_LIMIT_MS = 5 * 60_000

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    'chaos-seconds': { type: 'string', default: '60' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false }
  }
})
const total = Number(values.count)
const chaosMs = Number(values['chaos-seconds']) * 1000
let seed = Number(values.seed) >>> 0
const random = (): number => {
  // mulberry32: a small seeded generator, so a run can be repeated
  seed = (seed + 0x6D2B79F5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const log = (line: string): void => { process.stderr.write(`[soak] ${line}\n`) }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

const root = await mkdtemp(join(tmpdir(), 'natter-soak-'))
const hub = await createNatter({ dataDir: join(root, 'hub'), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', powDifficulty: 8 })
const dirs = { send: join(root, 'sender'), receive: join(root, 'receiver') }
const ids = {
  send: peerIdFromPrivateKey(await loadOrCreateIdentity(dirs.send)).toString(),
  receive: peerIdFromPrivateKey(await loadOrCreateIdentity(dirs.receive)).toString()
}
const shown = new Map<string, number>()
const procs: Partial<Record<'send' | 'receive', ChildProcess>> = {}
let kills = 0

async function start (role: 'send' | 'receive'): Promise<void> {
  const other = role === 'send' ? ids.receive : ids.send
  const child = spawn(process.execPath, [PEER, dirs[role], hub.addresses[0]!, role, other, String(total)], { stdio: ['ignore', 'pipe', 'inherit'] })
  procs[role] = child
  const ready = Promise.withResolvers<void>()
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('ready ')) ready.resolve()
    if (line.startsWith('got ')) shown.set(line.slice(4), (shown.get(line.slice(4)) ?? 0) + 1)
  })
  child.once('exit', () => { ready.resolve() })
  await ready.promise
}

async function kill (role: 'send' | 'receive', signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const child = procs[role]
  if (child == null || child.exitCode != null || child.signalCode != null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

const startedAt = Date.now()
await start('receive')
await start('send')
log(`sending ${total} messages; killing at random for ${chaosMs / 1000} s (seed ${values.seed})`)
while (Date.now() - startedAt < chaosMs && shown.size < total) {
  await sleep(1000 + random() * 3000)
  const role = random() < 0.5 ? 'send' : 'receive'
  await kill(role)
  kills++
  await sleep(random() * 2000)
  await start(role)
  log(`killed and restarted the ${role === 'send' ? 'sender' : 'receiver'}; ${shown.size} shown so far`)
}
const drainFrom = Date.now()
while (shown.size < total && Date.now() - drainFrom < DRAIN_LIMIT_MS) {
  await sleep(500)
}
await kill('send', 'SIGTERM')
await kill('receive', 'SIGTERM')
await hub.stop()

/** Every stored message id of a conversation, paging back through history. */
function allIds (path: string, peer: string): string[] {
  const store = openStore({ path })
  try {
    const out: string[] = []
    let page = store.messages.history(peer, { limit: 1000 })
    while (page.length > 0) {
      out.push(...page.map(m => m.id))
      page = store.messages.history(peer, { limit: 1000, before: page[0]! })
    }
    return out
  } finally {
    store.close()
  }
}
const sentIds = allIds(join(dirs.send, 'natter.db'), ids.receive)
const stored = new Set(allIds(join(dirs.receive, 'natter.db'), ids.send))
const lost = sentIds.filter(id => !stored.has(id)).length
const duplicated = [...shown.values()].reduce((n, c) => n + c - 1, 0)
const result = {
  messages: total,
  sentStored: sentIds.length,
  receivedStored: stored.size,
  shownOnce: [...shown.values()].filter(c => c === 1).length,
  kills,
  seconds: Math.round((Date.now() - startedAt) / 1000),
  lost,
  duplicated,
  target: { lost: 0, duplicated: 0 }
}
await rm(root, { recursive: true, force: true })
if (values.json === true) {
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
} else {
  process.stdout.write(`soak: ${total} messages, ${kills} random SIGKILLs in ${result.seconds} s\n` +
    `  stored by sender ${result.sentStored}, stored by receiver ${result.receivedStored}\n` +
    `  shown once ${result.shownOnce}; lost ${lost} (target 0), shown twice ${duplicated} (target 0)\n`)
}
process.exit(lost === 0 && duplicated === 0 ? 0 : 1)
