/**
 * One worker process of `npm run bench:presence` (bench/presence.ts forks
 * several): it runs a share of the bench's nodes — natter's real network
 * stack (`createNetwork` in local mode: TCP, Noise, yamux, identify, ping,
 * kad-dht, both gossipsubs, natter's scoring and connection limits) and the
 * presence service under test — and answers the coordinator over IPC. The
 * coordinator does all the timing on its own clock; a worker only reports
 * what its nodes saw, when they saw it, as an IPC message.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { createNetwork } from '../src/network/libp2p.js'
import { natterServicePolicies } from '../src/policies.js'
import { createPresenceService } from '../src/presence/service.js'
import { createPresenceV2 } from '../src/presence/service-v2.js'
import { presenceKeys } from '../src/presence/keys.js'
import { emit, serveWorker } from './workers.js'
import { PRESENCE_TOPIC } from '../src/presence/record.js'
import type { NatterLibp2p } from '../src/network/libp2p.js'
import type { PresenceKeys } from '../src/presence/keys.js'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'
import { countWire, sumCounts } from './wire-count.js'
import type { WireCounts } from './wire-count.js'

ensurePromiseWithResolvers()

/** What the coordinator asks. */
export type WorkerRequest =
  | { op: 'create', indices: number[] }
  | { op: 'connect', dials: Record<number, string[]> }
  | { op: 'start', version: 'v1' | 'v2', ttlMs: number, republishMs: number, contacts: Record<number, string[]>, keys: Record<string, { key: string, generation: string }> }
  | { op: 'reset' }
  | { op: 'read' }
  | { op: 'set', index: number, note: string }
  | { op: 'stop' }
  | { op: 'exit' }

/** What a worker's node saw: `watcher` accepted `publisher`'s record with `note`. */
export interface SeenEvent { op: 'seen', publisher: string, watcher: string, note: string }

/** Counters of one worker since the last reset. */
export interface WorkerCounters {
  nodes: number
  records: number
  bytes: number
  /** CPU time of the whole worker process, in µs (user + system). */
  cpuMicros: number
  ms: number
  heapUsed: number
  rss: number
  connections: number
  /** What the worker's nodes sent and received, by protocol (bench/wire-count.ts), since the last reset. */
  wire: WireCounts
}

interface Node {
  index: number
  key: Ed25519PrivateKey
  libp2p: NatterLibp2p
  id: string
  counter: { records: number, bytes: number }
  keys: PresenceKeys
  wire: ReturnType<typeof countWire>
  service?: { set(note: string): Promise<void>, stop(): Promise<void> }
}

/** PRESENCE_BENCH_PROFILE=DIR: a V8 CPU profile of the window between 'reset' and 'read' (the idle window). */
const PROFILE_DIR = process.env.PRESENCE_BENCH_PROFILE
const profiler = (() => {
  let session: Session | undefined
  return {
    async start (): Promise<void> {
      session = new Session()
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    },
    async stop (file: string): Promise<void> {
      if (session == null) return
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
      session = undefined
    }
  }
})()

const nodes = new Map<number, Node>()
let version: 'v1' | 'v2' | undefined
let window = { cpu: process.cpuUsage(), at: performance.now() }

function memorySettings (): { get(k: string): unknown, set(k: string, v: unknown): void } {
  const m = new Map<string, unknown>()
  return { get: (k) => m.get(k), set: (k, v) => { m.set(k, JSON.parse(JSON.stringify(v))) } }
}

const send = emit

async function create (indices: number[]): Promise<unknown> {
  const out = []
  for (const index of indices) {
    const key = await generateKeyPair('Ed25519')
    const libp2p = await createNetwork({ ...natterServicePolicies(), privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 64 })
    const wire = countWire(libp2p)
    await libp2p.start()
    const counter = { records: 0, bytes: 0 }
    // presence data that reached the node's validator and was accepted (unique records; duplicates and gossip
    // control traffic that gossipsub drops before validation are not counted)
    const count = (e: CustomEvent<Message>): void => {
      const t = e.detail.topic
      if ((version === 'v1' && t === PRESENCE_TOPIC) || (version === 'v2' && t.startsWith('/natter/presence/2/'))) {
        counter.records++
        counter.bytes += e.detail.data.byteLength
      }
    }
    libp2p.services.pubsub.addEventListener('message', count)
    libp2p.services.presence.addEventListener('message', count)
    const keys = presenceKeys(memorySettings())
    const node: Node = { index, key, libp2p, id: libp2p.peerId.toString(), counter, keys, wire }
    nodes.set(index, node)
    const own = keys.own()
    out.push({ index, id: node.id, addrs: libp2p.getMultiaddrs().map(String), key: Buffer.from(own.key).toString('base64'), generation: own.generation.toString() })
  }
  return out
}

