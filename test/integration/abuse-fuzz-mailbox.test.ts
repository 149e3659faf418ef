/**
 * Seeded fuzzing of the `/natter/mailbox/1.0.0` handler over real loopback
 * TCP: mutated requests, deposits of re-signed envelopes, fetches and acks
 * without authority, unknown request types, random protobuf, garbage,
 * oversized frames and broken framing, pipelined on long-lived streams. The
 * node must answer every request it can parse and end only the streams it
 * must, stay up with bounded memory, keep holding and handing over mail for
 * other peers while it is fuzzed, and lose nothing it held.
 *
 * Replay with `FUZZ_SEED=<printed seed>`; `FUZZ_FRAMES` sets the frames
 * (default 100,000).
 */
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { MAILBOX_PROTOCOL, MailboxClient } from '../../src/mailbox/protocol.js'
import { DEFAULT_LIMIT_FRAMES, FUZZ_FRAMES, Rng, UNLIMITED, buildCorpus, fuzzSeed, heapMB, retainedHeapMB, mailboxFrames, mailboxProtocol, rawPeerFactory, reportFuzz, runFuzz, signer } from '../helpers/fuzz.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { RawPeer } from '../helpers/fuzz.js'
import type { IncomingMessage } from '../../src/index.js'
import { payer } from '../helpers/mailbox.js'

