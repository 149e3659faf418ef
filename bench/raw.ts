/**
 * The floor: two bare libp2p nodes with natter's transport stack (TCP, Noise,
 * yamux, identify) on loopback in this process, exchanging 1 KiB
 * length-prefixed frames. natter's figures are read as multiples of these.
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { measureLatency, measureRate, withUsage } from './load.js'
import { checkAborted } from './suite.js'
import type { Suite, SuiteContext, RateMeasurement } from './suite.js'
import type { Libp2p, Stream } from '@libp2p/interface'

ensurePromiseWithResolvers()

const ECHO = '/natter-bench/echo/1.0.0'
const ACK = '/natter-bench/ack/1.0.0'
const SINK = '/natter-bench/sink/1.0.0'

/** Bytes per message. */
export const MESSAGE_BYTES = 1024
/** Bytes echoed back as an ack: a 16-byte id, as natter's reply carries. */
const ACK_BYTES = 16
const MAX_FRAME = 64 * 1024

const RTT_WARMUP = 1000
const RTT_COUNT = 2000
const NEW_STREAM_WARMUP = 300
const NEW_STREAM_COUNT = 2000
const RATE_WARMUP = 2000
const RATE_COUNT = 20_000
/** Messages in flight in the acknowledged rate test; the natter suite uses the same. */
export const WINDOW = 64

async function createRawNode (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}

/** Echoes every frame until the remote closes, then closes. */
async function echoHandler (stream: Stream): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
  try {
    while (true) {
      const frame = await lp.read()
      await lp.write(frame)
    }
  } catch (err) {
    await endStream(stream, err)
  }
}

/** Replies to every frame with its first 16 bytes. */
async function ackHandler (stream: Stream): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
  try {
    while (true) {
      const frame = await lp.read()
      await lp.write(frame.subarray(0, ACK_BYTES))
    }
  } catch (err) {
    await endStream(stream, err)
  }
}

/** Counts frames until the remote closes its write end, then replies with the count. */
async function sinkHandler (stream: Stream): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
  let count = 0
  try {
    while (true) {
      await lp.read()
      count++
    }
  } catch (err) {
    if ((err as Error).name !== 'UnexpectedEOFError') {
      stream.abort(err as Error)
      return
    }
  }
  try {
    await lp.write(new TextEncoder().encode(String(count)))
    await stream.close()
  } catch (err) {
    stream.abort(err as Error)
  }
}

async function endStream (stream: Stream, err: unknown): Promise<void> {
  if ((err as Error).name === 'UnexpectedEOFError') {
    await stream.close().catch(() => {})
  } else {
    stream.abort(err as Error)
  }
}

/** The raw libp2p baseline suite. */
export const rawSuite: Suite = {
  name: 'raw',
  description: 'bare libp2p (TCP + Noise + yamux + identify), two nodes on 127.0.0.1',
  budgetMs: 45_000,
  run: runRaw
}

