/**
 * A stranger's flood against contacts' latency. Two natter nodes on
 * 127.0.0.1 that are contacts (alice → bob) time `send()` → acknowledgement,
 * first on a quiet network, then while a stranger — a bare libp2p peer on its
 * own connection, in a child process of its own when it can be — sends bob
 * direct messages as fast as bob answers them. Bob's per-peer rate limits
 * should turn the stranger away cheaply enough that his contacts barely
 * notice: target, p50 during the flood ≤ 2× quiet.
 *
 * The stranger's frames are valid envelopes (the first carries a
 * proof-of-work stamp), so whatever its rate limit lets through is real work
 * for bob; the rest is refused `RATE_LIMITED` before any is done.
 */
import { fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { encodeStamp, mintStamp } from '../src/abuse/index.js'
import { Payload, sealEnvelope } from '../src/crypto/envelope.js'
import { parsePeerId, peerFromPublicKey } from '../src/crypto/peer.js'
import { DM_PROTOCOL } from '../src/dm/protocol.js'
import { DmRequest, DmResponse } from '../src/pb/dm.js'
import { createNatter } from '../src/index.js'
import { measureLatency } from './load.js'
import { checkAborted } from './suite.js'
import type { Natter } from '../src/index.js'
import type { LatencyMeasurement, RateMeasurement, Suite, SuiteContext } from './suite.js'
import type { Connection, Stream } from '@libp2p/interface'

/** The target on the latency ratio (flooded / quiet, p50). */
export const FLOOD_TARGET_RATIO = 2

/** Options of {@link runFlood}. Every field is optional. */
export interface FloodOptions {
  /** Stops everything; the run then throws. @default none */
  signal?: AbortSignal
  /** Progress lines. @default none */
  progress?: (message: string) => void
  /** Timed sends per phase. @default 300 */
  count?: number
  /** Untimed sends before each phase. @default 30 */
  warmup?: number
  /** Time cap of each latency phase, ms; the flood lasts at most this long. @default 30_000 */
  maxMs?: number
  /** Most frames the stranger sends. @default 1_000_000 */
  maxFrames?: number
  /** Streams the stranger floods on at once (a natter node takes 8 per connection). @default 4 */
  streams?: number
  /**
   * Where the stranger runs: `'process'` (a child process, so its own CPU is
   * not charged to the contacts' latency) or `'inline'` (this process).
   * @default 'process' when running compiled, 'inline' under a TypeScript loader
   */
  stranger?: 'process' | 'inline'
  /** Bob's proof-of-work difficulty (the stranger mints one stamp at it). @default 20, natter's default */
  powDifficulty?: number
}

/** What the stranger got out of its flood. */
export interface FloodStats {
  /** Frames answered. */
  frames: number
  /** Replies by status (`OK`, `RATE_LIMITED`, …). */
  statuses: Record<string, number>
  seconds: number
  perSecond: number
}

/** Result of {@link runFlood}. */
export interface FloodResult {
  quiet: LatencyMeasurement
  flooded: LatencyMeasurement
  /** flooded p50 / quiet p50. */
  ratioP50: number
  /** flooded p99 / quiet p99. */
  ratioP99: number
  /** `ratioP50 ≤ FLOOD_TARGET_RATIO`. */
  meets: boolean
  flood: FloodStats
  stranger: 'process' | 'inline'
}

/** Options of {@link floodDm}. */
export interface DmFloodInit {
  /** The stranger's connection to the target. */
  connection: Connection
  /** Encoded envelopes, sent in turn. */
  envelopes: Uint8Array[]
  /** Ends the flood. */
  signal: AbortSignal
  /** Ends the flood after this many frames. @default Infinity */
  maxFrames?: number
  /** Streams at once. @default 4 */
  streams?: number
  /** Frames written at once on a stream before reading their replies. @default 64 */
  batch?: number
  /** Called with the frames answered so far, after each batch. */
  onProgress?: (frames: number) => void
}

/**
 * Sends DM frames as fast as the target answers them, on `streams` pipelined
 * streams, until `signal` aborts or `maxFrames` were answered; tallies the
 * replies' statuses. A stream the target ends is replaced.
 */
export async function floodDm (init: DmFloodInit): Promise<FloodStats> {
  const streams = init.streams ?? 4
  const batch = init.batch ?? 64
  const maxFrames = init.maxFrames ?? Number.POSITIVE_INFINITY
  const frames = init.envelopes.map(e => lengthPrefixed(DmRequest.encode({ envelope: e })))
  const stats: FloodStats = { frames: 0, statuses: {}, seconds: 0, perSecond: 0 }
  let claimed = 0
  let next = 0
  const t0 = performance.now()

  const worker = async (): Promise<void> => {
    let stream: ReplyReader | undefined
    try {
      while (!init.signal.aborted && claimed < maxFrames) {
        const n = Math.min(batch, maxFrames - claimed)
        claimed += n
        stream ??= new ReplyReader(await init.connection.newStream(DM_PROTOCOL, { signal: init.signal }))
        const out = new Uint8ArrayList()
        for (let i = 0; i < n; i++) {
          out.append(frames[next++ % frames.length] as Uint8Array)
        }
        if (!stream.stream.send(out)) {
          await stream.stream.onDrain({ signal: init.signal })
        }
        for (let i = 0; i < n; i++) {
          const status = DmResponse.decode(await stream.read(init.signal)).status
          stats.statuses[status] = (stats.statuses[status] ?? 0) + 1
          stats.frames++
        }
        init.onProgress?.(stats.frames)
      }
    } catch (err) {
      if (!init.signal.aborted) {
        throw err
      }
    } finally {
      stream?.stream.abort(new Error('flood over'))
    }
  }
  await Promise.all(Array.from({ length: streams }, worker))
  stats.seconds = (performance.now() - t0) / 1000
  stats.perSecond = stats.frames / stats.seconds
  return stats
}

/** Reads length-prefixed replies as they arrive, without a promise per byte. */
class ReplyReader {
  readonly stream: Stream
  private readonly buffer = new Uint8ArrayList()
  private wake?: () => void
  private ended?: Error

  constructor (stream: Stream) {
    this.stream = stream
    stream.addEventListener('message', (evt) => { this.buffer.append(evt.data); this.wake?.() })
    stream.addEventListener('close', (evt) => { this.ended = evt.error ?? new Error('stream closed'); this.wake?.() })
    stream.addEventListener('remoteCloseWrite', () => { this.ended ??= new Error('stream ended'); this.wake?.() })
  }

  async read (signal: AbortSignal): Promise<Uint8Array> {
    for (;;) {
      let length = 0
      for (let i = 0; i < Math.min(this.buffer.byteLength, 4); i++) {
        const byte = this.buffer.get(i)
        length += (byte & 0x7f) * 2 ** (7 * i)
        if (byte < 0x80) {
          if (this.buffer.byteLength >= i + 1 + length) {
            const frame = this.buffer.subarray(i + 1, i + 1 + length)
            this.buffer.consume(i + 1 + length)
            return frame
          }
          break
        }
      }
      if (this.ended != null) {
        throw this.ended
      }
      signal.throwIfAborted()
      await new Promise<void>(resolve => {
        const done = (): void => {
          signal.removeEventListener('abort', done)
          this.wake = undefined
          resolve()
        }
        this.wake = done
        signal.addEventListener('abort', done)
      })
    }
  }
}

function lengthPrefixed (data: Uint8Array): Uint8Array {
  const prefix: number[] = []
  let n = data.byteLength
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 0x80)
  }
  prefix.push(n)
  const out = new Uint8Array(prefix.length + data.byteLength)
  out.set(prefix)
  out.set(data, prefix.length)
  return out
}

