/**
 * Output helpers: colour (only on a terminal, never with NO_COLOR or
 * TERM=dumb), the one JSON document of `--json`, and formatting of times,
 * peers, presence and messages.
 *
 * @module
 */
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
    magenta: sgr(35, 39)
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

/** `bob` or the short peer id. */
export function who (peerId: string, name?: string): string {
  return name ?? shortPeer(peerId)
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

const STATE_MARKS: Record<MessageView['state'], string> = {
  queued: '…',
  sent: '→',
  delivered: '✓',
  read: '✓✓',
  failed: '✗',
  received: ''
}

/** One history line: `[14:05] bob: hi` / `[14:06] me: hello ✓`. */
export function formatMessage (style: Style, m: MessageView, name?: string): string {
  const time = style.dim(`[${formatTime(m.sentAt)}]`)
  if (m.direction === 'in') {
    return `${time} ${style.cyan(who(m.peer, name))}: ${m.text}`
  }
  const mark = STATE_MARKS[m.state]
  const state = m.state === 'failed' ? style.red(` ${mark} ${m.failReason ?? 'not delivered'}`) : (mark === '' ? '' : style.dim(` ${mark}`))
  return `${time} ${style.magenta('me')}: ${m.text}${state}`
}

/** Pads to `width` visible characters (ignoring colour codes). */
export function padEnd (s: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = s.replace(/\u001b\[\d+m/g, '').length
  return s + ' '.repeat(Math.max(0, width - visible))
}

/** `value` quoted for a POSIX shell when it needs to be, for commands we suggest. */
export function shellQuote (value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`
}
