/**
 * `npm run bench:presence`: presence v1 (one global topic, every record to
 * every node) next to presence v2 (sealed records on shard topics, a node
 * follows its own shard and its contacts') in the same run, at N = 10, 50,
 * 100 nodes (override: PRESENCE_BENCH_N=10,50). Figures, not assertions.
 *
 * What runs: N libp2p nodes in this process with natter's own network
 * services (`natterServices(natterServicePolicies())`: TCP, Noise, yamux,
 * identify, ping, both gossipsubs; the DHT left out, as 100 Kademlia servers in
 * one process starve two cores), each dialling 4 random earlier nodes.
 * Each node has C = 4 contacts (ring neighbours ±1, ±2). To keep 100 nodes
 * within 2 shared cores, the bench runs the presence services directly —
 * `createPresenceService` (v1) and `createPresenceV2` (v2) — without the rest
 * of natter (store, sessions, messenger), and hands the presence keys over
 * in memory instead of through the DM control channel (a one-off per contact
 * pair that the integration tests cover). Nodes start staggered.
 *
 * Per N and per version: change → all contacts latency p50 / p99 (20
 * publishers change status, each contact's time to accept it), records and
 * bytes of presence data received per node per minute (unique records that
 * reached the node's validator; gossip control traffic and duplicates gossipsub
 * drops before validation are not counted), and heap per node.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { randomBytes } from '@noble/hashes/utils.js'
import { createLibp2p } from 'libp2p'
import { natterServices } from '../src/network/libp2p.js'
import { natterServicePolicies } from '../src/policies.js'
import { createPresenceService } from '../src/presence/service.js'
import { createPresenceV2 } from '../src/presence/service-v2.js'
import { presenceKeys } from '../src/presence/keys.js'
import { PRESENCE_TOPIC } from '../src/presence/record.js'
import type { NatterLibp2p } from '../src/network/libp2p.js'
import type { PresenceService } from '../src/presence/service.js'
import type { PresenceV2 } from '../src/presence/service-v2.js'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'

ensurePromiseWithResolvers()

const SIZES = (process.env.PRESENCE_BENCH_N ?? '10,50,100').split(',').map(Number)
const CONTACTS = [-2, -1, 1, 2]
const DEGREE = 4
const TTL_MS = 30_000
const REPUBLISH_MS = 10_000
const WINDOW_MS = Number(process.env.PRESENCE_BENCH_WINDOW_MS ?? 30_000)
const CHANGES = 20

interface BenchNode {
  libp2p: NatterLibp2p
  key: Ed25519PrivateKey
  id: string
  contacts: string[]
}

function withoutDht<T extends { dht: unknown }> (services: T): Omit<T, 'dht'> {
  const { dht: _dht, ...rest } = services
  return rest
}

function memorySettings (): { get(k: string): unknown, set(k: string, v: unknown): void } {
  const m = new Map<string, unknown>()
  return { get: (k) => m.get(k), set: (k, v) => { m.set(k, JSON.parse(JSON.stringify(v))) } }
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

async function createNodes (n: number): Promise<BenchNode[]> {
  const nodes: BenchNode[] = []
  for (let i = 0; i < n; i++) {
    const key = await generateKeyPair('Ed25519')
    const libp2p = await createLibp2p({
      privateKey: key,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 64 },
      // natter's services without the DHT: 100 Kademlia servers in one process starve 2 cores (the bench keeps
      // the transport, identify, ping and both gossipsubs with natter's scoring; v2 rendezvous is off, contacts dialled)
      services: withoutDht(natterServices(natterServicePolicies()))
    }) as unknown as NatterLibp2p
    nodes.push({ libp2p, key, id: libp2p.peerId.toString(), contacts: [] })
    // a random connected graph: each newcomer dials a few earlier nodes
    const earlier = nodes.slice(0, -1).sort(() => Math.random() - 0.5).slice(0, DEGREE)
    await Promise.all(earlier.map(async e => libp2p.dial(e.libp2p.getMultiaddrs()[0]!).catch(() => {})))
  }
  for (let i = 0; i < n; i++) {
    nodes[i]!.contacts = CONTACTS.map(d => nodes[(i + d + n) % n]!.id).filter((p, j, a) => p !== nodes[i]!.id && a.indexOf(p) === j)
  }
  return nodes
}

interface Counters { records: number, bytes: number }

function countOn (libp2p: NatterLibp2p, which: 'pubsub' | 'presence', filter: (topic: string) => boolean): Counters {
  const c = { records: 0, bytes: 0 }
  libp2p.services[which].addEventListener('message', (e: CustomEvent<Message>) => {
    if (filter(e.detail.topic)) {
      c.records++
      c.bytes += e.detail.data.byteLength
    }
  })
  return c
}

interface Figures { p50: number, p99: number, recordsPerMin: number, bytesPerMin: number, heapPerNodeKiB: number }

async function measure (nodes: BenchNode[], version: 'v1' | 'v2'): Promise<Figures> {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const seen = new Map<string, Map<string, number>>() // publisher → contact → time accepted
  const want = new Map<string, string>() // publisher → note it set
  const onChange = (watcher: string) => (p: { peerId: string, note: string }): void => {
    const note = want.get(p.peerId)
    if (note != null && p.note === note) {
      const m = seen.get(p.peerId) ?? new Map<string, number>()
      if (!m.has(watcher)) m.set(watcher, performance.now())
      seen.set(p.peerId, m)
    }
  }
  const byId = new Map(nodes.map(n => [n.id, n]))
  let services: Array<{ set: (status: 'online' | 'away', note: string) => Promise<unknown>, stop: () => Promise<void> }>
  const counters = nodes.map(n => version === 'v1'
    ? countOn(n.libp2p, 'pubsub', t => t === PRESENCE_TOPIC)
    : countOn(n.libp2p, 'presence', t => t.startsWith('/natter/presence/2/')))
  if (version === 'v1') {
    const v1: PresenceService[] = nodes.map(n => createPresenceService({ pubsub: n.libp2p.services.pubsub, key: n.key, peerId: n.libp2p.peerId, logger: defaultLogger() }, {
      ttlMs: TTL_MS, republishIntervalMs: REPUBLISH_MS, isContact: (p) => n.contacts.includes(p), onChange: onChange(n.id)
    }))
    for (const s of v1) { await s.start(); await sleep(20) }
    services = v1.map(s => ({ set: async (st, note) => s.set(st, note), stop: async () => { await s.stop({ announce: false }) } }))
  } else {
    // keys handed over in memory (the control channel's job in natter)
    const keys = new Map(nodes.map(n => [n.id, presenceKeys(memorySettings())]))
    for (const n of nodes) {
      for (const c of n.contacts) keys.get(n.id)!.setContact(c, keys.get(c)!.own())
      for (const c of n.contacts) keys.get(n.id)!.markSent(c, keys.get(n.id)!.own().generation)
    }
    const v2: PresenceV2[] = nodes.map(n => createPresenceV2({
      pubsub: n.libp2p.services.presence,
      libp2p: n.libp2p,
      key: n.key,
      peerId: n.libp2p.peerId as PeerId,
      keys: keys.get(n.id)!,
      control: { send: () => {}, handle: () => {}, unsupported: () => false },
      contacts: () => n.contacts,
      isContact: (p) => n.contacts.includes(p),
      logger: defaultLogger()
    }, { ttlMs: TTL_MS, republishIntervalMs: REPUBLISH_MS, rendezvous: false, rendezvousIntervalMs: 3_000, onChange: onChange(n.id) }))
    for (const s of v2) { await s.start(); await sleep(20) }
    services = v2.map(s => ({ set: async (st, note) => { await s.publish(st, note) }, stop: async () => { await s.stop({ announce: false }) } }))
  }
  // meshes settle (gossipsub heartbeats, contacts dialled for their shards)
  await sleep(8_000)
  gc?.()
  const heapPerNodeKiB = Math.round((process.memoryUsage().heapUsed - heapBefore) / nodes.length / 1024)

  // traffic over a window of steady state
  for (const c of counters) { c.records = 0; c.bytes = 0 }
  await sleep(WINDOW_MS)
  const perMin = 60_000 / WINDOW_MS
  const recordsPerMin = counters.reduce((a, c) => a + c.records, 0) / nodes.length * perMin
  const bytesPerMin = counters.reduce((a, c) => a + c.bytes, 0) / nodes.length * perMin

  // change → all contacts
  const latencies: number[] = []
  const publishers = [...nodes].sort(() => Math.random() - 0.5).slice(0, Math.min(CHANGES, nodes.length))
  for (const p of publishers) {
    const note = `n-${Buffer.from(randomBytes(4)).toString('hex')}`
    want.set(p.id, note)
    const i = nodes.indexOf(p)
    const start = performance.now()
    await services[i]!.set('away', note)
    const deadline = start + 5_000
    while (performance.now() < deadline && (seen.get(p.id)?.size ?? 0) < p.contacts.length) await sleep(5)
    for (const c of p.contacts) {
      const at = seen.get(p.id)?.get(c)
      latencies.push(at == null ? Infinity : at - start)
    }
    void byId
  }
  for (const s of services) await s.stop()
  const finite = latencies.filter(Number.isFinite)
  const missed = latencies.length - finite.length
  if (missed > 0) console.log(`  ${version}: ${missed} of ${latencies.length} contact deliveries not seen within 5 s (counted at 5 s)`)
  const all = latencies.map(l => Number.isFinite(l) ? l : 5_000)
  return { p50: pct(all, 0.5), p99: pct(all, 0.99), recordsPerMin, bytesPerMin, heapPerNodeKiB }
}

async function main (): Promise<void> {
  console.log(`presence bench: contacts per node ${CONTACTS.length}, ttl ${TTL_MS} ms, republish ${REPUBLISH_MS} ms, window ${WINDOW_MS} ms`)
  console.log('N     ver  change→contacts p50 / p99 (ms)   records/node/min   bytes/node/min   heap/node (KiB)')
  for (const n of SIZES) {
    const rssBefore = process.memoryUsage().rss
    const nodes = await createNodes(n)
    const rssPerNode = Math.round((process.memoryUsage().rss - rssBefore) / n / 1024 / 1024 * 10) / 10
    for (const version of ['v1', 'v2'] as const) {
      const f = await measure(nodes, version)
      console.log(`${String(n).padEnd(5)} ${version}   ${f.p50.toFixed(1).padStart(8)} / ${f.p99.toFixed(1).padEnd(8)}            ${f.recordsPerMin.toFixed(1).padStart(10)}   ${Math.round(f.bytesPerMin).toString().padStart(14)}   ${String(f.heapPerNodeKiB).padStart(8)}`)
    }
    console.log(`      (libp2p node with both gossipsubs, RSS per node: ${rssPerNode} MiB)`)
    await Promise.all(nodes.map(async x => { await x.libp2p.stop() }))
  }
}

main().then(() => { process.exit(0) }, (err) => { console.error(err); process.exit(1) })
