/**
 * How groups look in the terminal: a group message with its sender's name
 * and delivery "k/n", a member line with role and presence, a group's line
 * in the inbox, and the system lines for joins, leaves and removals. Names
 * of groups and of members who are not contacts come from peers: every one
 * is made safe, and a member who is not a contact is marked `~name`, so a
 * stranger cannot pass for a contact by choosing the contact's name.
 *
 * @module
 */
import { formatStatus, formatTime, shortPeer } from './output.js'
import { safeLines, safeText } from './safe-text.js'
import type { Style } from './output.js'
import type { ConversationView, EventView, GroupChangeView, GroupConversationView, GroupMemberView, GroupMessageView, GroupView } from '../node/api/types.js'

/** A group's name, safe to print. */
export function groupLabel (g: Pick<GroupView, 'name'>): string {
  return safeText(g.name)
}

/** What `natter` commands take to address this group without ambiguity. */
export function groupRef (g: Pick<GroupView, 'id'>): string {
  return `group:${g.id}`
}

/**
 * A sender or member: a contact by its name; anyone else by the name they
 * gave in the group, marked `~`, with the short peer id when they gave none.
 */
export function memberLabel (peerId: string, name: string | undefined, contact: boolean): string {
  if (contact && name != null) {
    return safeText(name)
  }
  return name == null || name === '' ? shortPeer(peerId) : `~${safeText(name)}`
}

/** A member's label as the group shows it, looked up by peer id (short peer id for someone no longer listed). */
export function labelIn (group: Pick<GroupView, 'members'> | undefined, peerId: string): string {
  const m = group?.members.find(x => x.peerId === peerId)
  return m == null ? shortPeer(peerId) : m.self ? 'you' : memberLabel(m.peerId, m.name, m.contact)
}

/**
 * The delivery mark of an own group message: ` ✓ 1/3` while some members
 * have it, ` ✓✓ 3/3` once all do, then ` read 2/3` for those who said they
 * read it; ` ✓` alone when nobody else is in the group.
 */
export function formatGroupMark (style: Style, m: Pick<GroupMessageView, 'recipients' | 'deliveredTo' | 'readBy'>): string {
  const n = m.recipients ?? 0
  if (n === 0) {
    return style.dim(' ✓')
  }
  const k = Math.min(n, m.deliveredTo?.length ?? 0)
  const r = Math.min(n, m.readBy?.length ?? 0)
  const delivered = k >= n ? style.dim(` ✓✓ ${k}/${n}`) : style.dim(` ✓ ${k}/${n}`)
  return r > 0 ? `${delivered}${style.cyan(` read ${r}/${n}`)}` : delivered
}

/**
 * A group message as lines: `[14:05] bob: hi`, `[14:05] ~carol: hi`,
 * `[14:06] me: hello ✓ 1/2`. Lines after the first are indented under the
 * text and marked `┆`, as for direct messages.
 */
export function formatGroupMessageLines (style: Style, m: GroupMessageView, options: { group?: string } = {}): string[] {
  const timeText = `[${formatTime(m.sentAt)}]`
  const where = options.group == null ? '' : `${style.bold(options.group)} `
  const head = m.direction === 'out'
    ? `${style.dim(timeText)} ${where}${style.magenta('me')}: `
    : `${style.dim(timeText)} ${where}${style.cyan(memberLabel(m.from, m.name, m.contact))}: `
  const [first = '', ...rest] = safeLines(m.text, style.escape)
  const indent = ' '.repeat(Math.max(2, timeText.length + 1)) + style.dim('┆') + ' '
  const lines = [head + first, ...rest.map(l => indent + l)]
  if (m.direction === 'out') {
    lines[lines.length - 1] += formatGroupMark(style, m)
  }
  return lines
}

/** One member: `  bob        member  ● online`, `  ~carol     member  (not a contact) 12D3KooW…`. */
export function formatMemberLine (style: Style, m: GroupMemberView, width = 20): string {
  const label = m.self ? 'you' : memberLabel(m.peerId, m.name, m.contact)
  const role = m.role === 'admin' ? style.bold('admin ') : 'member'
  const presence = m.self
    ? ''
    : m.contact
      ? (m.presence === 'unknown' || m.presence === 'offline' ? style.dim('○ offline') : `${formatStatus(style, m.presence).replace(m.presence, '●')} ${m.presence}`)
      : style.dim('not a contact')
  return `  ${label.padEnd(width)} ${role}  ${presence}${m.contact || m.self ? '' : style.dim(`  ${m.peerId}`)}`.trimEnd()
}

