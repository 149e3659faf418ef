import { describe, expect, it } from 'vitest'
import { DeliveryRefusedError, DeliveryTimeoutError, PeerNotFoundError, PeerUnreachableError } from '../../src/errors.js'
import { undelivered } from '../../src/messaging/undelivered.js'

describe('the error send throws for an undelivered message', () => {
  const fallback = (): DeliveryTimeoutError => new DeliveryTimeoutError('not delivered yet')

  it('is the library error as it was, naming the message', () => {
    const cause = new PeerNotFoundError('nowhere')
    const err = undelivered('ab', cause, fallback)
    expect(err).toBe(cause)
    expect(err.messageId).toBe('ab')
  })

  it('turns libp2p\'s abort and timeout errors into DeliveryTimeoutError, anything else from below into PeerUnreachableError', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' })
    expect(undelivered('1', abort, fallback)).toMatchObject({ name: 'DeliveryTimeoutError', messageId: '1', cause: abort })
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' })
    expect(undelivered('2', timeout, fallback)).toBeInstanceOf(DeliveryTimeoutError)
    const reset = Object.assign(new Error('stream reset'), { name: 'StreamResetError' })
    const err = undelivered('3', reset, fallback)
    expect(err).toBeInstanceOf(PeerUnreachableError)
    expect(err.message).toBe('delivery failed: stream reset')
  })

  it('falls back when there is no error to tell', () => {
    const err = undelivered('4', undefined, () => new DeliveryRefusedError('refused', 'FAILED'))
    expect(err).toMatchObject({ name: 'DeliveryRefusedError', status: 'FAILED', messageId: '4' })
  })
})
