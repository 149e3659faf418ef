/**
 * Message requests (conversations opened by non-contacts) and the block list.
 *
 * @module
 */
import { z } from 'zod'
import { parseRequest } from '../validate.js'
import type { Messenger } from '../../messenger.js'
import type { Route } from '../server.js'
import type { BlockedResponse, RequestsResponse } from '../types.js'

/** What the request routes need. */
export interface RequestRoutesComponents {
  messenger: Messenger
}

const DeclineBody = z.strictObject({ block: z.boolean({ error: 'must be true or false' }).optional() })
const PeerBody = z.strictObject({ peer: z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty') })

/** The request and block routes. */
export function requestRoutes (components: RequestRoutesComponents): Route[] {
  const { messenger } = components
  return [
    {
      method: 'GET',
      path: '/v1/requests',
      async handle () {
        return { body: { requests: messenger.requests() } satisfies RequestsResponse }
      }
    },
    {
      method: 'POST',
      path: '/v1/requests/:peer/accept',
      async handle ({ params }) {
        const peerId = messenger.resolvePeer(params.peer!)
        messenger.acceptRequest(peerId)
        return { body: { peerId, accepted: true } }
      }
    },
    {
      method: 'POST',
      path: '/v1/requests/:peer/decline',
      async handle ({ params, body }) {
        const { block } = parseRequest(DeclineBody, body)
        const peerId = messenger.resolvePeer(params.peer!)
        const deleted = messenger.declineRequest(peerId, { block: block ?? false })
        return { body: { peerId, declined: true, blocked: block ?? false, deleted } }
      }
    },
    {
      method: 'GET',
      path: '/v1/blocked',
      async handle () {
        return { body: { blocked: messenger.blocked() } satisfies BlockedResponse }
      }
    },
    {
      method: 'POST',
      path: '/v1/block',
      async handle ({ body }) {
        const { peer } = parseRequest(PeerBody, body)
        const peerId = messenger.resolvePeer(peer)
        messenger.block(peerId)
        return { body: { peerId, blocked: true } }
      }
    },
    {
      method: 'POST',
      path: '/v1/unblock',
      async handle ({ body }) {
        const { peer } = parseRequest(PeerBody, body)
        const peerId = messenger.resolvePeer(peer)
        messenger.unblock(peerId)
        return { body: { peerId, blocked: false } }
      }
    }
  ]
}
