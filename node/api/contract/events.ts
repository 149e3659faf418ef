/**
 * The live event stream, `GET /v1/events`: newline-delimited JSON, one
 * event per line, starting with `ready` and ending with `shutdown` when the
 * daemon stops.
 *
 * @module
 */
import { z } from 'zod'
import { streamOperation } from './operation.js'
import { GroupChangeViewSchema, GroupMessageViewSchema, GroupViewSchema } from './groups.js'
import { ContactViewSchema, MessageStateViewSchema, MessageViewSchema, PresenceViewSchema, StorageViewSchema } from './views.js'

/** One line of `GET /v1/events`. */
export const EventViewSchema = z.discriminatedUnion('type', [
  /** First line of every stream: the subscription is live. */
  z.strictObject({ type: z.literal('ready'), peerId: z.string() }),
  /** A message from a contact or accepted peer. */
  z.strictObject({ type: z.literal('message'), message: MessageViewSchema, name: z.string().optional() }),
  /** A message from a stranger: it waits in the requests inbox. */
  z.strictObject({ type: z.literal('request'), message: MessageViewSchema }),
  /** A sent message changed state. */
  z.strictObject({ type: z.literal('message:state'), id: z.string(), peer: z.string(), state: MessageStateViewSchema, reason: z.string().optional() }),
  z.strictObject({ type: z.literal('presence'), presence: PresenceViewSchema }),
  /**
   * A contact was presented with a different identity key (peer id): messages
   * to it are held until the user accepts or rejects the new key.
   */
  z.strictObject({ type: z.literal('contact:key-changed'), contact: ContactViewSchema, peerId: z.string(), newPeerId: z.string() }),
  /** A message in a group (each id once); `group` is the group as it is now. */
  z.strictObject({ type: z.literal('group:message'), message: GroupMessageViewSchema, group: GroupViewSchema }),
  /**
   * A group changed: created here, joined (a contact added this node), a
   * member added, removed or left, renamed, or this node was removed or left.
   * `member` is the peer id the change is about, `by` the admin who made it.
   */
  z.strictObject({ type: z.literal('group:changed'), change: GroupChangeViewSchema, group: GroupViewSchema, member: z.string().optional(), by: z.string().optional() }),
  /** An own group message's delivery changed: delivered to (and read by) how many of its recipients. */
  z.strictObject({ type: z.literal('group:message:state'), groupId: z.string(), id: z.string(), deliveredTo: z.array(z.string()), readBy: z.array(z.string()), recipients: z.number() }),
  /** The store went read-only (disk full or failing) or became writable again. */
  z.strictObject({ type: z.literal('storage'), storage: StorageViewSchema }),
  /** Sent every 15 s so clients notice a dead connection. */
  z.strictObject({ type: z.literal('heartbeat'), at: z.number() }),
  /** Last line before the daemon closes the stream on shutdown. */
  z.strictObject({ type: z.literal('shutdown') }),
  /** Last line before the daemon drops a client that stopped reading (more than `eventBufferBytes` unsent). */
  z.strictObject({ type: z.literal('overflow'), reason: z.string() })
])
export type EventView = z.infer<typeof EventViewSchema>

/**
 * `GET /v1/events[?peer=<contact|peerId>][&group=<group>]`: with `peer`, only
 * that conversation's events (and the node's own: storage, heartbeat); with
 * `group`, only that group's; with both, either.
 */
export const events = streamOperation({
  path: '/v1/events',
  summary: 'live event stream (NDJSON)',
  // not strict: other query fields were always ignored here
  query: z.object({
    peer: z.string({ error: 'must be a contact name or peer id' }).optional(),
    group: z.string({ error: 'must be a group id or name' }).optional()
  }),
  item: EventViewSchema,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'GroupNotFoundError', 'AmbiguousGroupError']
})
