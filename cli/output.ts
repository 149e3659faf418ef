/**
 * Output helpers: colour (only on a terminal, never with NO_COLOR or
 * TERM=dumb), the one JSON document of `--json`, and formatting of times,
 * peers, presence and messages.
 *
 * @module
 */
import { safeLines, safeText } from './safe-text.js'
import type { Context, Output } from './context.js'
import type { MessageView, PresenceView } from '../node/api/types.js'

/** Colour functions; identity functions when colour is off. */
export interface Style {
  readonly enabled: boolean
  bold(s: string): string
  dim(s: string): string
  red(s: string): string
  green(s: string): string
  yellow(s: string): string
  cyan(s: string): string
  magenta(s: string): string
  /** How an escaped control character in peer text is shown (reverse video when colour is on). */
  escape(s: string): string
}

/** Whether `stream` should get colour (a TTY, NO_COLOR unset or empty, TERM not dumb). */
export function colorEnabled (stream: Output, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR == null || env.NO_COLOR === '') && env.TERM !== 'dumb'
}

/** A style for `stream`. */
export function styleFor (stream: Output, env: NodeJS.ProcessEnv): Style {
  const enabled = colorEnabled(stream, env)
  const sgr = (open: number, close: number) => (s: string): string => enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
    escape: sgr(7, 27)
  }
}

/** Prints the one JSON document of `--json`. */
export function printJson (ctx: Context, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** Prints lines on stdout. */
export function print (ctx: Context, ...lines: string[]): void {
  ctx.stdout.write(lines.map(l => l + '\n').join(''))
}

/** `12D3KooW…XyZ12`: a peer id short enough for a table. */
export function shortPeer (peerId: string): string {
  return peerId.length > 20 ? `${peerId.slice(0, 10)}…${peerId.slice(-6)}` : peerId
}

/** `bob` or the short peer id; the name made safe to print (it may come from a peer's invite). */
export function who (peerId: string, name?: string): string {
  return name == null ? shortPeer(peerId) : safeText(name)
}

/**
 * Peer-controlled text for one line of human output: control characters,
 * escape sequences and invisible formatting shown escaped (see safe-text.ts).
 */
export function peerText (style: Style | undefined, text: string): string {
  return safeText(text, style?.escape)
}

/** ` — note` (made safe), or nothing for an empty note. */
export function formatNote (style: Style | undefined, note: string): string {
  return note === '' ? '' : ` — ${peerText(style, note)}`
}

function pad (n: number): string {
  return String(n).padStart(2, '0')
}

/** `14:05` today, `2024-03-01 14:05` otherwise. */
export function formatTime (ms: number, now = Date.now()): string {
  const d = new Date(ms)
  const today = new Date(now)
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  if (d.toDateString() === today.toDateString()) {
    return hm
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`
}

/** The status word, coloured. */
export function formatStatus (style: Style, status: PresenceView['status']): string {
  switch (status) {
    case 'online': return style.green(status)
    case 'away': return style.yellow(status)
    case 'busy': return style.red(status)
    default: return style.dim(status)
  }
}

/** Delivery marks: … queued, ✓ sent (to a mailbox), ✓✓ delivered, ✓✓ read, ✗ failed. */
const STATE_MARKS: Record<MessageView['state'], string> = {
  queued: '…',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓ read',
  failed: '✗',
  received: ''
}

/** The delivery mark of an outgoing message: ` …`, ` ✓`, ` ✗ reason`; empty for incoming ones. */
export function formatMark (style: Style, m: Pick<MessageView, 'state' | 'failReason'>): string {
  const mark = STATE_MARKS[m.state]
  if (m.state === 'failed') {
    return style.red(` ${mark} ${peerText(style, m.failReason ?? 'not delivered')}`)
  }
  if (m.state === 'read') {
    return style.cyan(` ${mark}`)
  }
  // a sent message's event may say where it waits: "in a mailbox (3 copies)" (issue 12)
  if (m.state === 'sent' && m.failReason != null && /^in a mailbox \(\d+ cop(y|ies)\)$/.test(m.failReason)) {
    return style.dim(` ${mark} ${m.failReason}`)
  }
  return mark === '' ? '' : style.dim(` ${mark}`)
}

/**
 * A message as lines: `[14:05] bob: hi` / `[14:06] me: hello ✓`. The text is
 * made safe; each line after the first is indented under the text and marked
 * with `┆`, so a message cannot draw a line that looks like another sender's.
 * The delivery mark follows the last line.
 */
export function formatMessageLines (style: Style, m: MessageView, name?: string): string[] {
  const timeText = `[${formatTime(m.sentAt)}]`
  const label = m.direction === 'in' ? who(m.peer, name) : 'me'
  const head = `${style.dim(timeText)} ${m.direction === 'in' ? style.cyan(label) : style.magenta('me')}: `
  const [first = '', ...rest] = safeLines(m.text, style.escape)
  const indent = ' '.repeat(Math.max(2, timeText.length + 1)) + style.dim('┆') + ' '
  const lines = [head + first, ...rest.map(l => indent + l)]
  if (m.direction === 'out') {
    lines[lines.length - 1] += formatMark(style, m)
  }
  return lines
}

/** One message, its lines joined (see {@link formatMessageLines}). */
export function formatMessage (style: Style, m: MessageView, name?: string): string {
  return formatMessageLines(style, m, name).join('\n')
}

/** Pads to `width` visible characters (ignoring colour codes). */
export function padEnd (s: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = [...s.replace(/\u001b\[\d+m/g, '')].length
  return s + ' '.repeat(Math.max(0, width - visible))
}

/** `value` quoted for a POSIX shell when it needs to be, for commands we suggest (see safe-text.ts). */
export { shellQuote } from './safe-text.js'
