/**
 * Message requests (conversations opened by non-contacts) and the block list.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'
import { BlockedViewSchema, PeerField, RequestViewSchema } from './views.js'

/** `GET /v1/requests`: pending message requests, most recent first. */
export const requests = operation({
  method: 'GET',
  path: '/v1/requests',
  summary: 'pending message requests',
  reply: z.strictObject({ requests: z.array(RequestViewSchema) })
})

/** `POST /v1/requests/:peer/accept`. */
export const acceptRequest = operation({
  method: 'POST',
  path: '/v1/requests/:peer/accept',
  summary: 'accept a request',
  reply: z.strictObject({ peerId: z.string(), accepted: z.literal(true) }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'RequestNotFoundError']
})

/** `POST /v1/requests/:peer/decline`. */
export const declineRequest = operation({
  method: 'POST',
  path: '/v1/requests/:peer/decline',
  summary: 'decline (and optionally block)',
  body: z.strictObject({ block: z.boolean({ error: 'must be true or false' }).optional() }),
  reply: z.strictObject({
    peerId: z.string(),
    declined: z.literal(true),
    blocked: z.boolean(),
    /** How many messages were deleted. */
    deleted: z.number()
  }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'RequestNotFoundError']
})

/** `GET /v1/blocked`. */
export const blocked = operation({
  method: 'GET',
  path: '/v1/blocked',
  summary: 'blocked peers',
  reply: z.strictObject({ blocked: z.array(BlockedViewSchema) })
})

const BlockReply = z.strictObject({ peerId: z.string(), blocked: z.boolean() })

/** `POST /v1/block`. */
export const block = operation({
  method: 'POST',
  path: '/v1/block',
  summary: 'block a peer',
  body: z.strictObject({ peer: PeerField }),
  reply: BlockReply,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})

/** `POST /v1/unblock`. */
export const unblock = operation({
  method: 'POST',
  path: '/v1/unblock',
  summary: 'unblock a peer',
  body: z.strictObject({ peer: PeerField }),
  reply: BlockReply,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})
