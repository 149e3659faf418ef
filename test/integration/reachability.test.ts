/**
 * Honest errors and advertised addresses on real nodes (issue 12): a node
 * with no peer at all says so (NoPeersError), distinct from a peer that was
 * looked up and not found; an internet-mode node on loopback advertises
 * nothing a stranger could not dial.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeFactory } from '../helpers/nodes.js'

const nodes = nodeFactory()
afterEach(async () => { await nodes.cleanup() })

describe('reachability (issue 12)', () => {
  it('with no peer at all, connecting says "no peers", not "not found" or "could not dial"', async () => {
    const alone = await nodes.create()
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const err = await alone.connect(stranger).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'NoPeersError' })
    expect((err as Error).message).toMatch(/connected to no peer at all/)
  })

  it('with a peer to ask, an unknown peer is "not found"', async () => {
    const a = await nodes.create()
    const b = await nodes.create({ bootstrap: [a.addresses[0]!] })
    await b.connect(a.addresses[0]!)
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const err = await b.connect(stranger).catch((e: Error) => e)
    expect(err).toMatchObject({ name: 'PeerNotFoundError' })
  })

  it('an internet-mode node on loopback advertises no address, and says it is reachable by nobody', async () => {
    const node = await nodes.create({ network: 'internet', upnp: false })
    expect(node.addresses).toEqual([])
    expect(node.reachability).toMatchObject({ network: 'internet', state: 'none' })
    expect(node.invite()).not.toContain('127.0.0.1')
    const local = await nodes.create()
    expect(local.addresses.some(a => a.startsWith('/ip4/127.0.0.1/'))).toBe(true)
    expect(local.reachability.state).toBe('local')
  })
})
