/**
 * Seeded, reproducible fuzzing of natter's inbound surfaces.
 *
 * - Generic: a small PRNG ({@link Rng}, seeded by {@link fuzzSeed}, which
 *   honours `FUZZ_SEED`), byte-level and protobuf-aware mutators
 *   ({@link mutate}), random protobuf, varint and length-prefix framing.
 * - Wire: {@link runFuzz} pipelines generated frames to a stream handler over
 *   a real connection and checks each reply, and that the handler ends a
 *   stream exactly when a frame's {@link Fate} says it must.
 * - natter: corpora of valid and re-signed envelopes ({@link buildCorpus})
 *   and frame generators for the DM and mailbox handlers and the presence
 *   validator ({@link dmFrames}, {@link mailboxFrames}, {@link presenceInputs}).
 *
 * Every random choice comes from an {@link Rng}, so a seed replays the same
 * frames (node identities and the clock differ between runs).
 */
import { natterServicePolicies } from '../../src/policies.js'
import { randomInt } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { Uint8ArrayList } from 'uint8arraylist'
import { encodeStamp, mintStamp } from '../../src/abuse/index.js'
import { EnvelopeBody, MAX_CLOCK_SKEW_MS, MAX_ENVELOPE_AGE_MS, MAX_ENVELOPE_BYTES, Payload, SignedEnvelope, envelopeSigningBytes, sealEnvelope } from '../../src/crypto/envelope.js'
import { peerFromBytes, peerFromPublicKey } from '../../src/crypto/peer.js'
import { DM_PROTOCOL, MAX_DM_FRAME_BYTES, parseDmRequest } from '../../src/dm/protocol.js'
import { MAILBOX_PROTOCOL, MAX_ACK_IDS, MAX_FETCH_ENVELOPES, MAX_MAILBOX_REQUEST_BYTES } from '../../src/mailbox/protocol.js'
import { MAX_PRESENCE_BYTES, MAX_PRESENCE_TTL_MS, PRESENCE_TOPIC, PresenceRecord, SignedPresence, signPresence } from '../../src/presence/record.js'
import { DmRequest, DmResponse } from '../../src/pb/dm.js'
import { MailboxRequest, MailboxResponse } from '../../src/pb/mailbox.js'
import { createNetwork } from '../../src/network/libp2p.js'
import type { Ed25519Peer } from '../../src/crypto/peer.js'
import type { Natter } from '../../src/index.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'
import type { TopicValidatorFn } from '@libp2p/gossipsub'
import type { Connection, Ed25519PrivateKey, Stream } from '@libp2p/interface'

/** A deterministic pseudo-random source (mulberry32: 32-bit state, fast, good enough for fuzzing). */
export class Rng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** An integer in [min, max]. */
  range (min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  /** True with probability `p`. */
  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) {
      throw new RangeError('pick from an empty list')
    }
    return items[this.int(items.length)] as T
  }

  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 4) {
      const v = (this.next() * 4294967296) >>> 0
      out[i] = v & 0xff
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff
      if (i + 3 < n) out[i + 3] = v >>> 24
    }
    return out
  }

  /** A length skewed towards small values, occasionally up to `max`. */
  length (max: number): number {
    const r = this.next()
    if (r < 0.6) return this.int(Math.min(max, 16) + 1)
    if (r < 0.9) return this.int(Math.min(max, 256) + 1)
    return this.int(max + 1)
  }

  /** An independent generator derived from this one (so one consumer's draws do not shift another's). */
  fork (): Rng {
    return new Rng((this.next() * 4294967296) >>> 0)
  }
}

/** The seed of the short run `npm test` makes: the same frames every time. */
export const DEFAULT_FUZZ_SEED = 0x6e617474

/**
 * The seed of a fuzz run: `FUZZ_SEED` from the environment when set (decimal
 * or 0x-hex; `random` for a fresh random one, as `npm run fuzz` does), else
 * {@link DEFAULT_FUZZ_SEED}. Printed so a failing run can be replayed.
 */
export function fuzzSeed (label: string): number {
  const given = process.env.FUZZ_SEED ?? ''
  if (given !== '' && given !== 'random' && !Number.isFinite(Number(given))) {
    throw new RangeError(`FUZZ_SEED must be a number or "random", got "${given}"`)
  }
  const seed = given === 'random' ? randomInt(0, 2 ** 32 - 1) : given === '' ? DEFAULT_FUZZ_SEED : Number(given) >>> 0
  console.log(`${label}: seed ${seed} (replay with FUZZ_SEED=${seed})`)
  return seed
}

/** Unsigned LEB128 varint of a non-negative integer up to 2^64 - 1. */
export function varint (value: number | bigint): Uint8Array {
  let v = BigInt(value)
  if (v < 0n) {
    throw new RangeError('varint of a negative number')
  }
  const out: number[] = []
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return Uint8Array.from(out)
}

export function concat (parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.byteLength
  const out = new Uint8Array(size)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.byteLength
  }
  return out
}

/** `data` with its varint length prefix, as `lpStream` frames it. */
export function lengthPrefixed (data: Uint8Array): Uint8Array {
  return concat([varint(data.byteLength), data])
}

/** A top-level protobuf field as it appears on the wire. */
export interface WireField {
  field: number
  wireType: number
  /** The field's value bytes: the payload of a length-delimited field, else the varint / fixed bytes. */
  value: Uint8Array
}

