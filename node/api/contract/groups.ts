/**
 * Group conversations: create, list, show, membership (add, remove, leave),
 * rename, send, history and read state. A group is addressed in paths by
 * its id, an id prefix (at least 6 characters, unique) or its exact name
 * (unique); an ambiguous one answers 409 `AmbiguousGroupError`.
 *
 * Names of groups and of members who are not contacts come from peers:
 * untrusted text, shown escaped by the CLI.
 *
 * @module
 */
import { z } from 'zod'
import { operation } from './operation.js'

/** A group name, as a request field. */
const GroupName = z.string({ error: 'a group name is required' }).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters')

/** A member of a group, as this node knows them. */
export const GroupMemberViewSchema = z.strictObject({
  peerId: z.string(),
  /** The contact's name when a contact, else the name the member gave themself in the group (untrusted). */
  name: z.string(),
  role: z.enum(['admin', 'member']),
  /** Whether the member is one of this node's contacts. */
  contact: z.boolean(),
  /** Whether this is this node. */
  self: z.boolean(),
  /** Contacts only; `unknown` for everyone else. */
  presence: z.enum(['online', 'away', 'busy', 'offline', 'unknown'])
})
export type GroupMemberView = z.infer<typeof GroupMemberViewSchema>

/** A group. */
export const GroupViewSchema = z.strictObject({
  /** Stable id (base32 multibase, `b…`). */
  id: z.string(),
  /** Set by an admin (untrusted text). */
  name: z.string(),
  /** This node's role. */
  role: z.enum(['admin', 'member']),
  /** `left` or `removed`: the history stays readable, nothing can be sent. */
  state: z.enum(['active', 'left', 'removed']),
  /** ms since the epoch. */
  createdAt: z.number(),
  /** Incoming messages not read yet. */
  unread: z.number(),
  /** Time of the last message, ms since the epoch; `null` when there is none. */
  lastActivity: z.number().nullable(),
  /** Current members, this node included while it is one. */
  members: z.array(GroupMemberViewSchema)
})
export type GroupView = z.infer<typeof GroupViewSchema>

/** A group message, either direction. */
export const GroupMessageViewSchema = z.strictObject({
  /** Lowercase hex, chosen by the sender. */
  id: z.string(),
  groupId: z.string(),
  /** The sender's peer id (this node's for outgoing messages). */
  from: z.string(),
  /** The sender's name as this node knows it (contact name, else the name they gave in the group); absent when unknown. */
  name: z.string().optional(),
  /** Whether the sender is a contact. */
  contact: z.boolean(),
  direction: z.enum(['in', 'out']),
  text: z.string(),
  /** The sender's per-group sequence number, from 1. */
  seq: z.number(),
  /** By the sender's clock, ms since the epoch. */
  sentAt: z.number(),
  /** By this node's clock, ms since the epoch. */
  receivedAt: z.number(),
  /** Incoming: whether it was marked read. Outgoing: always true. */
  read: z.boolean(),
  /** Outgoing only: how many members (excluding this node) it was for. */
  recipients: z.number().optional(),
  /** Outgoing only: peer ids of the members that acknowledged it. */
  deliveredTo: z.array(z.string()).optional(),
  /** Outgoing only: peer ids of the members that read it (those who send read receipts). */
  readBy: z.array(z.string()).optional()
})
export type GroupMessageView = z.infer<typeof GroupMessageViewSchema>

/** What changed in a group (`group:changed` events). */
export const GroupChangeViewSchema = z.enum(['created', 'joined', 'member-added', 'member-removed', 'member-left', 'renamed', 'removed', 'left'])
export type GroupChangeView = z.infer<typeof GroupChangeViewSchema>

/** One group in the inbox. */
export const GroupConversationViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  state: z.enum(['active', 'left', 'removed']),
  /** How many members, this node included while it is one. */
  members: z.number(),
  unread: z.number(),
  /** The latest message; `null` when there is none. */
  last: GroupMessageViewSchema.nullable(),
  /** Time of the last message, or the group's creation when there is none, ms since the epoch. */
  lastActivity: z.number()
})
export type GroupConversationView = z.infer<typeof GroupConversationViewSchema>

const GroupReply = z.strictObject({ group: GroupViewSchema })

const NOT_FOUND = ['GroupNotFoundError', 'AmbiguousGroupError'] as const

/** `GET /v1/groups`: every group this node is or was in, the most recent activity first. */
export const listGroups = operation({
  method: 'GET',
  path: '/v1/groups',
  summary: 'list groups',
  reply: z.strictObject({ groups: z.array(GroupViewSchema) })
})