/**
 * Envelopes from a stranger to `recipient`: `count` of them with distinct
 * ids, the first stamped at `difficulty` (a pending request then takes 3 unstamped
 * follow-ups; the rest are refused POW_REQUIRED or RATE_LIMITED, PROTOCOL.md §8.5.2).
 */
export async function strangerEnvelopes (recipient: string, count: number, difficulty: number): Promise<{ sender: string, envelopes: Uint8Array[] }> {
  const key = await generateKeyPair('Ed25519')
  const sender = peerFromPublicKey(key.publicKey.raw)
  const to = parsePeerId(recipient)
  const stamp = encodeStamp(await mintStamp({ sender: sender.bytes, recipient: to.bytes, difficulty }))
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const payload: Payload = { type: Payload.Type.TEXT, text: `buy now #${i}`, seq: BigInt(i + 1), receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
    out.push((await sealEnvelope({ senderKey: key, sender: sender.bytes, recipient: to, payload, stamp: i === 0 ? stamp : undefined })).bytes)
  }
  return { sender: sender.peerId.toString(), envelopes: out }
}

/** A bare libp2p peer: just enough stack to dial a natter node. */
async function strangerNode (): Promise<Awaited<ReturnType<typeof createLibp2p>>> {
  return createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}

/** A running flood, wherever its stranger runs. */
interface Flood {
  /** Resolves once frames are flowing. */
  started: Promise<void>
  /** Stops the flood and resolves with what it achieved. */
  stop(): Promise<FloodStats>
}

