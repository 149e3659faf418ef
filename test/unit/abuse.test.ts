import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_DIFFICULTY,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_RATE_LIMITS,
  InsufficientWorkError,
  InvalidStampError,
  RateLimitedError,
  StampExpiredError,
  StampNotYetValidError,
  StampReplayedError,
  createRateLimiter,
  createReplayCache,
  decodeStamp,
  encodeStamp,
  leadingZeroBits,
  mintStamp,
  stampDigest,
  stampPreimage,
  verifyStamp
} from '../../src/abuse/index.js'
import type { Stamp } from '../../src/abuse/index.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** Ed25519-style identity multihashes: 0x00 0x24, then the 36-byte key protobuf. */
const peer = (seed: number): Uint8Array =>
  new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...Array.from({ length: 32 }, (_, i) => (seed + i) & 0xff)])

const alice = peer(1)
const bob = peer(33)
const carol = peer(65)
const T0 = 1_700_000_000_000

/** Asserts that `fn` throws an error with the given name, and returns it. */
function catchNamed (fn: () => unknown, name: string): Error {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe(name)
    return err as Error
  }
  throw new Error(`expected ${name}, nothing was thrown`)
}

/** A fake clock: `clock.now()` returns `clock.t`. */
function fakeClock (t = T0): { t: number, now: () => number } {
  const clock = { t, now: () => clock.t }
  return clock
}

