/**
 * Forward-secret sessions between real nodes on loopback: a first message to
 * an offline recipient sealed from its DHT bundle alone and delivered through
 * a mailbox; RATCHET envelopes both ways; out-of-order and replayed envelopes;
 * forward secrecy against a thief of every key the recipient holds; the hold
 * on a contact whose identity key changed; the passphrase and backups.
 */
import { DeliveryTimeoutError } from '../../src/errors.js'
import { defaultLogger } from '@libp2p/logger'
import { natterServicePolicies } from '../../src/policies.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EnvelopeBody, SignedEnvelope, isUnsignedEnvelope, signUnsigned, verifyEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { decodeRatchetMessage } from '../../src/crypto/ratchet/index.js'
import { DM_PROTOCOL, DmChannel } from '../../src/dm/protocol.js'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../src/keys/identity.js'
import { createNatter, importIdentity } from '../../src/index.js'
import { createNetwork } from '../../src/network/libp2p.js'
import { createSessionManager } from '../../src/sessions/index.js'
import { PREKEYS_SETTING } from '../../src/sessions/prekey-keeper.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { nodeFactory } from '../helpers/nodes.js'
import { memoryDht } from '../helpers/sessions.js'
import type { IncomingMessage, MessageStateChange, Natter } from '../../src/index.js'
import type { ContactKeyChange } from '../../src/contacts/key-change.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'

const body = (bytes: Uint8Array): EnvelopeBody => EnvelopeBody.decode(SignedEnvelope.decode(bytes).body)

/** Publishes `node`'s bundle until at least one DHT peer holds it. */
async function published (node: Natter): Promise<void> {
  await pWaitFor(async () => (await node.publishPrekeys()) > 0, { interval: 200, timeout: 20_000 })
}