interface FloodJob {
  address: string
  envelopes: Uint8Array[]
  maxFrames: number
  maxMs: number
  streams: number
}

type ChildMessage = { type: 'started' } | { type: 'done', stats: FloodStats } | { type: 'error', message: string }

function startInline (job: FloodJob): Flood {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort() }, job.maxMs)
  const started = Promise.withResolvers<void>()
  const run = (async () => {
    const node = await strangerNode()
    try {
      const connection = await node.dial(multiaddr(job.address), { signal: AbortSignal.timeout(10_000) })
      return await floodDm({
        connection,
        envelopes: job.envelopes,
        signal: controller.signal,
        maxFrames: job.maxFrames,
        streams: job.streams,
        onProgress: () => { started.resolve() }
      })
    } finally {
      clearTimeout(timer)
      started.resolve()
      await node.stop()
    }
  })()
  run.catch(err => { started.reject(err) })
  return {
    started: started.promise,
    async stop () {
      controller.abort()
      return run
    }
  }
}

function startProcess (job: FloodJob): Flood {
  const child = fork(fileURLToPath(import.meta.url), ['--flood-stranger'], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const started = Promise.withResolvers<void>()
  const done = Promise.withResolvers<FloodStats>()
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'started') {
      started.resolve()
    } else if (message.type === 'done') {
      done.resolve(message.stats)
    } else {
      const err = new Error(`flood stranger: ${message.message}`)
      started.reject(err)
      done.reject(err)
    }
  })
  child.once('exit', (code) => {
    const err = new Error(`flood stranger exited with ${code}`)
    started.reject(err)
    done.reject(err)
  })
  child.send(job)
  return {
    started: started.promise,
    async stop () {
      if (child.connected) {
        child.send('stop')
      }
      try {
        return await done.promise
      } finally {
        child.kill()
      }
    }
  }
}

/** The child process side of {@link startProcess}. */
function serveAsStranger (): void {
  process.once('message', (job: FloodJob) => {
    const flood = startInline(job)
    const send = (message: ChildMessage): void => { process.send?.(message) }
    flood.started.then(() => { send({ type: 'started' }) }, (err: Error) => { send({ type: 'error', message: err.message }) })
    process.once('message', () => {
      flood.stop().then(stats => { send({ type: 'done', stats }) }, (err: Error) => { send({ type: 'error', message: err.message }) })
        .finally(() => { process.disconnect() })
    })
  })
}

/**
 * Measures contacts' send → ack latency on a quiet network and during a
 * stranger's flood, in one run, and the flood's outcome. Starts and stops
 * its own nodes and data dirs; bounded by `count`, `maxMs` and `maxFrames`.
 *
 * @example
 * ```ts
 * const result = await runFlood({ count: 200 })
 * console.log(`p50 ${result.ratioP50.toFixed(2)}× quiet; the stranger got ${result.flood.statuses.OK ?? 0} through`)
 * ```
 */
