import { generateKeyPair } from '@libp2p/crypto/keys'
import { natterServicePolicies } from '../../src/policies.js'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { Payload, sealEnvelope } from '../../src/crypto/envelope.js'
import { parsePeerId } from '../../src/crypto/peer.js'
import { MAILBOX_PROTOCOL, MailboxClient } from '../../src/mailbox/protocol.js'
import { createNetwork } from '../../src/network/libp2p.js'
import { nodeFactory } from '../helpers/nodes.js'
import type { NatterLibp2p } from '../../src/network/libp2p.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { payer } from '../helpers/mailbox.js'

const text = (t: string): Payload => ({ type: Payload.Type.TEXT, text: t, seq: 1n, receiptIds: [], receiptState: Payload.ReceiptState.DELIVERED })

describe('mailbox abuse', () => {
  const nodes = nodeFactory()
  const raws: NatterLibp2p[] = []
  afterEach(async () => {
    await Promise.all(raws.splice(0).map(async r => { await r.stop() }))
    await nodes.cleanup()
  })

  async function rawPeer (): Promise<{ libp2p: NatterLibp2p, key: Ed25519PrivateKey, bytes: Uint8Array }> {
    const key = await generateKeyPair('Ed25519')
    const libp2p = await createNetwork({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], network: 'local', mdns: false, dhtAddresses: 'all', maxConnections: 10, ...natterServicePolicies() })
    await libp2p.start()
    raws.push(libp2p)
    return { libp2p, key, bytes: libp2p.peerId.toMultihash().bytes }
  }

  it('refuses excess deposits, oversized envelopes and fetches by the wrong key, losing nothing', async () => {
    const mailbox = await nodes.create({ mailboxQuotas: { maxEnvelopesPerDepositor: 3, maxEnvelopesPerRecipient: 100 } })
    const depositor = await rawPeer()
    const recipient = await rawPeer()
    const intruder = await rawPeer()
    const recipientPeer = parsePeerId(recipient.libp2p.peerId.toString())
    const open = async (who: NatterLibp2p): Promise<MailboxClient> => new MailboxClient(await who.dialProtocol(multiaddr(mailbox.addresses[0]!), MAILBOX_PROTOCOL), payer(who, mailbox))

    const client = await open(depositor.libp2p)
    const ids: Uint8Array[] = []
    for (let i = 0; i < 3; i++) {
      const sealed = await sealEnvelope({ senderKey: depositor.key, sender: depositor.bytes, recipient: recipientPeer, payload: text(`m${i}`) })
      ids.push(sealed.id)
      await client.deposit(sealed.bytes)
    }
    // the depositor's quota is full: named refusal
    const fourth = await sealEnvelope({ senderKey: depositor.key, sender: depositor.bytes, recipient: recipientPeer, payload: text('m3') })
    await expect(client.deposit(fourth.bytes)).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'QUOTA_EXCEEDED' })
    // an envelope over the frame limit: named refusal (and the stream closes)
    await expect(client.deposit(new Uint8Array(70 * 1024))).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'TOO_LARGE' })
    // a forged envelope (body signed by someone else than its claimed sender)
    const forged = await sealEnvelope({ senderKey: intruder.key, sender: depositor.bytes, recipient: recipientPeer, payload: text('forged') })
    await expect((await open(intruder.libp2p)).deposit(forged.bytes)).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'INVALID' })

    // the intruder tries to fetch the recipient's envelopes with its own key
    const stolen = await open(intruder.libp2p)
    await expect(stolen.fetchAll(intruder.key, recipient.bytes, parsePeerId(mailbox.peerId).bytes, async () => []))
      .rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'UNAUTHORIZED' })

    // the real recipient still gets all three
    const got: Uint8Array[] = []
    const fetched = await (await open(recipient.libp2p)).fetchAll(recipient.key, recipient.bytes, parsePeerId(mailbox.peerId).bytes, async (envelopes) => {
      got.push(...envelopes)
      return ids
    })
    expect(fetched).toBe(3)
    // acknowledged envelopes are deleted
    const again = await (await open(recipient.libp2p)).fetchAll(recipient.key, recipient.bytes, parsePeerId(mailbox.peerId).bytes, async () => [])
    expect(again).toBe(0)
  })

  it('a node that opted out of serving refuses deposits with DISABLED', async () => {
    const mailbox = await nodes.create({ mailbox: false })
    const depositor = await rawPeer()
    const sealed = await sealEnvelope({ senderKey: depositor.key, sender: depositor.bytes, recipient: parsePeerId(mailbox.peerId), payload: text('x') })
    const client = new MailboxClient(await depositor.libp2p.dialProtocol(multiaddr(mailbox.addresses[0]!), MAILBOX_PROTOCOL), payer(depositor, mailbox))
    await expect(client.deposit(sealed.bytes)).rejects.toMatchObject({ name: 'MailboxRefusedError', status: 'DISABLED' })
  })
})
