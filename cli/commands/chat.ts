/**
 * `natter chat [contact]`: the chat screen. Shows earlier messages between
 * separators, the contact's presence (a line only when it changes), live
 * incoming messages above a prompt that keeps what you are typing, and your
 * own messages with delivery marks that change in place (… queued, ✓ sent,
 * ✓✓ delivered, ✓✓ read, ✗ failed with the reason). Paste keeps lines
 * together, Alt+Enter starts a new line, ↑/↓ recall what you sent, PgUp
 * shows older messages, and a bell (or a desktop notification) tells about a
 * new message while the terminal is not focused. Without a contact it opens
 * the conversation list; `/open` switches conversations without leaving.
 *
 * Not on a terminal it reads lines from stdin and prints plain lines; with
 * `--json` it prints nothing while running and one JSON document (the
 * session's transcript) when stdin ends.
 *
 * When the contact's identity key changed (now or before), a loud warning
 * says its messages are held; the command then exits with code 8.
 *
 * @module
 */
import { createInterface } from 'node:readline'
import type { Interface } from 'node:readline'
import { ChatKeys, NEWLINE_MARK, terminalModes } from '../chat/keys.js'
import { createNotifier } from '../chat/notify.js'
import { DaemonNotRunningError, UsageError } from '../errors.js'
import { heldError, keyChangeWarning } from '../key-change.js'
import { formatMark, formatMessageLines, formatNote, formatStatus, peerText, printJson, styleFor, who } from '../output.js'
import { safeText } from '../safe-text.js'
import { clientFor, examples, globals, natterCommand, positiveInt } from '../shared.js'
import { didYouMean } from '../suggest.js'
import { GROUP_PREFIX, resolveTarget } from '../target.js'
import { describeChange, formatGroupInboxLine, formatGroupMessageLines, formatMemberLine, groupLabel, groupRef, inactiveNote, inboxEntries, memberLabel, memberSummary } from '../group-view.js'
import type { TargetFlags } from '../target.js'
import type { Notifier } from '../chat/notify.js'
import type { Screen } from '../chat/screen.js'
import type { ApiClient } from '../client.js'
import type { Context } from '../context.js'
import type { KeyChange } from '../key-change.js'
import type { EventView, GroupMessageView, GroupView, MessageStateView, MessageView, PresenceView, StatusView } from '../../node/api/types.js'
import type { Style } from '../output.js'
import type { Command } from 'commander'

const STATUSES = new Set(['online', 'away', 'busy'])
const COMMANDS = ['status', 'history', 'list', 'open', 'members', 'help', 'quit']

const HELP = [
  'type a message and press Enter to send it; Alt+Enter (or a paste) adds a line; ↑/↓ recall earlier input',
  'lines starting with / are commands:',
  '  /status [online|away|busy] [note]   show or set your presence',
  '  /history [n]                        show the last n messages (default 20); PgUp shows older ones',
  '  /list                               your conversations, with unread counts',
  '  /open <name|number>                 switch to another conversation (group:<name> for a group)',
  '  /members                            in a group: its members, their roles and presence',
  '  /quit                               leave (also Ctrl-C or Ctrl-D)',
  '  //text                              send a line that starts with /'
]

/** Ids remembered per kind (shown, own messages, early states): a long session stays bounded. */
const REMEMBER_MAX = 5000

/** Adds to a map or set kept in insertion order, dropping the oldest past {@link REMEMBER_MAX}. */
function remember<K, V> (store: Map<K, V>, key: K, value: V): void {
  store.delete(key)
  store.set(key, value)
  if (store.size > REMEMBER_MAX) {
    const oldest = store.keys().next()
    if (oldest.done !== true) {
      store.delete(oldest.value)
    }
  }
}

/** Order of delivery states: a later event never moves a mark back. */
const STATE_ORDER: Record<MessageStateView, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4, received: 0 }

interface ChatOptions extends TargetFlags {
  last: number
}

/** The conversation on screen. */
interface Current {
  /** The peer's id; for a group, the group's id. */
  peerId: string
  name?: string
  /** Set when the conversation is a group: the group as last seen. */
  group?: GroupView
  /** The oldest group message shown, for PgUp. */
  oldestGroup?: GroupMessageView
  /** status and note last shown, so presence lines appear only on change */
  presence?: string
  /** The oldest message shown, for PgUp. */
  oldest?: MessageView
}

