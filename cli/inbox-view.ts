/**
 * One line of the conversation list, shared by `natter inbox` and the chat
 * screen's list: `1  bob      ● online   2 new  [14:05] bob: see you`.
 * Everything a peer wrote is made safe; the preview is cut to the width.
 *
 * @module
 */
import stringWidth from 'string-width'
import { formatMark, formatStatus, formatTime, shortPeer } from './output.js'
import { safeText } from './safe-text.js'
import type { Style } from './output.js'
import type { ConversationView } from '../node/api/types.js'

/** Cuts `text` (no escapes inside) to `width` columns, ending in `…` when cut. */
export function truncate (text: string, width: number): string {
  if (stringWidth(text) <= width) {
    return text
  }
  let out = ''
  for (const ch of text) {
    if (stringWidth(out + ch) > width - 1) {
      break
    }
    out += ch
  }
  return out + '…'
}

/** The label of a conversation: the contact's name, or the short peer id of an accepted stranger. */
export function conversationLabel (c: Pick<ConversationView, 'peer' | 'name'>): string {
  return c.name == null ? shortPeer(c.peer) : safeText(c.name)
}

/** One line of the list. */
export function formatInboxLine (style: Style, c: ConversationView, options: { index?: number, columns?: number, width?: number } = {}): string {
  const label = conversationLabel(c)
  const nameWidth = options.width ?? 18
  const dot = c.presence.status === 'offline' ? style.dim('○') : formatStatus(style, c.presence.status).replace(c.presence.status, '●')
  const status = c.presence.status.padEnd(7)
  const unread = c.unread > 0 ? style.bold(style.yellow(`${String(c.unread).padStart(3)} new`)) : '       '
  const index = options.index == null ? '' : style.dim(`${String(options.index).padStart(2)} `)
  const head = `${index}${style.bold(truncate(label, nameWidth).padEnd(nameWidth))} ${dot} ${style.dim(status)} ${unread}  `
  const headWidth = (options.index == null ? 0 : 3) + nameWidth + 1 + 2 + 8 + 7 + 2
  if (c.last == null) {
    return head + style.dim(c.contact ? 'no messages yet' : '')
  }
  const who = c.last.direction === 'in' ? '' : 'me: '
  const mark = c.last.direction === 'out' ? formatMark(style, c.last) : ''
  const room = Math.max(10, (options.columns ?? 100) - headWidth - 10 - stringWidth(who) - 3)
  // escapes are highlighted after cutting, so a cut never splits one
  const preview = truncate(safeText(c.last.text.replace(/\r?\n/g, ' ⏎ ')), room)
  return `${head}${style.dim(`[${formatTime(c.last.sentAt)}]`)} ${who}${c.unread > 0 ? style.bold(preview) : preview}${mark}`
}