/** `members: alice (you), bob, ~carol` (at most `max`, then `+n`). */
export function memberSummary (g: Pick<GroupView, 'members'>, max = 8): string {
  const names = g.members.map(m => m.self ? 'you' : memberLabel(m.peerId, m.name, m.contact))
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} +${names.length - max}`
}

/** Why a group takes no messages, or undefined when it does. */
export function inactiveNote (g: Pick<GroupView, 'state'>): string | undefined {
  switch (g.state) {
    case 'left': return 'you left this group: its history stays, nothing can be sent'
    case 'removed': return 'you were removed from this group: its history stays, nothing can be sent'
    default: return undefined
  }
}

/**
 * The system line for a change of a group: `bob joined`, `carol was removed
 * by alice`, `dave left`, `alice renamed the group to "x"`. Undefined for
 * changes with nothing to say.
 */
export function describeChange (event: Pick<Extract<EventView, { type: 'group:changed' }>, 'change' | 'member' | 'by' | 'group'>, before?: Pick<GroupView, 'members' | 'name'>): string | undefined {
  const g = event.group
  // the member may be gone from the group by now: look in what was known before too
  const who = (peer: string | undefined): string => {
    if (peer == null) {
      return 'someone'
    }
    const now = g.members.find(m => m.peerId === peer)
    return now != null ? labelIn(g, peer) : labelIn(before, peer)
  }
  const by = event.by == null ? '' : ` by ${who(event.by)}`
  const change: GroupChangeView = event.change
  switch (change) {
    case 'created': return `you created the group ${groupLabel(g)}`
    case 'joined': return `you were added to ${groupLabel(g)}${by}`
    case 'member-added': return `${who(event.member)} joined${event.by == null ? '' : ` (added by ${who(event.by)})`}`
    case 'member-removed': return `${who(event.member)} was removed${by}`
    case 'member-left': return `${who(event.member)} left`
    case 'renamed': return before == null || before.name === g.name ? `the group was renamed to “${groupLabel(g)}”${by}` : `the group “${safeText(before.name)}” was renamed to “${groupLabel(g)}”${by}`
    case 'removed': return `you were removed from ${groupLabel(g)}${by}; you receive nothing new`
    case 'left': return `you left ${groupLabel(g)}`
    default: return undefined
  }
}

/** A group's line in the inbox: `1  # team    3 members   2 new  [14:05] bob: see you`. */
export function formatGroupInboxLine (
  style: Style,
  g: GroupConversationView,
  options: { index?: number, columns?: number, width?: number, truncate: (text: string, width: number) => string, stringWidth: (text: string) => number }
): string {
  const nameWidth = options.width ?? 18
  const index = options.index == null ? '' : style.dim(`${String(options.index).padStart(2)} `)
  const label = options.truncate(`# ${groupLabel(g)}`, nameWidth).padEnd(nameWidth)
  const status = (g.state === 'active' ? `${g.members} member${g.members === 1 ? '' : 's'}` : g.state).padEnd(9)
  const unread = g.unread > 0 ? style.bold(style.yellow(`${String(g.unread).padStart(3)} new`)) : '       '
  const head = `${index}${style.bold(label)} ${style.dim(status)} ${unread}  `
  const headWidth = (options.index == null ? 0 : 3) + nameWidth + 1 + 9 + 1 + 7 + 2
  if (g.last == null) {
    return head + style.dim('no messages yet')
  }
  const m = g.last
  const who = m.direction === 'out' ? 'me: ' : `${memberLabel(m.from, m.name, m.contact)}: `
  const mark = m.direction === 'out' ? formatGroupMark(style, m) : ''
  const room = Math.max(10, (options.columns ?? 100) - headWidth - 10 - options.stringWidth(who) - 8)
  const preview = options.truncate(safeText(m.text.replace(/\r?\n/g, ' ⏎ ')), room)
  return `${head}${style.dim(`[${formatTime(m.sentAt)}]`)} ${who}${g.unread > 0 ? style.bold(preview) : preview}${mark}`
}

/** One line of the inbox: a conversation with a peer, or a group. */
export type InboxEntry =
  | { kind: 'peer', conversation: ConversationView }
  | { kind: 'group', group: GroupConversationView }

/**
 * Conversations and groups in one list, the most recent activity first;
 * contacts with no messages last, as the daemon orders them.
 */
export function inboxEntries (inbox: { conversations: ConversationView[], groups: GroupConversationView[] }): InboxEntry[] {
  const entries: Array<{ at: number, entry: InboxEntry }> = [
    ...inbox.conversations.map(c => ({ at: c.last?.sentAt ?? -Infinity, entry: { kind: 'peer' as const, conversation: c } })),
    ...inbox.groups.map(g => ({ at: g.last?.sentAt ?? g.lastActivity, entry: { kind: 'group' as const, group: g } }))
  ]
  // stable: equal times keep the daemon's order
  return entries.sort((a, b) => b.at - a.at).map(e => e.entry)
}