/**
 * The layout helpers, loaded when a chat starts rather than with the CLI:
 * string-width's Unicode tables cost tens of milliseconds that every other
 * command would pay at start.
 */
async function loadViews (): Promise<Views> {
  const [{ default: stringWidth }, { formatInboxLine, truncate }, { createScreen }] = await Promise.all([
    import('string-width'), import('../inbox-view.js'), import('../chat/screen.js')
  ])
  return { stringWidth, formatInboxLine, truncate, createScreen }
}

interface Views {
  stringWidth: (text: string) => number
  formatInboxLine: typeof import('../inbox-view.js').formatInboxLine
  truncate: typeof import('../inbox-view.js').truncate
  createScreen: typeof import('../chat/screen.js').createScreen
}

/** One chat session's state. */
interface Session {
  views: Views
  client: ApiClient
  style: Style
  interactive: boolean
  json: boolean
  current?: Current
  /** What was sent and received (for --json). */
  transcript: Array<MessageView | GroupMessageView>
  /** Ids already shown, so history and live events never repeat a message. */
  shown: Map<string, true>
  /** Own messages on screen, by id, with their latest state. */
  outgoing: Map<string, MessageView>
  /** Own group messages on screen, by id, with their latest delivery. */
  outgoingGroup: Map<string, GroupMessageView>
  /** Group deliveries seen in events before the send call returned. */
  earlyGroup: Map<string, Pick<GroupMessageView, 'deliveredTo' | 'readBy' | 'recipients'>>
  /** States seen in events before the send call returned. */
  early: Map<string, { state: MessageStateView, reason?: string }>
  /** What the conversation list last shown opens (for `/open <number>`): a peer id, or `group:<id>`. */
  list: string[]
  screen?: Screen
  notifier?: Notifier
  /** Whether the terminal is focused; unknown until it reports. */
  focused?: boolean
  /** A conversation (peer id, or `group:<id>`) whose new messages arrived while the terminal was not focused: read once it is. */
  unseen?: string
  /** Writes lines above the prompt. */
  say(lines: string | string[], key?: string): void
  /** Shows a warning: on the screen when interactive, else on stderr. */
  warn(lines: string[]): void
  /** `natter` (with --home when given), for suggested commands. */
  natter: string
  /** The key change last warned about (each is shown once). */
  warned?: string
  /** Messages sent in this session that are held by a key change, and the last change. */
  held: number
  lastHeld?: KeyChange
}

function warnKeyChange (s: Session, change: KeyChange): void {
  if (s.warned === change.newPeerId) {
    return
  }
  s.warned = change.newPeerId
  s.warn(keyChangeWarning(s.style, change, s.natter))
}

function describePresence (s: Session, c: Current, p: PresenceView | undefined): string {
  const label = who(c.peerId, c.name)
  if (p == null) {
    return `${label} has not been seen yet`
  }
  return `${label} is ${formatStatus(s.style, p.status)}${formatNote(s.style, p.note)}`
}

/** A dim rule with a label: separates history from live messages. */
function separator (s: Session, label: string): string {
  return s.style.dim(`──── ${label} ${'─'.repeat(Math.max(4, 40 - s.views.stringWidth(label)))}`)
}

/** Shows one message; own messages are keyed by id, so their mark can change in place. */
function showMessage (s: Session, m: MessageView): void {
  remember(s.shown, m.id, true)
  if (m.direction === 'out') {
    const early = s.early.get(m.id)
    if (early != null && STATE_ORDER[early.state] > STATE_ORDER[m.state]) {
      m = { ...m, state: early.state, ...(early.reason == null ? {} : { failReason: early.reason }) }
    }
    s.early.delete(m.id)
    remember(s.outgoing, m.id, m)
    s.say(formatMessageLines(s.style, m, s.current?.name), m.id)
    return
  }
  s.say(formatMessageLines(s.style, m, s.current?.name))
}

/** Shows one group message; own ones are keyed by id, so their "k/n" can change in place. */
function showGroupMessage (s: Session, m: GroupMessageView): void {
  remember(s.shown, m.id, true)
  if (m.direction === 'out') {
    const early = s.earlyGroup.get(m.id)
    if (early != null && (early.deliveredTo?.length ?? 0) + (early.readBy?.length ?? 0) > (m.deliveredTo?.length ?? 0) + (m.readBy?.length ?? 0)) {
      m = { ...m, ...early }
    }
    s.earlyGroup.delete(m.id)
    remember(s.outgoingGroup, m.id, m)
    s.say(formatGroupMessageLines(s.style, m), m.id)
    return
  }
  s.say(formatGroupMessageLines(s.style, m))
}

