/**
 * The daemon's facade over `natter.groups`: the API's JSON-safe group views
 * and events, built from the library's `GroupInfo`, `GroupMessage` and its
 * `group:*` events. Like node-api.ts, the only place that knows the library's
 * group shapes.
 *
 * @module
 */
import type { EventView, GroupConversationView, GroupMemberView, GroupMessageView, GroupView } from './api/contract/index.js'
import type { GroupChangeEvent, GroupInfo, GroupMessage, GroupMessageState, Groups } from '../src/index.js'

/** Group operations, speaking the API's views. Groups are addressed by id, id prefix or name. */
export interface GroupsFacade {
  list(): GroupView[]
  get(group: string): GroupView
  create(name: string, members: string[], options: { signal?: AbortSignal }): Promise<GroupView>
  add(group: string, member: string, options: { signal?: AbortSignal }): Promise<GroupView>
  remove(group: string, member: string, options: { signal?: AbortSignal }): Promise<GroupView>
  /** Leaves; answers the group as it is afterwards (`state: 'left'`). */
  leave(group: string, options: { signal?: AbortSignal }): Promise<GroupView>
  rename(group: string, name: string): Promise<GroupView>
  send(group: string, text: string, options: { signal?: AbortSignal }): Promise<GroupMessageView>
  /** Oldest first. */
  history(group: string, options: { limit?: number, before?: string }): { group: GroupView, messages: GroupMessageView[] }
  markRead(group: string, upTo?: string): { groupId: string, marked: number }
  /** Groups for the inbox, the most recent activity first. */
  conversations(): GroupConversationView[]
  /** Calls `listener` for the `group:*` events; returns the unsubscribe. */
  subscribe(listener: (event: EventView) => void): () => void
}

/** What the group facade needs. */
export interface GroupsFacadeComponents {
  groups: Groups
  /** Where the library dispatches `group:message`, `group:changed` and `group:message:state` (the node). */
  events: EventTarget
  /** This node's peer id. */
  peerId: string
  /** The contact name of a peer id, if it is a contact. */
  nameOf(peerId: string): string | undefined
}

/** Wraps `natter.groups`. */
export function createGroupsFacade (components: GroupsFacadeComponents): GroupsFacade {
  const { groups, peerId: self, nameOf } = components

  const memberView = (m: GroupInfo['members'][number]): GroupMemberView => ({
    peerId: m.peerId,
    name: m.name,
    role: m.role,
    contact: m.isContact,
    self: m.peerId === self,
    presence: m.presence
  })

  const groupView = (g: GroupInfo): GroupView => ({
    id: g.id,
    name: g.name,
    role: g.role,
    state: g.state,
    createdAt: g.createdAt,
    unread: g.unread,
    lastActivity: g.lastActivity ?? null,
    members: g.members.map(memberView)
  })

  /** The sender's name: the contact's, else the one they gave in the group (if still a member). */
  const messageView = (m: GroupMessage, group?: GroupInfo): GroupMessageView => {
    const contact = m.from === self ? undefined : nameOf(m.from)
    const name = contact ?? (m.from === self ? undefined : group?.members.find(x => x.peerId === m.from)?.name)
    const view: GroupMessageView = {
      id: m.id,
      groupId: m.groupId,
      from: m.from,
      contact: contact != null,
      direction: m.direction,
      text: m.text,
      seq: m.seq,
      sentAt: m.sentAt,
      receivedAt: m.receivedAt,
      read: m.read
    }
    if (name != null && name !== '') {
      view.name = name
    }
    if (m.direction === 'out') {
      view.recipients = m.recipients ?? 0
      view.deliveredTo = [...(m.deliveredTo ?? [])]
      view.readBy = [...(m.readBy ?? [])]
    }
    return view
  }

  return {
    list: () => groups.list().map(groupView),
    get: (group) => groupView(groups.get(group)),
    create: async (name, members, options) => groupView(await groups.create(name, members, options)),
    add: async (group, member, options) => groupView(await groups.add(group, member, options)),
    remove: async (group, member, options) => groupView(await groups.remove(group, member, options)),
    leave: async (group, options) => {
      // resolved first: the name may stop resolving once the group is left
      const { id } = groups.get(group)
      await groups.leave(id, options)
      return groupView(groups.get(id))
    },
    rename: async (group, name) => groupView(await groups.rename(group, name)),
    send: async (group, text, options) => {
      const info = groups.get(group)
      const { message } = await groups.send(info.id, text, options)
      return messageView(message, info)
    },
    history: (group, options) => {
      const info = groups.get(group)
      const messages = groups.history(info.id, options).map(m => messageView(m, info))
      return { group: groupView(info), messages }
    },
    markRead: (group, upTo) => {
      const { id } = groups.get(group)
      return { groupId: id, marked: groups.markRead(id, upTo) }
    },
    conversations: () => groups.list().map(g => {
      const last = groups.history(g.id, { limit: 1 })[0]
      return {
        id: g.id,
        name: g.name,
        state: g.state,
        members: g.members.length,
        unread: g.unread,
        last: last == null ? null : messageView(last, g),
        lastActivity: g.lastActivity ?? g.createdAt
      }
    }),

    subscribe (listener) {
      const target = components.events
      const safeGet = (id: string): GroupInfo | undefined => {
        try {
          return groups.get(id)
        } catch {
          return undefined
        }
      }
      const onMessage = (e: Event): void => {
        const m = (e as CustomEvent<GroupMessage>).detail
        const group = safeGet(m.groupId)
        if (group != null) {
          listener({ type: 'group:message', message: messageView(m, group), group: groupView(group) })
        }
      }
      const onChanged = (e: Event): void => {
        const d = (e as CustomEvent<GroupChangeEvent>).detail
        const event: Extract<EventView, { type: 'group:changed' }> = { type: 'group:changed', change: d.change, group: groupView(d.group) }
        if (d.member != null) {
          event.member = d.member
        }
        if (d.by != null) {
          event.by = d.by
        }
        listener(event)
      }
      const onState = (e: Event): void => {
        const d = (e as CustomEvent<GroupMessageState>).detail
        listener({ type: 'group:message:state', groupId: d.groupId, id: d.id, deliveredTo: [...d.deliveredTo], readBy: [...d.readBy], recipients: d.recipients })
      }
      target.addEventListener('group:message', onMessage)
      target.addEventListener('group:changed', onChanged)
      target.addEventListener('group:message:state', onState)
      return () => {
        target.removeEventListener('group:message', onMessage)
        target.removeEventListener('group:changed', onChanged)
        target.removeEventListener('group:message:state', onState)
      }
    }
  }
}
