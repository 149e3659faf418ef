/**
 * The DM listener is pipelined (PROTOCOL.md §5 allows a dialer to pipeline):
 * several envelopes of one stream are handled at once, at most the pipeline
 * depth, and the replies still go out in request order, whatever order the
 * handling finishes in.
 */
import { lpStream } from '@libp2p/utils'
import pWaitFor from 'p-wait-for'
import { afterEach, describe, expect, it } from 'vitest'
import { DM_PROTOCOL, handleDmStream } from '../../src/dm/protocol.js'
import { DmRequest, DmResponse } from '../../src/pb/dm.js'
import { EnvelopeBody, SignedEnvelope } from '../../src/pb/envelope.js'
import { stockLibp2p } from '../helpers/stock-libp2p.js'
import type { Libp2p } from '@libp2p/interface'

const COUNT = 40
const DEPTH = 8

/** An envelope that decodes as far as its 16-byte id (all the listener itself reads). */
function envelopeWithId (n: number): Uint8Array {
  const id = new Uint8Array(16).fill(n)
  const body = EnvelopeBody.encode({ version: 1, id, sender: new Uint8Array(0), recipient: new Uint8Array(0), sentAt: 0n, scheme: EnvelopeBody.Scheme.SEALED, ephemeralKey: new Uint8Array(0), nonce: new Uint8Array(0), ciphertext: new Uint8Array(0), stamp: new Uint8Array(0) })
  return SignedEnvelope.encode({ body, signature: new Uint8Array(64) })
}

describe('pipelined DM listener', () => {
  const nodes: Libp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  it('handles up to its depth at once and replies in request order', async () => {
    const [listener, dialer] = [await stockLibp2p({}), await stockLibp2p({})]
    nodes.push(listener, dialer)
    let active = 0
    let most = 0
    const release: Array<() => void> = []
    await listener.handle(DM_PROTOCOL, (stream, connection) => handleDmStream(stream, connection, {
      pipelineDepth: DEPTH,
      onEnvelope: async (bytes) => {
        active++
        most = Math.max(most, active)
        // each handling ends only when the test releases it, so the order of completion is the test's
        await new Promise<void>(resolve => { release.push(resolve) })
        active--
        const id = SignedEnvelope.decode(bytes).body
        return { status: DmResponse.Status.OK, id: EnvelopeBody.decode(id).id }
      }
    }))
    const stream = await dialer.dialProtocol(listener.getMultiaddrs()[0]!, DM_PROTOCOL)
    const lp = lpStream(stream)
    for (let n = 0; n < COUNT; n++) {
      await lp.write(DmRequest.encode({ envelope: envelopeWithId(n) }))
    }
    const replies: number[] = []
    const reading = (async () => {
      for (let n = 0; n < COUNT; n++) {
        replies.push(DmResponse.decode(await lp.read()).id[0]!)
      }
    })()
    // finish them newest first, a window at a time: the listener must still answer 0, 1, 2, …
    for (let done = 0; done < COUNT;) {
      await pWaitFor(() => release.length === Math.min(DEPTH, COUNT - done), { timeout: 10_000 })
      expect(active).toBe(release.length)
      const batch = release.splice(0)
      for (const r of batch.reverse()) r()
      done += batch.length
      await pWaitFor(() => replies.length === done, { timeout: 10_000 })
    }
    await reading
    expect(replies).toEqual(Array.from({ length: COUNT }, (_, n) => n))
    expect(most).toBe(DEPTH)
    await stream.close()
  })
})