/** Prints a page of history between separators (interactive); false, after "no older messages" when paging back, if it is empty. */
function showPage<T> (s: Session, messages: T[], show: (m: T) => void, options: { before?: unknown, label?: string }): boolean {
  if (messages.length === 0) {
    if (options.before != null) {
      s.say(s.style.dim('* no older messages'))
    }
    return false
  }
  if (s.interactive) {
    s.say(separator(s, options.label ?? `earlier messages (${messages.length})`))
  }
  for (const m of messages) {
    show(m)
  }
  if (s.interactive) {
    s.say(separator(s, 'now'))
  }
  return true
}

async function showGroupHistory (s: Session, c: Current & { group: GroupView }, limit: number, options: { before?: string, label?: string }): Promise<void> {
  const { group, messages } = await s.client.api.groupHistory({ params: { group: c.group.id }, query: { limit, before: options.before } })
  c.group = group
  if (!showPage(s, messages, m => { showGroupMessage(s, m) }, options)) {
    return
  }
  if (c.oldestGroup == null || messages[0]!.sentAt <= c.oldestGroup.sentAt) {
    c.oldestGroup = messages[0]
  }
  if (messages.some(m => m.direction === 'in' && !m.read)) {
    await markRead(s, groupRef(group))
  }
}

async function showHistory (s: Session, limit: number, options: { before?: number, beforeId?: string, label?: string } = {}): Promise<void> {
  const c = s.current
  if (c == null) {
    return
  }
  if (c.group != null) {
    await showGroupHistory(s, c as Current & { group: GroupView }, limit, { before: options.beforeId, label: options.label })
    return
  }
  const { messages } = await s.client.api.history({ query: { peer: c.peerId, limit, before: options.before } })
  if (!showPage(s, messages, m => { showMessage(s, m) }, options)) {
    return
  }
  if (c.oldest == null || messages[0]!.sentAt <= c.oldest.sentAt) {
    c.oldest = messages[0]
  }
  if (messages.some(m => m.direction === 'in' && m.state === 'received')) {
    await markRead(s, c.peerId)
  }
}

/** Marks the conversation (a peer id, or `group:<id>`) read: the messages were on screen. */
async function markRead (s: Session, key: string): Promise<void> {
  if (key.startsWith(GROUP_PREFIX)) {
    await s.client.api.markGroupRead({ params: { group: key.slice(GROUP_PREFIX.length) }, body: {} }).catch(() => {})
    return
  }
  await s.client.api.markRead({ body: { peer: key } }).catch(() => {})
}


/** An own message's state changed: change its mark where it is shown, or say so below. */
function onState (s: Session, event: Extract<EventView, { type: 'message:state' }>): void {
  const m = s.outgoing.get(event.id)
  if (m == null) {
    if (event.peer === s.current?.peerId) {
      const early = s.early.get(event.id)
      if (early == null || STATE_ORDER[event.state] > STATE_ORDER[early.state]) {
        remember(s.early, event.id, { state: event.state, ...(event.reason == null ? {} : { reason: event.reason }) })
      }
    }
    return
  }
  if (STATE_ORDER[event.state] <= STATE_ORDER[m.state] && event.state !== 'failed') {
    return
  }
  const next: MessageView = { ...m, state: event.state, ...(event.reason == null ? {} : { failReason: event.reason }) }
  remember(s.outgoing, m.id, next)
  const lines = formatMessageLines(s.style, next, s.current?.name)
  if (s.screen?.update(m.id, lines[lines.length - 1]!) === true) {
    return
  }
  if (event.state === 'sent') {
    return
  }
  const preview = s.views.truncate(safeText(m.text), 40)
  s.say(`${s.style.dim('  ↳')}${formatMark(s.style, next)} ${s.style.dim(`“${preview}”`)}`)
}