/** Splits a protobuf message into its top-level fields; undefined when it is not well formed. */
export function parseFields (bytes: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = []
  let pos = 0
  const readVarint = (): number | undefined => {
    let result = 0
    let shift = 0
    while (pos < bytes.length && shift < 64) {
      const b = bytes[pos++] as number
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
    return undefined
  }
  while (pos < bytes.length) {
    const tag = readVarint()
    if (tag == null) return undefined
    const field = Math.floor(tag / 8)
    const wireType = tag % 8
    const start = pos
    if (wireType === 0) {
      if (readVarint() == null) return undefined
      fields.push({ field, wireType, value: bytes.subarray(start, pos) })
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4
      if (pos + size > bytes.length) return undefined
      pos += size
      fields.push({ field, wireType, value: bytes.subarray(start, pos) })
    } else if (wireType === 2) {
      const len = readVarint()
      if (len == null || pos + len > bytes.length) return undefined
      fields.push({ field, wireType, value: bytes.subarray(pos, pos + len) })
      pos += len
    } else {
      return undefined
    }
  }
  return fields
}

/** Encodes fields back to a protobuf message. */
export function encodeFields (fields: WireField[]): Uint8Array {
  const parts: Uint8Array[] = []
  for (const f of fields) {
    parts.push(varint(f.field * 8 + f.wireType))
    if (f.wireType === 2) {
      parts.push(varint(f.value.byteLength))
    }
    parts.push(f.value)
  }
  return concat(parts)
}

/** A random protobuf-shaped message: mostly well formed, sometimes with bad wire types or lengths. */
export function randomProtobuf (rng: Rng, depth = 0): Uint8Array {
  const parts: Uint8Array[] = []
  const count = rng.range(0, 6)
  for (let i = 0; i < count; i++) {
    const field = rng.chance(0.8) ? rng.range(1, 12) : rng.range(0, 2 ** 29 - 1)
    const wireType = rng.chance(0.95) ? rng.pick([0, 1, 2, 5]) : rng.range(0, 7)
    parts.push(varint(field * 8 + wireType))
    switch (wireType) {
      case 0: parts.push(varint(rng.chance(0.5) ? rng.int(256) : BigInt.asUintN(64, BigInt(rng.int(2 ** 31)) << BigInt(rng.int(33))))); break
      case 1: parts.push(rng.bytes(8)); break
      case 5: parts.push(rng.bytes(4)); break
      case 2: {
        const value = depth < 2 && rng.chance(0.3) ? randomProtobuf(rng, depth + 1) : rng.bytes(rng.length(2048))
        parts.push(varint(rng.chance(0.97) ? value.byteLength : rng.int(2 ** 31)))
        parts.push(value)
        break
      }
      default: parts.push(rng.bytes(rng.int(4)))
    }
  }
  return concat(parts)
}

/** Interesting varint values for lengths and integers. */
const EDGE_NUMBERS: Array<number | bigint> = [0, 1, 0x7f, 0x80, 0xff, 0x3fff, 0xffff, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, (1n << 64n) - 1n]

/** One byte-level mutation. */
function mutateBytes (rng: Rng, input: Uint8Array, other: Uint8Array): Uint8Array {
  const b = Uint8Array.from(input)
  switch (rng.int(9)) {
    case 0: { // bit flips
      const n = rng.range(1, 4)
      for (let i = 0; i < n && b.length > 0; i++) {
        const at = rng.int(b.length)
        b[at] = (b[at] as number) ^ (1 << rng.int(8))
      }
      return b
    }
    case 1: { // random bytes overwritten
      const n = rng.range(1, 8)
      for (let i = 0; i < n && b.length > 0; i++) b[rng.int(b.length)] = rng.int(256)
      return b
    }
    case 2: // truncation
      return b.subarray(0, rng.int(b.length + 1))
    case 3: // drop a prefix
      return b.subarray(rng.int(b.length + 1))
    case 4: { // insert random bytes
      const at = rng.int(b.length + 1)
      return concat([b.subarray(0, at), rng.bytes(rng.length(64)), b.subarray(at)])
    }
    case 5: { // delete a range
      const at = rng.int(b.length + 1)
      return concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.length(32)))])
    }
    case 6: { // duplicate a range
      const at = rng.int(b.length + 1)
      const end = Math.min(b.length, at + rng.length(64))
      return concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)])
    }
    case 7: { // splice with another input
      return concat([b.subarray(0, rng.int(b.length + 1)), other.subarray(rng.int(other.length + 1))])
    }
    default: { // an interesting varint somewhere
      const at = rng.int(b.length + 1)
      return concat([b.subarray(0, at), varint(rng.pick(EDGE_NUMBERS)), b.subarray(Math.min(b.length, at + rng.int(3)))])
    }
  }
}

/** One protobuf-structure mutation; undefined when the input does not parse. */
function mutateFields (rng: Rng, input: Uint8Array, other: Uint8Array, depth: number): Uint8Array | undefined {
  const fields = parseFields(input)
  if (fields == null || fields.length === 0) {
    return undefined
  }
  const at = rng.int(fields.length)
  const f = fields[at] as WireField
  switch (rng.int(9)) {
    case 0: { // swap two fields' positions
      const j = rng.int(fields.length)
      fields[at] = fields[j] as WireField
      fields[j] = f
      return encodeFields(fields)
    }
    case 1: { // swap two fields' numbers (values land in the wrong fields)
      const j = rng.int(fields.length)
      const g = fields[j] as WireField
      fields[at] = { ...f, field: g.field }
      fields[j] = { ...g, field: f.field }
      return encodeFields(fields)
    }
    case 2: // drop a field
      fields.splice(at, 1)
      return encodeFields(fields)
    case 3: // repeat a field
      fields.splice(at, 0, f)
      return encodeFields(fields)
    case 4: // change a field's wire type
      fields[at] = { ...f, wireType: rng.pick([0, 1, 2, 3, 4, 5, 6, 7].filter(w => w !== f.wireType)) }
      return encodeFields(fields)
    case 5: { // replace a value
      const value = f.wireType === 2
        ? rng.pick([new Uint8Array(0), rng.bytes(rng.length(4096)), rng.bytes(rng.range(1, 64))])
        : f.wireType === 0 ? varint(rng.pick(EDGE_NUMBERS)) : rng.bytes(f.value.length)
      fields[at] = { ...f, value }
      return encodeFields(fields)
    }
    case 6: { // a huge (lying) length on a length-delimited field
      const encoded = encodeFields(fields.slice(0, at))
      return concat([encoded, varint(f.field * 8 + 2), varint(rng.pick(EDGE_NUMBERS.slice(8))), f.wireType === 2 ? f.value : rng.bytes(8), encodeFields(fields.slice(at + 1))])
    }
    case 7: // an unknown field appended
      return concat([input, varint(rng.range(13, 2 ** 20) * 8 + 2), lengthPrefixed(rng.bytes(rng.length(32)))])
    default: { // recurse into a length-delimited field (nested message)
      if (f.wireType !== 2 || depth > 3) {
        return mutateBytes(rng, input, other)
      }
      fields[at] = { ...f, value: mutate(rng, f.value, other, depth + 1) }
      return encodeFields(fields)
    }
  }
}

