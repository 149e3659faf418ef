/**
 * `npm run bench:groups`: group messages next to raw gossipsub in the same
 * run, at N = 5 and 20 real natter nodes in this process (override:
 * GROUPS_BENCH_N=5,20), and the cost of a membership change at 100 members.
 * Figures, not assertions; run it niced (the machine is shared).
 *
 * Per N: an admin and N-1 members (the admin's contacts, members not each
 * other's), all on loopback TCP, bootstrapped to the admin. After every member
 * joined and holds every chain:
 * - raw: the admin publishes 50 random 200-byte messages on a plain topic of the
 *   same gossipsub (presence v2's, unsigned) every node subscribed to; latency
 *   = publish → the last of the N-1 members received it;
 * - group: the admin sends 50 group messages (`natter.groups.send`); latency =
 *   send → the last member's `group:message`;
 * - CPU (user+system of the process, all N nodes) and frame bytes per member per
 *   message during the group phase.
 * At 100 members (one node; 99 members that are contacts with no node behind
 * them, so only the local work is timed): adding the 100th member and removing
 * one (op authored and resolved over all ops, chain rotated, the key and op
 * payloads queued for 99 members).
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createNatter } from '../src/index.js'
import { percentile } from './stats.js'
import type { Natter } from '../src/index.js'
import type { NatterLibp2p } from '../src/network/libp2p.js'

ensurePromiseWithResolvers()
const libp2pOf = (n: Natter): NatterLibp2p => (n as unknown as { components: { libp2p: NatterLibp2p } }).components.libp2p
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
async function until (fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}
const fmt = (sorted: number[]): string => `p50 ${percentile(sorted, 50).toFixed(1)} ms / p99 ${percentile(sorted, 99).toFixed(1)} ms`

async function runN (n: number): Promise<void> {
  const dirs: string[] = []
  const nodes: Natter[] = []
  const make = async (bootstrap?: string): Promise<Natter> => {
    const dir = await mkdtemp(join(tmpdir(), 'natter-bench-groups-'))
    dirs.push(dir)
    const node = await createNatter({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', powDifficulty: 8, bootstrap: bootstrap != null ? [bootstrap] : [] })
    nodes.push(node)
    return node
  }
  try {
    const admin = await make()
    const members: Natter[] = []
    for (let i = 1; i < n; i++) members.push(await make(admin.addresses[0]))
    for (const [i, m] of members.entries()) {
      await admin.contacts.add(`m${i}`, m.peerId)
      await m.contacts.add('admin', admin.peerId)
    }
    // members not connected to the admin (bootstrap dials can be refused in a burst) are dialled by the admin
    await until(() => members.every(m => admin.connectedPeers.includes(m.peerId)), 10_000, 'members to connect').catch(() => {})
    for (const m of members) {
      if (!admin.connectedPeers.includes(m.peerId)) await admin.connect(m.addresses[0]!).catch(() => {})
    }
    console.log(`N=${n}: ${members.filter(m => admin.connectedPeers.includes(m.peerId)).length}/${n - 1} members connected to the admin`)
    const t0 = Date.now()
    const group = await admin.groups.create('bench', members.map((_, i) => `m${i}`))
    const chains = (x: Natter): number => { try { return (x.groups as unknown as { chainsOf(g: string): unknown[] }).chainsOf(group.id).length } catch { return 0 } }
    await until(() => [admin, ...members].every(x => chains(x) >= n), 180_000, 'every member to hold every chain')
    console.log(`N=${n}: group formed (every member joined and holds ${n} chains) in ${Date.now() - t0} ms`)
    await sleep(2000)

    // raw gossipsub on the same nodes and the same (unsigned) gossipsub
    const rawTopic = '/natter/bench/raw'
    const seen = new Map<string, number>()
    const rawAt = new Map<string, number>()
    for (const m of members) {
      const pubsub = libp2pOf(m).services.presence
      pubsub.subscribe(rawTopic)
      pubsub.addEventListener('message', (e) => {
        if (e.detail.topic !== rawTopic) return
        const id = Buffer.from(e.detail.data.subarray(0, 8)).toString('hex')
        seen.set(id, (seen.get(id) ?? 0) + 1)
        if (seen.get(id) === members.length) rawAt.set(id, performance.now())
      })
    }
    libp2pOf(admin).services.presence.subscribe(rawTopic)
    await sleep(3000)
    const raw: number[] = []
    for (let i = 0; i < 50; i++) {
      const data = crypto.getRandomValues(new Uint8Array(200))
      const id = Buffer.from(data.subarray(0, 8)).toString('hex')
      const start = performance.now()
      await libp2pOf(admin).services.presence.publish(rawTopic, data).catch(() => {})
      await until(() => rawAt.has(id), 10_000, 'raw message').catch(() => {})
      if (rawAt.has(id)) raw.push((rawAt.get(id) as number) - start)
      await sleep(20)
    }

    // group messages
    const got = new Map<string, number>()
    const groupAt = new Map<string, number>()
    for (const m of members) {
      m.addEventListener('group:message', (e) => {
        const id = e.detail.id
        got.set(id, (got.get(id) ?? 0) + 1)
        if (got.get(id) === members.length) groupAt.set(id, performance.now())
      })
    }
    let frameBytes = 0
    let frames = 0
    const topic = (members[0]!.groups as unknown as { topicOf(g: string): string }).topicOf(group.id)
    libp2pOf(members[0]!).services.presence.addEventListener('message', (e) => { if (e.detail.topic === topic) { frameBytes += e.detail.data.byteLength; frames++ } })
    const lat: number[] = []
    const cpu0 = process.cpuUsage()
    const wall0 = performance.now()
    for (let i = 0; i < 50; i++) {
      const start = performance.now()
      const sent = await admin.groups.send(group.id, `message ${i} ${'x'.repeat(180)}`)
      await until(() => groupAt.has(sent.message.id), 15_000, 'group message').catch(() => {})
      if (groupAt.has(sent.message.id)) lat.push((groupAt.get(sent.message.id) as number) - start)
      await sleep(20)
    }
    const cpu = process.cpuUsage(cpu0)
    const wall = performance.now() - wall0
    raw.sort((x, y) => x - y)
    lat.sort((x, y) => x - y)
    console.log(`N=${n}: raw gossipsub publish → all ${n - 1}: ${fmt(raw)} (${raw.length}/50)`)
    console.log(`N=${n}: group send → all ${n - 1} members: ${fmt(lat)} (${lat.length}/50)`)
    console.log(`N=${n}: CPU (process, all ${n} nodes) ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms over ${wall.toFixed(0)} ms wall = ${((cpu.user + cpu.system) / 1000 / 50 / (n - 1)).toFixed(2)} ms per member per message (receipts included); frame ${frames > 0 ? (frameBytes / frames).toFixed(0) : '?'} bytes per member per message (200-byte text)`)
  } finally {
    await Promise.allSettled(nodes.map(async x => { await x.stop() }))
    await Promise.allSettled(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}

async function membershipAt100 (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'natter-bench-groups-'))
  const node = await createNatter({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local' })
  try {
    const names: string[] = []
    for (let i = 0; i < 100; i++) {
      const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      await node.contacts.add(`p${i}`, peer)
      names.push(`p${i}`)
    }
    let t = performance.now()
    const group = await node.groups.create('hundred', names.slice(0, 98))
    console.log(`N=100: create with 98 members (99 ops, 98 invitations queued): ${(performance.now() - t).toFixed(0)} ms`)
    t = performance.now()
    await node.groups.add(group.id, names[98]!)
    console.log(`N=100: add the 100th member (op, resolution over 100 ops, keys/ops queued for 99): ${(performance.now() - t).toFixed(1)} ms`)
    t = performance.now()
    await node.groups.remove(group.id, names[0]!)
    console.log(`N=100: remove one of 100 (op, resolution, new chain, key queued for 98): ${(performance.now() - t).toFixed(1)} ms`)
  } finally {
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

const ns = (process.env.GROUPS_BENCH_N ?? '5,20').split(',').map(Number).filter(n => n > 0)
if (process.env.GROUPS_BENCH_SKIP_100 !== '1') await membershipAt100()
for (const n of ns) await runN(n).catch((err) => { console.log(`N=${n}: ${(err as Error).message}`) })
process.exit(0)
