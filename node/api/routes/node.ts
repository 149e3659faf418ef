/**
 * Node endpoints: identity and invite, connected peers, ping, connect, stop.
 *
 * @module
 */
import { z } from 'zod'
import { parseRequest } from '../validate.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { NodeInfo, PeersResponse, PingResponse, ResolveResponse, StopResponse } from '../types.js'

/** What the node routes need. */
export interface NodeRoutesComponents {
  messenger: Messenger
  /** The daemon's home and the name it suggests in invites. */
  home: string
  name: string
  /** Starts the daemon's shutdown (after the reply is sent). */
  requestStop(): void
}

const PingBody = z.strictObject({ peer: z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty') })
const ConnectBody = z.strictObject({
  address: z.string({ error: 'a multiaddr ending in /p2p/<peerId>, or a peer id, is required' }).min(1, 'must not be empty'),
  bootstrap: z.boolean({ error: 'must be true or false' }).optional()
})

/** The node routes. */
export function nodeRoutes (components: NodeRoutesComponents): Route[] {
  const { messenger } = components
  return [
    {
      method: 'GET',
      path: '/v1/id',
      async handle () {
        const body: NodeInfo = {
          peerId: messenger.peerId,
          addresses: messenger.addresses,
          invite: messenger.invite(components.name),
          presence: messenger.ownPresence(),
          pid: process.pid,
          home: components.home,
          connections: messenger.connectedPeers.length,
          storage: messenger.storage()
        }
        return { body }
      }
    },
    {
      method: 'GET',
      path: '/v1/resolve',
      async handle ({ query }) {
        const { peer } = parseRequest(PingBody, Object.fromEntries(query), 'query')
        const peerId = messenger.resolvePeer(peer)
        const name = messenger.nameOf(peerId)
        return { body: (name == null ? { peerId } : { peerId, name }) satisfies ResolveResponse }
      }
    },
    {
      method: 'GET',
      path: '/v1/peers',
      async handle () {
        const peers: PeersResponse['peers'] = []
        for (const peerId of messenger.connectedPeers) {
          const name = messenger.nameOf(peerId)
          peers.push(name == null ? { peerId } : { peerId, name })
        }
        return { body: { peers } satisfies PeersResponse }
      }
    },
    {
      method: 'POST',
      path: '/v1/ping',
      async handle ({ body, signal }) {
        const { peer } = parseRequest(PingBody, body)
        const peerId = messenger.resolvePeer(peer)
        const rttMs = await messenger.ping(peerId, { signal })
        return { body: { peerId, rttMs } satisfies PingResponse }
      }
    },
    {
      method: 'POST',
      path: '/v1/connect',
      async handle ({ body, signal }) {
        const { address, bootstrap } = parseRequest(ConnectBody, body)
        await messenger.connect(address, { bootstrap, signal })
        return { body: { connected: true } }
      }
    },
    {
      method: 'POST',
      path: '/v1/stop',
      async handle ({ res }) {
        res.once('finish', () => { components.requestStop() })
        return { status: 202, body: { pid: process.pid } satisfies StopResponse }
      }
    }
  ]
}