/** A group message: shown when its group is open, else a one-line notice. */
function onGroupMessage (s: Session, event: Extract<EventView, { type: 'group:message' }>): void {
  const c = s.current
  const m = event.message
  if (c?.group == null || c.group.id !== m.groupId) {
    const from = memberLabel(m.from, m.name, m.contact)
    s.say(s.style.yellow(`* new message in ${groupLabel(event.group)} from ${from}: ${s.views.truncate(safeText(m.text), 40)}  (/open ${groupRef(event.group)})`))
    if (s.focused !== true) {
      s.notifier?.message(`${event.group.name}: ${m.name ?? m.from}`, m.text)
    }
    return
  }
  c.group = event.group
  if (s.shown.has(m.id)) {
    return
  }
  if (!s.interactive) {
    s.transcript.push(m)
  }
  showGroupMessage(s, m)
  if (s.focused !== true) {
    s.notifier?.message(`${event.group.name}: ${m.name ?? m.from}`, m.text)
  }
  if (s.focused === false) {
    s.unseen = groupRef(event.group)
  } else {
    void markRead(s, groupRef(event.group))
  }
}

/** A group changed: a system line in the open group; elsewhere only what concerns this node. */
function onGroupChanged (s: Session, event: Extract<EventView, { type: 'group:changed' }>): void {
  const c = s.current
  const open = c?.group != null && c.group.id === event.group.id
  const before = open ? c.group : undefined
  if (open) {
    c.group = event.group
    if (event.change === 'renamed') {
      c.name = event.group.name
    }
  }
  const line = describeChange(event, before)
  if (line == null) {
    return
  }
  if (open) {
    s.say(s.style.dim(`* ${line}`))
    return
  }
  // another group: say only what happened to this node (added, removed)
  if (event.change === 'joined') {
    s.say(s.style.yellow(`* ${line}  (/open ${groupRef(event.group)})`))
  } else if (event.change === 'removed') {
    s.say(s.style.yellow(`* ${line}`))
  }
}

/** An own group message reached more members: its "k/n" changes in place. */
function onGroupState (s: Session, event: Extract<EventView, { type: 'group:message:state' }>): void {
  const delivery = { deliveredTo: event.deliveredTo, readBy: event.readBy, recipients: event.recipients }
  const m = s.outgoingGroup.get(event.id)
  if (m == null) {
    if (s.current?.group?.id === event.groupId) {
      remember(s.earlyGroup, event.id, delivery)
    }
    return
  }
  const next: GroupMessageView = { ...m, ...delivery }
  remember(s.outgoingGroup, m.id, next)
  if (!s.interactive) {
    const i = s.transcript.findIndex(x => x.id === m.id)
    if (i >= 0) {
      s.transcript[i] = next
    }
  }
  const lines = formatGroupMessageLines(s.style, next)
  s.screen?.update(m.id, lines[lines.length - 1]!)
}

function onEvent (s: Session, event: EventView): void {
  const c = s.current
  switch (event.type) {
    case 'message': {
      const m = event.message
      if (c == null || m.peer !== c.peerId) {
        // another conversation: a one-line notice, and the bell when not focused
        const label = event.name == null ? who(m.peer) : who(m.peer, event.name)
        // a contact is opened by name; anyone else by the full peer id (the short one does not resolve)
        const target = event.name == null ? m.peer : label
        s.say(s.style.yellow(`* new message from ${label}: ${s.views.truncate(safeText(m.text), 40)}  (/open ${target})`))
        if (s.focused !== true) {
          s.notifier?.message(event.name ?? m.peer, m.text)
        }
        return
      }
      if (s.shown.has(m.id)) {
        return
      }
      if (!s.interactive) {
        s.transcript.push(m)
      }
      showMessage(s, m)
      if (s.focused !== true) {
        s.notifier?.message(c.name ?? c.peerId, m.text)
      }
      if (s.focused === false) {
        // on screen but nobody is looking: read (and a read receipt) when the terminal gets focus back
        s.unseen = c.peerId
      } else {
        void markRead(s, c.peerId)
      }
      return
    }
    case 'request':
      s.say(s.style.yellow(`* a message request from ${who(event.message.peer)}; see \`${s.natter} requests\``))
      return
    case 'message:state':
      onState(s, event)
      return
    case 'presence': {
      if (c == null || event.presence.peerId !== c.peerId) {
        return
      }
      const key = `${event.presence.status}\n${event.presence.note}`
      if (key === c.presence) {
        return
      }
      c.presence = key
      s.say(s.style.dim(`* ${describePresence(s, c, event.presence)}`))
      return
    }
    case 'group:message':
      onGroupMessage(s, event)
      return
    case 'group:changed':
      onGroupChanged(s, event)
      return
    case 'group:message:state':
      onGroupState(s, event)
      return
    case 'contact:key-changed':
      if (event.peerId === c?.peerId) {
        warnKeyChange(s, { contact: event.contact.name, peerId: event.peerId, newPeerId: event.newPeerId })
      }
  }
}

