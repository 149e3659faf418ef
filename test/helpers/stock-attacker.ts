/**
 * An attacker built from stock js-libp2p and the spec only (PROTOCOL.md §3 and
 * its .proto), not from natter's network code: TCP, Noise, yamux, identify and
 * plain gossipsub, publishing hand-made presence records on natter's topic.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { PresenceRecord, SignedPresence } from '../../src/pb/presence.js'
import { stockLibp2p } from './stock-libp2p.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface'

/** The presence topic, as PROTOCOL.md §3.1 names it. */
export const SPEC_PRESENCE_TOPIC = '/natter/presence/1'

/** Fields of a presence record to forge; the rest default to a valid online record. */
export interface ForgedPresence {
  seq?: bigint
  issuedAt?: bigint
  expiresAt?: bigint
  note?: string
  status?: PresenceRecord.Status
}

/** Signs a presence record for `key` exactly as §3.1 says (any field may be out of range). */
export async function forgePresence (key: Ed25519PrivateKey, fields: ForgedPresence = {}): Promise<Uint8Array> {
  const now = BigInt(Date.now())
  const record = PresenceRecord.encode({
    peerId: peerIdFromPrivateKey(key).toMultihash().bytes,
    status: fields.status ?? PresenceRecord.Status.ONLINE,
    note: fields.note ?? '',
    seq: fields.seq ?? now,
    issuedAt: fields.issuedAt ?? now,
    expiresAt: fields.expiresAt ?? now + 60_000n
  })
  const signature = await key.sign(uint8ArrayConcat([uint8ArrayFromString('natter-presence-v1'), record]))
  return SignedPresence.encode({ record, signature })
}

/** A stock libp2p node with gossipsub subscribed to the presence topic. */
export interface StockAttacker {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  /** Dials `address` and waits until that peer is subscribed to the presence topic from our side's view. */
  join(address: string, peerId: string): Promise<void>
  publish(data: Uint8Array): Promise<void>
  stop(): Promise<void>
}

/** Starts a stock attacker on loopback. */
export async function stockAttacker (): Promise<StockAttacker> {
  const libp2p = await stockLibp2p({
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', allowPublishToZeroTopicPeers: true, floodPublish: true, emitSelf: false })
  })
  libp2p.services.pubsub.subscribe(SPEC_PRESENCE_TOPIC)
  return {
    libp2p,
    async join (address, peerId) {
      await libp2p.dial(multiaddr(address))
      await pWaitFor(() => libp2p.services.pubsub.getSubscribers(SPEC_PRESENCE_TOPIC).some(p => p.toString() === peerId), { timeout: 15_000 })
    },
    async publish (data) {
      await libp2p.services.pubsub.publish(SPEC_PRESENCE_TOPIC, data)
    },
    async stop () {
      await libp2p.stop()
    }
  }
}
