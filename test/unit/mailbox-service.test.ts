/**
 * The mailbox service with a stand-in client (a fake transport) and fake
 * timers: when it fetches this node's mail, where fetched envelopes go, and
 * what it holds for others.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TypedEventEmitter } from 'main-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parsePeerId } from '../../src/crypto/peer.js'
import { createMailboxService } from '../../src/mailbox/service.js'
import { MEMORY_PATH, openStore } from '../../src/store/index.js'
import { recordingLogger } from '../helpers/logger.js'
import type { MailboxClientService, MailboxReceiver } from '../../src/mailbox/client.js'
import type { MailboxService } from '../../src/mailbox/service.js'
import type { Mock } from 'vitest'
import type { Store } from '../../src/store/index.js'
import type { PeerId } from '@libp2p/interface'

describe('mailbox service', () => {
  let store: Store
  let service: MailboxService
  let events: TypedEventEmitter<Record<string, CustomEvent>>
  let handled: string[]
  let fetchFrom: Mock<MailboxClientService['fetchFrom']>
  let receive: Mock<MailboxReceiver>
  let mailboxPeer: PeerId

  beforeEach(async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 })
    store = openStore({ path: MEMORY_PATH })
    events = new TypedEventEmitter()
    handled = []
    mailboxPeer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    receive = vi.fn<MailboxReceiver>(async (envelope) => envelope.subarray(0, 1))
    // the fake transport: each fetch round finds one envelope at the one mailbox peer
    fetchFrom = vi.fn<MailboxClientService['fetchFrom']>(async (_peer, rx) => { await rx(new Uint8Array([7, 7])); return 1 })
    const self = parsePeerId(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
    service = createMailboxService({
      libp2p: {
        handle: async (protocol: string) => { handled.push(protocol) },
        unhandle: async (protocol: string) => { handled = handled.filter(p => p !== protocol) },
        addEventListener: events.addEventListener.bind(events),
        removeEventListener: events.removeEventListener.bind(events)
      } as never,
      self,
      mailbox: store.mailbox,
      stampReplay: store.stampReplay,
      client: { ownMailboxes: async () => [mailboxPeer], fetchFrom },
      receive,
      logger: recordingLogger()
    }, { fetchIntervalMs: 60_000 })
  })
  afterEach(async () => {
    await service.stop()
    store.close()
    vi.useRealTimers()
  })

  it('serves the mailbox protocol while running, and only then', async () => {
    await service.start()
    expect(handled).toEqual(['/natter/mailbox/1.0.0'])
    await service.stop()
    expect(handled).toEqual([])
  })

  it('fetches periodically and hands every fetched envelope to the receiver', async () => {
    await service.start()
    await vi.advanceTimersByTimeAsync(59_999)
    expect(fetchFrom).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(fetchFrom).toHaveBeenCalledTimes(1)
    expect(fetchFrom.mock.calls[0]?.[0]).toBe(mailboxPeer)
    expect(receive).toHaveBeenCalledWith(new Uint8Array([7, 7]))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fetchFrom).toHaveBeenCalledTimes(2)
  })

  it('fetches soon after peers connect, once for a burst of connections', async () => {
    await service.start()
    for (let i = 0; i < 5; i++) {
      events.dispatchEvent(new CustomEvent('peer:connect', { detail: mailboxPeer }))
    }
    await vi.advanceTimersByTimeAsync(150)
    expect(fetchFrom).toHaveBeenCalledTimes(1)
    // a connection a moment later does not trigger another round; one after a second does
    events.dispatchEvent(new CustomEvent('peer:connect', { detail: mailboxPeer }))
    await vi.advanceTimersByTimeAsync(150)
    expect(fetchFrom).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1000)
    events.dispatchEvent(new CustomEvent('peer:connect', { detail: mailboxPeer }))
    await vi.advanceTimersByTimeAsync(150)
    expect(fetchFrom).toHaveBeenCalledTimes(2)
  })

  it('a fetch triggered just before stop does not run after it', async () => {
    await service.start()
    events.dispatchEvent(new CustomEvent('peer:connect', { detail: mailboxPeer }))
    await service.stop()
    await vi.advanceTimersByTimeAsync(61_000)
    expect(fetchFrom).not.toHaveBeenCalled()
  })

  it('a fetch asked for while one runs joins it', async () => {
    let finish!: () => void
    fetchFrom.mockImplementationOnce(async () => { await new Promise<void>(resolve => { finish = resolve }); return 3 })
    await service.start()
    const first = service.fetchOwn()
    const second = service.fetchOwn()
    await vi.advanceTimersByTimeAsync(0)
    finish()
    expect(await first).toBe(3)
    expect(await second).toBe(3)
    expect(fetchFrom).toHaveBeenCalledTimes(1)
  })

  it('deletes held envelopes once expired, at start and every hour', async () => {
    const recipient = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    store.mailbox.deposit({ recipient, depositor: recipient, id: 'ab'.repeat(16), envelope: new Uint8Array(10), expiresAt: Date.now() + 30 * 60_000 })
    await service.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(store.mailbox.fetchFor(recipient, { limit: 10 })).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(store.mailbox.fetchFor(recipient, { limit: 10 })).toHaveLength(0)
  })
})
