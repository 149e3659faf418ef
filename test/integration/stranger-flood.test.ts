/**
 * Stranger floods (issue 9): one stamped first message, then the same
 * sender's envelopes relayed over throwaway connections, must not fill the
 * disk. The attacker is stock js-libp2p (TCP, Noise, yamux, identify) speaking
 * `/natter/dm/1.0.0` as PROTOCOL.md §5 describes it, with envelopes built as
 * §4 and stamps as §8 say.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeStamp, mintStamp } from '../../src/abuse/index.js'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { DmRequest, DmResponse } from '../../src/pb/dm.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { Natter } from '../../src/index.js'
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface'

/** The DM protocol id, as PROTOCOL.md §5 names it. */
const SPEC_DM_PROTOCOL = '/natter/dm/1.0.0'
const POW = 8
const TEXT_16K = 'x'.repeat(16 * 1024)

/** A stock libp2p node: no natter code in its network stack. */
async function stockNode (): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}

/** The flooding identity: its key signs envelopes that any connection may carry. */
interface Sender { key: Ed25519PrivateKey, bytes: Uint8Array }

async function sender (): Promise<Sender> {
  const key = await generateKeyPair('Ed25519')
  return { key, bytes: peerIdFromPrivateKey(key).toMultihash().bytes }
}

let stampClock = Date.now()

async function envelope (from: Sender, to: Natter, text: string, stamped: boolean): Promise<Uint8Array> {
  // each stamp its own timestamp: two minted in the same millisecond would be the same stamp (§8.4)
  const now = Math.max(Date.now(), ++stampClock)
  stampClock = now
  const stamp = stamped ? encodeStamp(await mintStamp({ sender: from.bytes, recipient: parsePeerId(to.peerId).bytes, difficulty: POW, now })) : undefined
  const payload: Payload = { type: Payload.Type.TEXT, text, seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED }
  return (await sealEnvelope({ senderKey: from.key, sender: from.bytes, recipient: parsePeerId(to.peerId), payload, stamp })).bytes
}