async function send (s: Session, text: string): Promise<void> {
  const c = s.current
  if (c == null) {
    s.say(s.style.dim('no conversation is open: /list shows them, /open <name> opens one'))
    return
  }
  if (c.group != null) {
    const groupId = c.group.id
    try {
      const { message } = await s.client.api.sendGroup({ params: { group: groupId }, body: { text } })
      if (!s.interactive) {
        s.transcript.push(message)
      }
      if (s.current?.group?.id === groupId) {
        showGroupMessage(s, message)
      }
    } catch (err) {
      s.say(s.style.red(`✗ not sent: ${peerText(s.style, (err as Error).message)}`))
    }
    return
  }
  try {
    const { message, held } = await s.client.api.send({ body: { to: c.peerId, text, wait: 'queued' } })
    if (!s.interactive) {
      s.transcript.push(message)
    }
    if (s.current?.peerId === c.peerId) {
      showMessage(s, message)
    }
    if (held != null) {
      s.held++
      s.lastHeld = held
      warnKeyChange(s, held)
      s.say(s.style.red(`✗ held: ${who(held.peerId, held.contact)}'s identity key changed (accept or reject it first)`))
    }
  } catch (err) {
    s.say(s.style.red(`✗ not sent: ${peerText(s.style, (err as Error).message)}`))
  }
}

/** Opens a conversation or a group: header, presence or members, earlier messages. */
async function open (s: Session, key: string, last: number, flags: TargetFlags = {}): Promise<void> {
  const resolved = await resolveTarget(s.client, key, flags, `${s.natter} chat`)
  s.shown.clear()
  s.outgoing.clear()
  s.early.clear()
  s.outgoingGroup.clear()
  s.earlyGroup.clear()
  if (resolved.kind === 'group') {
    const g = resolved.group
    s.current = { peerId: g.id, name: g.name, group: g }
    if (s.json) {
      return
    }
    const note = inactiveNote(g)
    s.say([
      s.style.bold(`chatting in ${groupLabel(g)}`) + s.style.dim(` (group ${g.id})`),
      s.style.dim(`* ${g.members.length} member${g.members.length === 1 ? '' : 's'}: ${memberSummary(g)}`),
      ...(note == null ? [] : [s.style.yellow(`* ${note}`)])
    ])
    await showHistory(s, last)
    return
  }
  const target = { peerId: resolved.peerId, name: resolved.name }
  const current: Current = { peerId: target.peerId, name: target.name }
  s.current = current
  if (s.json) {
    return
  }
  const presence = (await s.client.api.presence()).peers.find(p => p.peerId === target.peerId)
  current.presence = presence == null ? undefined : `${presence.status}\n${presence.note}`
  s.say([
    s.style.bold(`chatting with ${who(target.peerId, target.name)}`) + s.style.dim(` (${target.peerId})`),
    s.style.dim(`* ${describePresence(s, current, presence)}`)
  ])
  const contact = target.name == null ? undefined : (await s.client.api.getContact({ params: { contact: target.peerId } })).contact
  if (contact?.pendingPeerId != null) {
    warnKeyChange(s, { contact: contact.name, peerId: contact.peerId, newPeerId: contact.pendingPeerId })
  }
  await showHistory(s, last)
}

async function showList (s: Session): Promise<void> {
  const inbox = await s.client.api.inbox()
  const entries = inboxEntries(inbox)
  s.list = entries.map(e => e.kind === 'peer' ? e.conversation.peer : `${GROUP_PREFIX}${e.group.id}`)
  if (entries.length === 0) {
    s.say(s.style.dim(`no conversations yet; add a contact with \`${s.natter} contacts add <invite>\``))
    return
  }
  s.say([separator(s, 'conversations'), ...entries.map((e, i) => e.kind === 'peer'
    ? s.views.formatInboxLine(s.style, e.conversation, { index: i + 1, columns: 100 })
    : formatGroupInboxLine(s.style, e.group, { index: i + 1, columns: 100, truncate: s.views.truncate, stringWidth: s.views.stringWidth }))])
  if (inbox.requests > 0) {
    s.say(s.style.dim(`${inbox.requests} message request${inbox.requests === 1 ? '' : 's'} from strangers: \`${s.natter} requests\``))
  }
  s.say(s.style.dim('/open <number or name> to chat'))
}