describe('proof-of-work stamps', () => {
  // Minted once; deterministic because nonces are tried in order from 0.
  const stampP = mintStamp({ sender: alice, recipient: bob, difficulty: 8, now: T0 })
  const opts = { sender: alice, recipient: bob, minDifficulty: 8, now: T0 }

  it('round-trips at 8 bits', async () => {
    const stamp = await stampP
    expect(stamp).toMatchObject({ version: 1, timestamp: T0, difficulty: 8 })
    const digest = verifyStamp(stamp, opts)
    expect(leadingZeroBits(digest)).toBeGreaterThanOrEqual(8)
    expect(hex(digest)).toBe(hex(stampDigest(stamp, alice, bob)))
  })

  it('round-trips through the 18-byte encoding', async () => {
    const stamp = await stampP
    const bytes = encodeStamp(stamp)
    expect(bytes.length).toBe(18)
    expect(decodeStamp(bytes)).toEqual(stamp)
    // a view into a larger buffer decodes the same
    const padded = new Uint8Array(30)
    padded.set(bytes, 7)
    expect(decodeStamp(padded.subarray(7, 25))).toEqual(stamp)
  })

  it('rejects malformed encodings', () => {
    catchNamed(() => decodeStamp(new Uint8Array(17)), 'InvalidStampError')
    catchNamed(() => decodeStamp(new Uint8Array(19)), 'InvalidStampError')
    const v2 = new Uint8Array(18)
    v2[0] = 2
    catchNamed(() => decodeStamp(v2), 'InvalidStampError')
    const hugeTime = new Uint8Array(18)
    hugeTime[0] = 1
    hugeTime.fill(0xff, 2, 10)
    catchNamed(() => decodeStamp(hugeTime), 'InvalidStampError')
  })

  it('rejects malformed stamps before hashing', async () => {
    const stamp = await stampP
    const bad: Array<Partial<Stamp>> = [
      { version: 2 },
      { timestamp: -1 },
      { timestamp: 1.5 },
      { nonce: -1n },
      { nonce: 1n << 64n },
      { difficulty: 256 },
      { difficulty: 8.5 }
    ]
    for (const patch of bad) {
      const err = catchNamed(() => verifyStamp({ ...stamp, ...patch }, opts), 'InvalidStampError')
      expect(err).toBeInstanceOf(InvalidStampError)
    }
  })

  it('rejects a stamp for another sender or recipient', async () => {
    const stamp = await stampP
    catchNamed(() => verifyStamp(stamp, { ...opts, sender: carol }), 'InvalidStampError')
    catchNamed(() => verifyStamp(stamp, { ...opts, recipient: carol }), 'InvalidStampError')
    catchNamed(() => verifyStamp(stamp, { ...opts, sender: bob, recipient: alice }), 'InvalidStampError')
  })

  it('rejects a stamp whose timestamp, nonce or claimed difficulty was altered', async () => {
    const stamp = await stampP
    catchNamed(() => verifyStamp({ ...stamp, timestamp: T0 + 1 }, opts), 'InvalidStampError')
    catchNamed(() => verifyStamp({ ...stamp, nonce: stamp.nonce + 1n }, opts), 'InvalidStampError')
    catchNamed(() => verifyStamp({ ...stamp, difficulty: 9 }, opts), 'InvalidStampError')
  })

  it('accepts the acceptance window inclusive and rejects outside it', async () => {
    const stamp = await stampP
    verifyStamp(stamp, { ...opts, now: T0 + DEFAULT_MAX_AGE_MS })
    verifyStamp(stamp, { ...opts, now: T0 - DEFAULT_MAX_FUTURE_MS })

    const expired = catchNamed(() => verifyStamp(stamp, { ...opts, now: T0 + DEFAULT_MAX_AGE_MS + 1 }), 'StampExpiredError')
    expect(expired).toBeInstanceOf(StampExpiredError)
    expect((expired as StampExpiredError).timestamp).toBe(T0)

    const future = catchNamed(() => verifyStamp(stamp, { ...opts, now: T0 - DEFAULT_MAX_FUTURE_MS - 1 }), 'StampNotYetValidError')
    expect(future).toBeInstanceOf(StampNotYetValidError)

    catchNamed(() => verifyStamp(stamp, { ...opts, now: T0 + 61_000, maxAgeMs: 60_000 }), 'StampExpiredError')
    catchNamed(() => verifyStamp(stamp, { ...opts, now: T0 - 1001, maxFutureMs: 1000 }), 'StampNotYetValidError')
  })

  it('rejects a stamp claiming less than the required difficulty', async () => {
    const stamp = await stampP
    const err = catchNamed(() => verifyStamp(stamp, { ...opts, minDifficulty: 9 }), 'InsufficientWorkError')
    expect(err).toBeInstanceOf(InsufficientWorkError)
    expect(err).toMatchObject({ difficulty: 8, required: 9 })
    // the default minimum is the default difficulty
    catchNamed(() => verifyStamp(stamp, { sender: alice, recipient: bob, now: T0 }), 'InsufficientWorkError')
    expect(DEFAULT_DIFFICULTY).toBeGreaterThan(8)
  })

  it('rejects a replayed stamp but not a fresh one', async () => {
    const stamp = await stampP
    const seen = createReplayCache()
    verifyStamp(stamp, { ...opts, replayCache: seen })
    const err = catchNamed(() => verifyStamp(stamp, { ...opts, now: T0 + 1000, replayCache: seen }), 'StampReplayedError')
    expect(err).toBeInstanceOf(StampReplayedError)

    const other = await mintStamp({ sender: alice, recipient: bob, difficulty: 8, now: T0 + 1 })
    verifyStamp(other, { ...opts, replayCache: seen })
    expect(seen.size).toBe(2)
  })

  it('does not record stamps that fail verification', async () => {
    const stamp = await stampP
    const seen = createReplayCache()
    catchNamed(() => verifyStamp(stamp, { ...opts, recipient: carol, replayCache: seen }), 'InvalidStampError')
    catchNamed(() => verifyStamp(stamp, { ...opts, minDifficulty: 9, replayCache: seen }), 'InsufficientWorkError')
    expect(seen.size).toBe(0)
    verifyStamp(stamp, { ...opts, replayCache: seen })
  })

  it('aborts minting when the signal fires', async () => {
    // already aborted: rejects before hashing
    const reason = new Error('stop')
    await expect(mintStamp({ sender: alice, recipient: bob, difficulty: 64, signal: AbortSignal.abort(reason) }))
      .rejects.toBe(reason)

    // aborted while searching: the abort runs in the first yield to the event loop
    const controller = new AbortController()
    const minting = mintStamp({ sender: alice, recipient: bob, difficulty: 64, signal: controller.signal, yieldEvery: 256 })
    setImmediate(() => { controller.abort() })
    await expect(minting).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('validates mint options', async () => {
    await expect(mintStamp({ sender: alice, recipient: bob, difficulty: 256 })).rejects.toBeInstanceOf(RangeError)
    await expect(mintStamp({ sender: alice, recipient: bob, difficulty: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(mintStamp({ sender: new Uint8Array(0), recipient: bob, difficulty: 1 })).rejects.toBeInstanceOf(TypeError)
    await expect(mintStamp({ sender: alice, recipient: bob, difficulty: 1, yieldEvery: 0 })).rejects.toBeInstanceOf(RangeError)
  })

  it('counts leading zero bits most significant bit first', () => {
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0)
    expect(leadingZeroBits(new Uint8Array([0x01]))).toBe(7)
    expect(leadingZeroBits(new Uint8Array([0x00, 0x0f]))).toBe(12)
    expect(leadingZeroBits(new Uint8Array([0x00, 0x00, 0x40]))).toBe(17)
    expect(leadingZeroBits(new Uint8Array(32))).toBe(256)
  })
})

describe('proof-of-work test vectors (test/vectors/pow-v1.json)', () => {
  interface Vector {
    description: string
    sender: string
    recipient: string
    timestamp: number
    difficulty: number
    nonce: string
    encoded: string
    preimage: string
    digest: string
    leadingZeroBits: number
  }
  const file = JSON.parse(readFileSync(new URL('../vectors/pow-v1.json', import.meta.url), 'utf8')) as { vectors: Vector[] }

  it('has vectors', () => {
    expect(file.vectors.length).toBeGreaterThan(0)
  })

  for (const v of file.vectors) {
    it(v.description, async () => {
      const sender = unhex(v.sender)
      const recipient = unhex(v.recipient)
      const stamp: Stamp = { version: 1, timestamp: v.timestamp, nonce: BigInt(v.nonce), difficulty: v.difficulty }

      expect(hex(stampPreimage(stamp, sender, recipient))).toBe(v.preimage)
      expect(hex(stampDigest(stamp, sender, recipient))).toBe(v.digest)
      expect(leadingZeroBits(unhex(v.digest))).toBe(v.leadingZeroBits)
      expect(hex(encodeStamp(stamp))).toBe(v.encoded)
      expect(decodeStamp(unhex(v.encoded))).toEqual(stamp)
      expect(hex(verifyStamp(stamp, { sender, recipient, minDifficulty: v.difficulty, now: v.timestamp }))).toBe(v.digest)

      // The vector's nonce is the smallest that works, so minting finds it.
      // (Skipped for vectors too costly to re-mint in a unit test.)
      if (BigInt(v.nonce) < 500_000n) {
        const minted = await mintStamp({ sender, recipient, difficulty: v.difficulty, now: v.timestamp })
        expect(minted).toEqual(stamp)
      }
    })
  }
})

describe('replay cache', () => {
  const key = (n: number): Uint8Array => new Uint8Array(32).fill(n & 0xff).map((b, i) => i === 0 ? n >> 8 : b)

  it('remembers a key until it expires', () => {
    const seen = createReplayCache()
    expect(seen.add(key(1), T0 + 100, T0)).toBe(true)
    expect(seen.add(key(1), T0 + 100, T0 + 50)).toBe(false)
    expect(seen.has(key(1), T0 + 100)).toBe(true)
    expect(seen.has(key(1), T0 + 101)).toBe(false)
    expect(seen.add(key(1), T0 + 300, T0 + 101)).toBe(true)
  })

  it('does not store a key that has already expired', () => {
    const seen = createReplayCache()
    expect(seen.add(key(1), T0 - 1, T0)).toBe(true)
    expect(seen.size).toBe(0)
  })

  it('is bounded, dropping the entry closest to expiry first', () => {
    const seen = createReplayCache({ maxEntries: 100 })
    // expiries in scrambled order
    for (let i = 0; i < 1000; i++) seen.add(key(i), T0 + 1_000_000 + ((i * 7919) % 1000), T0)
    expect(seen.size).toBe(100)
    // the 100 latest-expiring keys survive
    let kept = 0
    for (let i = 0; i < 1000; i++) {
      if (seen.has(key(i), T0)) {
        kept++
        expect((i * 7919) % 1000).toBeGreaterThanOrEqual(900)
      }
    }
    expect(kept).toBe(100)
  })

  it('drops expired entries as time passes', () => {
    const seen = createReplayCache()
    for (let i = 0; i < 50; i++) seen.add(key(i), T0 + i, T0)
    seen.add(key(999), T0 + 1000, T0 + 25)
    expect(seen.size).toBe(26) // expiries T0+25..T0+49, plus the new key
    seen.clear()
    expect(seen.size).toBe(0)
  })
})

describe('rate limiter', () => {
  it('allows the burst, then refuses', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ now: clock.now })
    const burst = DEFAULT_RATE_LIMITS.dm.stranger.burst
    for (let i = 0; i < burst; i++) expect(limiter.tryConsume('p1', 'dm')).toBe(true)
    expect(limiter.tryConsume('p1', 'dm')).toBe(false)
  })

  it('consume throws RateLimitedError with retryAfterMs, and a retry after that long succeeds', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ now: clock.now, limits: { dm: { stranger: { rate: 1 / 30, burst: 1 } } } })
    limiter.consume('p1', 'dm')
    const err = catchNamed(() => { limiter.consume('p1', 'dm') }, 'RateLimitedError')
    expect(err).toBeInstanceOf(RateLimitedError)
    expect(err).toMatchObject({ retryAfterMs: 30_000, peerId: 'p1', kind: 'dm' })

    clock.t += 29_999
    expect(limiter.tryConsume('p1', 'dm')).toBe(false)
    clock.t += 1
    limiter.consume('p1', 'dm')
  })

  it('refills over time up to the burst and no further', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ now: clock.now, limits: { chat: { stranger: { rate: 2, burst: 4 } } } })
    for (let i = 0; i < 4; i++) expect(limiter.tryConsume('p1', 'chat')).toBe(true)
    expect(limiter.tryConsume('p1', 'chat')).toBe(false)
    clock.t += 500 // one token
    expect(limiter.tryConsume('p1', 'chat')).toBe(true)
    expect(limiter.tryConsume('p1', 'chat')).toBe(false)
    clock.t += 86_400_000
    for (let i = 0; i < 4; i++) expect(limiter.tryConsume('p1', 'chat')).toBe(true)
    expect(limiter.tryConsume('p1', 'chat')).toBe(false)
  })

  it('is stricter for strangers than for contacts', () => {
    for (const kind of ['dm', 'mailbox', 'presence', 'something-else']) {
      const limiter = createRateLimiter({ now: fakeClock().now })
      const contact = limiter.ruleFor(kind, true)
      const stranger = limiter.ruleFor(kind, false)
      expect(stranger.rate).toBeLessThan(contact.rate)
      expect(stranger.burst).toBeLessThan(contact.burst)

      let strangerAllowed = 0
      let contactAllowed = 0
      for (let i = 0; i < contact.burst + 10; i++) {
        if (limiter.tryConsume('stranger', kind)) strangerAllowed++
        if (limiter.tryConsume('contact', kind, { isContact: true })) contactAllowed++
      }
      expect(strangerAllowed).toBe(stranger.burst)
      expect(contactAllowed).toBe(contact.burst)
    }
  })

  it('keeps separate buckets per peer and per kind', () => {
    const limiter = createRateLimiter({ now: fakeClock().now, fallback: { stranger: { rate: 0, burst: 1 } } })
    expect(limiter.tryConsume('p1', 'a')).toBe(true)
    expect(limiter.tryConsume('p1', 'a')).toBe(false)
    expect(limiter.tryConsume('p1', 'b')).toBe(true)
    expect(limiter.tryConsume('p2', 'a')).toBe(true)
    // rate 0: never again
    const err = catchNamed(() => { limiter.consume('p1', 'a') }, 'RateLimitedError')
    expect((err as RateLimitedError).retryAfterMs).toBe(Infinity)
  })

  it('resolves configured rules field by field over the defaults', () => {
    const limiter = createRateLimiter({
      limits: { dm: { stranger: { rate: 0.5, burst: 1 } }, custom: { contact: { rate: 9, burst: 9 } } },
      fallback: { contact: { rate: 3, burst: 3 } }
    })
    expect(limiter.ruleFor('dm', false)).toEqual({ rate: 0.5, burst: 1 })
    expect(limiter.ruleFor('dm', true)).toEqual(DEFAULT_RATE_LIMITS.dm.contact)
    expect(limiter.ruleFor('custom', true)).toEqual({ rate: 9, burst: 9 })
    expect(limiter.ruleFor('custom', false)).toEqual({ rate: 0.1, burst: 2 })
    expect(limiter.ruleFor('unknown', true)).toEqual({ rate: 3, burst: 3 })
    expect(() => createRateLimiter({ limits: { dm: { contact: { rate: -1, burst: 1 } } } })).toThrow(RangeError)
    expect(() => createRateLimiter({ maxPeers: 0 })).toThrow(RangeError)
  })

  it('charges the given cost', () => {
    const limiter = createRateLimiter({ now: fakeClock().now, limits: { bulk: { stranger: { rate: 1, burst: 10 } } } })
    expect(limiter.tryConsume('p1', 'bulk', { cost: 7 })).toBe(true)
    expect(limiter.tryConsume('p1', 'bulk', { cost: 4 })).toBe(false)
    expect(limiter.tryConsume('p1', 'bulk', { cost: 3 })).toBe(true)
    const err = catchNamed(() => { limiter.consume('p1', 'bulk', { cost: 11 }) }, 'RateLimitedError')
    expect((err as RateLimitedError).retryAfterMs).toBe(Infinity)
  })

  it('gives nothing back when the clock goes backwards', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ now: clock.now, limits: { x: { stranger: { rate: 1, burst: 1 } } } })
    expect(limiter.tryConsume('p1', 'x')).toBe(true)
    clock.t -= 60_000
    expect(limiter.tryConsume('p1', 'x')).toBe(false)
    clock.t += 1000
    expect(limiter.tryConsume('p1', 'x')).toBe(true)
  })

  it('stays bounded when 100k distinct peers hit it, keeping the most recent', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ now: clock.now, maxPeers: 1000 })
    let largest = 0
    for (let i = 0; i < 100_000; i++) {
      limiter.tryConsume(`peer-${i}`, 'dm')
      largest = Math.max(largest, limiter.size)
    }
    expect(largest).toBe(1000)
    expect(limiter.size).toBe(1000)
    // the most recent peer's bucket was kept: it has spent one token of its burst
    const burst = DEFAULT_RATE_LIMITS.dm.stranger.burst
    for (let i = 1; i < burst; i++) expect(limiter.tryConsume('peer-99999', 'dm')).toBe(true)
    expect(limiter.tryConsume('peer-99999', 'dm')).toBe(false)
  })

  it('evicts the least recently seen peer', () => {
    const limiter = createRateLimiter({ now: fakeClock().now, maxPeers: 3, fallback: { stranger: { rate: 0, burst: 1 } } })
    for (const p of ['a', 'b', 'c']) expect(limiter.tryConsume(p, 'x')).toBe(true)
    expect(limiter.tryConsume('a', 'x')).toBe(false) // a is now the most recent
    expect(limiter.tryConsume('d', 'x')).toBe(true) // evicts b
    expect(limiter.tryConsume('a', 'x')).toBe(false) // a kept its empty bucket
    expect(limiter.tryConsume('b', 'x')).toBe(true) // b starts afresh (evicting c)
    expect(limiter.tryConsume('d', 'x')).toBe(false)
    expect(limiter.tryConsume('c', 'x')).toBe(true)
    expect(limiter.size).toBe(3)
  })

  it('uses a bounded default capacity', () => {
    const limiter = createRateLimiter({ now: fakeClock().now })
    for (let i = 0; i < 100_000; i++) limiter.tryConsume(`peer-${i}`, 'presence')
    expect(limiter.size).toBe(10_000)
  })

  it('prunes buckets that have refilled, and forgets peers on reset', () => {
    const clock = fakeClock()
    const limiter = createRateLimiter({ now: clock.now })
    limiter.tryConsume('idle', 'dm')
    // long enough for the slowest rule to refill the largest burst (1 per 30 s up to 10 000)
    clock.t += 7 * 24 * 3_600_000
    limiter.tryConsume('busy', 'dm')
    expect(limiter.prune()).toBe(1)
    expect(limiter.size).toBe(1)
    limiter.reset('busy')
    expect(limiter.size).toBe(0)
    limiter.tryConsume('busy', 'dm')
    limiter.clear()
    expect(limiter.size).toBe(0)
  })
})
