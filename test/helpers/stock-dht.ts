/**
 * A DHT attacker built from stock js-libp2p and the spec (PROTOCOL.md §6):
 * TCP, Noise, yamux, identify, ping and a stock `@libp2p/kad-dht` client on
 * natter's protocol id, storing whatever it is given with PUT_VALUE.
 */
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import pWaitFor from 'p-wait-for'
import { stockLibp2p } from './stock-libp2p.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from '@libp2p/interface'

/** natter's Kademlia protocol id, as PROTOCOL.md §6 names it. */
export const SPEC_DHT_PROTOCOL = '/natter/kad/1.0.0'

/** A stock kad-dht client. */
export interface StockDhtClient {
  libp2p: Libp2p<{ dht: KadDHT }>
  /** Dials the target and waits until it is in the DHT routing table. */
  join(address: string, peerId: string): Promise<void>
  /** PUT_VALUE to the target; resolves with whether the target answered without error. */
  put(key: Uint8Array, value: Uint8Array): Promise<boolean>
  /** GET_VALUE: the values the target answered with (at most one). */
  getFrom(peerId: string, key: Uint8Array): Promise<Uint8Array[]>
  stop(): Promise<void>
}

/** Starts a stock kad-dht client that accepts any record (no validation: it is the attacker). */
export async function stockDhtClient (): Promise<StockDhtClient> {
  const libp2p = await stockLibp2p({
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: SPEC_DHT_PROTOCOL,
        clientMode: true,
        peerInfoMapper: passthroughMapper,
        validators: { 'natter-prekeys': async () => {} },
        selectors: { 'natter-prekeys': () => 0 }
      })
  })
  let target: string | undefined
  return {
    libp2p,
    async join (address, peerId) {
      target = peerId
      await libp2p.dial(multiaddr(address))
      // the target is in our routing table once a closest-peers query ends at it
      await pWaitFor(async () => {
        for await (const event of libp2p.services.dht.getClosestPeers(new Uint8Array(8), { signal: AbortSignal.timeout(2_000) })) {
          if (event.name === 'FINAL_PEER' && event.peer.id.equals(peerIdFromString(peerId))) {
            return true
          }
        }
        return false
      }, { timeout: 15_000, interval: 50 })
    },
    async put (key, value) {
      let answered = false
      let failed = false
      try {
        for await (const event of libp2p.services.dht.put(key, value, { signal: AbortSignal.timeout(10_000) })) {
          if (event.name === 'PEER_RESPONSE' && event.from.toString() === target) {
            answered = true
          }
          if (event.name === 'QUERY_ERROR' && event.from.toString() === target) {
            failed = true
          }
        }
      } catch {
        failed = true
      }
      return answered && !failed
    },
    async getFrom (peerId, key) {
      const values: Uint8Array[] = []
      try {
        for await (const event of libp2p.services.dht.get(key, { signal: AbortSignal.timeout(10_000) })) {
          if (event.name === 'VALUE' && event.from.toString() === peerId) {
            values.push(event.value)
          }
        }
      } catch {
        // no answer: nothing held
      }
      return values
    },
    async stop () {
      await libp2p.stop()
    }
  }
}