/** `/open 2` → the second conversation of the last list; otherwise a name or peer id. */
function pick (s: Session, arg: string): string {
  if (/^\d+$/.test(arg)) {
    const c = s.list[Number(arg) - 1]
    if (c != null) {
      return c
    }
  }
  return arg
}

async function command (s: Session, line: string, options: ChatOptions): Promise<'quit' | undefined> {
  const words = line.slice(1).trim().split(/\s+/)
  const [cmd = '', ...args] = words
  switch (cmd) {
    case 'quit':
    case 'exit':
    case 'q':
      return 'quit'
    case 'status': {
      const status = args[0]
      if (status == null) {
        const own = (await s.client.api.id()).presence
        s.say(s.style.dim(`* you are ${formatStatus(s.style, own.status)}${formatNote(s.style, own.note)}`))
        return
      }
      if (!STATUSES.has(status)) {
        s.say('usage: /status [online|away|busy] [note]')
        return
      }
      const note = args.slice(1).join(' ')
      try {
        const { presence } = await s.client.api.setPresence({ body: { status: status as StatusView, note } })
        s.say(s.style.dim(`* you are ${formatStatus(s.style, presence.status)}${formatNote(s.style, presence.note)}`))
      } catch (err) {
        s.say(s.style.red(`✗ ${peerText(s.style, (err as Error).message)}`))
      }
      return
    }
    case 'history': {
      const n = args[0] == null ? 20 : Number(args[0])
      if (!Number.isInteger(n) || n < 1) {
        s.say('usage: /history [n]')
        return
      }
      if (s.current == null) {
        s.say(s.style.dim('no conversation is open: /open <name> first'))
        return
      }
      s.current.oldest = undefined
      s.current.oldestGroup = undefined
      await showHistory(s, Math.min(n, 1000), { label: `last ${Math.min(n, 1000)} messages` })
      return
    }
    case 'list':
    case 'inbox':
      await showList(s)
      return
    case 'members':
    case 'who': {
      const c = s.current
      if (c?.group == null) {
        s.say(s.style.dim('/members is for groups: open one with /open group:<name>'))
        return
      }
      try {
        const { group } = await s.client.api.getGroup({ params: { group: c.group.id } })
        c.group = group
        s.say([s.style.dim(`* ${group.members.length} member${group.members.length === 1 ? '' : 's'} of ${groupLabel(group)}:`), ...group.members.map(m => formatMemberLine(s.style, m))])
      } catch (err) {
        s.say(s.style.red(`✗ ${peerText(s.style, (err as Error).message)}`))
      }
      return
    }
    case 'open':
    case 'chat':
    case 'switch': {
      if (args[0] == null) {
        s.say('usage: /open <name|number>')
        return
      }
      try {
        await open(s, pick(s, args.join(' ')), options.last)
      } catch (err) {
        s.say(s.style.red(`✗ ${peerText(s.style, (err as Error).message)}`))
      }
      return
    }
    case 'help':
    case '?':
    case '':
      s.say(HELP)
      return
    default: {
      const near = didYouMean(cmd, COMMANDS)
      s.say(s.style.dim(`unknown command /${safeText(cmd)}${near == null ? '' : ` (did you mean /${near}?)`}; /help lists commands`))
    }
  }
}

/** PgUp: the page before the oldest message shown; PgDn: back to the latest messages. */
async function page (s: Session, direction: 'up' | 'down', rows: number): Promise<void> {
  const c = s.current
  if (c == null) {
    return
  }
  const size = Math.max(5, rows - 4)
  if (c.group != null) {
    if (direction === 'up') {
      if (c.oldestGroup == null) {
        s.say(s.style.dim('* no older messages'))
        return
      }
      await showHistory(s, size, { beforeId: c.oldestGroup.id, label: `older messages (${size} before ${new Date(c.oldestGroup.sentAt).toLocaleString()})` })
      return
    }
    c.oldestGroup = undefined
    await showHistory(s, size, { label: 'latest messages' })
    return
  }
  if (direction === 'up') {
    if (c.oldest == null) {
      s.say(s.style.dim('* no older messages'))
      return
    }
    await showHistory(s, size, { before: c.oldest.sentAt, label: `older messages (${size} before ${new Date(c.oldest.sentAt).toLocaleString()})` })
    return
  }
  c.oldest = undefined
  await showHistory(s, size, { label: 'latest messages' })
}

