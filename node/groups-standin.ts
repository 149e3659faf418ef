// TEMPORARY groups-ui stand-in
/**
 * TEMPORARY groups-ui stand-in — never merged to main (the lead drops it).
 *
 * The `natter.groups` interface of /work/briefs/groups-api.md (which the
 * `groups` branch implements in src/groups/), copied here so the daemon API
 * and the CLI can be built before it lands, and a development-only
 * implementation of it: no crypto, no network, the group's state is a set of
 * JSON files in a directory the test daemons share (each daemon writes only
 * its own file per group, so nothing is lost to concurrent writes). It exists
 * only so the CLI and the e2e tests can be written against three daemons
 * before the real implementation lands.
 *
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

export type GroupRole = 'admin' | 'member'

export interface GroupMember {
  peerId: string
  name: string
  role: GroupRole
  isContact: boolean
  presence: 'online' | 'away' | 'busy' | 'offline' | 'unknown'
}

export interface GroupInfo {
  id: string
  name: string
  members: GroupMember[]
  role: GroupRole
  createdAt: number
  unread: number
  lastActivity?: number
  state: 'active' | 'left' | 'removed'
}

export interface GroupMessage {
  id: string
  groupId: string
  from: string
  direction: 'in' | 'out'
  text: string
  sentAt: number
  receivedAt: number
  seq: number
  deliveredTo?: string[]
  readBy?: string[]
  recipients?: number
  read: boolean
}

export interface GroupSendResult { message: GroupMessage }

export interface Groups {
  create(name: string, members?: string[], options?: { signal?: AbortSignal }): Promise<GroupInfo>
  add(group: string, member: string, options?: { signal?: AbortSignal }): Promise<GroupInfo>
  remove(group: string, member: string, options?: { signal?: AbortSignal }): Promise<GroupInfo>
  leave(group: string, options?: { signal?: AbortSignal }): Promise<void>
  rename(group: string, name: string): Promise<GroupInfo>
  list(): GroupInfo[]
  get(group: string): GroupInfo
  send(group: string, text: string, options?: { signal?: AbortSignal }): Promise<GroupSendResult>
  history(group: string, options?: { limit?: number, before?: string }): GroupMessage[]
  markRead(group: string, upTo?: string): number
}

export type GroupChange = 'created' | 'joined' | 'member-added' | 'member-removed' | 'member-left' | 'renamed' | 'removed' | 'left'
export interface GroupChangeEvent { group: GroupInfo, change: GroupChange, member?: string, by?: string }
export interface GroupMessageState { groupId: string, id: string, deliveredTo: string[], readBy: string[], recipients: number }

class StandInError extends Error {
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}

/** What the stand-in needs of the node. */
export interface StandInComponents {
  peerId: string
  /** Shared directory of every daemon of a test. */
  dir: string
  /** The contact's peer id for a name or peer id (throws ContactNotFoundError). */
  resolveContact(nameOrPeerId: string): string
  contactName(peerId: string): string | undefined
  presence(peerId: string): GroupMember['presence']
  /** The name this node gives itself. */
  selfName: string
  /** Where events go. */
  events: EventTarget
}

type Op =
  | { t: 'create', at: number, name: string, members: Array<{ peerId: string, name: string }> }
  | { t: 'add', at: number, peerId: string, name: string }
  | { t: 'remove', at: number, peerId: string }
  | { t: 'rename', at: number, name: string }
  | { t: 'leave', at: number }
  | { t: 'msg', at: number, id: string, text: string, seq: number }
  | { t: 'ack', at: number, id: string }
  | { t: 'read', at: number, id: string }

interface Member { peerId: string, name: string, role: GroupRole, since: number, until?: number }

interface State {
  id: string
  name: string
  createdAt: number
  admin: string
  members: Map<string, Member>
  messages: Array<{ id: string, from: string, text: string, sentAt: number, seq: number }>
  acks: Map<string, Set<string>>
  reads: Map<string, Set<string>>
  changes: Array<{ at: number, change: GroupChange, member?: string, by?: string }>
}

