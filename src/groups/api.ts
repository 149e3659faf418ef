/**
 * The `natter.groups` interface (issue 16): group conversations as the
 * library's user sees them. The engine behind it is src/groups/service.ts;
 * the protocol is PROTOCOL.md §12.
 *
 * @module
 */

/** A member's role. */
export type GroupRole = 'admin' | 'member'

/** A member of a group. */
export interface GroupMember {
  peerId: string
  /** The contact's name when a contact, else the name the admin who added it gave (untrusted, sanitized for display by the CLI). */
  name: string
  role: GroupRole
  isContact: boolean
  /** This member's presence as this node knows it (contacts only; 'unknown' otherwise). */
  presence: 'online' | 'away' | 'busy' | 'offline' | 'unknown'
}

/** A group this node is or was in. */
export interface GroupInfo {
  /** Stable group id: 32 random bytes, base32 lowercase multibase ('b…'), chosen by the creator. */
  id: string
  /** Group name (set by an admin; untrusted text from peers). */
  name: string
  members: GroupMember[]
  /** This node's role. */
  role: GroupRole
  createdAt: number
  /** Incoming group messages not yet marked read. */
  unread: number
  /** Last message time (ms), for ordering the inbox. */
  lastActivity?: number
  /** This node left or was removed: history stays readable, nothing can be sent. */
  state: 'active' | 'left' | 'removed'
}

/** A group message, either direction. */
export interface GroupMessage {
  /** Message id (hex, 16 random bytes). */
  id: string
  groupId: string
  /** Sender peer id. */
  from: string
  direction: 'in' | 'out'
  text: string
  sentAt: number
  receivedAt: number
  /** Sender's per-group sequence number, from 1. */
  seq: number
  /** Outgoing: members that acknowledged receipt / read it (read receipts only from members that opted in). */
  deliveredTo?: string[]
  readBy?: string[]
  /** Outgoing: how many members (excluding self) it was for. */
  recipients?: number
  read: boolean
}

/** What {@link Groups.send} resolves with. */
export interface GroupSendResult { message: GroupMessage }

/** How a group changed, as the `group:changed` event tells it. */
export type GroupChange = 'created' | 'joined' | 'member-added' | 'member-removed' | 'member-left' | 'renamed' | 'removed' | 'left'

/** The detail of `group:changed`. */
export interface GroupChangeEvent { group: GroupInfo, change: GroupChange, member?: string, by?: string }

/** The detail of `group:message:state`. */
export interface GroupMessageState { groupId: string, id: string, deliveredTo: string[], readBy: string[], recipients: number }

/**
 * Group conversations.
 *
 * @example
 * ```ts
 * const group = await natter.groups.create('climbing', ['bob', 'carol'])
 * natter.addEventListener('group:message', (e) => console.log(e.detail.from, e.detail.text))
 * await natter.groups.send(group.id, 'saturday?')
 * ```
 */
export interface Groups {
  /** Creates a group with this node as admin and invites `members` (contacts: name or peer id). */
  create(name: string, members?: string[], options?: { signal?: AbortSignal }): Promise<GroupInfo>
  /** Adds a contact (admin only). Rotates keys as the protocol says. */
  add(group: string, member: string, options?: { signal?: AbortSignal }): Promise<GroupInfo>
  /** Removes a member (admin only); the removed member reads nothing sent afterwards. */
  remove(group: string, member: string, options?: { signal?: AbortSignal }): Promise<GroupInfo>
  /** Leaves the group. */
  leave(group: string, options?: { signal?: AbortSignal }): Promise<void>
  /** Renames the group (admin only). */
  rename(group: string, name: string): Promise<GroupInfo>
  /** Every group this node is or was in, most recent activity first. */
  list(): GroupInfo[]
  /** One group by id, id prefix (≥ 6 chars, unique) or exact name (unique) — throws GroupNotFoundError / AmbiguousGroupError. */
  get(group: string): GroupInfo
  /** Sends a text to every member; resolves once stored and published (delivery is tracked by the events). */
  send(group: string, text: string, options?: { signal?: AbortSignal }): Promise<GroupSendResult>
  /** Messages of a group, oldest first; `before` = message id, `limit` default 50, max 1000. */
  history(group: string, options?: { limit?: number, before?: string }): GroupMessage[]
  /** Marks incoming messages read up to and including `upTo` (default: all); sends read receipts if enabled. */
  markRead(group: string, upTo?: string): number
}