/** Registers `natter chat`. */
export function registerChat (program: Command, ctx: Context): void {
  program
    .command('chat')
    .description('chat interactively: live messages, delivery marks, presence, history; without a contact, pick a conversation')
    .argument('[contact]', 'contact name, peer id or group (on a terminal, leave it out to pick from your conversations)')
    .option('-n, --last <n>', 'how many earlier messages to show on entry', positiveInt, 20)
    .option('--group', '<contact> is a group (when a contact has the same name)')
    .option('--contact', '<contact> is a contact or peer id (when a group has the same name)')
    .addHelpText('after', examples(
      ['natter chat bob', 'chat with bob (/quit to leave, /status away lunch, /history 50)'],
      ['natter chat', 'your conversations; /open <name> to chat, /list to come back'],
      ['printf "hi\\nbye\\n" | natter chat bob --json', 'send lines from stdin; print the transcript as JSON'],
      ['natter chat team', 'chat in the group team'],
      ['natter chat --group bob', 'the group bob, when a contact is called bob too (or: natter chat group:bob)']
    ) + `
Keys: Enter sends; Alt+Enter starts a new line (a pasted block stays one
message); ↑/↓ recall earlier input; PgUp shows older messages, PgDn the
latest; Ctrl-C or Ctrl-D leaves. Marks on your messages: … queued, ✓ sent
(to a mailbox), ✓✓ delivered, ✓✓ read (when the reader allows it), ✗ failed.
In a group each message shows its sender (~name for members who are not your
contacts), yours show how many members have them (✓ 1/3, ✓✓ 3/3, read 2/3),
and joins, leaves and removals show as * lines.
A new message rings the bell while the terminal is not focused (change with
\`natter config set notify desktop|bell|off\`).
`)
    .action(async (key: string | undefined, options: ChatOptions, cmd: Command) => {
      const g = globals(cmd)
      const interactive = g.json !== true && ctx.stdin.isTTY === true && ctx.stdout.isTTY === true
      if (key == null && !interactive) {
        throw new UsageError('give a contact (or run `natter chat` on a terminal to pick a conversation)')
      }
      const client = await clientFor(ctx, cmd)
      const style = styleFor(ctx.stdout, g.json === true ? { ...ctx.env, NO_COLOR: '1' } : ctx.env)
      const views = await loadViews()
      const screen = interactive ? views.createScreen(ctx.stdout) : undefined

      const session: Session = {
        views,
        client,
        style,
        interactive,
        json: g.json === true,
        transcript: [],
        shown: new Map(),
        outgoing: new Map(),
        early: new Map(),
        outgoingGroup: new Map(),
        earlyGroup: new Map(),
        list: [],
        screen,
        natter: natterCommand(cmd),
        held: 0,
        warn: (lines) => {
          if (interactive) {
            session.say(lines)
          } else {
            ctx.stderr.write(lines.join('\n') + '\n')
          }
        },
        say: (lines, id) => {
          if (g.json === true) {
            return
          }
          if (screen == null) {
            ctx.stdout.write((typeof lines === 'string' ? [lines] : lines).map(l => l + '\n').join(''))
            return
          }
          screen.say(lines, id)
        }
      }

      // subscribe before reading history, so nothing falls between the two
      const stop = new AbortController()
      // on a terminal every conversation's events (for the list and notices); else only this one's
      const only = interactive || key == null ? undefined : await resolveTarget(client, key, options, `${natterCommand(cmd)} chat`)
      const events = client.events({
        peer: only?.kind === 'peer' ? only.peerId : undefined,
        group: only?.kind === 'group' ? only.group.id : undefined,
        signal: stop.signal
      })[Symbol.asyncIterator]()
      const first = await events.next()
      if (first.done === true || first.value.type !== 'ready') {
        throw new DaemonNotRunningError('the daemon closed the event stream', { home: client.home })
      }
      if (interactive) {
        const { config } = await client.api.config().catch(() => ({ config: { notify: 'bell' as const } }))
        session.notifier = createNotifier({ mode: config.notify, out: ctx.stdout, env: ctx.env })
      }
      if (key != null) {
        await open(session, only?.kind === 'group' ? groupRef(only.group) : key, options.last, only?.kind === 'group' ? {} : options)
      } else {
        await showList(session)
      }
      if (interactive) {
        session.say(style.dim('/help for commands and keys, /list for your conversations, /quit to leave'))
      }

      const keys = interactive ? new ChatKeys(ctx.stdin) : undefined
      // the terminal modes go off however the process ends
      const modesOff = (): void => { terminalModes(ctx.stdout, false) }
      if (keys != null) {
        process.once('exit', modesOff)
        terminalModes(ctx.stdout, true)
        ctx.stdin.pipe(keys)
        keys.on('focus', (focused: boolean) => {
          session.focused = focused
          const unseen = session.unseen
          if (focused && unseen != null) {
            session.unseen = undefined
            void markRead(session, unseen)
          }
        })
      }
      const input: Interface = createInterface({
        input: keys ?? ctx.stdin,
        output: interactive ? ctx.stdout : undefined,
        terminal: interactive,
        historySize: 500,
        prompt: style.bold('> ')
      })
      screen?.attach(input)
      const lines = input[Symbol.asyncIterator]()
      if (interactive) {
        input.prompt()
      }
      keys?.on('page', (direction: 'up' | 'down') => {
        void page(session, direction, (ctx.stdout as { rows?: number }).rows ?? 24).catch(() => {})
      })

      const end: { reason: 'quit' | 'eof' | 'daemon' } = { reason: 'eof' }
      const pending = new Set<Promise<void>>()
      const live = (async () => {
        for (;;) {
          const next = await events.next()
          if (next.done === true || next.value.type === 'shutdown') {
            return
          }
          try {
            onEvent(session, next.value)
          } catch (err) {
            session.say(style.red(`✗ ${peerText(style, (err as Error).message)}`))
          }
        }
      })().then(() => {
        if (!stop.signal.aborted) {
          end.reason = 'daemon'
          input.close()
        }
      }, (err: unknown) => {
        if (!stop.signal.aborted) {
          end.reason = 'daemon'
          session.say(style.red(`event stream failed: ${peerText(style, (err as Error).message)}`))
          input.close()
        }
      })

      input.on('SIGINT', () => { end.reason = 'quit'; input.close() })

      try {
        for (;;) {
          const next = await lines.next()
          if (next.done === true) {
            break
          }
          const typed = next.value
          if (screen != null) {
            screen.eraseEcho(2, typed)
          }
          const line = typed.replaceAll(NEWLINE_MARK, '\n').replace(/\s+$/, '')
          if (line.trim() === '') {
            screen?.prompt()
            continue
          }
          if (line.startsWith('/') && !line.startsWith('//')) {
            if (await command(session, line, options) === 'quit') {
              end.reason = 'quit'
              break
            }
          } else if (session.current == null && interactive) {
            // the list is open: a number or a name opens that conversation
            await open(session, pick(session, line.trim()), options.last).catch((err: Error) => {
              session.say(style.red(`✗ ${peerText(style, err.message)}`))
            })
          } else {
            const text = line.startsWith('//') ? line.slice(1) : line
            const p = send(session, text)
            pending.add(p)
            void p.finally(() => pending.delete(p))
          }
          screen?.prompt()
        }
      } finally {
        input.close()
        if (keys != null) {
          ctx.stdin.unpipe(keys)
          process.off('exit', modesOff)
          modesOff()
          ;(ctx.stdin as { setRawMode?: (mode: boolean) => unknown }).setRawMode?.(false)
          ctx.stdin.pause()
        }
      }
      await Promise.all(pending)
      stop.abort()
      await live

      if (g.json === true) {
        const c = session.current
        printJson(ctx, c?.group == null
          ? { peer: c?.peerId ?? null, name: c?.name ?? null, messages: session.transcript }
          : { group: c.group.id, name: c.group.name, messages: session.transcript })
      } else if (interactive) {
        ctx.stdout.write('\n')
      }
      if (end.reason === 'daemon') {
        throw new DaemonNotRunningError('the daemon stopped', { home: client.home })
      }
      if (session.lastHeld != null) {
        throw heldError(session.lastHeld, { natter: session.natter, count: session.held, jsonPrinted: g.json === true })
      }
    })
}

