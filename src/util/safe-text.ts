/**
 * Text from peers never drives the terminal. Everything a peer wrote (message
 * text, presence notes, names taken from invites, request previews, error
 * messages that quote any of these) goes through this module before it is
 * printed for a human; `--json` output keeps the exact text.
 *
 * What is neutralised, shown visibly escaped (`\x1b`, `\u202e`, `\u{e0041}`):
 * - C0 and C1 control characters and DEL (`\p{Cc}`), so no ESC, CSI, OSC,
 *   carriage return, backspace or bell ever reaches the terminal;
 * - invisible formatting (`\p{Cf}`): bidi embeddings, overrides and isolates,
 *   marks, zero-width spaces and joiners, soft hyphens, BOMs, tag characters;
 *   a zero-width joiner between two pictographs is kept, so emoji sequences
 *   such as 👩‍💻 still render;
 * - the line and paragraph separators (`\p{Zl}`, `\p{Zp}`), lone surrogates
 *   (`\p{Cs}`) and the blank "filler" letters some fonts draw as nothing.
 *
 * A tab becomes two spaces. Newlines are escaped in single-line fields
 * ({@link safeText}); message bodies keep them as separate lines
 * ({@link safeLines}), each sanitised, and the caller indents every line after
 * the first so that no line can pose as another sender's.
 *
 * No library on the registry does exactly this (strip-ansi and friends remove
 * SGR/CSI sequences but leave bare `\r`, backspace, C1 and bidi controls), so
 * it is a small function over Unicode properties.
 *
 * @module
 */

/** Blank letters (Hangul fillers, braille blank) that render as nothing. */
const INVISIBLE_LETTERS = '\u115f\u1160\u3164\uffa0\u2800'

/** Everything that is escaped (tab and newline are handled before). */
const UNSAFE = new RegExp(`[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}${INVISIBLE_LETTERS}]`, 'gu')

const PICTOGRAPH = /(?:\p{Extended_Pictographic}|[\u{1f3fb}-\u{1f3ff}]|\ufe0f)$/u
const PICTOGRAPH_START = /^\p{Extended_Pictographic}/u

/** How an escape is shown; the identity by default, a highlight when colour is on. */
export type EscapeMark = (escaped: string) => string

/** The visible escape of one unsafe character: `\x1b`, `\u202e` or `\u{e0041}`. */
export function escapeChar (ch: string): string {
  const cp = ch.codePointAt(0) ?? 0
  switch (cp) {
    case 0x0a: return '\\n'
    case 0x0d: return '\\r'
    case 0x09: return '\\t'
    default:
  }
  if (cp < 0x100) {
    return `\\x${cp.toString(16).padStart(2, '0')}`
  }
  if (cp <= 0xffff) {
    return `\\u${cp.toString(16).padStart(4, '0')}`
  }
  return `\\u{${cp.toString(16)}}`
}

/**
 * `text` made safe to print on one line: every control or invisible
 * formatting character (newlines too) becomes its visible escape.
 *
 * @example
 * ```ts
 * safeText('hi\u001b[2J')   // 'hi\\x1b[2J'
 * safeText('abc\u202edef')  // 'abc\\u202edef'
 * ```
 */
export function safeText (text: string, mark: EscapeMark = s => s): string {
  const expanded = text.replace(/\t/g, '  ')
  return expanded.replace(UNSAFE, (ch: string, offset: number) => {
    if (ch === '\u200d' && PICTOGRAPH.test(expanded.slice(0, offset)) && PICTOGRAPH_START.test(expanded.slice(offset + 1))) {
      return ch
    }
    return mark(escapeChar(ch))
  })
}

/**
 * The lines of a multi-line text, each made safe with {@link safeText}.
 * `\n` and `\r\n` separate lines; a lone `\r` is escaped (it would move the
 * cursor back over the line). Trailing empty lines are dropped.
 */
export function safeLines (text: string, mark?: EscapeMark): string[] {
  const lines = text.split(/\r?\n/).map(line => safeText(line, mark))
  while (lines.length > 1 && lines[lines.length - 1] === '') {
    lines.pop()
  }
  return lines
}

/** Whether `text` holds anything {@link safeText} would escape. */
export function isUnsafe (text: string): boolean {
  UNSAFE.lastIndex = 0
  return UNSAFE.test(text)
}

/**
 * `value` quoted for a POSIX shell in a command we suggest: plain when it
 * can be, `'…'` when it needs quoting, and `$'…'` with visible escapes when it
 * holds control or invisible characters (so the suggestion is both safe to
 * print and correct to paste into bash or zsh).
 */
export function shellQuote (value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value)) {
    return value
  }
  if (!isUnsafe(value) && !value.includes('\t')) {
    return `'${value.replace(/'/g, "'\\''")}'`
  }
  const body = value.replace(/[\\']/g, m => `\\${m}`).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, escapeChar)
  return `$'${body.replace(/\\u\{([0-9a-f]+)\}/g, (_m, hex: string) => `\\U${hex.padStart(8, '0')}`)}'`
}
