/**
 * One socket write per batch of Noise frames (src/network/coalesce.ts): a
 * node with the coalescing encrypter hands TCP one buffer for a stream
 * write, and a stock libp2p node reads it unchanged.
 */
import { Socket } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { coalesceWrites, coalescingEncrypter, COALESCE_MAX_BYTES } from '../../src/network/coalesce.js'
import { stockLibp2p } from '../helpers/stock-libp2p.js'
import type { Libp2p, MessageStream } from '@libp2p/interface'

const PROTOCOL = '/natter-test/coalesce/1.0.0'

describe('coalesced writes', () => {
  const nodes: Libp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => n.stop()))
  })

  it('a stream write reaches the socket as one write, and a stock peer reads it intact', async () => {
    const receiver = await stockLibp2p({})
    nodes.push(receiver)
    const got = Promise.withResolvers<Uint8Array>()
    await receiver.handle(PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      got.resolve((await lp.read()).subarray())
      await stream.close()
    })
    const sender = await createLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [coalescingEncrypter(noise())],
      streamMuxers: [yamux()]
    })
    nodes.push(sender)
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0]!, PROTOCOL)
    const payload = new Uint8Array(1300).map((_, i) => i & 0xff)
    const frame = new Uint8ArrayList(Uint8Array.of(0x94, 0x0a), payload) // varint 1300, then the payload

    // the yamux header, the length prefix and the body go out together: Noise frames them, TCP writes once
    const writes: number[] = []
    const original = Socket.prototype.write
    Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      writes.push((args[0] as Uint8Array).byteLength)
      return original.apply(this, args)
    } as Socket['write']
    try {
      stream.send(frame)
    } finally {
      Socket.prototype.write = original
    }
    expect(writes).toHaveLength(1)
    expect(writes[0]).toBeGreaterThan(1300)
    expect(new Uint8Array(await got.promise)).toEqual(payload)
  })

  it('passes a batch larger than the bound on in its pieces, and wraps a stream once', () => {
    const seen: number[] = []
    const stream = {
      sendData (data: Uint8ArrayList) {
        seen.push([...data].length)
        return { sentBytes: data.byteLength, canSendMore: true }
      }
    }
    expect(coalesceWrites(stream as unknown as MessageStream)).toBe(true)
    expect(coalesceWrites(stream as unknown as MessageStream)).toBe(true)
    const send = (list: Uint8ArrayList): unknown => (stream.sendData as (d: Uint8ArrayList) => unknown)(list)
    send(new Uint8ArrayList(new Uint8Array(2), new Uint8Array(10)))
    send(new Uint8ArrayList(new Uint8Array(COALESCE_MAX_BYTES), new Uint8Array(1)))
    expect(seen).toEqual([1, 2])
    // a stream without the hook is left alone
    expect(coalesceWrites({} as unknown as MessageStream)).toBe(false)
  })
})
