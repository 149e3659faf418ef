/**
 * Hashcash-style proof-of-work stamps over SHA-256, bound to a sender, a
 * recipient and a time. A stranger attaches one to a first message so that
 * unsolicited mail costs CPU time. Normative description: PROTOCOL.md §8.
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js'
import {
  InsufficientWorkError,
  InvalidStampError,
  StampExpiredError,
  StampNotYetValidError,
  StampReplayedError
} from './errors.js'
import type { ReplayCache } from './replay-cache.js'

import { STAMP_VERSION, STAMP_DOMAIN, STAMP_ENCODED_LENGTH, DEFAULT_DIFFICULTY, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_MS, DEFAULT_YIELD_EVERY } from './constants.js'

export { STAMP_VERSION, STAMP_DOMAIN, STAMP_ENCODED_LENGTH, DEFAULT_DIFFICULTY, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_MS, DEFAULT_YIELD_EVERY } from './constants.js'

/** Largest difficulty the encoding can express. */
const MAX_DIFFICULTY = 255
const MAX_ID_LENGTH = 0xffff
const MAX_NONCE = (1n << 64n) - 1n
const TWO_32 = 2 ** 32
const DOMAIN_BYTES = new TextEncoder().encode(STAMP_DOMAIN)

/** A proof-of-work stamp. */
export interface Stamp {
  /** Stamp format version; only {@link STAMP_VERSION} (1) is valid. */
  version: number
  /** When the stamp was minted, ms since the Unix epoch (sender's clock), a safe integer ≥ 0. */
  timestamp: number
  /** The value found by the minter, 0 ≤ nonce < 2^64. */
  nonce: bigint
  /** The work claimed: leading zero bits of the digest, 0–255. */
  difficulty: number
}

/** Options for {@link mintStamp}. */
export interface MintStampOptions {
  /** The sender's peer id, as multihash bytes. */
  sender: Uint8Array
  /** The recipient's peer id, as multihash bytes. */
  recipient: Uint8Array
  /**
   * Leading zero bits to find. Each extra bit doubles the expected work.
   *
   * @default DEFAULT_DIFFICULTY (20)
   */
  difficulty?: number
  /**
   * The stamp's timestamp, ms since the Unix epoch.
   *
   * @default Date.now()
   */
  now?: number
  /** Aborts the search; the returned promise rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Hashes computed between yields to the event loop.
   *
   * @default DEFAULT_YIELD_EVERY (4096)
   */
  yieldEvery?: number
}

/** Options for {@link verifyStamp}. */
export interface VerifyStampOptions {
  /** The peer id (multihash bytes) the message claims to come from, already authenticated. */
  sender: Uint8Array
  /** This node's peer id (multihash bytes). */
  recipient: Uint8Array
  /**
   * Least difficulty accepted.
   *
   * @default DEFAULT_DIFFICULTY (20)
   */
  minDifficulty?: number
  /**
   * The verifier's clock, ms since the Unix epoch.
   *
   * @default Date.now()
   */
  now?: number
  /**
   * Oldest stamp accepted: the timestamp must be ≥ `now - maxAgeMs`.
   *
   * @default DEFAULT_MAX_AGE_MS (24 h)
   */
  maxAgeMs?: number
  /**
   * Clock skew tolerated: the timestamp must be ≤ `now + maxFutureMs`.
   *
   * @default DEFAULT_MAX_FUTURE_MS (5 min)
   */
  maxFutureMs?: number
  /**
   * Where accepted stamps are recorded. When given, a stamp that was already
   * accepted throws {@link StampReplayedError}; it is recorded only once all
   * other checks pass.
   *
   * @default undefined (no replay check)
   */
  replayCache?: ReplayCache
}

function assertPeerId (bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_ID_LENGTH) {
    throw new TypeError(`${what} must be 1–${MAX_ID_LENGTH} bytes of peer id multihash`)
  }
}

function isValidDifficulty (d: unknown): d is number {
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_DIFFICULTY
}

/** Writes a safe non-negative integer as u64 big-endian. */
function setU64 (view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / TWO_32))
  view.setUint32(offset + 4, value % TWO_32)
}

/**
 * Builds the hash input minus the trailing 8-byte nonce:
 * `"natter-pow-v1" || difficulty u8 || u16be(len s) || s || u16be(len r) || r || timestamp u64be`.
 */
function preimagePrefix (sender: Uint8Array, recipient: Uint8Array, timestamp: number, difficulty: number): Uint8Array {
  const out = new Uint8Array(DOMAIN_BYTES.length + 1 + 2 + sender.length + 2 + recipient.length + 8)
  const view = new DataView(out.buffer)
  let o = 0
  out.set(DOMAIN_BYTES, o); o += DOMAIN_BYTES.length
  view.setUint8(o, difficulty); o += 1
  view.setUint16(o, sender.length); o += 2
  out.set(sender, o); o += sender.length
  view.setUint16(o, recipient.length); o += 2
  out.set(recipient, o); o += recipient.length
  setU64(view, o, timestamp)
  return out
}