/** Creates the stand-in; `stop()` ends its polling. */
export function createStandInGroups (c: StandInComponents): Groups & { stop(): void } {
  mkdirSync(c.dir, { recursive: true })
  const me = c.peerId
  const read = new Set<string>()
  const received = new Map<string, number>()
  const known = new Map<string, { members: Set<string>, name: string, messages: Set<string>, state: string, acks: string }>()

  const opsOf = (group: string, peer: string): Op[] => {
    try {
      return JSON.parse(readFileSync(join(c.dir, group, `${peer}.json`), 'utf8')) as Op[]
    } catch {
      return []
    }
  }
  const append = (group: string, op: Op): void => {
    const ops = opsOf(group, me)
    ops.push(op)
    mkdirSync(join(c.dir, group), { recursive: true })
    const tmp = join(c.dir, group, `.${me}.tmp`)
    writeFileSync(tmp, JSON.stringify(ops))
    renameSync(tmp, join(c.dir, group, `${me}.json`))
  }

  const load = (group: string): State | undefined => {
    let files: string[]
    try {
      files = readdirSync(join(c.dir, group)).filter(f => f.endsWith('.json'))
    } catch {
      return undefined
    }
    const all: Array<{ from: string, op: Op }> = []
    for (const f of files) {
      const from = f.slice(0, -5)
      for (const op of opsOf(group, from)) {
        all.push({ from, op })
      }
    }
    all.sort((a, b) => a.op.at - b.op.at)
    const create = all.find(x => x.op.t === 'create')
    if (create == null || create.op.t !== 'create') {
      return undefined
    }
    const s: State = { id: group, name: create.op.name, createdAt: create.op.at, admin: create.from, members: new Map(), messages: [], acks: new Map(), reads: new Map(), changes: [] }
    s.members.set(create.from, { peerId: create.from, name: '', role: 'admin', since: create.op.at })
    for (const m of create.op.members) {
      s.members.set(m.peerId, { peerId: m.peerId, name: m.name, role: 'member', since: create.op.at })
    }
    s.changes.push({ at: create.op.at, change: 'created', by: create.from })
    const active = (p: string, at: number): boolean => { const m = s.members.get(p); return m != null && m.since <= at && (m.until == null || m.until > at) }
    for (const { from, op } of all) {
      if (op.t === 'add' && from === s.admin) {
        s.members.set(op.peerId, { peerId: op.peerId, name: op.name, role: 'member', since: op.at })
        s.changes.push({ at: op.at, change: 'member-added', member: op.peerId, by: from })
      } else if (op.t === 'remove' && from === s.admin) {
        const m = s.members.get(op.peerId)
        if (m != null && m.until == null) { m.until = op.at; s.changes.push({ at: op.at, change: 'member-removed', member: op.peerId, by: from }) }
      } else if (op.t === 'leave') {
        const m = s.members.get(from)
        if (m != null && m.until == null) { m.until = op.at; s.changes.push({ at: op.at, change: 'member-left', member: from }) }
      } else if (op.t === 'rename' && from === s.admin) {
        s.name = op.name
        s.changes.push({ at: op.at, change: 'renamed', by: from })
      } else if (op.t === 'msg' && active(from, op.at)) {
        s.messages.push({ id: op.id, from, text: op.text, sentAt: op.at, seq: op.seq })
      } else if (op.t === 'ack' || op.t === 'read') {
        const map = op.t === 'ack' ? s.acks : s.reads
        map.set(op.id, (map.get(op.id) ?? new Set()).add(from))
      }
    }
    return s
  }

  const visible = (s: State): State['messages'] => {
    const mine = s.members.get(me)
    if (mine == null) {
      return []
    }
    return s.messages.filter(m => m.sentAt >= mine.since && (mine.until == null || m.sentAt <= mine.until))
  }

  const info = (s: State): GroupInfo => {
    const mine = s.members.get(me)
    const state: GroupInfo['state'] = mine?.until == null ? 'active' : opsOf(s.id, me).some(o => o.t === 'leave') ? 'left' : 'removed'
    const msgs = visible(s)
    const members: GroupMember[] = [...s.members.values()].filter(m => m.until == null).map(m => {
      const contact = m.peerId === me ? undefined : c.contactName(m.peerId)
      return {
        peerId: m.peerId,
        name: m.peerId === me ? c.selfName : contact ?? m.name,
        role: m.role,
        isContact: contact != null,
        presence: m.peerId === me || contact == null ? 'unknown' : c.presence(m.peerId)
      }
    })
    const last = msgs.at(-1)?.sentAt
    return {
      id: s.id,
      name: s.name,
      members,
      role: s.admin === me ? 'admin' : 'member',
      createdAt: s.createdAt,
      unread: msgs.filter(m => m.from !== me && !read.has(m.id)).length,
      ...(last == null ? {} : { lastActivity: last }),
      state
    }
  }

  const groupIds = (): string[] => {
    try {
      return readdirSync(c.dir)
    } catch {
      return []
    }
  }

  const mine = (): State[] => groupIds().map(load).filter((s): s is State => {
    if (s == null) return false
    const m = s.members.get(me)
    if (m == null) return false
    // an invitation counts only from a contact
    return s.admin === me || c.contactName(s.admin) != null
  })

  const find = (key: string): State => {
    const all = mine()
    const k = key.trim()
    const byId = all.filter(s => s.id === k || (k.length >= 6 && s.id.startsWith(k)))
    if (byId.length === 1) return byId[0]!
    const byName = all.filter(s => s.name === k)
    if (byName.length === 1) return byName[0]!
    if (byId.length + byName.length > 1) throw new StandInError('AmbiguousGroupError', `more than one group matches "${k}"; use the group id`)
    throw new StandInError('GroupNotFoundError', `no group "${k}"`)
  }

  const view = (s: State, m: State['messages'][number]): GroupMessage => {
    const out = m.from === me
    const recipients = [...s.members.values()].filter(x => x.peerId !== me && x.since <= m.sentAt && (x.until == null || x.until > m.sentAt)).length
    return {
      id: m.id,
      groupId: s.id,
      from: m.from,
      direction: out ? 'out' : 'in',
      text: m.text,
      sentAt: m.sentAt,
      receivedAt: out ? m.sentAt : received.get(m.id) ?? Date.now(),
      seq: m.seq,
      read: out || read.has(m.id),
      ...(out ? { deliveredTo: [...(s.acks.get(m.id) ?? [])], readBy: [...(s.reads.get(m.id) ?? [])], recipients } : {})
    }
  }

  const active = (s: State): void => {
    const m = s.members.get(me)
    if (m?.until != null) throw new StandInError('NotGroupMemberError', `you are no longer a member of "${s.name}"`)
  }
  const admin = (s: State): void => {
    active(s)
    if (s.admin !== me) throw new StandInError('NotGroupAdminError', `only an admin of "${s.name}" can do that`)
  }
  const emit = (type: string, detail: unknown): void => {
    try { c.events.dispatchEvent(new CustomEvent(type, { detail })) } catch { /* stand-in */ }
  }

  const poll = (): void => {
    for (const s of mine()) {
      const k = known.get(s.id)
      const mineM = s.members.get(me)!
      const state = info(s).state
      const ack = JSON.stringify([...s.acks].map(([id, v]) => [id, [...v].sort()]).concat([...s.reads].map(([id, v]) => ['r' + id, [...v].sort()])))
      if (k == null) {
        known.set(s.id, { members: new Set([...s.members.values()].filter(x => x.until == null).map(x => x.peerId)), name: s.name, messages: new Set(visible(s).map(m => m.id)), state, acks: ack })
        for (const m of visible(s)) received.set(m.id, Date.now())
        if (s.admin !== me) {
          emit('group:changed', { group: info(s), change: 'joined', by: s.admin })
          for (const m of visible(s)) {
            if (m.from !== me) { append(s.id, { t: 'ack', at: Date.now(), id: m.id }) ; emit('group:message', view(s, m)) }
          }
        }
        continue
      }
      for (const ch of s.changes) {
        if (ch.change === 'member-added' && ch.member != null && !k.members.has(ch.member) && ch.member !== me) {
          k.members.add(ch.member); emit('group:changed', { group: info(s), ...ch })
        }
        if ((ch.change === 'member-removed' || ch.change === 'member-left') && ch.member != null && k.members.has(ch.member)) {
          k.members.delete(ch.member)
          if (ch.member === me) {
            emit('group:changed', { group: info(s), change: ch.change === 'member-left' ? 'left' : 'removed', by: ch.by })
          } else {
            emit('group:changed', { group: info(s), ...ch })
          }
        }
      }
      if (s.name !== k.name) { k.name = s.name; emit('group:changed', { group: info(s), change: 'renamed', by: s.admin }) }
      for (const m of visible(s)) {
        if (!k.messages.has(m.id)) {
          k.messages.add(m.id)
          received.set(m.id, Date.now())
          if (m.from !== me) {
            if (mineM.until == null) append(s.id, { t: 'ack', at: Date.now(), id: m.id })
            emit('group:message', view(s, m))
          }
        }
      }
      if (ack !== k.acks) {
        k.acks = ack
        for (const m of visible(s).filter(x => x.from === me)) {
          const v = view(s, m)
          emit('group:message:state', { groupId: s.id, id: m.id, deliveredTo: v.deliveredTo, readBy: v.readBy, recipients: v.recipients })
        }
      }
    }
  }
  const timer = setInterval(() => { try { poll() } catch { /* stand-in */ } }, 200)
  timer.unref()

  const touch = (s: State | undefined): GroupInfo => {
    poll()
    return info(s ?? find(''))
  }

  return {
    async create (name, members = []) {
      if (name.trim() === '') throw new StandInError('InvalidArgumentError', 'a group name must not be empty')
      const id = 'b' + [...randomBytes(32)].map(x => 'abcdefghijklmnopqrstuvwxyz234567'[x % 32]).join('')
      const list = members.map(m => { const p = c.resolveContact(m); return { peerId: p, name: c.contactName(p) ?? '' } })
      append(id, { t: 'create', at: Date.now(), name, members: list })
      const s = load(id)!
      known.set(id, { members: new Set([me, ...list.map(x => x.peerId)]), name, messages: new Set(), state: 'active', acks: '[]' })
      emit('group:changed', { group: info(s), change: 'created', by: me })
      return info(s)
    },
    async add (group, member) {
      const s = find(group); admin(s)
      const p = c.resolveContact(member)
      if (s.members.get(p)?.until == null && s.members.has(p)) return info(s)
      append(s.id, { t: 'add', at: Date.now(), peerId: p, name: c.contactName(p) ?? '' })
      return touch(load(s.id))
    },
    async remove (group, member) {
      const s = find(group); admin(s)
      const all = [...s.members.values()].filter(m => m.until == null)
      const m = all.find(x => x.peerId === member) ?? all.find(x => c.contactName(x.peerId) === member) ?? all.find(x => x.name === member)
      if (m == null) throw new StandInError('ContactNotFoundError', `"${member}" is not a member of "${s.name}"`)
      append(s.id, { t: 'remove', at: Date.now(), peerId: m.peerId })
      return touch(load(s.id))
    },
    async leave (group) {
      const s = find(group); active(s)
      append(s.id, { t: 'leave', at: Date.now() })
      poll()
    },
    async rename (group, name) {
      const s = find(group); admin(s)
      append(s.id, { t: 'rename', at: Date.now(), name })
      return touch(load(s.id))
    },
    list () {
      return mine().map(info).sort((a, b) => (b.lastActivity ?? b.createdAt) - (a.lastActivity ?? a.createdAt))
    },
    get (group) {
      return info(find(group))
    },
    async send (group, text) {
      const s = find(group); active(s)
      const id = randomBytes(16).toString('hex')
      const seq = visible(s).filter(m => m.from === me).length + 1
      append(s.id, { t: 'msg', at: Date.now(), id, text, seq })
      const after = load(s.id)!
      known.get(s.id)?.messages.add(id)
      return { message: view(after, after.messages.find(m => m.id === id)!) }
    },
    history (group, options = {}) {
      const s = find(group)
      let msgs = visible(s)
      if (options.before != null) {
        const i = msgs.findIndex(m => m.id === options.before)
        if (i >= 0) msgs = msgs.slice(0, i)
      }
      return msgs.slice(-(options.limit ?? 50)).map(m => view(s, m))
    },
    markRead (group, upTo) {
      const s = find(group)
      let n = 0
      for (const m of visible(s)) {
        if (m.from !== me && !read.has(m.id)) {
          read.add(m.id)
          append(s.id, { t: 'read', at: Date.now(), id: m.id })
          n++
        }
        if (m.id === upTo) break
      }
      return n
    },
    stop () { clearInterval(timer) }
  }
}

/** The stand-in for a running node (daemon.ts calls it; replaced by `natter.groups` when `groups` lands). */
export function standInFor (natter: import('../src/index.js').Natter, init: { dir: string, selfName: string }): Groups & { stop(): void } {
  return createStandInGroups({
    peerId: natter.peerId,
    dir: init.dir,
    selfName: init.selfName,
    events: natter as unknown as EventTarget,
    resolveContact: (key) => {
      const contact = natter.contacts.get(key.trim())
      if (contact != null) {
        return contact.peerId
      }
      natter.contacts.resolve(key.trim())
      throw new StandInError('ContactNotFoundError', `${key} is not a contact`)
    },
    contactName: (p) => natter.contacts.get(p)?.name,
    presence: (p) => natter.presence.list().find(x => x.peerId === p)?.status ?? 'offline'
  })
}
