/**
 * The chat screen's keyboard, between the terminal and readline: turns on
 * bracketed paste and focus reporting, and takes out what readline cannot
 * handle itself. A pasted block keeps its lines together (its newlines become
 * {@link NEWLINE_MARK} in the input line, turned back into newlines when the
 * message is sent); Alt+Enter inserts a newline; focus changes and
 * PgUp/PgDn are reported as events. Everything else passes through.
 *
 * @module
 */
import { StringDecoder } from 'node:string_decoder'
import { Transform } from 'node:stream'
import type { Input, Output } from '../context.js'
import type { TransformCallback } from 'node:stream'

/** How a newline inside the message being typed is shown in the input line. */
export const NEWLINE_MARK = '\u2424'

const PASTE_START = '\u001b[200~'
const PASTE_END = '\u001b[201~'
const SEQUENCES = {
  [PASTE_START]: 'paste-start',
  [PASTE_END]: 'paste-end',
  '\u001b[I': 'focus-in',
  '\u001b[O': 'focus-out',
  '\u001b[5~': 'page-up',
  '\u001b[6~': 'page-down',
  '\u001b\r': 'newline',
  '\u001b\n': 'newline'
} as const
type Sequence = keyof typeof SEQUENCES
const KNOWN = Object.keys(SEQUENCES) as Sequence[]

/** Turns bracketed paste and focus reporting on (`on`) or off on the terminal. */
export function terminalModes (out: Output, on: boolean): void {
  out.write(on ? '\u001b[?2004h\u001b[?1004h' : '\u001b[?2004l\u001b[?1004l')
}

/** Events of {@link ChatKeys}, besides the stream's own. */
export interface ChatKeysEvents {
  focus: (focused: boolean) => void
  page: (direction: 'up' | 'down') => void
}

/**
 * The filter. Hand it to readline as its input (it forwards raw mode to the
 * terminal) and pipe the terminal into it.
 */
export class ChatKeys extends Transform {
  readonly isTTY = true
  private readonly decoder = new StringDecoder('utf8')
  private pending = ''
  private pasting = false
  private flushTimer?: ReturnType<typeof setTimeout>
  private readonly tty: Input & { setRawMode?: (mode: boolean) => unknown }

  constructor (tty: Input) {
    super()
    this.tty = tty
  }

  /** readline switches raw mode through its input: forward it to the terminal. */
  setRawMode (mode: boolean): this {
    this.tty.setRawMode?.(mode)
    return this
  }

  override _transform (chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    clearTimeout(this.flushTimer)
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))
    this.pending = ''
    const out = this.scan(text)
    if (out !== '') {
      this.push(out)
    }
    if (this.pending !== '') {
      // a lone ESC (the Escape key) or a sequence cut by the chunking: wait briefly for the rest
      this.flushTimer = setTimeout(() => {
        const rest = this.pending
        this.pending = ''
        if (rest !== '') {
          this.push(rest)
        }
      }, 30)
      this.flushTimer.unref?.()
    }
    callback()
  }

  override _flush (callback: TransformCallback): void {
    clearTimeout(this.flushTimer)
    callback(null, this.pending)
  }

  private scan (text: string): string {
    let out = ''
    for (let i = 0; i < text.length;) {
      const ch = text[i]!
      if (ch === '\u001b') {
        const rest = text.slice(i)
        const seq = KNOWN.find(s => rest.startsWith(s))
        if (seq != null) {
          out += this.handle(seq)
          i += seq.length
          continue
        }
        if (KNOWN.some(s => s.startsWith(rest))) {
          this.pending = rest
          break
        }
      }
      if (this.pasting && (ch === '\r' || ch === '\n')) {
        out += NEWLINE_MARK
        i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1
        continue
      }
      if (this.pasting && ch !== '\t' && /\p{Cc}/u.test(ch)) {
        // a pasted control character (Ctrl-C, ESC) must not act as a key
        i++
        continue
      }
      out += ch
      i++
    }
    return out
  }

  private handle (seq: Sequence): string {
    switch (SEQUENCES[seq]) {
      case 'paste-start':
        this.pasting = true
        return ''
      case 'paste-end':
        this.pasting = false
        return ''
      case 'focus-in':
        this.emit('focus', true)
        return ''
      case 'focus-out':
        this.emit('focus', false)
        return ''
      case 'page-up':
        this.emit('page', 'up')
        return ''
      case 'page-down':
        this.emit('page', 'down')
        return ''
      case 'newline':
        return NEWLINE_MARK
    }
  }
}
