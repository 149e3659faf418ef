/**
 * The receive path answers "try later" (UNAVAILABLE) when it cannot take an
 * envelope now: overloaded, read-only storage, shutting down. The messenger
 * runs over a real in-memory store with stand-ins for the network and the
 * session layer (whose `open` is held to create the overload).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createMessenger } from '../../src/messaging/messenger.js'
import { DmResponse } from '../../src/pb/dm.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import type { Messenger, MessengerComponents } from '../../src/messaging/messenger.js'
import type { Store } from '../../src/store/index.js'

const text = (t: string): Payload => ({ type: Payload.Type.TEXT, text: t, seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

describe('the receive path under pressure', () => {
  const running: Array<{ messenger: Messenger, store: Store }> = []
  afterEach(async () => {
    for (const { messenger, store } of running.splice(0)) {
      await messenger.stop()
      store.close()
    }
  })

  async function setup (init: { storageUnavailable?: () => number | undefined, maxConcurrentReceives?: number } = {}) {
    const key = await generateKeyPair('Ed25519')
    const self = parsePeerId(peerIdFromPrivateKey(key).toString())
    const friendKey = await generateKeyPair('Ed25519')
    const friend = parsePeerId(peerIdFromPrivateKey(friendKey).toString())
    const store = openStore({ path: MEMORY_PATH })
    store.contacts.add('friend', friend.peerId.toString())
    const held: Array<() => void> = []
    const sessions = {
      // held open until released: the envelope stays "in processing"
      open: async () => { await new Promise<void>(resolve => { held.push(resolve) }); return text('hi') },
      assertSendable: () => {},
      refused: async () => false,
      seal: async () => { throw new Error('not used') }
    } as unknown as MessengerComponents['sessions']
    const messenger = createMessenger({
      self,
      messages: store.messages,
      outbox: store.outbox,
      requests: store.requests,
      goneMessages: store.goneMessages,
      stampReplay: store.stampReplay,
      transaction: (fn) => store.transaction(fn),
      sender: { deliver: async () => {}, close: async () => {} },
      mailboxes: { deposit: async () => 0 },
      sessions,
      // the network's stand-in: the DM protocol is served and events are listened to, nothing more
      libp2p: { handle: async () => {}, unhandle: async () => {}, addEventListener: () => {}, removeEventListener: () => {} } as unknown as MessengerComponents['libp2p'],
      logger: defaultLogger(),
      events: { message: () => {}, request: () => {}, state: () => {} }
    }, init)
    await messenger.start()
    running.push({ messenger, store })
    const envelope = async (): Promise<Uint8Array> => (await sealEnvelope({ senderKey: friendKey, sender: friend.bytes, recipient: self, payload: text('hi') })).bytes
    return { messenger, envelope, held, from: friend.peerId.toString() }
  }

  it('overloaded: past maxConcurrentReceives envelopes in processing, the next is answered UNAVAILABLE with a hint', async () => {
    const { messenger, envelope, held, from } = await setup({ maxConcurrentReceives: 2 })
    const first = messenger.receiveDirect(await envelope(), from)
    const second = messenger.receiveDirect(await envelope(), from)
    const third = await messenger.receiveDirect(await envelope(), from)
    expect(third).toMatchObject({ status: DmResponse.Status.UNAVAILABLE, retryAfterMs: expect.any(Number) })
    for (let i = 0; i < 100 && held.length < 2; i++) {
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    held.splice(0).forEach(release => { release() })
    expect((await first).status).toBe(DmResponse.Status.OK)
    expect((await second).status).toBe(DmResponse.Status.OK)
  })

  it('read-only storage: answered UNAVAILABLE at once, with the probe interval as the hint, without touching the store', async () => {
    const { messenger, envelope, from } = await setup({ storageUnavailable: () => 2000 })
    expect(await messenger.receiveDirect(await envelope(), from)).toMatchObject({ status: DmResponse.Status.UNAVAILABLE, retryAfterMs: 2000 })
  })

  it('shutting down: answered UNAVAILABLE, not INVALID', async () => {
    const { messenger, envelope, from } = await setup()
    await messenger.stop()
    expect(await messenger.receiveDirect(await envelope(), from)).toMatchObject({ status: DmResponse.Status.UNAVAILABLE })
    expect(await messenger.receiveFromMailbox(await envelope()), 'a mailbox keeps it for later').toBeUndefined()
  })
})
