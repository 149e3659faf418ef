/**
 * One plain libp2p node for `npm run bench:scale`, in its own process: the
 * baseline natter daemons are compared with. The same transports (TCP,
 * Noise, yamux), the same kad-dht (natter's protocol id, server mode, every
 * address, first self-query at once) and gossipsub (flood publish, strict
 * signing), no natter on top. Driven by JSON lines on stdin, one reply line
 * on stdout per request:
 *
 *   {"id":1,"op":"info"}                    → {"id":1,"peerId":…,"addresses":[…]}
 *   {"id":2,"op":"dial","address":…}        → {"id":2,"ok":true}
 *   {"id":3,"op":"presence","n":10}         → when this node has heard all n-1 others on the topic: {"id":3,"ms":…}
 *   {"id":4,"op":"connect","peerId":…}      → DHT lookup and dial: {"id":4,"ok":true,"ms":…}
 *   {"id":5,"op":"send","peerId":…}         → one acked 1 KiB message on a new stream: {"id":5,"ok":true}
 *   {"id":6,"op":"peers"}                   → {"id":6,"peers":[…]}
 *   {"id":7,"op":"stop"}                    → stops and exits
 *
 * @module
 */
import { ensurePromiseWithResolvers } from '../src/polyfill.js'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { DHT_PROTOCOL } from '../src/network/constants.js'

ensurePromiseWithResolvers()

const TOPIC = '/bench/presence/1'
const ECHO = '/bench/echo/1.0.0'
const PRESENCE_REPUBLISH_MS = 1000
const PRESENCE_LIMIT_MS = 170_000

const node = await createLibp2p({
  privateKey: await generateKeyPair('Ed25519'),
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 1000 },
  services: {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, initialQuerySelfInterval: 0 }),
    pubsub: gossipsub({
      globalSignaturePolicy: 'StrictSign',
      allowPublishToZeroTopicPeers: true,
      floodPublish: true,
      emitSelf: false,
      // every node shares 127.0.0.1 here: without this, the colocation penalty empties the mesh
      scoreParams: { IPColocationFactorWeight: 0 }
    })
  }
})

await node.handle(ECHO, async (stream) => {
  try {
    const lp = lpStream(stream)
    await lp.read()
    await lp.write(new Uint8Array([1]))
    await stream.close()
  } catch {
    stream.abort(new Error('echo failed'))
  }
})

const heard = new Set<string>()
const heardWaiters: Array<() => void> = []
node.services.pubsub.subscribe(TOPIC)
node.services.pubsub.addEventListener('message', (evt) => {
  if (evt.detail.topic === TOPIC) {
    heard.add(new TextDecoder().decode(evt.detail.data))
    for (const w of heardWaiters.splice(0)) {
      w()
    }
  }
})

const self = node.peerId.toString()
const payload = new Uint8Array(1024)

async function handle (req: Record<string, unknown>): Promise<Record<string, unknown>> {
  switch (req.op) {
    case 'info':
      return { peerId: self, addresses: node.getMultiaddrs().map(String), pid: process.pid }
    case 'dial':
      await node.dial(multiaddr(String(req.address)))
      return { ok: true }
    case 'presence': {
      const n = Number(req.n)
      const start = performance.now()
      const limit = start + PRESENCE_LIMIT_MS
      let nextPublish = 0
      while (heard.size < n - 1 && performance.now() < limit) {
        // one announcement a second (a naive presence), not one per message heard
        if (performance.now() >= nextPublish) {
          nextPublish = performance.now() + PRESENCE_REPUBLISH_MS
          await node.services.pubsub.publish(TOPIC, new TextEncoder().encode(self)).catch(() => {})
        }
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, Math.max(1, nextPublish - performance.now()))
          heardWaiters.push(() => { clearTimeout(timer); resolve() })
        })
      }
      // keep announcing a little for the others still waiting
      await node.services.pubsub.publish(TOPIC, new TextEncoder().encode(self)).catch(() => {})
      return { ms: performance.now() - start, heard: heard.size }
    }
    case 'connect': {
      const start = performance.now()
      try {
        const peer = peerIdFromString(String(req.peerId))
        const info = await node.peerRouting.findPeer(peer, { signal: AbortSignal.timeout(30_000) })
        await node.dial(info.multiaddrs.length > 0 ? info.multiaddrs : peer, { signal: AbortSignal.timeout(30_000) })
        return { ok: true, ms: performance.now() - start }
      } catch (err) {
        return { ok: false, ms: performance.now() - start, error: (err as Error).message }
      }
    }
    case 'send': {
      const stream = await node.dialProtocol(peerIdFromString(String(req.peerId)), ECHO, { signal: AbortSignal.timeout(30_000) })
      const lp = lpStream(stream)
      await lp.write(payload)
      await lp.read()
      await stream.close()
      return { ok: true }
    }
    case 'peers':
      return { peers: node.getPeers().map(String) }
    case 'stop':
      await node.stop()
      setTimeout(() => { process.exit(0) }, 100)
      return { ok: true }
    default:
      throw new Error(`unknown op ${String(req.op)}`)
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let req: Record<string, unknown>
  try {
    req = JSON.parse(line) as Record<string, unknown>
  } catch {
    return
  }
  handle(req).then(
    reply => { process.stdout.write(JSON.stringify({ id: req.id, ...reply }) + '\n') },
    (err: Error) => { process.stdout.write(JSON.stringify({ id: req.id, error: err.message }) + '\n') }
  )
})
process.stdin.on('end', () => { void Promise.resolve(node.stop()).finally(() => process.exit(0)) })
process.stdout.write(JSON.stringify({ ready: true }) + '\n')
