/**
 * What natter needs of a libp2p node it is handed (`createNatter({ libp2p })`),
 * checked before natter uses it, so a missing piece is named at once instead
 * of failing later in some lookup.
 *
 * @module
 */
import { MissingServicesError } from '../base-errors.js'
import { DHT_PROTOCOL } from './constants.js'
import type { NatterLibp2p } from './libp2p.js'
import type { Libp2p } from '@libp2p/interface'

/** The services natter uses, by the name natter looks them up under, and a method each must have. */
const REQUIRED_SERVICES: ReadonlyArray<[name: string, method: string]> = [
  ['identify', 'identify'],
  ['ping', 'ping'],
  ['dht', 'getClosestPeers'],
  ['pubsub', 'publish']
]

/**
 * Checks that `libp2p` carries the services natter needs (before start) and,
 * once it runs, that its DHT speaks natter's protocol. Throws
 * {@link MissingServicesError} listing everything missing.
 */
export function checkLibp2p (libp2p: Libp2p<Record<string, unknown>>): asserts libp2p is NatterLibp2p {
  const missing: string[] = []
  const services = (libp2p.services ?? {}) as Record<string, Record<string, unknown> | undefined>
  for (const [name, method] of REQUIRED_SERVICES) {
    if (typeof services[name]?.[method] !== 'function') {
      missing.push(`services.${name}`)
    }
  }
  // a DHT client (behind NAT, until a public address is confirmed) registers no handler: its protocol id
  // is read from the service; a server's from the registrar
  const dhtProtocol = services.dht?.protocol
  const speaksNatterDht = dhtProtocol === DHT_PROTOCOL || libp2p.getProtocols().includes(DHT_PROTOCOL)
  if (libp2p.status === 'started' && !speaksNatterDht) {
    // natter's DHT is its own (PROTOCOL.md §2): a kad-dht under another protocol id finds no natter peers
    missing.push(`protocol ${DHT_PROTOCOL} (kadDHT({ protocol: '${DHT_PROTOCOL}' }))`)
  }
  if (missing.length > 0) {
    throw new MissingServicesError(missing)
  }
}
