/**
 * Seeded fuzzing of the `/natter/dm/1.0.0` handler over real loopback TCP:
 * mutated requests, envelopes re-signed after semantic changes (expired,
 * forged, misaddressed, bad stamps, ratchet garbage), random protobuf,
 * garbage, oversized frames and broken framing, pipelined on long-lived
 * streams. The node must answer every frame it can parse and end only the
 * streams it must, stay up with bounded memory, keep serving other peers
 * while it is fuzzed, and lose nothing it stored.
 *
 * Replay with `FUZZ_SEED=<printed seed>`; `FUZZ_FRAMES` sets the frames
 * (default 100,000). The frames are fixed by the seed; node identities and
 * the clock are not.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { pEvent } from 'p-event'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DEFAULT_LIMIT_FRAMES, FUZZ_FRAMES, FUZZ_POW, Rng, UNLIMITED, buildCorpus, dmFrames, dmProtocol, fuzzSeed, heapMB, retainedHeapMB, rawPeerFactory, reportFuzz, runFuzz, signer } from '../helpers/fuzz.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { IncomingMessage } from '../../src/index.js'

describe('fuzzing the DM handler', () => {
  const nodes = nodeFactory()
  const raws = rawPeerFactory()
  afterEach(async () => {
    await raws.cleanup()
    await nodes.cleanup()
  })

  it(`takes ${FUZZ_FRAMES} mutated frames while two other peers talk through the node, losing nothing`, async () => {
    const rng = new Rng(fuzzSeed('abuse-fuzz-dm'))
    const target = await nodes.create({ powDifficulty: FUZZ_POW, rateLimits: { dm: UNLIMITED } })
    const contact = await nodes.create()
    const stranger = await nodes.create({ powDifficulty: FUZZ_POW })
    const x = await nodes.create({ bootstrap: [target.addresses[0]!] })
    const y = await nodes.create({ bootstrap: [target.addresses[0]!] })
    await target.contacts.add('contact', contact.peerId)
    await contact.contacts.add('target', target.peerId)
    await x.contacts.add('y', y.peerId)
    await y.contacts.add('x', x.peerId)
    await contact.connect(target.addresses[0]!)
    await stranger.connect(target.addresses[0]!)
    await pWaitFor(() => [x, y].every(n => n.connectedPeers.includes(target.peerId)), { timeout: 10_000 })

    // what the target holds before: a conversation with a contact, and a stranger's request
    const before: string[] = []
    for (let i = 0; i < 20; i++) {
      before.push((await contact.send(target.peerId, `before ${i}`)).id)
    }
    const request = await stranger.send(target.peerId, 'a request from a stranger')

    const fuzzer = await raws.create()
    const connection = await fuzzer.libp2p.dial(multiaddr(target.addresses[0]!))
    // a contact of the target whose key the fuzzer holds: its envelopes get as far as decryption
    const fuzzContact = await signer(rng)
    await target.contacts.add('fuzz-contact', fuzzContact.peer.peerId.toString())
    const corpus = await buildCorpus(rng, parsePeerId(target.peerId), fuzzContact)

    let progress = 0
    const heapBefore = retainedHeapMB()
    let heapPeak = heapMB()

    // two other peers find each other through the target's DHT and talk, and a contact writes to it, mid-fuzz
    const during = (async () => {
      await pWaitFor(() => progress >= FUZZ_FRAMES / 5, { timeout: 600_000, interval: 50 })
      const atY = pEvent(y, 'message') as Promise<CustomEvent<IncomingMessage>>
      await x.send(y.peerId, 'hello from x while the node is fuzzed')
      const atX = pEvent(x, 'message') as Promise<CustomEvent<IncomingMessage>>
      await y.send(x.peerId, 'hello back from y')
      const sent: string[] = []
      for (let i = 0; i < 5; i++) {
        sent.push((await contact.send(target.peerId, `during ${i}`)).id)
      }
      return { atY: (await atY).detail.text, atX: (await atX).detail.text, sent, progress }
    })()

    const [stats, exchange] = await Promise.all([
      runFuzz({
        connection,
        protocol: dmProtocol,
        rng: rng.fork(),
        total: FUZZ_FRAMES,
        workers: 6,
        next: dmFrames(corpus, false),
        onProgress: (n) => { progress = n; heapPeak = Math.max(heapPeak, heapMB()) }
      }),
      during
    ])
    const heapAfter = retainedHeapMB()
    reportFuzz('dm', stats)
    console.log(`heap (whole process, after a full GC): ${heapBefore.toFixed(0)} MB before, ${heapAfter.toFixed(0)} MB after (${(heapAfter - heapBefore).toFixed(1)} MB); heapUsed peak ${heapPeak.toFixed(0)} MB with garbage; rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`)
    console.log(`the exchange between x and y finished after ${exchange.progress} of ${FUZZ_FRAMES} frames`)

    expect(stats.frames).toBe(FUZZ_FRAMES)
    // the handler parsed what it got: nothing was turned away by the rate limiter
    expect(stats.statuses.RATE_LIMITED ?? 0).toBe(0)
    expect(stats.statuses.INVALID).toBeGreaterThan(FUZZ_FRAMES / 4)
    // the exchange happened while the fuzzing went on, and succeeded
    expect(exchange).toMatchObject({ atY: 'hello from x while the node is fuzzed', atX: 'hello back from y' })
    expect(exchange.progress).toBeLessThan(FUZZ_FRAMES)
    // memory stays bounded: what is retained, and what is in use at any time
    expect(heapAfter - heapBefore).toBeLessThan(150)
    expect(heapPeak - heapBefore).toBeLessThan(400)

    // still up, and nothing it stored was lost
    const after = await contact.send(target.peerId, 'after the fuzzing')
    expect(after.state).toBe('delivered')
    await x.ping(target.peerId)
    const history = target.messages.history(contact.peerId, { limit: 1000 }).map(m => m.id)
    expect(history).toEqual(expect.arrayContaining([...before, ...exchange.sent, after.id]))
    expect(target.requests.list().map(r => r.peer)).toContain(stranger.peerId)
    expect(target.messages.history(stranger.peerId).map(m => m.id)).toContain(request.id)
  }, 600_000)

  it(`with the default rate limits, a stranger's ${DEFAULT_LIMIT_FRAMES} frames are throttled and a contact's messages are not`, async () => {
    const rng = new Rng(fuzzSeed('abuse-fuzz-dm default limits'))
    // default limits, but refusals answered at once (no backpressure pause), so the fuzzer
    // keeps exercising the limiter instead of waiting on it
    const target = await nodes.create({ rateLimitPauseMs: 0 })
    const contact = await nodes.create()
    await target.contacts.add('contact', contact.peerId)
    await contact.contacts.add('target', target.peerId)
    await contact.connect(target.addresses[0]!)
    const fuzzer = await raws.create()
    const connection = await fuzzer.libp2p.dial(multiaddr(target.addresses[0]!))
    const corpus = await buildCorpus(rng, parsePeerId(target.peerId), await signer(rng))
    const started = performance.now()
    const [stats, sent] = await Promise.all([
      runFuzz({ connection, protocol: dmProtocol, rng: rng.fork(), total: DEFAULT_LIMIT_FRAMES, workers: 6, next: dmFrames(corpus, true) }),
      (async () => {
        const ids: string[] = []
        for (let i = 0; i < 20; i++) {
          ids.push((await contact.send(target.peerId, `while a stranger is throttled ${i}`)).id)
        }
        return ids
      })()
    ])
    const elapsedS = (performance.now() - started) / 1000
    reportFuzz('dm (default limits)', stats)
    // every frame the handler could parse met the rate limiter first: past the
    // stranger's burst (3) only the refill (1 per 30 s) got through
    const passed = Object.entries(stats.statuses).reduce((n, [status, count]) => status === 'RATE_LIMITED' ? n : n + count, 0)
    expect(passed).toBeLessThanOrEqual(3 + Math.ceil(elapsedS / 30))
    expect(stats.statuses.RATE_LIMITED).toBeGreaterThan(DEFAULT_LIMIT_FRAMES / 2)
    // the contact was not throttled
    expect(target.messages.history(contact.peerId, { limit: 100 }).map(m => m.id)).toEqual(expect.arrayContaining(sent))
  }, 300_000)
})
