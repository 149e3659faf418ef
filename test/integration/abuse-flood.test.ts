/**
 * A stranger floods a node with direct messages as fast as the node answers
 * (a bare libp2p peer, pipelining valid envelopes on several streams) while a
 * contact sends 50 messages: every one of the contact's arrives, and the
 * stranger gets no more through than its rate limit allows (burst + rate ×
 * time); the rest is refused RATE_LIMITED and never stored. The flood driver
 * is the one `bench/flood.ts` measures latency under.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { floodDm, strangerEnvelopes } from '../../bench/flood.js'
import { DEFAULT_RATE_LIMITS as DEFAULT_NATTER_RATE_LIMITS } from '../../src/abuse/constants.js'
import { rawPeerFactory } from '../helpers/fuzz.js'
import { nodeFactory } from '../helpers/nodes.js'

/** The flood ends after this many frames, or this long, once the contact is done. */
const MAX_FRAMES = 20_000
const MIN_FLOOD_MS = 3000
const CONTACT_MESSAGES = 50
/** Proof-of-work difficulty of the nodes (nodeFactory's). */
const POW = 8

describe('a stranger\'s flood', () => {
  const nodes = nodeFactory()
  const raws = rawPeerFactory()
  afterEach(async () => {
    await raws.cleanup()
    await nodes.cleanup()
  })

  it(`is throttled to its rate limit while a contact's ${CONTACT_MESSAGES} messages all arrive`, async () => {
    const bob = await nodes.create()
    const alice = await nodes.create()
    await bob.contacts.add('alice', alice.peerId)
    await alice.contacts.add('bob', bob.peerId)
    await alice.connect(bob.addresses[0]!)
    const stranger = await raws.create()
    const connection = await stranger.libp2p.dial(multiaddr(bob.addresses[0]!))
    const { sender, envelopes } = await strangerEnvelopes(bob.peerId, 32, POW)

    const stop = new AbortController()
    let contactDone = false
    let frames = 0
    const started = performance.now()
    const maybeStop = (): void => {
      if (frames >= MAX_FRAMES || (contactDone && performance.now() - started >= MIN_FLOOD_MS)) {
        stop.abort()
      }
    }
    let floodOver = false
    const flooding = floodDm({ connection, envelopes, signal: stop.signal, streams: 4, onProgress: (n) => { frames = n; maybeStop() } })
      .finally(() => { floodOver = true })
    const sent: string[] = []
    for (let i = 0; i < CONTACT_MESSAGES; i++) {
      const message = await alice.send(bob.peerId, `from a contact, mid-flood ${i}`)
      expect(message.state).toBe('delivered')
      sent.push(message.id)
    }
    const framesWhenContactDone = frames
    const floodOverWhenContactDone = floodOver
    contactDone = true
    maybeStop()
    // replies are slowed on purpose, so progress callbacks are rare: stop on time as well
    setTimeout(() => { stop.abort() }, Math.max(0, MIN_FLOOD_MS - (performance.now() - started)))
    const stats = await flooding
    const seconds = (performance.now() - started) / 1000
    console.log(`flood: ${stats.frames} frames in ${stats.seconds.toFixed(1)} s (${Math.round(stats.perSecond)}/s): ${JSON.stringify(stats.statuses)}; ` +
      `the contact's ${CONTACT_MESSAGES} messages were acknowledged after ${framesWhenContactDone} frames`)

    // the contact was served throughout the flood; the stranger, refused, waits a pause per
    // refusal on each of its streams (backpressure), so it may not even have been answered yet
    expect(floodOverWhenContactDone).toBe(false)
    expect(stats.statuses.RATE_LIMITED ?? 0).toBeGreaterThan(0)
    expect(bob.messages.history(alice.peerId, { limit: 100 }).map(m => m.id)).toEqual(expect.arrayContaining(sent))
    // the stranger got through no more than its burst plus what refilled meanwhile (plus one for rounding)
    const { burst, rate } = DEFAULT_NATTER_RATE_LIMITS.dm.stranger
    const allowed = burst + Math.floor(rate * seconds) + 1
    const through = stats.frames - (stats.statuses.RATE_LIMITED ?? 0)
    expect(through).toBeLessThanOrEqual(allowed)
    expect(stats.statuses.OK ?? 0).toBeGreaterThan(0)
    // nothing but the rate limit and spent stamps turned frames away (the flood cycles 32
    // envelopes, so a repeated one carries a stamp already spent: POW_REQUIRED); no INVALID,
    // no UNAVAILABLE, no closed stream
    expect(Object.keys(stats.statuses).filter(s => !['OK', 'RATE_LIMITED', 'POW_REQUIRED'].includes(s))).toEqual([])
    // and nothing past the limit was stored
    const stored = bob.messages.history(sender, { limit: 1000 })
    expect(stored.length).toBeLessThanOrEqual(stats.statuses.OK ?? 0)
    expect(stored.length).toBeGreaterThan(0)
    expect(bob.requests.list()).toMatchObject([{ peer: sender, count: stored.length }])
  }, 120_000)
})
