/**
 * Message operations: send, history, mark read.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'
import { HeldViewSchema, MessageViewSchema, PeerField } from './views.js'

/** How long `POST /v1/send` waits: until the message is stored (`queued`) or acknowledged (`delivered`). */
export const SendWaitSchema = z.enum(['queued', 'delivered'], { error: 'must be "queued" or "delivered"' })
export type SendWait = z.infer<typeof SendWaitSchema>

/** `POST /v1/send`. */
export const send = operation({
  method: 'POST',
  path: '/v1/send',
  summary: 'send a message',
  body: z.strictObject({
    /** A contact name or a peer id. */
    to: PeerField,
    text: z.string({ error: 'the message text is required' }).min(1, 'must not be empty'),
    /** @default 'delivered' */
    wait: SendWaitSchema.optional()
  }),
  reply: z.strictObject({
    message: MessageViewSchema,
    /**
     * Set when the recipient is a contact whose identity key changed: the
     * message is stored but held until the new key is accepted or rejected
     * (only with `wait: "queued"`; `"delivered"` answers 409 `IdentityKeyChangedError`).
     */
    held: HeldViewSchema.optional()
  }),
  status: [201],
  errors: [
    'ContactNotFoundError', 'InvalidPeerIdError', 'InvalidArgumentError', 'MessageTooLargeError', 'PeerNotFoundError', 'NoPeersError',
    'PeerUnreachableError', 'DeliveryTimeoutError', 'DeliveryRefusedError', 'MailboxRefusedError', 'NoMailboxError',
    'IdentityKeyChangedError', 'AbortError'
  ]
})

/** `GET /v1/history?peer=&limit=&before=`: a page of a conversation, oldest first. */
export const history = operation({
  method: 'GET',
  path: '/v1/history',
  summary: 'a page of a conversation',
  query: z.strictObject({
    peer: PeerField,
    /** @default 50 */
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
    before: z.coerce.number({ error: 'must be a time in ms since the epoch' }).int('must be a whole number').min(0, 'must not be negative').optional()
  }),
  reply: z.strictObject({
    peer: z.string(),
    /** The contact's name, when the peer is a contact. */
    name: z.string().optional(),
    /** Oldest first. */
    messages: z.array(MessageViewSchema)
  }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})

/** `POST /v1/read`: mark a conversation read. */
export const markRead = operation({
  method: 'POST',
  path: '/v1/read',
  summary: 'mark a conversation read',
  body: z.strictObject({ peer: PeerField }),
  reply: z.strictObject({
    peerId: z.string(),
    /** How many messages were newly marked read. */
    marked: z.number()
  }),
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})
