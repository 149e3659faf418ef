/**
 * The inbox: every conversation with its unread count, last message and the
 * peer's presence, including accepted strangers who are not contacts.
 *
 * @module
 */
import { z } from 'zod'
import { GroupConversationViewSchema } from './groups.js'
import { operation } from './operation.js'
import { MessageViewSchema, PresenceViewSchema } from './views.js'

/** One conversation of the inbox. */
export const ConversationViewSchema = z.strictObject({
  /** The other party's peer id. */
  peer: z.string(),
  /** The contact's name, when the peer is a contact (accepted strangers have none). */
  name: z.string().optional(),
  /** Whether the peer is a contact. */
  contact: z.boolean(),
  /** Received messages not read yet. */
  unread: z.number(),
  /** The latest message; `null` for a contact with no messages yet. */
  last: MessageViewSchema.nullable(),
  /** What is known of the peer's presence (`offline` when nothing is). */
  presence: PresenceViewSchema
})
export type ConversationView = z.infer<typeof ConversationViewSchema>

/** `GET /v1/inbox`. */
export const inbox = operation({
  method: 'GET',
  path: '/v1/inbox',
  summary: 'conversations and groups with unread counts, last message and presence',
  reply: z.strictObject({
    /** Conversations with messages, the most recent first, then contacts with none. */
    conversations: z.array(ConversationViewSchema),
    /** Groups this node is or was in, the most recent activity first. */
    groups: z.array(GroupConversationViewSchema),
    /** Pending message requests (strangers), not part of the list: see `GET /v1/requests`. */
    requests: z.number()
  })
})
