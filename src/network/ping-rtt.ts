/**
 * A libp2p ping (`/ipfs/ping/1.0.0`) timed with a sub-millisecond clock.
 * @libp2p/ping reports whole milliseconds (`Date.now()`), which reads 0 ms
 * for every peer on a LAN or loopback; this speaks the same protocol to the
 * same handler and times the echo with `performance.now()`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Uint8ArrayList } from 'uint8arraylist'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { NatterError } from '../base-errors.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** The ping protocol id (the default of @libp2p/ping). */
export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

/** Thrown when the peer echoes something other than what was sent. */
export class PingMismatchError extends NatterError {
  constructor (message: string) {
    super(message)
    this.name = 'PingMismatchError'
  }
}

/**
 * One ping over a new stream; resolves with the round-trip time in ms,
 * fractional (the stream's opening is not counted, as in @libp2p/ping).
 */
export async function pingRtt (libp2p: Pick<Libp2p, 'dialProtocol'>, peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<number> {
  const data = new Uint8Array(randomBytes(PING_LENGTH))
  const stream = await libp2p.dialProtocol(peer, PING_PROTOCOL, { signal: options.signal, runOnLimitedConnection: true })
  try {
    const received = new Uint8ArrayList()
    const echoed = new Promise<number>((resolve, reject) => {
      const onAbort = (): void => { reject(options.signal?.reason ?? new Error('aborted')) }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      stream.addEventListener('message', (evt) => {
        received.append(evt.data)
        if (received.byteLength >= PING_LENGTH) {
          options.signal?.removeEventListener('abort', onAbort)
          const rtt = performance.now() - start
          if (!uint8ArrayEquals(data, received.subarray(0, PING_LENGTH))) {
            reject(new PingMismatchError('the peer answered the ping with other bytes'))
          } else {
            resolve(rtt)
          }
        }
      })
      stream.addEventListener('close', () => {
        options.signal?.removeEventListener('abort', onAbort)
        reject(new Error('the peer closed the ping stream before answering'))
      })
    })
    const start = performance.now()
    stream.send(data)
    const rtt = await echoed
    await stream.close(options).catch(() => {})
    return rtt
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
