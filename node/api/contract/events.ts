/**
 * The live event stream, `GET /v1/events`: newline-delimited JSON, one
 * event per line, starting with `ready` and ending with `shutdown` when the
 * daemon stops.
 *
 * @module
 */
import { z } from 'zod'
import { streamOperation } from './operation.js'
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
  /** The store went read-only (disk full or failing) or became writable again. */
  z.strictObject({ type: z.literal('storage'), storage: StorageViewSchema }),
  /** Sent every 15 s so clients notice a dead connection. */
  z.strictObject({ type: z.literal('heartbeat'), at: z.number() }),
  /** Last line before the daemon closes the stream on shutdown. */
  z.strictObject({ type: z.literal('shutdown') })
])
export type EventView = z.infer<typeof EventViewSchema>

/** `GET /v1/events[?peer=<contact|peerId>]`. */
export const events = streamOperation({
  path: '/v1/events',
  summary: 'live event stream (NDJSON)',
  // not strict: other query fields were always ignored here
  query: z.object({ peer: z.string({ error: 'must be a contact name or peer id' }).optional() }),
  item: EventViewSchema,
  errors: ['ContactNotFoundError', 'InvalidPeerIdError']
})