async function connect (dials: Record<number, string[]>): Promise<unknown> {
  let ok = 0
  let failed = 0
  for (const [index, addrs] of Object.entries(dials)) {
    const node = nodes.get(Number(index))
    if (node == null) continue
    for (const a of addrs) {
      await node.libp2p.dial(multiaddr(a), { signal: AbortSignal.timeout(10_000) }).then(() => { ok++ }, () => { failed++ })
    }
  }
  return { ok, failed }
}

async function start (req: Extract<WorkerRequest, { op: 'start' }>): Promise<unknown> {
  version = req.version
  for (const node of nodes.values()) {
    const contacts = req.contacts[node.index] ?? []
    const onChange = (p: { peerId: string, note: string }): void => { if (process.env.BENCH_DEBUG != null && p.note.startsWith('n-')) console.log(Date.now() % 100000, node.index, 'saw', p.peerId.slice(-4), p.note); send({ op: 'seen', publisher: p.peerId, watcher: node.id, note: p.note } satisfies SeenEvent) }
    if (req.version === 'v1') {
      // v1 as before 1.2: every node publishes on the one global topic
      const s = createPresenceService({ pubsub: node.libp2p.services.pubsub, key: node.key, peerId: node.libp2p.peerId, logger: defaultLogger() }, {
        ttlMs: req.ttlMs, republishIntervalMs: req.republishMs, isContact: (p) => contacts.includes(p), onChange
      })
      await s.start()
      node.service = { set: async (note) => { await s.set('away', note) }, stop: async () => { await s.stop({ announce: false }) } }
    } else {
      // the contacts' keys, handed over in memory (the control channel's job in natter; the integration tests cover it)
      for (const c of contacts) {
        const k = req.keys[c]
        if (k != null) node.keys.setContact(c, { key: new Uint8Array(Buffer.from(k.key, 'base64')), generation: BigInt(k.generation) })
        node.keys.markSent(c, node.keys.own().generation)
      }
      // and v1 as a 1.2 daemon whose presence is not public runs it: receiving and relaying, publishing nothing
      const relay = createPresenceService({ pubsub: node.libp2p.services.pubsub, key: node.key, peerId: node.libp2p.peerId, logger: defaultLogger() }, {
        ttlMs: req.ttlMs, republishIntervalMs: req.republishMs, isContact: (p) => contacts.includes(p), publishes: () => false
      })
      await relay.start()
      const s = createPresenceV2({
        pubsub: node.libp2p.services.presence,
        libp2p: node.libp2p,
        key: node.key,
        peerId: node.libp2p.peerId as PeerId,
        keys: node.keys,
        control: { send: () => {}, handle: () => {}, unsupported: () => false },
        contacts: () => contacts,
        isContact: (p) => contacts.includes(p),
        logger: defaultLogger()
      }, { ttlMs: req.ttlMs, republishIntervalMs: req.republishMs, onChange })
      await s.start()
      node.service = { set: async (note) => { await s.publish('away', note) }, stop: async () => { await s.stop({ announce: false }); await relay.stop({ announce: false }) } }
    }
  }
  return { started: nodes.size }
}

function read (): WorkerCounters {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const cpu = process.cpuUsage(window.cpu)
  const mem = process.memoryUsage()
  let records = 0
  let bytes = 0
  let connections = 0
  for (const n of nodes.values()) {
    records += n.counter.records
    bytes += n.counter.bytes
    connections += n.libp2p.getConnections().length
  }
  return { nodes: nodes.size, records, bytes, cpuMicros: cpu.user + cpu.system, ms: performance.now() - window.at, heapUsed: mem.heapUsed, rss: mem.rss, connections, wire: sumCounts([...nodes.values()].map(n => n.wire.read())) }
}

async function handle (req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'create': return create(req.indices)
    case 'connect': return connect(req.dials)
    case 'start': return start(req)
    case 'reset':
      for (const n of nodes.values()) { n.counter.records = 0; n.counter.bytes = 0; n.wire.reset() }
      if (PROFILE_DIR != null) await profiler.start()
      window = { cpu: process.cpuUsage(), at: performance.now() }
      return {}
    case 'read': {
      const r = read()
      if (PROFILE_DIR != null) await profiler.stop(join(PROFILE_DIR, `${process.env.PRESENCE_BENCH_PROFILE_TAG ?? process.pid}-${version ?? ''}-${nodes.size}.cpuprofile`))
      return r
    }
    case 'set': await nodes.get(req.index)?.service?.set(req.note); return {}
    case 'stop':
      for (const n of nodes.values()) { await n.service?.stop(); n.service = undefined }
      version = undefined
      return {}
    case 'exit':
      await Promise.all([...nodes.values()].map(async n => { await n.libp2p.stop() }))
      setImmediate(() => process.exit(0))
      return {}
  }
}

serveWorker(handle)
