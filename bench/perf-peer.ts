/**
 * One end of the separate-process messaging bench (`npm run bench:perf`):
 * forked by bench/perf.ts with a role, driven over the IPC channel. Each
 * command is `{ seq, cmd, ...args }`; each answer `{ seq, ok, value | error }`.
 * A process holds one node (natter, raw libp2p or an XMPP client), so both
 * ends of an exchange run in separate processes, as users run them.
 *
 * Roles: natter, raw, xmpp. The measurement loops run inside the sending
 * process; the orchestrator reads process.cpuUsage() of both ends around them.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { createNatter } from '../src/index.js'
import { measureLatency, measureRate } from './load.js'
import type { Natter, NatterInit } from '../src/index.js'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

ensurePromiseWithResolvers()

const MESSAGE_BYTES = 1024
const ACK_BYTES = 16
const MAX_FRAME = 64 * 1024
const ACK = '/natter-bench/ack/1.0.0'

type Args = Record<string, unknown>
type Handler = (args: Args) => Promise<unknown>

const text = (i: number): string => `${String(i).padStart(8, '0')}${'x'.repeat(MESSAGE_BYTES - 8)}`
const never = new AbortController().signal

/** Waits until `check()` holds, polling every 5 ms, at most `maxMs`. */
async function until (check: () => boolean, maxMs: number, what: string): Promise<void> {
  const end = Date.now() + maxMs
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`)
    }
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

// ---------------------------------------------------------------- natter

function natterRole (): Record<string, Handler> {
  let node: Natter | undefined
  let dataDir: string | undefined
  let received = 0
  let sent = 0
  let firstAt = 0
  let lastAt = 0
  const extra: Natter[] = []
  const extraDirs: string[] = []
  const onArrive = (): void => {
    received++
    lastAt = performance.now()
  }
  const must = (): Natter => {
    if (node == null) throw new Error('no natter node')
    return node
  }
  const startNode = async (init: Partial<NatterInit>): Promise<Natter> => {
    dataDir ??= await mkdtemp(join(tmpdir(), 'natter-perf-'))
    // local mode: the bench runs on one machine, over loopback (internet mode advertises no loopback address)
    node = await createNatter({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', ...init })
    node.addEventListener('message', onArrive)
    node.addEventListener('request', onArrive)
    return node
  }
  return {
    async start (args) {
      const n = await startNode((args.init ?? {}) as Partial<NatterInit>)
      return { peerId: n.peerId, addresses: n.addresses }
    },
    /** Starts `count` more natter nodes in this process (mailbox peers), bootstrapped from `bootstrap`. */
    async startExtra (args) {
      const out: string[] = []
      for (let i = 0; i < (args.count as number); i++) {
        const dir = await mkdtemp(join(tmpdir(), 'natter-perf-mb-'))
        extraDirs.push(dir)
        const n = await createNatter({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', bootstrap: args.bootstrap as string[] | undefined })
        extra.push(n)
        if (typeof args.contact === 'string') {
          // a contact deposits without the stamps asked of strangers (PROTOCOL.md §9.3)
          await n.contacts.add('depositor', args.contact)
        }
        out.push(n.addresses[0] ?? '')
      }
      return out
    },
    async addContact (args) {
      await must().contacts.add(args.name as string, args.peerId as string)
    },
    async connect (args) {
      await must().connect(args.address as string)
    },
    async publish () {
      await must().publishPrekeys()
    },
    async trace () {
      const { traceLog } = await import('../src/util/trace.js')
      return traceLog.splice(0)
    },
    async latency (args) {
      const n = must()
      const to = args.peerId as string
      return measureLatency({
        label: 'send() → ack',
        count: args.count as number,
        warmup: args.warmup as number,
        maxMs: args.maxMs as number,
        signal: never,
        op: async (i) => { await n.send(to, text(i)); sent++ }
      })
    },
    async rate (args) {
      const n = must()
      const to = args.peerId as string
      return measureRate({
        label: 'send() → ack, windowed',
        count: args.count as number,
        window: args.window as number,
        maxMs: args.maxMs as number,
        signal: never,
        op: async (i) => { await n.send(to, text(i)); sent++ }
      })
    },
    /** Queues `count` messages to `peerId` (persisted, not awaited). */
    async queue (args) {
      const n = must()
      for (let i = 0; i < (args.count as number); i++) {
        await n.send(args.peerId as string, text(i), { wait: 'queued' })
      }
    },
    /** Queues `count` messages to an offline `peerId` and times until every one is deposited ('sent'). */
    async deposit (args) {
      const n = must()
      const ids = new Set<string>()
      let deposited = 0
      let firstMs = 0
      const onState = (e: CustomEvent<{ id: string, state: string }>): void => {
        if (e.detail.state === 'sent' && ids.delete(e.detail.id) && deposited++ === 0) firstMs = performance.now() - t0
      }
      n.addEventListener('message:state', onState)
      const t0 = performance.now()
      try {
        for (let i = 0; i < (args.count as number); i++) {
          ids.add((await n.send(args.peerId as string, text(i), { wait: 'queued' })).id)
        }
        await until(() => deposited >= (args.count as number), args.maxMs as number, 'deposits')
        return { ms: performance.now() - t0, firstMs, deposited }
      } finally {
        n.removeEventListener('message:state', onState)
      }
    },
    async stopNode () {
      await node?.stop()
      node = undefined
    },
    /** Starts the node again on the same store, dials `address`, and times until `count` messages arrived. */
    async comeOnline (args) {
      received = 0
      firstAt = performance.now()
      const n = await startNode({})
      await n.connect(args.address as string)
      await until(() => received >= (args.count as number), args.maxMs as number, 'offline messages')
      return { ms: lastAt - firstAt, received }
    },
    async counts () {
      return { received, sent }
    },
    async stop () {
      await Promise.allSettled([node, ...extra].map(async n => { await n?.stop() }))
      await Promise.allSettled([dataDir, ...extraDirs].map(async d => { if (d != null) await rm(d, { recursive: true, force: true }) }))
    }
  }
}

// ---------------------------------------------------------------- raw libp2p

function rawRole (): Record<string, Handler> {
  let node: Libp2p | undefined
  let lp: LengthPrefixedStream<Stream> | undefined
  let stream: Stream | undefined
  const waiting: Array<() => void> = []
  return {
    async start () {
      node = await createLibp2p({
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() }
      })
      // replies to every frame with its first 16 bytes, in order
      await node.handle(ACK, async (s: Stream) => {
        const l = lpStream(s, { maxDataLength: MAX_FRAME })
        try {
          while (true) {
            const frame = await l.read()
            await l.write(frame.subarray(0, ACK_BYTES))
          }
        } catch {
          s.abort(new Error('done'))
        }
      }, { maxInboundStreams: 16 })
      return { peerId: node.peerId.toString(), addresses: node.getMultiaddrs().map(String) }
    },
    async connect (args) {
      if (node == null) throw new Error('no node')
      const { multiaddr } = await import('@multiformats/multiaddr')
      stream = await node.dialProtocol(multiaddr(args.address as string), ACK)
      lp = lpStream(stream, { maxDataLength: MAX_FRAME })
      // one reader: acks come back in order, each releases the oldest waiting send
      void (async () => {
        try {
          while (true) {
            await lp.read()
            waiting.shift()?.()
          }
        } catch {
          // the stream ended: the bench is over
        }
      })()
    },
    async latency (args) {
      const payload = new Uint8Array(MESSAGE_BYTES).fill(7)
      return measureLatency({ label: 'raw ack', count: args.count as number, warmup: args.warmup as number, maxMs: args.maxMs as number, signal: never, op: async () => send(payload) })
    },
    async rate (args) {
      const payload = new Uint8Array(MESSAGE_BYTES).fill(7)
      return measureRate({ label: 'raw ack, windowed', count: args.count as number, window: args.window as number, maxMs: args.maxMs as number, signal: never, op: async () => send(payload) })
    },
    async stop () {
      await node?.stop()
    }
  }
  async function send (payload: Uint8Array): Promise<void> {
    if (lp == null) throw new Error('not connected')
    const acked = new Promise<void>(resolve => { waiting.push(resolve) })
    await lp.write(payload)
    await acked
  }
}

// ---------------------------------------------------------------- XMPP (prosody)

interface XmppClient {
  on(event: 'stanza', fn: (stanza: Stanza) => void): void
  on(event: string, fn: (...args: unknown[]) => void): void
  start(): Promise<unknown>
  stop(): Promise<unknown>
  send(el: unknown): Promise<void>
}

interface Stanza {
  is(name: string): boolean
  attrs: Record<string, string>
  getChild(name: string): unknown
}
type Xml = (name: string, attrs?: Record<string, unknown>, ...children: unknown[]) => unknown

function xmppRole (): Record<string, Handler> {
  let client: XmppClient | undefined
  let xml: Xml = () => { throw new Error('not loaded') }
  let jid = ''
  let echo = false
  let received = 0
  let lastAt = 0
  const waiting = new Map<string, () => void>()
  let service = ''
  let password = ''
  const connect = async (): Promise<void> => {
    const mod = await import('@xmpp/client') as { client(options: Record<string, string>): XmppClient, xml: Xml }
    xml = mod.xml
    const c = mod.client({ service, domain: jid.split('@')[1] ?? '', username: jid.split('@')[0] ?? '', password, resource: 'bench' })
    c.on('error', () => {})
    c.on('stanza', (stanza: Stanza) => {
      if (!stanza.is('message')) return
      const id = stanza.attrs.id ?? ''
      if (stanza.getChild('ack') != null) {
        waiting.get(id)?.()
        waiting.delete(id)
        return
      }
      received++
      lastAt = performance.now()
      if (echo) {
        void c.send(xml('message', { to: stanza.attrs.from, id, type: 'chat' }, xml('ack', { xmlns: 'urn:natter:bench' })))
      }
    })
    await c.start()
    await c.send(xml('presence'))
    client = c
  }
  let counter = 0
  const send = async (to: string, body: string): Promise<void> => {
    if (client == null) throw new Error('not connected')
    const id = `m${counter++}`
    const acked = new Promise<void>(resolve => { waiting.set(id, resolve) })
    await client.send(xml('message', { to, id, type: 'chat' }, xml('body', {}, body)))
    await acked
  }
  return {
    async start (args) {
      service = args.service as string
      jid = args.jid as string
      password = args.password as string
      echo = args.echo === true
      if (args.offline !== true) await connect()
      return { jid }
    },
    async latency (args) {
      return measureLatency({ label: 'xmpp ack', count: args.count as number, warmup: args.warmup as number, maxMs: args.maxMs as number, signal: never, op: async (i) => send(args.to as string, text(i)) })
    },
    async rate (args) {
      return measureRate({ label: 'xmpp ack, windowed', count: args.count as number, window: args.window as number, maxMs: args.maxMs as number, signal: never, op: async (i) => send(args.to as string, text(i)) })
    },
    /** Sends `count` messages without waiting for acks (the recipient is offline: the server keeps them). */
    async queue (args) {
      if (client == null) throw new Error('not connected')
      for (let i = 0; i < (args.count as number); i++) {
        await client.send(xml('message', { to: args.to, id: `q${counter++}`, type: 'chat' }, xml('body', {}, text(i))))
      }
      // a round trip through the server proves it has taken them all
      await client.send(xml('iq', { type: 'get', id: 'sync', to: jid.split('@')[1] }, xml('ping', { xmlns: 'urn:xmpp:ping' })))
      await new Promise(resolve => setTimeout(resolve, 200))
    },
    async comeOnline (args) {
      received = 0
      const t0 = performance.now()
      await connect()
      await until(() => received >= (args.count as number), args.maxMs as number, 'offline messages')
      return { ms: lastAt - t0, received }
    },
    async stopNode () {
      await client?.stop()
      client = undefined
    },
    async stop () {
      await client?.stop().catch(() => {})
    }
  }
}

// ---------------------------------------------------------------- dispatch

const roles: Record<string, () => Record<string, Handler>> = { natter: natterRole, raw: rawRole, xmpp: xmppRole }
const make = roles[process.argv[2] ?? '']
if (make == null || process.send == null) {
  process.stderr.write('usage: forked by bench/perf.js with a role: natter | raw | xmpp\n')
  process.exit(2)
}
const handlers: Record<string, Handler> = {
  ...make(),
  cpu: async () => process.cpuUsage(),
  profile: async () => undefined
}
process.on('unhandledRejection', (reason) => { process.stderr.write(`perf-peer ${process.argv[2]}: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`) })
process.on('message', (msg: { seq: number, cmd: string } & Args) => {
  const handler = handlers[msg.cmd]
  void (async () => {
    try {
      if (handler == null) throw new Error(`unknown command ${msg.cmd}`)
      const value = await handler(msg)
      process.send?.({ seq: msg.seq, ok: true, value })
      if (msg.cmd === 'stop') {
        setTimeout(() => process.exit(0), 50)
      }
    } catch (err) {
      process.send?.({ seq: msg.seq, ok: false, error: (err as Error).stack ?? String(err) })
    }
  })()
})
process.send({ ready: true })
