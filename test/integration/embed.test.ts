/**
 * An embedder runs natter on its own libp2p node, store and logger, and
 * natter works with them: messages both ways, every line logged through the
 * embedder's logger, and nothing of the embedder's stopped or closed by
 * natter. A node lacking what natter needs is refused by name.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT } from '@libp2p/kad-dht'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { pEvent } from 'p-event'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, MissingServicesError, createNatter, natterServicePolicies, natterServices, openStore } from '../../src/index.js'
import { nodeFactory } from '../helpers/nodes.js'
import { recordingLogger } from '../helpers/logger.js'
import type { IncomingMessage, Store } from '../../src/index.js'
import type { Libp2p } from '@libp2p/interface'

const transport = { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] }

describe('embedding natter', () => {
  const nodes = nodeFactory()
  const own: Array<{ libp2p?: Libp2p, store?: Store }> = []
  afterEach(async () => {
    await nodes.cleanup()
    for (const { libp2p, store } of own.splice(0)) {
      await libp2p?.stop()
      store?.close()
    }
  })

  it('runs on the embedder\'s libp2p node, store and logger, and leaves them running', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const libp2p = await createLibp2p({ ...transport, privateKey, services: natterServices({ ...natterServicePolicies(), network: 'local' }) })
    const store = openStore({ path: join(await nodes.tempDir(), 'embedded.db') })
    own.push({ libp2p, store })
    const logger = recordingLogger()

    const alice = await createNatter({ privateKey, libp2p, store, logger, powDifficulty: 8, network: 'local' })
    expect(alice.peerId).toBe(libp2p.peerId.toString())
    expect(libp2p.status).toBe('started')
    const bob = await nodes.create({ bootstrap: [alice.addresses[0]!] })
    await alice.contacts.add('bob', bob.peerId)
    await bob.contacts.add('alice', alice.peerId)

    const atBob = pEvent(bob, 'message') as Promise<CustomEvent<IncomingMessage>>
    expect((await alice.send('bob', 'from an embedded node')).state).toBe('delivered')
    expect((await atBob).detail.text).toBe('from an embedded node')
    const atAlice = pEvent(alice, 'message') as Promise<CustomEvent<IncomingMessage>>
    await bob.send('alice', 'and back')
    expect((await atAlice).detail.text).toBe('and back')
    // what natter stored went into the embedder's store
    expect(store.messages.history(bob.peerId).map(m => m.text)).toEqual(['from an embedded node', 'and back'])

    // natter logged through the embedder's logger, by component
    expect(logger.lines.length).toBeGreaterThan(0)
    expect(logger.lines.every(l => l.component.startsWith('natter:'))).toBe(true)
    expect(logger.lines).toContainEqual(expect.objectContaining({ component: 'natter:sessions:publisher', text: expect.stringMatching(/^prekey bundle published to \d+ peers$/) }))

    await alice.stop()
    // the embedder's node and store are still theirs, running and open
    expect(libp2p.status).toBe('started')
    expect(store.messages.history(bob.peerId)).toHaveLength(2)
    expect(libp2p.getProtocols()).not.toContain('/natter/dm/1.0.0')
  })

  it('refuses a libp2p node without the services natter needs, naming each', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const libp2p = await createLibp2p({ ...transport, privateKey, start: false, services: { identify: identify() } })
    own.push({ libp2p })
    const err = await createNatter({ privateKey, libp2p, dataDir: await nodes.tempDir() }).catch(e => e)
    expect(err).toBeInstanceOf(MissingServicesError)
    expect(err.missing).toEqual(['services.ping', 'services.dht', 'services.pubsub'])
    expect(err.message).toMatch(/services\.ping, services\.dht, services\.pubsub/)
  })

  it('refuses a DHT that does not speak natter\'s protocol', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const services = { ...natterServices({ ...natterServicePolicies(), network: 'local' }), dht: kadDHT({ clientMode: false }) }
    const libp2p = await createLibp2p({ ...transport, privateKey, services })
    own.push({ libp2p })
    const err = await createNatter({ privateKey, libp2p, dataDir: await nodes.tempDir() }).catch(e => e)
    expect(err).toBeInstanceOf(MissingServicesError)
    expect(err.missing).toEqual([expect.stringMatching(/^protocol \/natter\/kad\/1\.0\.0/)])
  })

  it('refuses a libp2p node running under another key than natter\'s identity', async () => {
    const libp2p = await createLibp2p({ ...transport, start: false, privateKey: await generateKeyPair('Ed25519'), services: natterServices({ network: 'local' }) })
    own.push({ libp2p })
    const err = await createNatter({ privateKey: await generateKeyPair('Ed25519'), libp2p, dataDir: await nodes.tempDir() }).catch(e => e)
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.message).toMatch(/not as natter's identity/)
  })

  it('importing the library changes nothing global (Promise.withResolvers stays absent on Node 20)', async () => {
    const entry = new URL('../../dist/src/index.js', import.meta.url)
    if (!existsSync(entry) || Number(process.versions.node.split('.')[0]) >= 22) {
      return // needs the build (npm test builds first) and a runtime without the method
    }
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e',
      `const before = typeof Promise.withResolvers; await import(${JSON.stringify(entry.href)}); console.log(before, typeof Promise.withResolvers)`])
    expect(stdout.trim()).toBe('undefined undefined')
    await pWaitFor(() => true)
  })
})