/** Sends envelopes over one new stream of `via` to `to`, one at a time; returns the statuses. */
async function sendAll (via: Libp2p, to: Natter, envelopes: Uint8Array[]): Promise<string[]> {
  const stream = await via.dialProtocol(multiaddr(to.addresses[0]!), SPEC_DM_PROTOCOL)
  const lp = lpStream(stream, { maxDataLength: 70 * 1024 })
  const statuses: string[] = []
  for (const bytes of envelopes) {
    await lp.write(DmRequest.encode({ envelope: bytes }), { signal: AbortSignal.timeout(10_000) })
    const reply = DmResponse.decode((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
    statuses.push(DmResponse.Status[reply.status] ?? String(reply.status))
  }
  await stream.close().catch(() => { stream.abort(new Error('close failed')) })
  return statuses
}

function count (statuses: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1
  return out
}

function diskBytes (dataDir: string): number {
  let total = 0
  for (const name of ['natter.db', 'natter.db-wal']) {
    try {
      total += statSync(join(dataDir, name)).size
    } catch {
      // no WAL file yet
    }
  }
  return total
}

describe('stranger floods against the requests inbox', () => {
  const nodes = nodeFactory({ powDifficulty: POW })
  const stock: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(stock.splice(0).map(async n => { await n.stop() }))
    await nodes.cleanup()
  })

  async function throwaway (): Promise<Libp2p> {
    const node = await stockNode()
    stock.push(node)
    return node
  }

  it('one stamp, then the same sender relayed over throwaway connections: limited by sender, not by connection; disk bounded', async () => {
    const dataDir = await nodes.tempDir()
    // no pause after RATE_LIMITED: the point here is what gets stored, not how fast refusals go out
    const bob = await nodes.create({ dataDir, rateLimitPauseMs: 0 })
    const before = diskBytes(dataDir)
    const mallory = await sender()
    const first = await sendAll(await throwaway(), bob, [await envelope(mallory, bob, TEXT_16K, true)])
    expect(first).toEqual(['OK'])

    // the flood: 6,000 × 16 KiB in 104 s; here a bounded 1,200 × 16 KiB (19 MiB offered), over 120
    // throwaway connections, one stream per envelope (so no stream waits out a RATE_LIMITED pause)
    const statuses: string[] = []
    for (let round = 0; round < 12; round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, async () => {
        const relay = await throwaway()
        const got: string[] = []
        for (let i = 0; i < 10; i++) {
          got.push(...await sendAll(relay, bob, [await envelope(mallory, bob, TEXT_16K, false)]))
        }
        await relay.stop()
        return got
      }))
      statuses.push(...batch.flat())
    }
    const requests = bob.requests.list()
    const stored = requests[0]?.count ?? 0
    const grown = diskBytes(dataDir) - before
    console.log(`[flood] 1,200 relayed 16 KiB envelopes from one stamped stranger: ${JSON.stringify(count(statuses))}; stored ${stored}; disk +${(grown / 1024).toFixed(0)} KiB (before the fix: every one stored, 100 MiB per 6,000)`)
    expect(requests).toHaveLength(1)
    // the sender's own bucket (stranger burst 3, then 1 per 30 s) holds whatever connection carries its
    // envelopes, and past the first plus 3 unstamped follow-ups each one needs its own stamp, however slow the flood
    expect(stored).toBeLessThanOrEqual(4)
    expect(statuses.filter(s => s === 'OK').length).toBeLessThanOrEqual(3)
    // refused before decryption by the sender's bucket, not merely after it by the stamp rule: per-connection
    // buckets alone would let 3 of every 10 through to the (costlier) stamp check
    expect(statuses.filter(s => s === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(1190)
    expect(grown).toBeLessThan(2 * 1024 * 1024)
  })

  it('past the rate limit, unstamped follow-ups stop at the allowance and stamped ones at the per-sender cap (REFUSED); many senders stop at the inbox total (UNAVAILABLE)', async () => {
    const lenient = { dm: { stranger: { rate: 1000, burst: 10_000 } } }
    const bob = await nodes.create({ rateLimits: lenient, requestLimits: { maxMessagesTotal: 30 } })
    const via = await throwaway()

    // unstamped: the first needs a stamp; then three more ride on the pending request; then each needs its own
    const mallory = await sender()
    const unstamped = await sendAll(via, bob, [
      await envelope(mallory, bob, 'first', false),
      await envelope(mallory, bob, 'first', true),
      ...await Promise.all(Array.from({ length: 10 }, async (_, i) => envelope(mallory, bob, `more ${i}`, false)))
    ])
    expect(unstamped).toEqual(['POW_REQUIRED', 'OK', 'OK', 'OK', 'OK', ...Array(7).fill('POW_REQUIRED')])
    expect(bob.requests.list()[0]?.count).toBe(4)

    // stamped, 16 KiB each: the per-sender cap of 256 KiB refuses the rest for good
    const eve = await sender()
    const stamped = await sendAll(via, bob, await Promise.all(Array.from({ length: 20 }, async () => envelope(eve, bob, TEXT_16K, true))))
    const eveOk = stamped.filter(s => s === 'OK').length
    expect(eveOk).toBe(16)
    expect(stamped.slice(eveOk)).toEqual(Array(4).fill('REFUSED'))

    // fresh keys, each paying a stamp: the inbox total (30 here) answers UNAVAILABLE, a passing state
    const statuses: string[] = []
    for (let i = 0; i < 15; i++) {
      statuses.push(...await sendAll(via, bob, [await envelope(await sender(), bob, `sybil ${i}`, true)]))
    }
    const total = bob.requests.list().reduce((n, r) => n + r.count, 0)
    expect(total).toBe(30)
    expect(statuses.filter(s => s === 'UNAVAILABLE').length).toBe(15 - (30 - 4 - 16))
  })
})
