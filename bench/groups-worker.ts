/**
 * A worker of `npm run bench:groups` (bench/groups.ts): real natter nodes
 * (createNatter: the full stack, SQLite store, DM channel, DHT, both
 * gossipsubs) in one forked process, driven over IPC (bench/workers.ts).
 * Events to the coordinator: a group message received ('got', by text tag),
 * a raw gossipsub message received ('raw'), a membership change applied
 * ('changed').
 *
 * @module
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNatter } from '../src/index.js'
import { emit, serveWorker } from './workers.js'
import type { GroupsService } from '../src/groups/service.js'
import type { Natter } from '../src/index.js'
import type { NatterLibp2p } from '../src/network/libp2p.js'

ensurePromiseWithResolvers()

export type GroupsWorkerRequest =
  | { op: 'create', indices: number[], bootstrap: string[] }
  | { op: 'contact', index: number, name: string, invite: string }
  | { op: 'createGroup', index: number, name: string, members: string[] }
  | { op: 'state', group: string }
  | { op: 'watch', group: string, rawTopic: string }
  | { op: 'rawPublish', index: number, topic: string, tag: string }
  | { op: 'send', index: number, group: string, text: string }
  | { op: 'change', index: number, group: string, kind: 'add' | 'remove', member: string }
  | { op: 'reset' }
  | { op: 'read' }
  | { op: 'exit' }

export type GroupsWorkerEvent =
  | { op: 'got', index: number, tag: string }
  | { op: 'raw', index: number, tag: string }
  | { op: 'changed', index: number, change: string, member?: string }

const libp2pOf = (n: Natter): NatterLibp2p => (n as unknown as { components: { libp2p: NatterLibp2p } }).components.libp2p
const engine = (n: Natter): GroupsService => n.groups as GroupsService
const nodes = new Map<number, Natter>()
const dirs: string[] = []
let window = { cpu: process.cpuUsage(), at: performance.now(), frameBytes: 0, frames: 0 }

async function create (indices: number[], bootstrap: string[]): Promise<unknown> {
  const out = []
  for (const index of indices) {
    const dataDir = await mkdtemp(join(tmpdir(), 'natter-bench-groups-'))
    dirs.push(dataDir)
    const node = await createNatter({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', powDifficulty: 8, bootstrap })
    nodes.set(index, node)
    node.addEventListener('group:message', (e) => { emit({ op: 'got', index, tag: e.detail.text.split(' ')[0] ?? '' } satisfies GroupsWorkerEvent) })
    node.addEventListener('group:changed', (e) => { emit({ op: 'changed', index, change: e.detail.change, member: e.detail.member } satisfies GroupsWorkerEvent) })
    out.push({ index, id: node.peerId, addrs: node.addresses, invite: node.invite() })
  }
  return out
}

function state (group: string): Record<number, { members: number, chains: number, joined: boolean }> {
  const out: Record<number, { members: number, chains: number, joined: boolean }> = {}
  for (const [index, n] of nodes) {
    try {
      const info = n.groups.get(group)
      out[index] = { members: info.members.length, chains: engine(n).chainsOf(group).length, joined: info.state === 'active' }
    } catch {
      out[index] = { members: 0, chains: 0, joined: false }
    }
  }
  return out
}

function watch (group: string, rawTopic: string): unknown {
  for (const [index, n] of nodes) {
    const pubsub = libp2pOf(n).services.presence
    pubsub.subscribe(rawTopic)
    let topic: string | undefined
    try { topic = engine(n).topicOf(group) } catch { /* not in the group (the extra node) */ }
    pubsub.addEventListener('message', (e) => {
      if (e.detail.topic === rawTopic) {
        emit({ op: 'raw', index, tag: Buffer.from(e.detail.data.subarray(0, 8)).toString('hex') } satisfies GroupsWorkerEvent)
      } else if (e.detail.topic === topic) {
        window.frameBytes += e.detail.data.byteLength
        window.frames++
      }
    })
  }
  return {}
}

async function handle (req: GroupsWorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'create': return create(req.indices, req.bootstrap)
    case 'contact': {
      const n = nodes.get(req.index)!
      await n.contacts.add(req.name, req.invite)
      return {}
    }
    case 'createGroup': {
      const t = performance.now()
      const g = await nodes.get(req.index)!.groups.create(req.name, req.members)
      return { id: g.id, ms: performance.now() - t }
    }
    case 'state': return state(req.group)
    case 'watch': return watch(req.group, req.rawTopic)
    case 'rawPublish': {
      const data = new Uint8Array(200)
      data.set(Buffer.from(req.tag, 'hex'))
      await libp2pOf(nodes.get(req.index)!).services.presence.publish(req.topic, data).catch(() => {})
      return {}
    }
    case 'send': {
      const sent = await nodes.get(req.index)!.groups.send(req.group, req.text)
      return { id: sent.message.id }
    }
    case 'change': {
      const n = nodes.get(req.index)!
      const t = performance.now()
      if (req.kind === 'add') await n.groups.add(req.group, req.member)
      else await n.groups.remove(req.group, req.member)
      return { ms: performance.now() - t }
    }
    case 'reset':
      window = { cpu: process.cpuUsage(), at: performance.now(), frameBytes: 0, frames: 0 }
      return {}
    case 'read': {
      const cpu = process.cpuUsage(window.cpu)
      return { cpuMicros: cpu.user + cpu.system, ms: performance.now() - window.at, frameBytes: window.frameBytes, frames: window.frames, rss: process.memoryUsage().rss }
    }
    case 'exit':
      await Promise.allSettled([...nodes.values()].map(async n => { await n.stop() }))
      await Promise.allSettled(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
      setImmediate(() => process.exit(0))
      return {}
  }
}

serveWorker(handle)