describe('forward-secret sessions between nodes', () => {
  const nodes = nodeFactory({ sendTimeoutMs: 3000, retryInitialMs: 200, retryMaxMs: 2000 })
  let raw: NatterLibp2p | undefined
  afterEach(async () => {
    vi.restoreAllMocks()
    await raw?.stop()
    raw = undefined
    await nodes.cleanup()
  })

  it('a first message to an offline recipient is sealed from its bundle alone and opened after a mailbox trip', async () => {
    const m1 = await nodes.create()
    const m2 = await nodes.create({ bootstrap: [m1.addresses[0]!] })
    await nodes.create({ bootstrap: [m1.addresses[0]!] })
    const aDir = await nodes.tempDir()
    const bDir = await nodes.tempDir()

    // bob comes online once: long enough to publish his prekey bundle
    let b = await nodes.create({ dataDir: bDir, bootstrap: [m1.addresses[0]!] })
    const bId = b.peerId
    await published(b)
    await b.stop()

    const a = await nodes.create({ dataDir: aDir, bootstrap: [m1.addresses[0]!] })
    await pWaitFor(() => a.connectedPeers.includes(m1.peerId))
    const queued = await a.send(bId, 'sealed from your bundle', { wait: 'queued' })
    await pWaitFor(() => a.messages.get(queued.id)?.state === 'sent', { timeout: 20_000 })
    await a.stop()

    // what alice deposited is a RATCHET envelope opening a session (X3DH initial header)
    const aStore = openStore({ path: join(aDir, 'natter.db') })
    const kept = aStore.messages.getEnvelope(queued.id) as Uint8Array
    aStore.close()
    expect(body(kept).scheme).toBe(EnvelopeBody.Scheme.RATCHET)
    expect(decodeRatchetMessage(body(kept).ciphertext).x3dh).toBeDefined()

    b = await nodes.create({ dataDir: bDir, bootstrap: [m2.addresses[0]!] })
    const received: IncomingMessage[] = []
    b.addEventListener('request', (e) => received.push(e.detail))
    b.addEventListener('message', (e) => received.push(e.detail))
    await pWaitFor(() => received.length > 0, { timeout: 20_000 })
    expect(received[0]).toMatchObject({ id: queued.id, text: 'sealed from your bundle', via: 'mailbox' })
  })

  it('talks in RATCHET envelopes both ways; out-of-order and replayed envelopes show once; old ones stay unreadable', async () => {
    const aDir = await nodes.tempDir()
    const a = await nodes.create({ dataDir: aDir, retryInitialMs: 120_000 })
    const bDir = await nodes.tempDir()
    const b = await nodes.create({ dataDir: bDir, bootstrap: [a.addresses[0]!], retryInitialMs: 120_000 })
    await pWaitFor(() => a.connectedPeers.includes(b.peerId))
    await a.contacts.add('bob', b.peerId)
    await b.contacts.add('alice', a.peerId)
    await published(a)
    await published(b)

    // every envelope on the wire, and a switch to hold back alice's
    const original = DmChannel.prototype.send
    const wire: Uint8Array[] = []
    const relayed = new WeakSet<DmChannel>()
    let holdBack = false
    vi.spyOn(DmChannel.prototype, 'send').mockImplementation(async function (this: DmChannel, id, envelope, options) {
      if (!relayed.has(this)) {
        wire.push(envelope)
        if (holdBack) {
          throw new DeliveryTimeoutError('held back by the test')
        }
      }
      return original.call(this, id, envelope, options)
    })

    const received: string[] = []
    b.addEventListener('message', (e) => received.push(e.detail.text))
    a.addEventListener('message', (e) => received.push(e.detail.text))
    await a.send('bob', 'one')
    await b.send('alice', 'two')
    await a.send('bob', 'three')
    await b.send('alice', 'four')
    expect(received).toEqual(['one', 'two', 'three', 'four'])
    expect(wire).toHaveLength(4)
    for (const envelope of wire) {
      expect(body(envelope).scheme).toBe(EnvelopeBody.Scheme.RATCHET)
    }
    // alice opened the session; once bob answered, her messages dropped the X3DH header
    expect(decodeRatchetMessage(body(wire[0]!).ciphertext).x3dh).toBeDefined()
    expect(decodeRatchetMessage(body(wire[2]!).ciphertext).x3dh).toBeUndefined()
    // 1.3 (PROTOCOL.md §5.2): the first (X3DH) message is signed, those of the established session are not
    expect([isUnsignedEnvelope(wire[0]!), isUnsignedEnvelope(wire[2]!)]).toEqual([false, true])
    const recorded = wire[0]!

    // three more from alice, held back from the network; a relay delivers them shuffled, then again
    holdBack = true
    wire.length = 0
    for (const t of ['five', 'six', 'seven']) {
      await a.send('bob', t, { wait: 'queued' })
    }
    await pWaitFor(() => wire.length >= 3)
    holdBack = false
    const unique = [...new Map(wire.map(e => [Buffer.from(body(e).id).toString('hex'), e])).values()]
    expect(unique).toHaveLength(3)
    const key = await generateKeyPair('Ed25519')
    raw = await createNetwork({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 10, ...natterServicePolicies() })
    await raw.start()
    await b.contacts.add('relay', raw.peerId.toString())
    const relay = new DmChannel(await raw.dialProtocol(multiaddr(b.addresses[0]!), DM_PROTOCOL))
    relayed.add(relay)
    // what a relay holds is signed (a mailbox copy, §5.2): alice's envelopes as her node signs them for one
    const aliceKey = await loadOrCreateIdentity(aDir)
    for (const i of [2, 0, 1, 2, 0]) {
      const envelope = signUnsigned(unique[i]!, aliceKey)
      await relay.send(body(envelope).id, envelope)
    }
    expect(received.slice(4)).toEqual(['seven', 'five', 'six'])
    expect(b.messages.history('alice').map(m => m.text)).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven'])

    // forward secrecy: a thief of bob's disk (identity key, sessions, prekeys: every key he holds,
    // leaving out only the history) cannot open the first message any more
    await b.stop()
    const bobKey = await loadOrCreateIdentity(bDir)
    const disk = openStore({ path: join(bDir, 'natter.db') })
    const thief = openStore({ path: MEMORY_PATH })
    thief.ratchetSessions.put(a.peerId, disk.ratchetSessions.get(a.peerId)?.state as Uint8Array)
    thief.settings.setBytes(PREKEYS_SETTING, disk.settings.getBytes(PREKEYS_SETTING) as Uint8Array)
    disk.close()
    const stolen = createSessionManager({ key: bobKey, self: parsePeerId(b.peerId), store: thief, dht: memoryDht(), logger: defaultLogger() })
    await expect(stolen.open(await verifyEnvelope(recorded))).rejects.toMatchObject({ name: 'InvalidMessageError' })
    thief.close()
  })

  it('holds messages to a contact whose identity key changed until the user accepts the new key', async () => {
    const a = await nodes.create()
    const b = await nodes.create({ bootstrap: [a.addresses[0]!] })
    const bNew = await nodes.create({ bootstrap: [a.addresses[0]!] })
    await pWaitFor(() => a.connectedPeers.includes(b.peerId) && a.connectedPeers.includes(bNew.peerId))
    await a.contacts.add('bob', b.invite('bob'))

    const changes: ContactKeyChange[] = []
    a.addEventListener('contact:key-changed', (e) => changes.push(e.detail))
    const states: MessageStateChange[] = []
    a.addEventListener('message:state', (e) => states.push(e.detail))
    const atOld: IncomingMessage[] = []
    b.addEventListener('message', (e) => atOld.push(e.detail))
    b.addEventListener('request', (e) => atOld.push(e.detail))
    const atNew: IncomingMessage[] = []
    bNew.addEventListener('message', (e) => atNew.push(e.detail))
    bNew.addEventListener('request', (e) => atNew.push(e.detail))

    // "bob" sends a new invite (a reinstall, or someone pretending): not taken silently
    const contact = await a.contacts.add('bob', bNew.invite('bob'))
    expect(contact.peerId).toBe(b.peerId)
    expect(contact.pendingIdentityKey).toEqual(parsePeerId(bNew.peerId).publicKey.raw)
    expect(changes).toEqual([expect.objectContaining({ peerId: b.peerId, newPeerId: bNew.peerId })])

    const held = await a.send('bob', 'is that you?', { wait: 'queued' })
    await pWaitFor(() => states.some(s => s.id === held.id && s.reason === 'identity key changed: messages to bob are held until its new key is accepted or rejected'))
    expect(a.messages.get(held.id)?.state).toBe('queued')
    await expect(a.send('bob', 'hello?')).rejects.toMatchObject({ name: 'IdentityKeyChangedError', contact: 'bob', newPeerId: bNew.peerId })
    expect(atOld).toEqual([])

    // both compare the safety number of the new key before accepting it
    expect(a.contacts.safetyNumber('bob', { pending: true })).toEqual(bNew.contacts.safetyNumber(a.peerId))
    expect(a.contacts.safetyNumber('bob')).not.toEqual(bNew.contacts.safetyNumber(a.peerId))
    const accepted = await a.contacts.acceptKey('bob')
    expect(accepted).toMatchObject({ name: 'bob', peerId: bNew.peerId, verified: false, pendingIdentityKey: null })
    await pWaitFor(() => atNew.length === 2, { timeout: 20_000 })
    expect(atNew.map(m => m.text).sort()).toEqual(['hello?', 'is that you?'])
    expect(a.messages.get(held.id)).toMatchObject({ state: 'failed', failReason: `identity key changed: re-sent to ${bNew.peerId}` })
    expect(atOld).toEqual([])
    expect(a.contacts.setVerified('bob', true).verified).toBe(true)
    await expect(a.contacts.acceptKey('bob')).rejects.toMatchObject({ name: 'NoPendingIdentityKeyError' })
  })

  it('a passphrase-protected node: round trip, a wrong passphrase changes nothing, and a backup restores it', async () => {
    const dir = await nodes.tempDir()
    const n = await nodes.create({ dataDir: dir, passphrase: 'open sesame' })
    const id = n.peerId
    const friend = await nodes.create()
    await n.contacts.add('friend', friend.peerId)
    const backup = await n.exportIdentity('backup phrase')
    await n.stop()

    const file = join(dir, IDENTITY_FILE)
    const before = await readFile(file)
    expect(new TextDecoder().decode(before.subarray(0, 13))).toBe('NATTER-ENC-V1')
    await expect(createNatter({ dataDir: dir, passphrase: 'open sesame!' })).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    await expect(createNatter({ dataDir: dir })).rejects.toMatchObject({ name: 'PassphraseRequiredError' })
    expect(Buffer.compare(await readFile(file), before)).toBe(0)
    const again = await nodes.create({ dataDir: dir, passphrase: async () => 'open sesame' })
    expect(again.peerId).toBe(id)

    const restoredDir = await nodes.tempDir()
    await expect(importIdentity(restoredDir, backup, 'open sesame')).rejects.toMatchObject({ name: 'WrongPassphraseError' })
    expect(await importIdentity(restoredDir, backup, 'backup phrase')).toEqual({ peerId: id, contacts: 1 })
    await again.stop()
    const restored = await nodes.create({ dataDir: restoredDir, passphrase: 'backup phrase' })
    expect(restored.peerId).toBe(id)
    expect(restored.contacts.get('friend')?.peerId).toBe(friend.peerId)
  })
})