/**
 * The exact bytes hashed for a stamp (PROTOCOL.md §8.2), exposed for test vectors
 * and other implementations:
 *
 * ```
 * "natter-pow-v1" (13 B) || difficulty (u8) || len(sender) (u16 BE) || sender
 *   || len(recipient) (u16 BE) || recipient || timestamp (u64 BE) || nonce (u64 BE)
 * ```
 *
 * @throws TypeError if the peer ids are empty or over 65535 bytes
 * @throws {@link InvalidStampError} if a stamp field is out of range
 */
export function stampPreimage (stamp: Stamp, sender: Uint8Array, recipient: Uint8Array): Uint8Array {
  assertPeerId(sender, 'sender')
  assertPeerId(recipient, 'recipient')
  assertWellFormed(stamp)
  const prefix = preimagePrefix(sender, recipient, stamp.timestamp, stamp.difficulty)
  const out = new Uint8Array(prefix.length + 8)
  out.set(prefix)
  new DataView(out.buffer).setBigUint64(prefix.length, stamp.nonce)
  return out
}

/** SHA-256 of {@link stampPreimage}. */
export function stampDigest (stamp: Stamp, sender: Uint8Array, recipient: Uint8Array): Uint8Array {
  return sha256(stampPreimage(stamp, sender, recipient))
}

/**
 * Counts the leading zero bits of `digest`, reading bytes in order and each
 * byte from its most significant bit (big-endian bit order).
 */
export function leadingZeroBits (digest: Uint8Array): number {
  let bits = 0
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24
    bits += 8
  }
  return bits
}

/** Whether `digest` starts with at least `difficulty` zero bits; cheaper than counting. */
function meetsDifficulty (digest: Uint8Array, difficulty: number): boolean {
  const whole = difficulty >> 3
  for (let i = 0; i < whole; i++) {
    if (digest[i] !== 0) return false
  }
  const rest = difficulty & 7
  return rest === 0 || ((digest[whole] as number) >> (8 - rest)) === 0
}

function assertWellFormed (stamp: Stamp): void {
  if (stamp == null || typeof stamp !== 'object') {
    throw new InvalidStampError('stamp must be an object')
  }
  if (stamp.version !== STAMP_VERSION) {
    throw new InvalidStampError(`unsupported stamp version ${String(stamp.version)}`)
  }
  if (typeof stamp.timestamp !== 'number' || !Number.isSafeInteger(stamp.timestamp) || stamp.timestamp < 0) {
    throw new InvalidStampError('stamp timestamp must be a safe integer ≥ 0')
  }
  if (typeof stamp.nonce !== 'bigint' || stamp.nonce < 0n || stamp.nonce > MAX_NONCE) {
    throw new InvalidStampError('stamp nonce must be a bigint in [0, 2^64)')
  }
  if (!isValidDifficulty(stamp.difficulty)) {
    throw new InvalidStampError(`stamp difficulty must be an integer in [0, ${MAX_DIFFICULTY}]`)
  }
}

const yieldToEventLoop = async (): Promise<void> => {
  await new Promise<void>(resolve => {
    // setImmediate where available: setTimeout's 1 ms clamp would cost a
    // noticeable share of the hashing time.
    if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(resolve)
    else setTimeout(resolve, 0)
  })
}

/**
 * Searches for a stamp whose digest has `difficulty` leading zero bits.
 * Nonces are tried in order from 0, so the result is deterministic for given
 * inputs. The search yields to the event loop every `yieldEvery` hashes and
 * stops when `signal` aborts.
 *
 * Expected cost is 2^difficulty hashes (about 0.95 s at the default 20 bits on
 * the reference machine); pass `signal` (e.g. `AbortSignal.timeout(30_000)`) to
 * bound it.
 *
 * @example
 * ```ts
 * const stamp = await mintStamp({ sender: me.toMultihash().bytes, recipient: them.toMultihash().bytes })
 * envelope.stamp = encodeStamp(stamp)
 * ```
 *
 * @throws TypeError / RangeError on invalid options
 * @throws the signal's reason (an `AbortError` by default) if aborted
 */
export async function mintStamp (options: MintStampOptions): Promise<Stamp> {
  const { sender, recipient, signal } = options
  const difficulty = options.difficulty ?? DEFAULT_DIFFICULTY
  const timestamp = options.now ?? Date.now()
  const yieldEvery = options.yieldEvery ?? DEFAULT_YIELD_EVERY
  assertPeerId(sender, 'sender')
  assertPeerId(recipient, 'recipient')
  if (!isValidDifficulty(difficulty)) {
    throw new RangeError(`difficulty must be an integer in [0, ${MAX_DIFFICULTY}], got ${difficulty}`)
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`now must be a safe integer ≥ 0, got ${timestamp}`)
  }
  if (!Number.isSafeInteger(yieldEvery) || yieldEvery < 1) {
    throw new RangeError(`yieldEvery must be a positive integer, got ${yieldEvery}`)
  }
  signal?.throwIfAborted()

  // Everything before the nonce is constant: hash it once and restart each
  // attempt from that midstate, so an attempt costs one compression for
  // typical (≤ 39-byte) peer ids instead of two.
  const base = sha256.create().update(preimagePrefix(sender, recipient, timestamp, difficulty))
  const attempt = sha256.create()
  const nonceBytes = new Uint8Array(8)
  const nonceView = new DataView(nonceBytes.buffer)
  const digest = new Uint8Array(32)
  let hi = 0
  let lo = 0

  for (;;) {
    for (let i = 0; i < yieldEvery; i++) {
      nonceView.setUint32(0, hi)
      nonceView.setUint32(4, lo)
      base._cloneInto(attempt)
      attempt.update(nonceBytes)
      attempt.digestInto(digest)
      if (meetsDifficulty(digest, difficulty)) {
        return { version: STAMP_VERSION, timestamp, nonce: (BigInt(hi) << 32n) | BigInt(lo), difficulty }
      }
      if (lo === 0xffffffff) {
        lo = 0
        hi++
        if (hi === TWO_32) throw new RangeError('nonce space exhausted')
      } else {
        lo++
      }
    }
    await yieldToEventLoop()
    signal?.throwIfAborted()
  }
}