const text = (t: string): Payload => ({ type: Payload.Type.TEXT, text: t, seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

describe('fuzzing the mailbox handler', () => {
  const nodes = nodeFactory({ sendTimeoutMs: 3000, retryInitialMs: 200, retryMaxMs: 2000 })
  const raws = rawPeerFactory()
  afterEach(async () => {
    await raws.cleanup()
    await nodes.cleanup()
  })

  /** Fetches everything `who` holds at the mailbox `at` for it, acknowledging it. */
  async function fetchAll (who: RawPeer, at: { addresses: string[], peerId: string }): Promise<Uint8Array[]> {
    const client = new MailboxClient(await who.libp2p.dialProtocol(multiaddr(at.addresses[0]!), MAILBOX_PROTOCOL), payer(who, at))
    const got: Uint8Array[] = []
    try {
      await client.fetchAll(who.key, who.bytes, parsePeerId(at.peerId).bytes, async (envelopes) => {
        got.push(...envelopes)
        return []
      })
    } finally {
      await client.close()
    }
    return got
  }

  it(`takes ${FUZZ_FRAMES} mutated frames while other peers leave and collect mail through it, losing nothing`, async () => {
    const rng = new Rng(fuzzSeed('abuse-fuzz-mailbox'))
    const target = await nodes.create({ rateLimits: { mailbox: UNLIMITED } })

    // what the target holds before: envelopes deposited for an offline recipient
    const depositor = await raws.create()
    const recipient = await raws.create()
    const held: Uint8Array[] = []
    const client = new MailboxClient(await depositor.libp2p.dialProtocol(multiaddr(target.addresses[0]!), MAILBOX_PROTOCOL), payer(depositor, target))
    for (let i = 0; i < 5; i++) {
      const sealed = await sealEnvelope({ senderKey: depositor.key, sender: depositor.bytes, recipient: parsePeerId(recipient.libp2p.peerId.toString()), payload: text(`held ${i}`) })
      await client.deposit(sealed.bytes)
      held.push(sealed.bytes)
    }
    await client.close()

    // y exists (has an identity, knows x), then goes offline; x will leave it a message at the target mid-fuzz
    const yDir = await nodes.tempDir()
    const yFirst = await nodes.create({ dataDir: yDir })
    const yId = yFirst.peerId
    await yFirst.stop()
    const x = await nodes.create({ bootstrap: [target.addresses[0]!] })
    await x.contacts.add('y', yId)
    await pWaitFor(() => x.connectedPeers.includes(target.peerId), { timeout: 10_000 })

    const fuzzer = await raws.create()
    const connection = await fuzzer.libp2p.dial(multiaddr(target.addresses[0]!))
    const corpus = await buildCorpus(rng, parsePeerId(target.peerId), await signer(rng))

    let progress = 0
    const heapBefore = retainedHeapMB()
    let heapPeak = heapMB()
    const during = (async () => {
      await pWaitFor(() => progress >= FUZZ_FRAMES / 5, { timeout: 600_000, interval: 50 })
      const queued = await x.send(yId, 'left with the target while it is fuzzed', { wait: 'queued' })
      await pWaitFor(() => x.messages.get(queued.id)?.state === 'sent', { timeout: 30_000 })
      // x goes away (so it cannot deliver directly); y comes online through the target and collects its mail there
      await x.stop()
      const y = await nodes.create({ dataDir: yDir, bootstrap: [target.addresses[0]!] })
      const received: IncomingMessage[] = []
      y.addEventListener('request', (e) => received.push(e.detail))
      y.addEventListener('message', (e) => received.push(e.detail))
      await pWaitFor(() => received.length > 0, { timeout: 30_000 })
      return { received: received.map(m => [m.id, m.text, m.via]), expected: queued.id, progress, y }
    })()

    const [stats, exchange] = await Promise.all([
      runFuzz({
        connection,
        protocol: mailboxProtocol,
        rng: rng.fork(),
        total: FUZZ_FRAMES,
        workers: 4,
        next: mailboxFrames(corpus, fuzzer.bytes, false),
        onProgress: (n) => { progress = n; heapPeak = Math.max(heapPeak, heapMB()) }
      }),
      during
    ])
    const heapAfter = retainedHeapMB()
    reportFuzz('mailbox', stats)
    console.log(`heap (whole process, after a full GC): ${heapBefore.toFixed(0)} MB before, ${heapAfter.toFixed(0)} MB after (${(heapAfter - heapBefore).toFixed(1)} MB); heapUsed peak ${heapPeak.toFixed(0)} MB with garbage; rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`)
    console.log(`the offline delivery through the target finished after ${exchange.progress} of ${FUZZ_FRAMES} frames`)

    expect(stats.frames).toBe(FUZZ_FRAMES)
    expect(stats.statuses.RATE_LIMITED ?? 0).toBe(0)
    expect(stats.statuses.INVALID).toBeGreaterThan(FUZZ_FRAMES / 10)
    expect(stats.statuses.UNAUTHORIZED).toBeGreaterThan(FUZZ_FRAMES / 50)
    // the mail left with the target mid-fuzz was handed over
    expect(exchange.received).toEqual([[exchange.expected, 'left with the target while it is fuzzed', 'mailbox']])
    expect(exchange.progress).toBeLessThan(FUZZ_FRAMES)
    // memory stays bounded: what is retained, and what is in use at any time
    expect(heapAfter - heapBefore).toBeLessThan(150)
    expect(heapPeak - heapBefore).toBeLessThan(400)

    // still up, and still holding every envelope it held before
    const got = await fetchAll(recipient, target)
    expect(got.map(e => Buffer.from(e).toString('hex')).sort()).toEqual(held.map(e => Buffer.from(e).toString('hex')).sort())
    await exchange.y.ping(target.peerId)
  }, 600_000)

  it(`with the default rate limits, a stranger's ${DEFAULT_LIMIT_FRAMES} requests are throttled and other peers are not`, async () => {
    const rng = new Rng(fuzzSeed('abuse-fuzz-mailbox default limits'))
    const target = await nodes.create()
    const fuzzer = await raws.create()
    const connection = await fuzzer.libp2p.dial(multiaddr(target.addresses[0]!))
    const corpus = await buildCorpus(rng, parsePeerId(target.peerId), await signer(rng))
    const depositor = await raws.create()
    const recipient = await raws.create()
    const started = performance.now()
    const [stats, deposited] = await Promise.all([
      runFuzz({ connection, protocol: mailboxProtocol, rng: rng.fork(), total: DEFAULT_LIMIT_FRAMES, workers: 4, next: mailboxFrames(corpus, fuzzer.bytes, true) }),
      (async () => {
        // another stranger deposits within its own burst, unaffected by the fuzzer's
        const client = new MailboxClient(await depositor.libp2p.dialProtocol(multiaddr(target.addresses[0]!), MAILBOX_PROTOCOL), payer(depositor, target))
        const sent: string[] = []
        for (let i = 0; i < 20; i++) {
          const sealed = await sealEnvelope({ senderKey: depositor.key, sender: depositor.bytes, recipient: parsePeerId(recipient.libp2p.peerId.toString()), payload: text(`deposit ${i}`) })
          await client.deposit(sealed.bytes)
          sent.push(Buffer.from(sealed.bytes).toString('hex'))
        }
        await client.close()
        return sent
      })()
    ])
    const elapsedS = (performance.now() - started) / 1000
    reportFuzz('mailbox (default limits)', stats)
    // every request the handler could parse met the rate limiter first: past
    // the stranger's burst (100) only the refill (10 per s) got through
    const passed = Object.entries(stats.statuses).reduce((n, [status, count]) => status === 'RATE_LIMITED' ? n : n + count, 0)
    expect(passed).toBeLessThanOrEqual(100 + Math.ceil(elapsedS * 10))
    expect(stats.statuses.RATE_LIMITED).toBeGreaterThan(DEFAULT_LIMIT_FRAMES / 2)
    const got = await fetchAll(recipient, target)
    expect(got.map(e => Buffer.from(e).toString('hex')).sort()).toEqual([...deposited].sort())
  }, 300_000)
})
