/**
 * Memory held for hostile peers (issue 9): retained memory (heap and buffers
 * after a full GC) per 10,000 hostile DHT
 * records and per 10,000 presence records from fresh keys, unbounded (as
 * before: libp2p's MemoryDatastore; a presence cache with no cap) against
 * natter's bounded stores. Figures only, no assertions.
 *
 *   node --expose-gc dist/bench/bounds.js [count]
 */
import { defaultLogger } from '@libp2p/logger'
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Libp2pRecord } from '@libp2p/record'
import { MemoryDatastore } from 'datastore-core/memory'
import { Key } from 'interface-datastore'
import { parsePeerId } from '../src/crypto/peer.js'
import { createPrekeyStore, encodeBundle, exportBundle } from '../src/crypto/ratchet/index.js'
import { createDhtStore, dhtOrigin } from '../src/network/dht-store.js'
import { PRESENCE_TOPIC, signPresence } from '../src/presence/record.js'
import { createPresenceService } from '../src/presence/service.js'
import { prekeyRecordKey, signPrekeyRecord } from '../src/sessions/bundle-record.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'

ensurePromiseWithResolvers()

const count = Number(process.argv[2] ?? 10_000)
const gc = (globalThis as { gc?: () => void }).gc

/** Live memory after a full collection: heap plus buffers (RSS keeps pages V8 freed, so it hides what is retained). */
function rssMiB (): number {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return (m.heapUsed + m.arrayBuffers) / 1024 / 1024
}

async function dht (bounded: boolean): Promise<number> {
  const key = await generateKeyPair('Ed25519')
  const peer = parsePeerId(peerIdFromPrivateKey(key).toString())
  const bundle = encodeBundle(exportBundle(createPrekeyStore({ publicKey: key.publicKey.raw, secretKey: key.raw }, { oneTimePrekeys: 20 })))
  const value = await signPrekeyRecord(key, peer, bundle, Date.now())
  const record = new Libp2pRecord(prekeyRecordKey(peer), value, new Date()).serialize()
  // real-sized records under distinct keys, each from its own throwaway peer (the worst case for per-peer quotas)
  const store = bounded ? createDhtStore({ putRate: { rate: 1e9, burst: 1e9 } }) : new MemoryDatastore()
  const before = rssMiB()
  for (let i = 0; i < count; i++) {
    const copy = record.slice()
    copy[copy.length - 1] = i & 0xff
    const dsKey = new Key(`/dht/record/${i.toString(36)}x${'a'.repeat(60)}`)
    await dhtOrigin.run({ peer: `sybil-${i}` }, async () => store.put(dsKey, copy))
  }
  const grew = rssMiB() - before
  process.stderr.write(`dht ${bounded ? 'bounded' : 'unbounded'}: ${count} records of ${record.byteLength} bytes, retained +${grew.toFixed(1)} MiB\n`)
  return grew
}

function stubPubsub (): GossipSub & { deliver(data: Uint8Array): Promise<void> } {
  const listeners = new Set<(evt: CustomEvent<Message>) => void>()
  const topicValidators = new Map<string, (from: unknown, msg: Message) => Promise<TopicValidatorResult>>()
  return {
    topicValidators,
    addEventListener: (type: string, fn: (evt: CustomEvent<Message>) => void) => { if (type === 'message') listeners.add(fn) },
    removeEventListener: (_type: string, fn: (evt: CustomEvent<Message>) => void) => { listeners.delete(fn) },
    subscribe: () => {},
    publish: async () => ({ recipients: [] }),
    async deliver (data: Uint8Array) {
      const msg = { type: 'unsigned', topic: PRESENCE_TOPIC, data } as unknown as Message
      if (await topicValidators.get(PRESENCE_TOPIC)!(undefined, msg) === TopicValidatorResult.Accept) {
        for (const fn of listeners) fn(new CustomEvent('message', { detail: msg }))
      }
    }
  } as unknown as GossipSub & { deliver(data: Uint8Array): Promise<void> }
}

async function presence (bounded: boolean): Promise<number> {
  const own = await generateKeyPair('Ed25519')
  const pubsub = stubPubsub()
  const service = createPresenceService({ pubsub, key: own, peerId: peerIdFromPrivateKey(own), logger: defaultLogger() }, bounded ? {} : { maxStrangers: Number.MAX_SAFE_INTEGER })
  await service.start()
  const before = rssMiB()
  for (let i = 0; i < count; i++) {
    const key = await generateKeyPair('Ed25519')
    const now = Date.now()
    await pubsub.deliver(await signPresence(key, peerIdFromPrivateKey(key).toMultihash().bytes, { status: 'online', note: 'x'.repeat(140), seq: BigInt(now), issuedAt: now, expiresAt: now + 60_000 }))
  }
  await new Promise(resolve => setTimeout(resolve, 100))
  const grew = rssMiB() - before
  process.stderr.write(`presence ${bounded ? 'bounded' : 'unbounded'}: ${count} fresh keys, ${service.list().length} listed, retained +${grew.toFixed(1)} MiB\n`)
  await service.stop({ announce: false })
  return grew
}

const which = process.argv[3] ?? 'all'
if (which === 'all' || which === 'dht-before') await dht(false)
if (which === 'all' || which === 'dht-after') await dht(true)
if (which === 'all' || which === 'presence-before') await presence(false)
if (which === 'all' || which === 'presence-after') await presence(true)
