/**
 * A stock js-libp2p node on loopback (TCP, Noise, yamux, a fresh Ed25519 key),
 * with whatever services a test's stand-in peer needs: the base of every
 * attacker and foreign peer built from the spec rather than natter's code.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import type { Libp2p, ServiceMap } from '@libp2p/interface'
import type { ServiceFactoryMap } from 'libp2p'

/** Creates and starts a stock node listening on 127.0.0.1 with `services`. */
export async function stockLibp2p<T extends ServiceMap> (services: ServiceFactoryMap<T>): Promise<Libp2p<T>> {
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  })
}
