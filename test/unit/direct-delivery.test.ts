/**
 * The direct delivery strategy over a stand-in transport: paying proof of
 * work when asked, resealing once when the recipient cannot read a session.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it, vi } from 'vitest'
import { DeliveryRefusedError, PeerNotFoundError } from '../../src/errors.js'
import { directDelivery } from '../../src/messaging/outbox/direct.js'
import { recordingLogger } from '../helpers/logger.js'
import type { OutgoingMessage } from '../../src/store/index.js'

async function message (): Promise<OutgoingMessage> {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  return { id: 'ab'.repeat(16), peer, direction: 'out', text: 'hi', seq: 1, sentAt: Date.now(), state: 'queued', stateAt: Date.now() } as unknown as OutgoingMessage
}

function setup () {
  const deliver = vi.fn(async (_r: unknown, _id: Uint8Array, _e: Uint8Array, _s: AbortSignal) => {})
  const envelopeFor = vi.fn(async (_m: OutgoingMessage, reseal?: { difficulty?: number }) => new Uint8Array([reseal?.difficulty ?? 9]))
  const discard = vi.fn()
  const refused = vi.fn(async () => true)
  const strategy = directDelivery({
    sender: { deliver },
    sealer: { envelopeFor, discard },
    sessions: { refused },
    log: recordingLogger().forComponent('test')
  }, { attemptTimeoutMs: 1000, powDifficulty: 8 })
  return { deliver, envelopeFor, discard, refused, strategy }
}

describe('direct delivery', () => {
  it('hands the envelope to the transport once when it is acknowledged', async () => {
    const s = setup()
    await s.strategy.deliver(await message(), new Uint8Array([1]), new AbortController().signal)
    expect(s.deliver).toHaveBeenCalledTimes(1)
    expect(s.deliver.mock.calls[0]?.[2]).toEqual(new Uint8Array([1]))
    expect(s.envelopeFor).not.toHaveBeenCalled()
  })

  it('pays the proof of work the recipient asks for (at least its own difficulty) and tries once more', async () => {
    const s = setup()
    s.deliver.mockRejectedValueOnce(new DeliveryRefusedError('pow', 'POW_REQUIRED', { requiredDifficulty: 12 }))
    await s.strategy.deliver(await message(), new Uint8Array([1]), new AbortController().signal)
    expect(s.envelopeFor).toHaveBeenCalledWith(expect.anything(), { difficulty: 12 })
    expect(s.deliver.mock.calls[1]?.[2]).toEqual(new Uint8Array([12]))
  })

  it('does not pay twice for the same envelope', async () => {
    const s = setup()
    s.deliver.mockRejectedValue(new DeliveryRefusedError('pow', 'POW_REQUIRED', { requiredDifficulty: 2 }))
    await expect(s.strategy.deliver(await message(), new Uint8Array([1]), new AbortController().signal)).rejects.toMatchObject({ status: 'POW_REQUIRED' })
    expect(s.deliver).toHaveBeenCalledTimes(2)
    expect(s.envelopeFor).toHaveBeenCalledWith(expect.anything(), { difficulty: 8 })
  })

  it('reseals once when the recipient cannot read the session, then gives up', async () => {
    const s = setup()
    s.deliver.mockRejectedValue(new DeliveryRefusedError('invalid', 'INVALID'))
    await expect(s.strategy.deliver(await message(), new Uint8Array([1]), new AbortController().signal)).rejects.toMatchObject({ status: 'INVALID' })
    expect(s.refused).toHaveBeenCalledTimes(1)
    expect(s.discard).toHaveBeenCalledTimes(1)
    expect(s.deliver).toHaveBeenCalledTimes(2)
  })

  it('does not reseal an envelope the sessions do not disown (SEALED, or no session dropped)', async () => {
    const s = setup()
    s.refused.mockResolvedValue(false)
    s.deliver.mockRejectedValue(new DeliveryRefusedError('invalid', 'INVALID'))
    await expect(s.strategy.deliver(await message(), new Uint8Array([1]), new AbortController().signal)).rejects.toMatchObject({ status: 'INVALID' })
    expect(s.discard).not.toHaveBeenCalled()
    expect(s.deliver).toHaveBeenCalledTimes(1)
  })

  it('passes transport errors on, and each try gets a signal that ends with the caller\'s', async () => {
    const s = setup()
    s.deliver.mockRejectedValue(new PeerNotFoundError('nowhere'))
    const caller = new AbortController()
    await expect(s.strategy.deliver(await message(), new Uint8Array([1]), caller.signal)).rejects.toBeInstanceOf(PeerNotFoundError)
    const signal = s.deliver.mock.calls[0]?.[3] as AbortSignal
    expect(signal.aborted).toBe(false)
    caller.abort()
    expect(signal.aborted).toBe(true)
  })
})
