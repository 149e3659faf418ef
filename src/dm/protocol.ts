/**
 * The `/natter/dm/1.0.0` stream protocol (PROTOCOL.md §5): one peer-to-peer
 * exchange of envelopes and replies over a long-lived stream. This file only
 * speaks the wire; what to do with an envelope is the caller's decision.
 */
import { trace } from '../util/trace.js'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { DeliveryRefusedError, DeliveryTimeoutError, MessageTooLargeError } from '../base-errors.js'
import { DmRequest, DmResponse } from '../pb/dm.js'
import { MAX_ENVELOPE_BYTES, MESSAGE_ID_BYTES } from '../crypto/envelope.js'
import { closeAfterReply, CLOSE_GRACE_MS } from '../network/close.js'
import { boundedLpStream } from '../network/length-prefixed.js'
import { protobufBytesField, protobufWireError } from '../util/protobuf-wire.js'
import { DM_IDLE_TIMEOUT_MS, DM_PIPELINE_DEPTH, DM_PROTOCOL, DM_PROTOCOL_13, DM_PROTOCOLS, MAX_DM_FRAME_BYTES, RATE_LIMIT_PAUSE_MS } from './constants.js'
import type { Connection, Logger, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

export { DmRequest, DmResponse }

export { DM_PROTOCOL, DM_PROTOCOL_13, DM_PROTOCOLS, MAX_DM_FRAME_BYTES, DM_IDLE_TIMEOUT_MS, RATE_LIMIT_PAUSE_MS }

/** How an envelope reached the listener. */
export interface DmArrival {
  /** The stream is `/natter/dm/1.3.0`: an unsigned envelope may be accepted (§5.2). */
  unsignedAllowed: boolean
}

/** The verdict on one received envelope. */
export interface DmVerdict {
  status: DmResponse.Status
  error?: string
  /** The envelope id, echoed in the reply so the sender can match it; empty when unparseable. */
  id?: Uint8Array
  /** With POW_REQUIRED: the difficulty wanted. */
  requiredDifficulty?: number
  /** With RATE_LIMITED or UNAVAILABLE: when the sender may sensibly retry, in ms. */
  retryAfterMs?: number
}

/** Options of {@link handleDmStream}. */
export interface DmHandlerInit {
  /** Decides on each received envelope. Must not throw. */
  onEnvelope(envelope: Uint8Array, from: string, arrival: DmArrival): Promise<DmVerdict>
  /** Where the stream's end is told. @default silent */
  log?: Logger
  /** @default DM_IDLE_TIMEOUT_MS */
  idleTimeoutMs?: number
  /**
   * After a RATE_LIMITED reply the stream is not read for this long, so a
   * flooding peer is slowed by TCP backpressure instead of being answered at
   * full speed (which would cost everyone else's latency).
   * @default RATE_LIMIT_PAUSE_MS
   */
  rateLimitPauseMs?: number
  /** Envelopes handled at once; their replies still go out in request order. @default DM_PIPELINE_DEPTH */
  pipelineDepth?: number
}

/** After a refusal that ends a stream, how long the remote has to close its side before the stream is reset. */
export const DM_CLOSE_GRACE_MS = CLOSE_GRACE_MS

/**
 * Serves one inbound DM stream: reads requests until the remote closes,
 * answers each in order. A frame that is too large or cannot be decoded far
 * enough to give an envelope id gets a reply (TOO_LARGE or INVALID with an
 * empty id) and then the stream is **closed**, not reset (PROTOCOL.md §5): the
 * write side is half-closed after the reply, so it reaches the dialer (go-yamux
 * discards unread data on a reset). It never affects the node.
 */
export async function handleDmStream (stream: Stream, connection: Connection, init: DmHandlerInit): Promise<void> {
  const lp = boundedLpStream(stream, MAX_DM_FRAME_BYTES)
  const from = connection.remotePeer.toString()
  const arrival: DmArrival = { unsignedAllowed: stream.protocol === DM_PROTOCOL_13 }
  const idleTimeoutMs = init.idleTimeoutMs ?? DM_IDLE_TIMEOUT_MS
  const depth = Math.max(1, init.pipelineDepth ?? DM_PIPELINE_DEPTH)
  // pipelined: up to `depth` envelopes are handled at once (so the receiver can share one store commit
  // among them), and a single writer sends their replies in request order
  const replies: Array<Promise<DmResponse>> = []
  const waiters: Array<() => void> = []
  let writerError: Error | undefined
  let paused: Promise<void> | undefined
  const notify = (): void => { for (const w of waiters.splice(0)) w() }
  const nextChange = async (): Promise<void> => new Promise<void>(resolve => { waiters.push(resolve) })
  let readerDone = false
  const writer = (async (): Promise<void> => {
    while (true) {
      const next = replies[0]
      if (next == null) {
        if (readerDone) return
        await nextChange()
        continue
      }
      const response = await next
      trace('rx.verdict')
      await reply(lp, response)
      replies.shift()
      trace('rx.replied')
      notify()
      if (response.status === DmResponse.Status.RATE_LIMITED) {
        // the stream is not read for a while: a flooding peer is slowed by TCP backpressure
        paused = new Promise(resolve => setTimeout(resolve, init.rateLimitPauseMs ?? RATE_LIMIT_PAUSE_MS))
        await paused
        paused = undefined
        notify()
      }
    }
  })().catch(err => { writerError = err as Error; notify() })
  /** Waits until every reply queued so far went out. */
  const drain = async (): Promise<void> => {
    while (replies.length > 0 && writerError == null) await nextChange()
    if (writerError != null) throw writerError
  }
  try {
    while (true) {
      while ((replies.length >= depth || paused != null) && writerError == null) {
        await nextChange()
      }
      if (writerError != null) {
        throw writerError
      }
      let frame
      try {
        frame = await lp.read({ signal: AbortSignal.timeout(idleTimeoutMs) })
      } catch (err) {
        if (isEndOfStream(err)) {
          break
        }
        const name = (err as Error).name
        if (name === 'InvalidDataLengthError') {
          await drain()
          await refuse(lp, stream, from, DmResponse.Status.TOO_LARGE, `frame exceeds ${MAX_DM_FRAME_BYTES} bytes`, init.log)
          return
        }
        if (name === 'InvalidDataLengthLengthError') {
          // no frame within the limit needs this prefix (§10): the stream ends, without a reply
          init.log?.('dm stream from %s sent an over-long length prefix: closing', from)
          break
        }
        if (name === 'TimeoutError' || name === 'AbortError') {
          init.log?.('dm stream from %s idle for %d ms: closing', from, idleTimeoutMs)
          break
        }
        throw err
      }
      trace('rx.frame')
      const parsed = parseDmRequest(frame.subarray())
      if (parsed.id == null) {
        await drain()
        await refuse(lp, stream, from, parsed.status, parsed.error, init.log)
        return
      }
      const { id, envelope } = parsed
      // the id is echoed whatever the verdict: only an undecodable request gets an empty one (§5)
      replies.push(init.onEnvelope(envelope, from, arrival).then(verdict => ({
        id, status: verdict.status, error: verdict.error ?? '', requiredDifficulty: verdict.requiredDifficulty ?? 0, retryAfterMs: clampRetryAfter(verdict.retryAfterMs)
      })))
      notify()
    }
    await drain()
    await closeAfterReply(stream, DM_CLOSE_GRACE_MS)
  } catch (err) {
    init.log?.('resetting dm stream from %s: %s', from, (err as Error).message)
    stream.abort(err as Error)
  } finally {
    readerDone = true
    notify()
    await writer
  }
}

/** A DM request frame as the listener reads it: an envelope with its id, or why the frame ends the stream. */
export type ParsedDmRequest =
  | { id: Uint8Array, envelope: Uint8Array }
  | { id?: undefined, status: DmResponse.Status, error: string }

/**
 * Reads a DM request frame as PROTOCOL.md §5 says: the frame must be a
 * well-formed `DmRequest` holding an envelope that decodes at least as far as
 * a 16-byte id. Anything less is undecodable: `INVALID` (or `TOO_LARGE` for an
 * envelope over 65536 bytes) with an empty id, and the stream ends.
 */
export function parseDmRequest (frame: Uint8Array): ParsedDmRequest {
  const wireError = protobufWireError(frame)
  let request: DmRequest | undefined
  if (wireError == null) {
    try {
      request = DmRequest.decode(frame)
    } catch {
      // undecodable: answered below
    }
  }
  if (request == null || request.envelope.byteLength === 0) {
    return { status: DmResponse.Status.INVALID, error: `undecodable DmRequest frame${wireError != null ? `: ${wireError}` : ''}` }
  }
  const id = envelopeId(request.envelope)
  if (id.byteLength === 0) {
    return request.envelope.byteLength > MAX_ENVELOPE_BYTES
      ? { status: DmResponse.Status.TOO_LARGE, error: `envelope of ${request.envelope.byteLength} bytes exceeds ${MAX_ENVELOPE_BYTES}` }
      : { status: DmResponse.Status.INVALID, error: 'the envelope does not decode to a 16-byte id' }
  }
  return { id, envelope: request.envelope }
}

/** Replies to a request that ends the stream, then closes it (never resets it after a reply). */
async function refuse (lp: LengthPrefixedStream<Stream>, stream: Stream, from: string, status: DmResponse.Status, error: string, log?: Logger): Promise<void> {
  log?.('refusing a frame from %s (%s): %s', from, DmResponse.Status[status], error)
  await reply(lp, { id: new Uint8Array(0), status, error, requiredDifficulty: 0, retryAfterMs: 0 })
  await closeAfterReply(stream, DM_CLOSE_GRACE_MS)
}

/**
 * The id an envelope claims, for matching the reply to the request whatever
 * the verdict (rate limited, bad signature, undecryptable): the sender's
 * channel matches replies by id. Empty when the envelope does not decode as
 * far as a 16-byte id; the stream then ends (§5).
 */
export function envelopeId (envelope: Uint8Array): Uint8Array {
  // read from the wire, not by decoding: an envelope with an unknown enum value still has its id echoed
  const body = protobufBytesField(envelope, 1)
  const id = body != null ? protobufBytesField(body, 2) : undefined
  return id?.byteLength === MESSAGE_ID_BYTES ? id : new Uint8Array(0)
}

function clampRetryAfter (ms: number | undefined): number {
  return ms == null || !Number.isFinite(ms) || ms <= 0 ? 0 : Math.min(Math.ceil(ms), 0xffff_ffff)
}

async function reply (lp: LengthPrefixedStream<Stream>, response: DmResponse): Promise<void> {
  await lp.write(DmResponse.encode(response), { signal: AbortSignal.timeout(10_000) })
}

function isEndOfStream (err: unknown): boolean {
  const name = (err as Error).name
  return name === 'UnexpectedEOFError' || name === 'StreamClosedError' || name === 'StreamResetError'
}

/** Options of {@link DmChannel.send}. */
export interface DmSendOptions {
  signal?: AbortSignal
}

/** Options of a {@link DmChannel}. */
export interface DmChannelInit {
  /**
   * Gives an unsigned envelope (1.3, §5.2) its signature. Called for every
   * envelope sent on a stream that is not `/natter/dm/1.3.0` (a 1.2 peer);
   * returns a signed one unchanged. @default envelopes are sent as they are
   */
  sign?(envelope: Uint8Array): Uint8Array
}

/**
 * An outbound DM stream to one peer. Requests are pipelined; replies are
 * matched to requests by envelope id.
 */
export class DmChannel {
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly pending = new Map<string, PromiseWithResolvers<DmResponse>>()
  private closedWith?: Error
  readonly stream: Stream

  /** The stream speaks `/natter/dm/1.3.0`: unsigned envelopes go as they are. */
  readonly unsignedAllowed: boolean
  private readonly sign?: (envelope: Uint8Array) => Uint8Array

  constructor (stream: Stream, init: DmChannelInit = {}) {
    this.stream = stream
    this.unsignedAllowed = stream.protocol === DM_PROTOCOL_13
    this.sign = init.sign
    this.lp = boundedLpStream(stream, 4096)
    void this.readReplies()
  }

  /** True once the stream failed or closed; the owner should open a new one. */
  get closed (): boolean {
    return this.closedWith != null
  }

  /**
   * Sends one envelope and resolves when the recipient replies OK. Throws
   * {@link DeliveryRefusedError} for any other status, {@link DeliveryTimeoutError}
   * when `signal` aborts first, or the stream's error.
   */
  async send (id: Uint8Array, envelope: Uint8Array, options: DmSendOptions = {}): Promise<void> {
    if (this.closedWith != null) {
      throw this.closedWith
    }
    if (!this.unsignedAllowed && this.sign != null) {
      // a 1.2 peer (§5.2): every envelope signed
      envelope = this.sign(envelope)
    }
    if (envelope.byteLength > MAX_ENVELOPE_BYTES) {
      throw new MessageTooLargeError(`envelope of ${envelope.byteLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
    }
    const key = uint8ArrayToString(id, 'base16')
    const waiter = Promise.withResolvers<DmResponse>()
    // the stream may fail before this send awaits its reply: that is handled below, not unhandled
    waiter.promise.catch(() => {})
    this.pending.set(key, waiter)
    const onAbort = (): void => {
      waiter.reject(new DeliveryTimeoutError('no acknowledgement from the recipient in time', { cause: options.signal?.reason }))
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (options.signal?.aborted === true) {
        onAbort()
      }
      trace('tx.write')
      await this.lp.write(DmRequest.encode({ envelope }), { signal: options.signal })
      trace('tx.written')
      const response = await waiter.promise
      if (response.status !== DmResponse.Status.OK) {
        const status = DmResponse.Status[response.status] ?? String(response.status)
        throw new DeliveryRefusedError(`recipient refused the message: ${status}${response.error !== '' ? ` (${response.error})` : ''}`, String(status), {
          requiredDifficulty: response.requiredDifficulty,
          retryAfterMs: response.retryAfterMs > 0 ? response.retryAfterMs : undefined
        })
      }
    } catch (err) {
      if (options.signal?.aborted === true && !(err instanceof DeliveryRefusedError)) {
        throw new DeliveryTimeoutError('no acknowledgement from the recipient in time', { cause: err })
      }
      throw err
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.pending.delete(key)
    }
  }

  /** Closes the stream gracefully. */
  async close (): Promise<void> {
    this.fail(new Error('channel closed'))
    await this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
  }

  private async readReplies (): Promise<void> {
    try {
      while (true) {
        const frame = await this.lp.read()
        trace('tx.replyRead')
        const response = DmResponse.decode(frame)
        const waiter = this.pending.get(uint8ArrayToString(response.id, 'base16'))
        if (waiter != null) {
          waiter.resolve(response)
        } else if (response.id.byteLength === 0) {
          // the remote could not parse a request; it closes the stream after this reply
          throw new DeliveryRefusedError(`recipient rejected a frame: ${response.error}`, DmResponse.Status[response.status] ?? 'INVALID')
        }
      }
    } catch (err) {
      this.fail(err as Error)
    }
  }

  private fail (err: Error): void {
    if (this.closedWith == null) {
      this.closedWith = err
    }
    for (const waiter of this.pending.values()) {
      waiter.reject(err)
    }
    this.pending.clear()
  }
}