/**
 * A mutated copy of a valid protobuf message: one to three structural or
 * byte-level mutations, recursing into nested messages. `other` is spliced in
 * sometimes (another valid input).
 */
export function mutate (rng: Rng, input: Uint8Array, other: Uint8Array = input, depth = 0): Uint8Array {
  let out = input
  const rounds = rng.chance(0.7) ? 1 : rng.range(2, 3)
  for (let i = 0; i < rounds; i++) {
    out = (rng.chance(0.6) ? mutateFields(rng, out, other, depth) : undefined) ?? mutateBytes(rng, out, other)
  }
  return out
}

/**
 * A natter node's presence topic validator, exactly as its gossipsub runs it
 * (the node's libp2p is private: reached around the type, for tests only).
 */
export function presenceValidatorOf (node: Natter): TopicValidatorFn {
  const libp2p = (node as unknown as { components: { libp2p: NatterLibp2p } }).components.libp2p
  const validator = libp2p.services.pubsub.topicValidators.get(PRESENCE_TOPIC)
  if (validator == null) {
    throw new Error('the node runs no presence validator')
  }
  return validator
}

/** A bare libp2p node with natter's stack (no natter on top), for speaking the wire directly. */
export interface RawPeer {
  libp2p: NatterLibp2p
  key: Ed25519PrivateKey
  /** Peer id multihash bytes. */
  bytes: Uint8Array
}

/** Makes raw peers on loopback and stops them all. */
export function rawPeerFactory () {
  const peers: NatterLibp2p[] = []
  return {
    async create (key?: Ed25519PrivateKey): Promise<RawPeer> {
      const privateKey = key ?? await generateKeyPair('Ed25519')
      const libp2p = await createNetwork({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 50, ...natterServicePolicies() })
      await libp2p.start()
      peers.push(libp2p)
      return { libp2p, key: privateKey, bytes: libp2p.peerId.toMultihash().bytes }
    },
    async cleanup (): Promise<void> {
      await Promise.allSettled(peers.splice(0).map(async p => { await p.stop() }))
    }
  }
}

/**
 * What a protocol handler should do with a frame:
 * - `reply`: answer it and keep the stream open;
 * - `reply-close`: answer it (with one of `expect`), then end the stream;
 * - `close`: end the stream without answering;
 * - `close-eof`: the fuzzer half-closes after it (a truncated frame); the handler ends the stream without answering.
 */
export type Fate = 'reply' | 'reply-close' | 'close' | 'close-eof'

/** One fuzz frame. */
export interface Frame {
  /** Bytes written to the stream, length prefix included. */
  wire: Uint8Array
  fate: Fate
  /** What produced it, for statistics and failure messages. */
  kind: string
  /** The statuses its reply may have, when the generator knows. */
  expect?: string[]
}

/** How to read a protocol's replies. */
export interface FuzzProtocol {
  protocol: string
  /** Largest reply frame. */
  maxReply: number
  /** Decodes a reply and returns its status name; throws if it is not a well-formed reply. */
  status(reply: Uint8Array): string
}

/** What a fuzz run did. */
export interface FuzzStats {
  /** Frames the handler processed (answered, or ended the stream on). */
  frames: number
  replies: number
  /** Frames the handler ended the stream on without a reply. */
  ended: number
  /** Streams opened. */
  streams: number
  /** Statuses of the replies to frames answered on an open stream (fate `reply`). */
  statuses: Record<string, number>
  /** Statuses of the replies after which the handler ended the stream (fate `reply-close`). */
  closing: Record<string, number>
  kinds: Record<string, number>
  /** Wall time of the run, for the report only. */
  seconds: number
}

/** Options of {@link runFuzz}. */
export interface FuzzInit {
  connection: Connection
  protocol: FuzzProtocol
  rng: Rng
  /** Frames to send over all workers. */
  total: number
  /** Streams used at once (each pipelines its batches); at most the handler's inbound stream limit. @default 4 */
  workers?: number
  /** Frames written at once on a stream before reading their replies. @default 64 */
  batch?: number
  /** Makes the next frame. */
  next(rng: Rng): Frame | Promise<Frame>
  /** Called after each batch with the frames processed so far (over all workers). */
  onProgress?(frames: number): void
  /** Longest wait for a reply or the end of a stream before the run fails, ms. @default 20_000 */
  replyTimeoutMs?: number
}

/** A frame whose handling did not match its fate. */
export class FuzzFailureError extends Error {
  constructor (message: string, frame: Frame, options?: ErrorOptions) {
    const hex = Buffer.from(frame.wire.subarray(0, 256)).toString('hex')
    super(`${message} [frame kind ${frame.kind}, fate ${frame.fate}, ${frame.wire.byteLength} bytes: ${hex}${frame.wire.byteLength > 256 ? '…' : ''}]`, options)
    this.name = 'FuzzFailureError'
  }
}

/**
 * One fuzz stream: writes raw bytes, and parses the length-prefixed replies
 * synchronously as they arrive (lpStream reads a length prefix one byte and
 * one promise at a time: on the fuzzer's side that cost would halve the frames
 * the handler gets).
 */
class FrameStream {
  readonly stream: Stream
  private readonly buffer = new Uint8ArrayList()
  private readonly maxReply: number
  private wake?: () => void
  /** Set once the remote ended its side (`null`) or the stream failed. */
  private ended?: Error | null

  constructor (stream: Stream, maxReply: number) {
    this.stream = stream
    this.maxReply = maxReply
    stream.addEventListener('message', (evt) => {
      this.buffer.append(evt.data)
      this.wake?.()
    })
    stream.addEventListener('remoteCloseWrite', () => {
      this.ended ??= null
      this.wake?.()
    })
    stream.addEventListener('close', (evt) => {
      this.ended ??= evt.error ?? null
      this.wake?.()
    })
  }