export async function runFlood (options: FloodOptions = {}): Promise<FloodResult> {
  const signal = options.signal ?? new AbortController().signal
  const progress = options.progress ?? (() => {})
  const count = options.count ?? 300
  const warmup = options.warmup ?? 30
  const maxMs = options.maxMs ?? 30_000
  const stranger = options.stranger ?? (import.meta.url.endsWith('.ts') ? 'inline' : 'process')
  const dirs: string[] = []
  const nodes: Natter[] = []
  let flood: Flood | undefined
  try {
    for (const name of ['alice', 'bob']) {
      const dataDir = await mkdtemp(join(tmpdir(), `natter-bench-flood-${name}-`))
      dirs.push(dataDir)
      nodes.push(await createNatter({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', powDifficulty: options.powDifficulty }))
    }
    const [alice, bob] = nodes as [Natter, Natter]
    await alice.contacts.add('bob', bob.peerId)
    await bob.contacts.add('alice', alice.peerId)
    await alice.connect(bob.addresses[0]!, { signal })
    let i = 0
    const send = async (): Promise<void> => { await alice.send(bob.peerId, `ping ${i++}`, { signal }) }

    progress('flood: send → ack latency, quiet')
    const quiet = await measureLatency({ label: 'contact send() → ack, quiet', count, warmup, maxMs, signal, op: send })
    checkAborted(signal)

    progress(`flood: a stranger floods bob (${stranger === 'process' ? 'from a child process' : 'from this process'})`)
    const { envelopes } = await strangerEnvelopes(bob.peerId, 16, options.powDifficulty ?? 20)
    const job: FloodJob = { address: bob.addresses[0]!, envelopes, maxFrames: options.maxFrames ?? 1_000_000, maxMs: maxMs + 10_000, streams: options.streams ?? 4 }
    flood = stranger === 'process' ? startProcess(job) : startInline(job)
    await flood.started
    const flooded = await measureLatency({ label: 'contact send() → ack, during a stranger\'s flood', count, warmup, maxMs, signal, op: send })
    const stats = await flood.stop()
    flood = undefined
    const result: FloodResult = {
      quiet,
      flooded,
      ratioP50: flooded.p50 / quiet.p50,
      ratioP99: flooded.p99 / quiet.p99,
      meets: flooded.p50 / quiet.p50 <= FLOOD_TARGET_RATIO,
      flood: stats,
      stranger
    }
    progress(`flood: p50 ${quiet.p50.toFixed(2)} → ${flooded.p50.toFixed(2)} ms (${result.ratioP50.toFixed(2)}×, target ≤ ${FLOOD_TARGET_RATIO}×: ${result.meets ? 'meets' : 'MISSES'}), ` +
      `p99 ${quiet.p99.toFixed(2)} → ${flooded.p99.toFixed(2)} ms (${result.ratioP99.toFixed(2)}×); ` +
      `the stranger sent ${stats.frames} frames (${Math.round(stats.perSecond)}/s): ${JSON.stringify(stats.statuses)}`)
    return result
  } finally {
    await flood?.stop().catch(() => {})
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await Promise.allSettled(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}

/** The flood suite, for `bench/run.ts`. */
export const floodSuite: Suite = {
  name: 'flood',
  description: 'contact send() → ack while a stranger floods the recipient with direct messages; 2 nodes + 1 bare peer on 127.0.0.1',
  budgetMs: 120_000,
  run: async (ctx: SuiteContext) => {
    const result = await runFlood({ signal: ctx.signal, progress: ctx.progress })
    ctx.record('sendAckQuiet', result.quiet)
    ctx.record('sendAckFlooded', { ...result.flooded, label: `${result.flooded.label} (p50 ${result.ratioP50.toFixed(2)}× quiet, target ≤ ${FLOOD_TARGET_RATIO}×)` })
    const floodRate: RateMeasurement = {
      kind: 'rate',
      label: `stranger's frames answered (${Object.entries(result.flood.statuses).map(([s, n]) => `${s} ${n}`).join(', ')})`,
      count: result.flood.frames,
      seconds: result.flood.seconds,
      perSecond: result.flood.perSecond,
      cpuUsPerOp: Number.NaN,
      eventLoopUtilization: Number.NaN,
      truncated: false
    }
    ctx.record('strangerFlood', floodRate)
  }
}

if (process.argv[2] === '--flood-stranger' && process.send != null) {
  serveAsStranger()
}
