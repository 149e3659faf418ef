/**
 * The contacts, requests and block list services over a real in-memory
 * store, with stand-ins for the network (peer book) and the messenger.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBlocklist } from '../../src/blocklist/index.js'
import { createContacts } from '../../src/contacts/index.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { ContactNotFoundError, IdentityKeyChangedError, InvalidArgumentError, InvalidPeerIdError, NoPendingIdentityKeyError } from '../../src/errors.js'
import { encodeInvite } from '../../src/invite.js'
import { createRequests } from '../../src/requests/index.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { ContactKeyChange, ContactsService } from '../../src/contacts/index.js'
import type { Ed25519Peer } from '../../src/crypto/peer.js'
import type { MessageStateChange } from '../../src/messaging/types.js'
import type { PeerBook } from '../../src/network/peer-book.js'
import type { Store } from '../../src/store/index.js'
import type { Mock } from 'vitest'

const peer = async (): Promise<Ed25519Peer> => parsePeerId((await generateKeyPair('Ed25519')).publicKey.toString())

describe('contacts service', () => {
  let store: Store
  let self: Ed25519Peer
  let contacts: ContactsService
  let peers: { remember: Mock<PeerBook['remember']>, learn: Mock<PeerBook['learn']>, join: Mock<PeerBook['join']> }
  let messenger: { send: Mock<(peer: Ed25519Peer, text: string, options: { wait: 'queued' }) => Promise<unknown>>, nudge: Mock<(peer: string) => void> }
  let changes: ContactKeyChange[]
  let states: MessageStateChange[]

  beforeEach(async () => {
    store = openStore({ path: MEMORY_PATH })
    self = await peer()
    peers = { remember: vi.fn<PeerBook['remember']>(), learn: vi.fn<PeerBook['learn']>(async () => {}), join: vi.fn<PeerBook['join']>() }
    messenger = { send: vi.fn(async () => ({})), nudge: vi.fn<(peer: string) => void>() }
    changes = []
    states = []
    contacts = createContacts({
      self, store, peers, messenger, logger: recordingLogger(), clock: { now: () => 42 },
      events: { keyChanged: (c) => changes.push(c), state: (c) => states.push(c) }
    })
  })
  afterEach(() => { store.close() })

  it('adds a contact from an invite: pins its key, remembers and learns its addresses, joins through it', async () => {
    const bob = await peer()
    const address = `/ip4/127.0.0.1/tcp/4001/p2p/${bob.peerId.toString()}`
    const contact = await contacts.add('bob', encodeInvite({ peerId: bob.peerId.toString(), addresses: [address], name: 'bob' }))
    expect(contact).toMatchObject({ name: 'bob', peerId: bob.peerId.toString() })
    expect(peers.remember).toHaveBeenCalledWith(address)
    expect(peers.learn).toHaveBeenCalledWith(bob.peerId, [address])
    expect(peers.join).toHaveBeenCalledTimes(1)
    expect(contacts.resolve('bob').peerId.equals(bob.peerId)).toBe(true)
  })

  it('refuses oneself, by peer id or invite', async () => {
    await expect(contacts.add('me', self.peerId.toString())).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(contacts.add('me', encodeInvite({ peerId: self.peerId.toString(), addresses: [], name: '' }))).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('never takes a new key under a known name silently: pending, announced, messages held', async () => {
    const bob = await peer()
    const impostor = await peer()
    await contacts.add('bob', bob.peerId.toString())
    const pending = await contacts.add('bob', impostor.peerId.toString())
    expect(pending.peerId).toBe(bob.peerId.toString())
    expect(changes).toMatchObject([{ peerId: bob.peerId.toString(), newPeerId: impostor.peerId.toString() }])
    expect(() => { contacts.assertNotHeld(bob) }).toThrow(IdentityKeyChangedError)
    expect(contacts.safetyNumber('bob', { pending: true })).not.toEqual(contacts.safetyNumber('bob'))
  })

  it('accepting the new key moves the contact and re-sends what was held to it', async () => {
    const bob = await peer()
    const bobNew = await peer()
    await contacts.add('bob', bob.peerId.toString())
    const held = store.messages.insertOutgoing({ id: 'ef'.repeat(16), peer: bob.peerId.toString(), text: 'are you there?', sentAt: 1 })
    await contacts.add('bob', bobNew.peerId.toString())
    const moved = await contacts.acceptKey('bob')
    expect(moved).toMatchObject({ name: 'bob', peerId: bobNew.peerId.toString(), verified: false })
    expect(states).toMatchObject([{ id: held.id, state: 'failed', reason: `identity key changed: re-sent to ${bobNew.peerId.toString()}`, at: 42 }])
    expect(messenger.send).toHaveBeenCalledWith(expect.objectContaining({ peerId: bobNew.peerId }), 'are you there?', { wait: 'queued' })
    expect(() => { contacts.assertNotHeld(bobNew) }).not.toThrow()
    await expect(contacts.acceptKey('bob')).rejects.toBeInstanceOf(NoPendingIdentityKeyError)
  })

  it('rejecting the new key keeps the old one and lets held messages go', async () => {
    const bob = await peer()
    await contacts.add('bob', bob.peerId.toString())
    await contacts.add('bob', (await peer()).peerId.toString())
    expect(contacts.rejectKey('bob').peerId).toBe(bob.peerId.toString())
    expect(messenger.nudge).toHaveBeenCalledWith(bob.peerId.toString())
    expect(() => { contacts.assertNotHeld(bob) }).not.toThrow()
  })

  it('resolves names and peer ids, and says which was wrong', async () => {
    const bob = await peer()
    await contacts.add('bob', bob.peerId.toString())
    expect(contacts.resolve(bob.peerId.toString()).peerId.equals(bob.peerId)).toBe(true)
    expect(() => contacts.resolve('nobody')).toThrow(ContactNotFoundError)
    expect(() => contacts.resolve('12D3KooWnotavalidpeerid')).toThrow(InvalidPeerIdError)
  })
})

describe('requests and block list services', () => {
  let store: Store
  afterEach(() => { store.close() })

  it('act on names as on peer ids', async () => {
    store = openStore({ path: MEMORY_PATH })
    const self = await peer()
    const contacts = createContacts({ self, store, peers: { remember: vi.fn<PeerBook['remember']>(), learn: vi.fn<PeerBook['learn']>(async () => {}), join: vi.fn<PeerBook['join']>() }, messenger: { send: vi.fn(async () => ({})), nudge: vi.fn<(peer: string) => void>() }, logger: recordingLogger(), events: { keyChanged: vi.fn(), state: vi.fn() } })
    const stranger = await peer()
    store.messages.insertIncoming({ id: '01'.repeat(16), peer: stranger.peerId.toString(), text: 'hi', sentAt: 1, seq: 1, receivedAt: 2 })
    const requests = createRequests({ requests: store.requests, resolve: contacts.resolve })
    const blocklist = createBlocklist({ blocklist: store.blocklist, resolve: contacts.resolve })
    expect(requests.list()).toMatchObject([{ peer: stranger.peerId.toString(), count: 1 }])
    expect(requests.decline(stranger.peerId.toString())).toBe(1)
    expect(requests.list()).toEqual([])
    await contacts.add('stranger', stranger.peerId.toString())
    blocklist.block('stranger')
    expect(blocklist.has(stranger.peerId.toString())).toBe(true)
    expect(blocklist.list()).toMatchObject([{ peerId: stranger.peerId.toString() }])
    blocklist.unblock('stranger')
    expect(blocklist.has('stranger')).toBe(false)
    expect(() => { requests.accept('nobody') }).toThrow(ContactNotFoundError)
  })
})