async function runRaw (ctx: SuiteContext): Promise<void> {
  const { signal, record } = ctx
  const nodes: Libp2p[] = []
  // stopping the nodes aborts every stream, which unblocks any pending read
  const stopAll = async (): Promise<void> => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) }
  const onAbort = (): void => { void stopAll() }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    nodes.push(await createRawNode(), await createRawNode())
    const [a, b] = nodes as [Libp2p, Libp2p]
    await b.handle(ECHO, echoHandler, { maxInboundStreams: 256 })
    await b.handle(ACK, ackHandler)
    await b.handle(SINK, sinkHandler)
    const addr = b.getMultiaddrs()[0]
    if (addr == null) {
      throw new Error('raw node has no listen address')
    }
    await a.dial(addr, { signal })
    const payload = randomPayload(MESSAGE_BYTES)

    ctx.progress('raw: round trip on a reused stream')
    const echo = await a.dialProtocol(b.peerId, ECHO, { signal })
    const echoLp = lpStream(echo, { maxDataLength: MAX_FRAME })
    record('rttReused', await measureLatency({
      label: '1 KiB round trip, reused stream',
      count: RTT_COUNT,
      warmup: RTT_WARMUP,
      maxMs: 10_000,
      signal,
      op: async () => {
        await echoLp.write(payload)
        await echoLp.read()
      }
    }))
    await echo.close()

    checkAborted(signal)
    ctx.progress('raw: round trip on a new stream per message')
    record('rttNewStream', await measureLatency({
      label: '1 KiB round trip, new stream per message',
      count: NEW_STREAM_COUNT,
      warmup: NEW_STREAM_WARMUP,
      maxMs: 15_000,
      signal,
      op: async () => {
        const stream = await a.dialProtocol(b.peerId, ECHO, { signal })
        const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
        await lp.write(payload)
        await lp.read()
        await stream.close()
      }
    }))

    checkAborted(signal)
    ctx.progress(`raw: acknowledged one-way rate, ${WINDOW} in flight`)
    record('rateAcked', await ackedRate(a, b, payload, signal))

    checkAborted(signal)
    ctx.progress('raw: unacknowledged one-way rate')
    record('rateOneWay', await oneWayRate(a, b, payload, signal))
  } finally {
    signal.removeEventListener('abort', onAbort)
    await stopAll()
  }
}

/**
 * One stream, each 1 KiB frame answered by a 16-byte ack, {@link WINDOW}
 * frames in flight: the same shape as natter's acknowledged sends.
 */
async function ackedRate (a: Libp2p, b: Libp2p, payload: Uint8Array, signal: AbortSignal): Promise<RateMeasurement> {
  const stream = await a.dialProtocol(b.peerId, ACK, { signal })
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
  // the handler answers in order, so acks match waiters first-in first-out
  const waiting: Array<PromiseWithResolvers<void>> = []
  const reader = (async () => {
    try {
      while (true) {
        await lp.read()
        waiting.shift()?.resolve()
      }
    } catch (err) {
      for (const w of waiting.splice(0)) {
        w.reject(err)
      }
    }
  })()
  const send = async (): Promise<void> => {
    const ack = Promise.withResolvers<void>()
    waiting.push(ack)
    await lp.write(payload)
    await ack.promise
  }
  try {
    await measureRate({ label: 'warm-up', count: RATE_WARMUP, window: WINDOW, maxMs: 5_000, signal, op: send })
    return await measureRate({
      label: `1 KiB one way, acked per message, ${WINDOW} in flight`,
      count: RATE_COUNT,
      window: WINDOW,
      maxMs: 15_000,
      signal,
      op: send
    })
  } finally {
    await stream.close().catch(() => {})
    await reader
  }
}

/** One stream, frames written back to back; timed until the receiver reports it read them all. */
async function oneWayRate (a: Libp2p, b: Libp2p, payload: Uint8Array, signal: AbortSignal): Promise<RateMeasurement> {
  const count = RATE_COUNT
  const stream = await a.dialProtocol(b.peerId, SINK, { signal })
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME })
  const { result: received, elapsedMs, cpuUs, eventLoopUtilization } = await withUsage(async () => {
    for (let i = 0; i < count; i++) {
      await lp.write(payload)
    }
    await stream.close()
    return Number(new TextDecoder().decode((await lp.read()).subarray()))
  })
  if (received !== count) {
    throw new Error(`sink read ${received} of ${count} frames`)
  }
  return {
    kind: 'rate',
    label: '1 KiB one way, unacknowledged (reference)',
    count,
    seconds: elapsedMs / 1000,
    perSecond: count / (elapsedMs / 1000),
    cpuUsPerOp: cpuUs / count,
    eventLoopUtilization,
    truncated: false
  }
}

function randomPayload (bytes: number): Uint8Array {
  const buf = new Uint8Array(bytes)
  crypto.getRandomValues(buf)
  return buf
}
