/**
 * The shapes the API shows things in (contacts, messages, presence, …), as
 * zod schemas with their inferred types. Replies are strict: a field the
 * daemon sends but the contract does not declare is a contract bug, and the
 * client says so.
 *
 * @module
 */
import { z } from 'zod'

/** Version prefix of every path. */
export const API_PREFIX = '/v1'

/** A contact name or a peer id, as a request field. */
export const PeerField = z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty')

/** A status a user can choose. */
export const StatusViewSchema = z.enum(['online', 'away', 'busy'], { error: 'must be "online", "away" or "busy"' })
export type StatusView = z.infer<typeof StatusViewSchema>

/** A peer's presence, as seen by this node. */
export const PresenceViewSchema = z.strictObject({
  peerId: z.string(),
  /** The contact's name, when the peer is a contact. */
  name: z.string().optional(),
  status: z.enum(['online', 'away', 'busy', 'offline']),
  note: z.string(),
  /** When the peer issued the record, ms since the epoch. */
  updatedAt: z.number(),
  /** When the record lapses, ms since the epoch. */
  expiresAt: z.number()
})
export type PresenceView = z.infer<typeof PresenceViewSchema>

/** The store's writability. */
export const StorageViewSchema = z.strictObject({
  state: z.enum(['ok', 'read-only']),
  /** With `read-only`: why (e.g. `SQLITE_FULL: …`). */
  reason: z.string().optional(),
  /** Since when, ms since the epoch. */
  since: z.number()
})
export type StorageView = z.infer<typeof StorageViewSchema>

/** A contact. */
export const ContactViewSchema = z.strictObject({
  name: z.string(),
  peerId: z.string(),
  /** ms since the epoch. */
  addedAt: z.number(),
  verified: z.boolean(),
  blocked: z.boolean(),
  /** Last known multiaddrs. */
  addresses: z.array(z.string()),
  /** The pinned identity key (the Ed25519 public key behind `peerId`), hex; `null` if none is pinned yet. */
  identityKey: z.string().nullable(),
  /**
   * A different identity key was presented for this contact and awaits the
   * user's decision: messages to the contact are held until
   * `POST /v1/contacts/:contact/accept-key` or `…/reject-key`.
   */
  keyChanged: z.boolean(),
  /** The peer id of the new key, when `keyChanged`; otherwise `null`. */
  pendingPeerId: z.string().nullable(),
  /** The new key, hex, when `keyChanged`; otherwise `null`. */
  pendingIdentityKey: z.string().nullable()
})
export type ContactView = z.infer<typeof ContactViewSchema>

/** Delivery and read states of a stored message. */
export const MessageStateViewSchema = z.enum(['queued', 'sent', 'delivered', 'read', 'failed', 'received'])
export type MessageStateView = z.infer<typeof MessageStateViewSchema>

/** A message, either direction. */
export const MessageViewSchema = z.strictObject({
  /** Lowercase hex, chosen by the sender. */
  id: z.string(),
  /** The other party's peer id. */
  peer: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string(),
  seq: z.number(),
  /** By the sender's clock, ms since the epoch. */
  sentAt: z.number(),
  /** By this node's clock, for incoming messages; `null` for outgoing ones. */
  receivedAt: z.number().nullable(),
  state: MessageStateViewSchema,
  /** Why delivery failed, for `failed` messages. */
  failReason: z.string().optional()
})
export type MessageView = z.infer<typeof MessageViewSchema>

/** Why messages to a contact are held. */
export const HeldViewSchema = z.strictObject({
  /** The contact's name. */
  contact: z.string(),
  /** Its current (accepted) peer id, where the message is addressed. */
  peerId: z.string(),
  /** The peer id of its new, not yet accepted identity key. */
  newPeerId: z.string()
})
export type HeldView = z.infer<typeof HeldViewSchema>

/** A pending message request (a non-contact wrote). */
export const RequestViewSchema = z.strictObject({
  peer: z.string(),
  count: z.number(),
  first: MessageViewSchema,
  last: MessageViewSchema
})
export type RequestView = z.infer<typeof RequestViewSchema>

/** A blocked peer. */
export const BlockedViewSchema = z.strictObject({
  peerId: z.string(),
  /** ms since the epoch. */
  blockedAt: z.number()
})
export type BlockedView = z.infer<typeof BlockedViewSchema>

/** A peer id, and the contact's name when the peer is a contact. */
export const NamedPeerSchema = z.strictObject({
  peerId: z.string(),
  name: z.string().optional()
})

/** `{ contact: ContactView }`, the reply of most contact operations. */
export const ContactReplySchema = z.strictObject({ contact: ContactViewSchema })

/** Fields an error reply may carry about what failed. */
export const ErrorDetailsSchema = z.strictObject({
  contact: z.string().optional(),
  peerId: z.string().optional(),
  newPeerId: z.string().optional(),
  messageId: z.string().optional()
})
export type ErrorDetails = z.infer<typeof ErrorDetailsSchema>

/** Body of every error reply. */
export const ApiErrorBodySchema = z.strictObject({
  error: z.strictObject({
    /** The library's (or the API's) error name, e.g. `ContactNotFoundError`. */
    name: z.string(),
    message: z.string(),
    /**
     * What the error is about, for the errors that say (`IdentityKeyChangedError`:
     * `contact`, `peerId`, `newPeerId`, `messageId`; delivery errors: `messageId`).
     */
    details: ErrorDetailsSchema.optional()
  })
})
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>
