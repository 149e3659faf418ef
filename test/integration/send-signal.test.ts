/**
 * One signal passed to many concurrent sends (a UI's "cancel all", the bench's
 * time budget) must not collect an 'abort' listener per send: Node warns
 * (MaxListenersExceededWarning) past 10, and the listeners would pile up.
 */
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeFactory } from '../helpers/nodes.js'

describe('send() with a shared signal', () => {
  const nodes = nodeFactory()
  afterEach(async () => { await nodes.cleanup() })

  it('adds no abort listener per send to the caller\'s signal', async () => {
    const [alice, bob] = [await nodes.create(), await nodes.create()]
    await alice.contacts.add('bob', bob.peerId)
    await bob.contacts.add('alice', alice.peerId)
    await alice.connect(bob.addresses[0]!)
    const warnings: string[] = []
    const onWarning = (w: Error): void => { warnings.push(w.name) }
    process.on('warning', onWarning)
    try {
      const shared = new AbortController()
      let most = 0
      const sampling = setInterval(() => { most = Math.max(most, getEventListeners(shared.signal, 'abort').length) }, 1)
      try {
        await Promise.all(Array.from({ length: 40 }, async (_, i) => alice.send(bob.peerId, `hello ${i}`, { signal: shared.signal })))
      } finally {
        clearInterval(sampling)
      }
      expect(most).toBe(0)
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})