/** `POST /v1/groups`: create a group with this node as admin, inviting contacts. */
export const createGroup = operation({
  method: 'POST',
  path: '/v1/groups',
  summary: 'create a group and invite contacts',
  body: z.strictObject({
    name: GroupName,
    /** Contacts (name or peer id) to invite. */
    members: z.array(z.string({ error: 'a contact name or peer id' }).min(1, 'must not be empty'), { error: 'must be a list of contacts' }).max(1000, 'too many members').optional()
  }),
  reply: GroupReply,
  status: [201],
  errors: ['ContactNotFoundError', 'InvalidPeerIdError', 'InvalidArgumentError', 'GroupFullError', 'AbortError']
})

/** `GET /v1/groups/:group`. */
export const getGroup = operation({
  method: 'GET',
  path: '/v1/groups/:group',
  summary: 'one group: members, their presence and roles',
  reply: GroupReply,
  errors: [...NOT_FOUND]
})

/** `PATCH /v1/groups/:group`: rename (admins only). */
export const renameGroup = operation({
  method: 'PATCH',
  path: '/v1/groups/:group',
  summary: 'rename a group (admins)',
  body: z.strictObject({ name: GroupName }),
  reply: GroupReply,
  errors: [...NOT_FOUND, 'NotGroupAdminError', 'NotGroupMemberError', 'InvalidArgumentError']
})

/** `POST /v1/groups/:group/members`: add a contact (admins only). */
export const addGroupMember = operation({
  method: 'POST',
  path: '/v1/groups/:group/members',
  summary: 'add a contact to a group (admins)',
  body: z.strictObject({
    /** A contact name or peer id. */
    member: z.string({ error: 'a contact name or peer id is required' }).min(1, 'must not be empty')
  }),
  reply: GroupReply,
  errors: [...NOT_FOUND, 'ContactNotFoundError', 'InvalidPeerIdError', 'NotGroupAdminError', 'NotGroupMemberError', 'GroupFullError', 'AbortError']
})

/** `DELETE /v1/groups/:group/members/:member`: remove a member (admins only); `member` is a peer id, contact name or member name. */
export const removeGroupMember = operation({
  method: 'DELETE',
  path: '/v1/groups/:group/members/:member',
  summary: 'remove a member (admins)',
  reply: GroupReply,
  errors: [...NOT_FOUND, 'ContactNotFoundError', 'InvalidPeerIdError', 'NotGroupAdminError', 'NotGroupMemberError', 'AbortError']
})

/** `POST /v1/groups/:group/leave`: leave the group (its history stays readable). */
export const leaveGroup = operation({
  method: 'POST',
  path: '/v1/groups/:group/leave',
  summary: 'leave a group',
  reply: GroupReply,
  errors: [...NOT_FOUND, 'NotGroupMemberError', 'AbortError']
})

/** `POST /v1/groups/:group/messages`: send a text to every member. */
export const sendGroup = operation({
  method: 'POST',
  path: '/v1/groups/:group/messages',
  summary: 'send a message to a group',
  body: z.strictObject({
    text: z.string({ error: 'the message text is required' }).min(1, 'must not be empty')
  }),
  reply: z.strictObject({ message: GroupMessageViewSchema }),
  status: [201],
  errors: [...NOT_FOUND, 'NotGroupMemberError', 'MessageTooLargeError', 'InvalidArgumentError', 'AbortError']
})

/** `GET /v1/groups/:group/messages?limit=&before=`: a page of a group's messages, oldest first. */
export const groupHistory = operation({
  method: 'GET',
  path: '/v1/groups/:group/messages',
  summary: 'a page of a group\'s messages',
  query: z.strictObject({
    /** @default 50 */
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
    /** A message id: only messages before it. */
    before: z.string().regex(/^[0-9a-f]{1,64}$/, 'must be a message id (hex)').optional()
  }),
  reply: z.strictObject({
    group: GroupViewSchema,
    /** Oldest first. */
    messages: z.array(GroupMessageViewSchema)
  }),
  errors: [...NOT_FOUND, 'MessageNotFoundError']
})

/** `POST /v1/groups/:group/read`: mark a group's messages read (all, or up to and including `upTo`). */
export const markGroupRead = operation({
  method: 'POST',
  path: '/v1/groups/:group/read',
  summary: 'mark a group read',
  body: z.strictObject({
    upTo: z.string().regex(/^[0-9a-f]{1,64}$/, 'must be a message id (hex)').optional()
  }),
  reply: z.strictObject({
    groupId: z.string(),
    /** How many messages were newly marked read. */
    marked: z.number()
  }),
  errors: [...NOT_FOUND, 'MessageNotFoundError']
})