/**
 * Checks a stamp for a message from `sender` to `recipient`, in this order
 * (cheap checks first): well-formed, inside the acceptance window, claims at
 * least `minDifficulty`, digest carries the claimed work, not seen before (if
 * a `replayCache` is given; the stamp is then recorded).
 *
 * @example
 * ```ts
 * const seen = createReplayCache()
 * verifyStamp(decodeStamp(envelope.stamp), { sender, recipient: self, replayCache: seen })
 * ```
 *
 * @returns the stamp's SHA-256 digest
 * @throws {@link InvalidStampError} malformed, or the digest lacks the claimed work (including a stamp minted for another sender, recipient or time)
 * @throws {@link StampExpiredError} timestamp before `now - maxAgeMs`
 * @throws {@link StampNotYetValidError} timestamp after `now + maxFutureMs`
 * @throws {@link InsufficientWorkError} claimed difficulty below `minDifficulty`
 * @throws {@link StampReplayedError} already accepted once (only with `replayCache`)
 */
export function verifyStamp (stamp: Stamp, options: VerifyStampOptions): Uint8Array {
  const { sender, recipient, replayCache } = options
  const minDifficulty = options.minDifficulty ?? DEFAULT_DIFFICULTY
  const now = options.now ?? Date.now()
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS
  assertPeerId(sender, 'sender')
  assertPeerId(recipient, 'recipient')
  assertWellFormed(stamp)

  if (stamp.timestamp < now - maxAgeMs) {
    throw new StampExpiredError(`stamp from ${stamp.timestamp} is older than ${maxAgeMs} ms`, stamp.timestamp, now)
  }
  if (stamp.timestamp > now + maxFutureMs) {
    throw new StampNotYetValidError(`stamp from ${stamp.timestamp} is more than ${maxFutureMs} ms in the future`, stamp.timestamp, now)
  }
  if (stamp.difficulty < minDifficulty) {
    throw new InsufficientWorkError(`stamp claims ${stamp.difficulty} bits of work, ${minDifficulty} required`, stamp.difficulty, minDifficulty)
  }
  const digest = stampDigest(stamp, sender, recipient)
  if (!meetsDifficulty(digest, stamp.difficulty)) {
    throw new InvalidStampError('stamp digest does not carry the claimed work (wrong sender, recipient or forged)')
  }
  if (replayCache != null && !replayCache.add(digest, stamp.timestamp + maxAgeMs, now)) {
    throw new StampReplayedError('stamp was already used')
  }
  return digest
}

/**
 * Encodes a stamp as its fixed 18-byte wire form (PROTOCOL.md §8.1):
 * `version u8 || difficulty u8 || timestamp u64 BE || nonce u64 BE`.
 *
 * @throws {@link InvalidStampError} if a field is out of range
 */
export function encodeStamp (stamp: Stamp): Uint8Array {
  assertWellFormed(stamp)
  const out = new Uint8Array(STAMP_ENCODED_LENGTH)
  const view = new DataView(out.buffer)
  view.setUint8(0, stamp.version)
  view.setUint8(1, stamp.difficulty)
  setU64(view, 2, stamp.timestamp)
  view.setBigUint64(10, stamp.nonce)
  return out
}

/**
 * Decodes the 18-byte wire form made by {@link encodeStamp}.
 *
 * @throws {@link InvalidStampError} on a wrong length, an unknown version or a timestamp above 2^53 − 1
 */
export function decodeStamp (bytes: Uint8Array): Stamp {
  if (!(bytes instanceof Uint8Array) || bytes.length !== STAMP_ENCODED_LENGTH) {
    throw new InvalidStampError(`an encoded stamp is ${STAMP_ENCODED_LENGTH} bytes`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const timestamp = view.getBigUint64(2)
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidStampError('stamp timestamp out of range')
  }
  const stamp: Stamp = {
    version: view.getUint8(0),
    difficulty: view.getUint8(1),
    timestamp: Number(timestamp),
    nonce: view.getBigUint64(10)
  }
  assertWellFormed(stamp)
  return stamp
}