  async write (bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    if (!this.stream.send(bytes)) {
      await this.stream.onDrain({ signal })
    }
  }

  /** The next reply; throws when the stream ended first (`UnexpectedEOFError` or the stream's error) or `signal` aborted. */
  async read (signal: AbortSignal): Promise<Uint8Array> {
    for (;;) {
      const frame = this.parse()
      if (frame != null) {
        return frame
      }
      if (this.ended !== undefined) {
        throw this.ended ?? Object.assign(new Error('the stream ended'), { name: 'UnexpectedEOFError' })
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

  private parse (): Uint8Array | undefined {
    let length = 0
    for (let i = 0; i < Math.min(this.buffer.byteLength, 10); i++) {
      const byte = this.buffer.get(i)
      length += (byte & 0x7f) * 2 ** (7 * i)
      if (byte < 0x80) {
        if (length > this.maxReply) {
          throw new RangeError(`reply of ${length} bytes`)
        }
        if (this.buffer.byteLength < i + 1 + length) {
          return undefined
        }
        const frame = this.buffer.subarray(i + 1, i + 1 + length)
        this.buffer.consume(i + 1 + length)
        return frame
      }
    }
    if (this.buffer.byteLength >= 10) {
      throw new RangeError('reply length prefix too long')
    }
    return undefined
  }
}

/**
 * Sends `total` generated frames to a protocol handler over `workers`
 * pipelined streams, checking each reply and that the handler ends a stream
 * exactly when a frame's fate says so. Each worker draws from its own
 * generator forked from `rng`, with a fixed share of the frames, so a seed
 * replays the same frames whatever the timing.
 */
export async function runFuzz (init: FuzzInit): Promise<FuzzStats> {
  const workers = init.workers ?? 4
  const batchSize = init.batch ?? 64
  const replyTimeoutMs = init.replyTimeoutMs ?? 20_000
  const stats: FuzzStats = { frames: 0, replies: 0, ended: 0, streams: 0, statuses: {}, closing: {}, kinds: {}, seconds: 0 }
  const tally = (map: Record<string, number>, key: string): void => { map[key] = (map[key] ?? 0) + 1 }
  const { protocol } = init
  const started = performance.now()

  const open = async (): Promise<FrameStream> => {
    stats.streams++
    return new FrameStream(await init.connection.newStream(protocol.protocol, { signal: AbortSignal.timeout(10_000) }), protocol.maxReply)
  }

  const worker = async (rng: Rng, quota: number): Promise<void> => {
    let current: FrameStream | undefined
    let done = 0
    try {
      while (done < quota) {
        const fs = current ?? await open()
        current = fs
        const batch: Frame[] = []
        while (batch.length < batchSize && done + batch.length < quota) {
          const frame = await init.next(rng)
          batch.push(frame)
          if (frame.fate !== 'reply') {
            break
          }
        }
        const last = batch[batch.length - 1] as Frame
        const signal = AbortSignal.timeout(replyTimeoutMs)
        try {
          await fs.write(concat(batch.map(f => f.wire)), signal)
        } catch (err) {
          throw new FuzzFailureError(`the stream failed while writing a batch (${(err as Error).message})`, last, { cause: err })
        }
        if (last.fate === 'close-eof') {
          await fs.stream.close({ signal })
        }
        for (const frame of batch) {
          tally(stats.kinds, frame.kind)
          if (frame.fate !== 'reply' && frame.fate !== 'reply-close') {
            stats.ended++
            continue
          }
          let reply: Uint8Array
          try {
            reply = await fs.read(signal)
          } catch (err) {
            throw new FuzzFailureError(signal.aborted ? 'no reply in time' : `the stream ended instead of replying (${(err as Error).message})`, frame, { cause: err })
          }
          const status = protocol.status(reply)
          stats.replies++
          tally(frame.fate === 'reply' ? stats.statuses : stats.closing, status)
          if (frame.expect != null && !frame.expect.includes(status)) {
            throw new FuzzFailureError(`reply ${status}, expected ${frame.expect.join(' or ')}`, frame)
          }
        }
        if (last.fate !== 'reply') {
          // the handler must end this stream now, with nothing more to say
          const more = await fs.read(signal).then(r => r, (err: Error) => err)
          if (more instanceof Uint8Array) {
            throw new FuzzFailureError(`the stream stayed open (a ${protocol.status(more)} reply followed)`, last)
          }
          if (signal.aborted) {
            throw new FuzzFailureError('the stream was not ended in time', last, { cause: more })
          }
          fs.stream.abort(new Error('fuzz: stream ended by the handler'))
          current = undefined
        }
        done += batch.length
        stats.frames += batch.length
        init.onProgress?.(stats.frames)
      }
    } finally {
      if (current != null) {
        await current.stream.close().catch(() => { current?.stream.abort(new Error('fuzz: close failed')) })
      }
    }
  }

  const share = Math.floor(init.total / workers)
  await Promise.all(Array.from({ length: workers }, async (_, i) => worker(init.rng.fork(), i === 0 ? init.total - share * (workers - 1) : share)))
  stats.seconds = (performance.now() - started) / 1000
  return stats
}

// ---------------------------------------------------------------------------
// natter's surfaces: corpora and frame generators for the DM and mailbox
// handlers and the presence validator.
// ---------------------------------------------------------------------------

/**
 * Frames per surface: `FUZZ_FRAMES`, else 10,000 (the short seeded run of
 * `npm test`; `npm run fuzz` sets 100,000 and a random seed).
 */
export const FUZZ_FRAMES = Number(process.env.FUZZ_FRAMES ?? 10_000)
/** Frames per handler in the phase with natter's default (strict) rate limits. */
export const DEFAULT_LIMIT_FRAMES = Math.max(1000, Math.floor(FUZZ_FRAMES / 10))
/** Difficulty the fuzzed node demands: high enough that a mutated stamp never passes by luck. */
export const FUZZ_POW = 16
export const UNLIMITED = { contact: { rate: 1e9, burst: 1e9 }, stranger: { rate: 1e9, burst: 1e9 } }

const text = (t: string, seq = 1n): Payload => ({ type: Payload.Type.TEXT, text: t, seq, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

export const dmProtocol: FuzzProtocol = {
  protocol: DM_PROTOCOL,
  maxReply: 4096,
  status (reply) {
    const response = DmResponse.decode(reply)
    if (response.id.byteLength !== 0 && response.id.byteLength !== 16) {
      throw new Error(`reply id of ${response.id.byteLength} bytes`)
    }
    return response.status
  }
}

export const mailboxProtocol: FuzzProtocol = {
  protocol: MAILBOX_PROTOCOL,
  maxReply: 2 * 1024 * 1024,
  status: (reply) => MailboxResponse.decode(reply, { limits: { envelopes: MAX_FETCH_ENVELOPES } }).status
}

/** A signer the fuzzer builds envelopes for. */
export interface Signer {
  key: Ed25519PrivateKey
  peer: Ed25519Peer
}

/** Valid inputs the generators start from, built once per run. */
export interface Corpus {
  target: Ed25519Peer
  /** Envelopes as sealed for real (some from a contact of the target, some from strangers). */
  envelopes: Array<{ bytes: Uint8Array, signer: Signer }>
  /** Peers other than the target (wrong recipients, forged senders). */
  others: Ed25519Peer[]
  /** Stamps that must not pass: for another recipient, expired, too little work. */
  badStamps: Uint8Array[]
  /** Re-signed envelopes with semantic changes (signing per frame would cost more than the handler's work). */
  resigned: Resigned[]
}

export interface Resigned {
  bytes: Uint8Array
  kind: string
  /** Certainly refused as INVALID by the envelope checks. */
  invalid: boolean
}

/** Re-signed envelopes in the corpus. */
const RESIGNED = 600
/** Share of frames that end their stream (broken framing, undecodable requests). */
const FATAL_SHARE = 0.03

export async function signer (rng: Rng): Promise<Signer> {
  const key = await generateKeyPairFromSeed('Ed25519', rng.bytes(32))
  return { key, peer: peerFromPublicKey(key.publicKey.raw) }
}

/**
 * Builds the corpus: `contact` is a contact of the target (its envelopes
 * reach decryption), `strangerA` has one envelope with a valid stamp,
 * `strangerB` never has a valid stamp (its envelopes always meet the
 * proof-of-work check).
 */
export async function buildCorpus (rng: Rng, target: Ed25519Peer, contact: Signer): Promise<Corpus> {
  const strangerA = await signer(rng)
  const strangerB = await signer(rng)
  const other = await signer(rng)
  const seal = async (from: Signer, to: Ed25519Peer, t: string, stamp?: Uint8Array): Promise<{ bytes: Uint8Array, signer: Signer }> => {
    const sealed = await sealEnvelope({
      senderKey: from.key, sender: from.peer.bytes, recipient: to, id: rng.bytes(16), payload: text(t), stamp,
      ephemeralSecret: rng.bytes(32), nonce: rng.bytes(24)
    })
    return { bytes: sealed.bytes, signer: from }
  }
  const stamp = async (from: Signer, to: Ed25519Peer, difficulty: number, now = Date.now()): Promise<Uint8Array> =>
    encodeStamp(await mintStamp({ sender: from.peer.bytes, recipient: to.bytes, difficulty, now }))
  const validA = await stamp(strangerA, target, FUZZ_POW)
  const badStamps = [
    await stamp(strangerB, other.peer, FUZZ_POW),
    await stamp(strangerB, target, FUZZ_POW, Date.now() - 25 * 60 * 60 * 1000),
    await stamp(strangerB, target, 4)
  ]
  const envelopes = [
    await seal(contact, target, 'from a contact 1'),
    await seal(contact, target, 'from a contact 2'),
    await seal(contact, target, 'from a contact 3'),
    await seal(strangerA, target, 'a stranger with a stamp', validA),
    await seal(strangerB, target, 'a stranger without a stamp'),
    await seal(strangerB, target, 'a stranger with a bad stamp', badStamps[0]),
    await seal(strangerB, other.peer, 'for someone else')
  ]
  const corpus: Corpus = { target, envelopes, others: [other.peer, strangerA.peer, strangerB.peer], badStamps, resigned: [] }
  for (let i = 0; i < RESIGNED; i++) {
    corpus.resigned.push(await resignedEnvelope(rng, corpus))
  }
  return corpus
}

/** Whether `bytes` name a peer other than `peer` (or none at all). */
function namesOther (bytes: Uint8Array, peer: Ed25519Peer): boolean {
  try {
    return !peerFromBytes(bytes).peerId.equals(peer.peerId)
  } catch {
    return true
  }
}

/**
 * An envelope re-signed after a semantic change to its body, so that it gets
 * past the signature check to the later ones. Returns the statuses a DM
 * handler must answer with when the change is certainly invalid.
 */
async function resignedEnvelope (rng: Rng, corpus: Corpus): Promise<Resigned> {
  const base = rng.pick(corpus.envelopes)
  const body: EnvelopeBody = { ...EnvelopeBody.decode(SignedEnvelope.decode(base.bytes).body) }
  let invalid = true
  let kind: string
  switch (rng.int(13)) {
    case 0:
      kind = 'expired'
      body.sentAt = BigInt(Date.now() - MAX_ENVELOPE_AGE_MS - 60_000 - rng.int(1e9))
      break
    case 1:
      kind = 'future'
      body.sentAt = rng.chance(0.2) ? (1n << 64n) - 1n : BigInt(Date.now() + MAX_CLOCK_SKEW_MS + 60_000 + rng.int(1e9))
      break
    case 2:
      kind = 'version'
      body.version = rng.pick([0, 2, 255, 2 ** 32 - 1])
      break
    case 3:
      kind = 'id-length'
      body.id = rng.bytes(rng.pick([0, 1, 15, 17, 32, 1000]))
      break
    case 4:
      kind = 'forged-sender'
      body.sender = rng.pick(corpus.others.filter(p => !p.peerId.equals(base.signer.peer.peerId))).bytes
      break
    case 5:
      kind = 'sender-garbage'
      body.sender = rng.chance(0.5) ? rng.bytes(rng.length(64)) : mutate(rng, body.sender)
      // a mutation may leave another encoding of the same key, which the signature still covers
      invalid = namesOther(body.sender, base.signer.peer)
      break
    case 6:
      kind = 'recipient-garbage'
      body.recipient = rng.chance(0.5) ? rng.bytes(rng.length(64)) : mutate(rng, body.recipient)
      invalid = (() => { try { peerFromBytes(body.recipient); return false } catch { return true } })()
      break
    case 7:
      kind = 'recipient-other'
      body.recipient = rng.pick(corpus.others).bytes
      invalid = false
      break
    case 8:
      kind = 'ephemeral-key'
      body.ephemeralKey = rng.bytes(rng.pick([0, 31, 32, 33]))
      invalid = false
      break
    case 9:
      kind = 'nonce'
      body.nonce = rng.bytes(rng.pick([0, 23, 24, 25]))
      invalid = false
      break
    case 10:
      kind = 'ciphertext'
      body.ciphertext = mutate(rng, body.ciphertext)
      invalid = false
      break
    case 11:
      // a ratchet session message that is not one (random header and ciphertext)
      kind = 'ratchet'
      body.scheme = EnvelopeBody.Scheme.RATCHET
      body.ciphertext = rng.chance(0.5) ? randomProtobuf(rng) : rng.bytes(rng.length(512))
      invalid = false
      break
    default:
      kind = 'stamp'
      body.stamp = rng.chance(0.5) ? rng.pick(corpus.badStamps) : concat([Uint8Array.of(1), rng.bytes(rng.pick([17, 17, 0, 5, 40]))])
      invalid = false
  }
  let bodyBytes = EnvelopeBody.encode(body)
  if (rng.chance(0.1)) {
    // and a structural mutation under a valid signature
    bodyBytes = mutate(rng, bodyBytes)
    kind += '+mutated'
    invalid = false
  }
  const signature = await base.signer.key.sign(envelopeSigningBytes(bodyBytes))
  return { bytes: SignedEnvelope.encode({ body: bodyBytes, signature }), kind, invalid }
}

/** Frames that break the length-prefix framing itself; each ends the stream. */
function framingFrame (rng: Rng, maxFrame: number): Frame {
  switch (rng.int(4)) {
    case 0: // a length over the limit, still in the shortest varint the limit needs
      return { kind: 'length-over-limit', fate: 'reply-close', expect: ['TOO_LARGE'], wire: concat([varint(rng.range(maxFrame + 1, 2 ** 21 - 1)), rng.bytes(rng.int(32))]) }
    case 1: // a length prefix longer than any valid one
      return { kind: 'length-too-long', fate: 'close', wire: rng.chance(0.5) ? concat([varint(rng.range(2 ** 21, 2 ** 53)), rng.bytes(8)]) : Uint8Array.of(0x80, 0x80, 0x80, 0x00) }
    case 2: // a length prefix that never ends
      return { kind: 'endless-length', fate: 'close', wire: new Uint8Array(rng.range(4, 64 * 1024)).fill(0x80) }
    default: { // a frame cut short, then the fuzzer stops writing
      const length = rng.range(1, 4096)
      return { kind: 'truncated', fate: 'close-eof', wire: concat([varint(length), rng.bytes(rng.int(length))]) }
    }
  }
}

/** Classifies a frame's content the way the handler will: too large, undecodable (both end the stream) or answered. */
function classify (content: Uint8Array, kind: string, maxFrame: number, decode: (b: Uint8Array) => unknown, expect?: string[]): Frame {
  const wire = lengthPrefixed(content)
  if (content.byteLength > maxFrame) {
    return { kind: `${kind}>limit`, fate: 'reply-close', expect: ['TOO_LARGE'], wire }
  }
  try {
    decode(content)
  } catch (err) {
    // a decoder may name the status it expects (an undecodable envelope over its size limit: TOO_LARGE, PROTOCOL.md §5)
    return { kind: `${kind}!decode`, fate: 'reply-close', expect: [(err as { status?: string }).status ?? 'INVALID'], wire }
  }
  return { kind, fate: 'reply', expect, wire }
}

/**
 * Of the mutated frames whose envelope still gets as far as the signature
 * check (and fails it there), only this share is kept: they all take the
 * same path, and a signature check costs the handler more than everything
 * else a frame does. Re-signed envelopes are what gets past it.
 */
const SIGNATURE_FAILURE_SHARE = 0.25

/** Whether a handler would check this envelope's signature: it decodes, and its version, id and peer ids are well formed. */
function reachesSignature (envelope: Uint8Array | undefined): boolean {
  if (envelope == null || envelope.byteLength > MAX_ENVELOPE_BYTES) {
    return false
  }
  try {
    const body = EnvelopeBody.decode(SignedEnvelope.decode(envelope).body)
    if (body.version !== 1 || body.id.byteLength !== 16) {
      return false
    }
    peerFromBytes(body.sender)
    peerFromBytes(body.recipient)
    return true
  } catch {
    return false
  }
}

/** A mutation of one of `base`, drawn again (mostly) when its envelope would only fail the signature check. */
function mutateSparingly (rng: Rng, base: Uint8Array[], envelopeOf: (content: Uint8Array) => Uint8Array | undefined): Uint8Array {
  for (let i = 0; ; i++) {
    const content = mutate(rng, rng.pick(base), rng.pick(base))
    let envelope: Uint8Array | undefined
    try {
      envelope = envelopeOf(content)
    } catch {
      return content
    }
    if (i >= 20 || !reachesSignature(envelope) || rng.chance(SIGNATURE_FAILURE_SHARE)) {
      return content
    }
  }
}

/**
 * Wraps a frame generator so that about {@link FATAL_SHARE} of the frames end
 * their stream (broken framing, or a request the handler cannot decode): each
 * costs a new stream, and the handler's parsing is what is being fuzzed.
 */
function withFatalShare (candidate: (rng: Rng) => Frame, maxFrame: number): (rng: Rng) => Frame {
  return (rng) => {
    if (rng.chance(FATAL_SHARE)) {
      if (rng.chance(0.5)) {
        return framingFrame(rng, maxFrame)
      }
      for (let i = 0; i < 100; i++) {
        const frame = candidate(rng)
        if (frame.fate !== 'reply') {
          return frame
        }
      }
      return framingFrame(rng, maxFrame)
    }
    for (;;) {
      const frame = candidate(rng)
      if (frame.fate === 'reply') {
        return frame
      }
    }
  }
}

/** DM frames: mutated requests, re-signed envelopes, random protobuf, garbage, oversized and broken framing. */
export function dmFrames (corpus: Corpus, limited: boolean): (rng: Rng) => Frame {
  const base = corpus.envelopes.map(e => DmRequest.encode({ envelope: e.bytes }))
  // as the handler reads a frame (PROTOCOL.md §5): strict protobuf, and an envelope that yields a 16-byte id
  const decode = (b: Uint8Array): unknown => {
    const parsed = parseDmRequest(b)
    if (parsed.id == null) {
      throw Object.assign(new Error(parsed.error), { status: DmResponse.Status[parsed.status] })
    }
    return parsed
  }
  const expect = (statuses: string[]): string[] => limited ? [...statuses, 'RATE_LIMITED'] : statuses
  return withFatalShare((rng) => {
    const r = rng.next()
    if (r < 0.50) {
      const content = mutateSparingly(rng, base, (c) => DmRequest.decode(c).envelope)
      return classify(content, 'mutated', MAX_DM_FRAME_BYTES, decode)
    }
    if (r < 0.70) {
      const e = rng.pick(corpus.resigned)
      const mutated = rng.chance(0.1)
      const plain = DmRequest.encode({ envelope: e.bytes })
      return classify(mutated ? mutate(rng, plain) : plain, `resigned:${e.kind}`, MAX_DM_FRAME_BYTES, decode, e.invalid && !mutated ? expect(['INVALID']) : undefined)
    }
    if (r < 0.80) {
      return classify(randomProtobuf(rng), 'random-protobuf', MAX_DM_FRAME_BYTES, decode)
    }
    if (r < 0.86) {
      const envelope = rng.chance(0.5) ? randomProtobuf(rng) : SignedEnvelope.encode({ body: randomProtobuf(rng), signature: rng.bytes(64) })
      return classify(DmRequest.encode({ envelope }), 'random-envelope', MAX_DM_FRAME_BYTES, decode)
    }
    if (r < 0.93) {
      return classify(rng.bytes(rng.length(4096)), 'garbage', MAX_DM_FRAME_BYTES, decode)
    }
    if (r < 0.96) {
      return classify(rng.pick(base), 'valid', MAX_DM_FRAME_BYTES, decode)
    }
    if (r < 0.965) {
      // an envelope over its limit in a frame within the frame limit: refused, the stream stays open
      const envelope = rng.bytes(rng.range(64 * 1024 + 1, MAX_DM_FRAME_BYTES - 4))
      return classify(DmRequest.encode({ envelope }), 'envelope-too-large', MAX_DM_FRAME_BYTES, decode, expect(['TOO_LARGE']))
    }
    return classify(new Uint8Array(0), 'empty', MAX_DM_FRAME_BYTES, decode, expect(['INVALID']))
  }, MAX_DM_FRAME_BYTES)
}

/** Mailbox frames: the same families over MailboxRequest, plus requests built field by field. */
export function mailboxFrames (corpus: Corpus, fuzzer: Uint8Array, limited: boolean): (rng: Rng) => Frame {
  const request = (r: Partial<MailboxRequest>): Uint8Array => MailboxRequest.encode({ type: MailboxRequest.Type.DEPOSIT, envelope: new Uint8Array(0), recipient: new Uint8Array(0), signature: new Uint8Array(0), limit: 0, ids: [], ...r })
  const base = [
    ...corpus.envelopes.map(e => request({ envelope: e.bytes })),
    request({ type: MailboxRequest.Type.CHALLENGE }),
    request({ type: MailboxRequest.Type.FETCH, recipient: fuzzer, signature: new Uint8Array(64), limit: 5 }),
    request({ type: MailboxRequest.Type.ACK, ids: [new Uint8Array(16), new Uint8Array(16).fill(1)] })
  ]
  const decode = (b: Uint8Array): unknown => MailboxRequest.decode(b, { limits: { ids: MAX_ACK_IDS } })
  const expect = (statuses: string[]): string[] => limited ? [...statuses, 'RATE_LIMITED'] : statuses
  return withFatalShare((rng) => {
    const r = rng.next()
    if (r < 0.45) {
      const content = mutateSparingly(rng, base, (c) => {
        const request = MailboxRequest.decode(c, { limits: { ids: MAX_ACK_IDS } })
        return request.type === MailboxRequest.Type.DEPOSIT ? request.envelope : undefined
      })
      return classify(content, 'mutated', MAX_MAILBOX_REQUEST_BYTES, decode)
    }
    if (r < 0.60) {
      const e = rng.pick(corpus.resigned)
      return classify(request({ envelope: e.bytes }), `deposit-resigned:${e.kind}`, MAX_MAILBOX_REQUEST_BYTES, decode, e.invalid ? expect(['INVALID']) : undefined)
    }
    if (r < 0.66) {
      return classify(randomProtobuf(rng), 'random-protobuf', MAX_MAILBOX_REQUEST_BYTES, decode)
    }
    if (r < 0.70) {
      return classify(rng.bytes(rng.length(4096)), 'garbage', MAX_MAILBOX_REQUEST_BYTES, decode)
    }
    if (r < 0.72) {
      // a type number outside the enum: undecodable
      return classify(concat([varint(8), varint(rng.range(4, 2 ** 31 - 1))]), 'unknown-type', MAX_MAILBOX_REQUEST_BYTES, decode)
    }
    if (r < 0.78) {
      // a fetch for a real peer with a signature over no challenge, or for a peer id that is not one
      return rng.chance(0.5)
        ? classify(request({ type: MailboxRequest.Type.FETCH, recipient: rng.pick(corpus.others).bytes, signature: rng.bytes(64), limit: rng.int(2 ** 32) }), 'fetch-unauthorized', MAX_MAILBOX_REQUEST_BYTES, decode, expect(['UNAUTHORIZED']))
        : classify(request({ type: MailboxRequest.Type.FETCH, recipient: rng.bytes(rng.length(64)), signature: rng.bytes(64) }), 'fetch-bad-recipient', MAX_MAILBOX_REQUEST_BYTES, decode)
    }
    if (r < 0.84) {
      // an ack before any fetch; over MAX_ACK_IDS ids it does not even decode
      const count = rng.chance(0.1) ? MAX_ACK_IDS + 1 + rng.int(100) : rng.int(64)
      const ids = Array.from({ length: count }, () => rng.bytes(rng.chance(0.9) ? 16 : rng.int(40)))
      return classify(request({ type: MailboxRequest.Type.ACK, ids }), 'ack-unauthorized', MAX_MAILBOX_REQUEST_BYTES, decode, expect(['UNAUTHORIZED']))
    }
    if (r < 0.90) {
      return classify(request({ type: MailboxRequest.Type.CHALLENGE }), 'challenge', MAX_MAILBOX_REQUEST_BYTES, decode, expect(['OK']))
    }
    if (r < 0.935) {
      return classify(rng.pick(base), 'valid', MAX_MAILBOX_REQUEST_BYTES, decode)
    }
    if (r < 0.94) {
      const envelope = rng.bytes(rng.range(64 * 1024 + 1, MAX_MAILBOX_REQUEST_BYTES - 8))
      return classify(request({ envelope }), 'envelope-too-large', MAX_MAILBOX_REQUEST_BYTES, decode, expect(['TOO_LARGE']))
    }
    return classify(new Uint8Array(0), 'empty', MAX_MAILBOX_REQUEST_BYTES, decode, expect(['INVALID']))
  }, MAX_MAILBOX_REQUEST_BYTES)
}

/** A presence input and what the validator must make of it. */
export interface PresenceInput {
  data: Uint8Array
  kind: string
  /** Certainly rejected by the validation rules. */
  invalid: boolean
}

/**
 * Presence inputs: mutated records, re-signed records with bad fields
 * (expired, from the future, too long a lifetime or note, forged, bad peer
 * id, bad signature), random protobuf, garbage and oversized records.
 * Re-signed records come from a pool made up front.
 */
export async function presenceInputs (rng: Rng): Promise<(rng: Rng) => PresenceInput> {
  const a = await signer(rng)
  const b = await signer(rng)
  const domain = new TextEncoder().encode('natter-presence-v1')
  const valid = [
    await signPresence(a.key, a.peer.bytes, { status: 'online', note: '', seq: 1n, issuedAt: Date.now(), expiresAt: Date.now() + 60_000 }),
    await signPresence(b.key, b.peer.bytes, { status: 'busy', note: 'in a meeting', seq: 7n, issuedAt: Date.now(), expiresAt: Date.now() + 300_000 })
  ]
  const resigned: PresenceInput[] = []
  for (let i = 0; i < RESIGNED; i++) {
    const now = Date.now()
    const record: PresenceRecord = { peerId: a.peer.bytes, status: PresenceRecord.Status.ONLINE, note: 'hi', seq: BigInt(now), issuedAt: BigInt(now), expiresAt: BigInt(now + 60_000) }
    let kind: string
    switch (rng.int(7)) {
      case 0: kind = 'expired'; record.issuedAt = BigInt(now - 120_000); record.expiresAt = BigInt(now - 1 - rng.int(60_000)); break
      case 1: kind = 'future'; record.issuedAt = BigInt(now + 120_000 + rng.int(1e9)); record.expiresAt = record.issuedAt + 1000n; break
      case 2: kind = 'lifetime'; record.expiresAt = rng.chance(0.5) ? record.issuedAt : record.issuedAt + BigInt(MAX_PRESENCE_TTL_MS + 1 + rng.int(1e9)); break
      case 3: kind = 'note-too-long'; record.note = 'é'.repeat(71 + rng.int(200)); break
      case 4: kind = 'forged'; record.peerId = b.peer.bytes; break
      case 5: kind = 'peer-id'; record.peerId = rng.chance(0.5) ? rng.bytes(rng.length(64)) : mutate(rng, record.peerId); break
      default: kind = 'bad-signature'
    }
    const bytes = PresenceRecord.encode(record)
    const signature = kind === 'bad-signature' ? rng.bytes(64) : await a.key.sign(concat([domain, bytes]))
    // a mutated peer id may still be the signer's (another check rejects non-canonical encodings)
    const invalid = kind !== 'peer-id' || namesOther(record.peerId, a.peer)
    resigned.push({ data: SignedPresence.encode({ record: bytes, signature }), kind: `resigned:${kind}`, invalid })
  }
  return (rng) => {
    const r = rng.next()
    if (r < 0.45) {
      return { data: mutate(rng, rng.pick(valid), rng.pick(valid)), kind: 'mutated', invalid: false }
    }
    if (r < 0.80) {
      return rng.pick(resigned)
    }
    if (r < 0.88) {
      return { data: randomProtobuf(rng), kind: 'random-protobuf', invalid: false }
    }
    if (r < 0.94) {
      return { data: rng.bytes(rng.length(2048)), kind: 'garbage', invalid: false }
    }
    return { data: concat([rng.pick(valid), varint(15 * 8 + 2), lengthPrefixed(rng.bytes(MAX_PRESENCE_BYTES))]), kind: 'oversized', invalid: true }
  }
}

/** `heapUsed` in MiB, garbage included. */
export function heapMB (): number {
  return process.memoryUsage().heapUsed / 1024 / 1024
}

let gc: (() => void) | undefined

/**
 * `heapUsed` in MiB after a full garbage collection: what is actually
 * retained. (`global.gc` needs `--expose-gc`; the flag can be set at run
 * time, and a new context then has `gc`.)
 */
export function retainedHeapMB (): number {
  if (gc == null) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
  return heapMB()
}

/** Prints a run's figures. */
export function reportFuzz (label: string, stats: FuzzStats): void {
  console.log(`${label}: ${stats.frames} frames on ${stats.streams} streams in ${stats.seconds.toFixed(1)} s = ${Math.round(stats.frames / stats.seconds)} frames/s; ` +
    `answered ${JSON.stringify(stats.statuses)}, answered then closed ${JSON.stringify(stats.closing)}, closed silently ${stats.ended}`)
}