import { describe, expect, it } from 'vitest'
import { safeLines, safeText, shellQuote } from '../../src/util/safe-text.js'

// every character a terminal acts on, or that hides or reorders text
const HOSTILE = [
  ['ESC / CSI', 'a\u001b[2Kb', 'a\\x1b[2Kb'],
  ['OSC title', '\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
  ['OSC 8 link', '\u001b]8;;http://x\u001b\\y', '\\x1b]8;;http://x\\x1b\\y'],
  ['carriage return', 'harmless\rme: yes', 'harmless\\rme: yes'],
  ['backspace', 'ab\bc', 'ab\\x08c'],
  ['DEL', 'a\u007f', 'a\\x7f'],
  ['C1 CSI', 'a\u009b31mb', 'a\\x9b31mb'],
  ['bidi override', 'abc\u202edcba', 'abc\\u202edcba'],
  ['bidi isolate', '\u2066x\u2069', '\\u2066x\\u2069'],
  ['zero-width joiner in a word', 'pay\u200dpal', 'pay\\u200dpal'],
  ['zero-width space', 'a\u200bb', 'a\\u200bb'],
  ['line separator', 'a\u2028b', 'a\\u2028b'],
  ['tag character', 'a\u{e0041}', 'a\\u{e0041}'],
  ['hangul filler', 'a\u3164b', 'a\\u3164b'],
  ['newline on one line', 'a\nb', 'a\\nb']
] as const

describe('safeText', () => {
  for (const [what, input, shown] of HOSTILE) {
    it(`shows ${what} escaped`, () => {
      expect(safeText(input)).toBe(shown)
      // nothing a terminal interprets is left
      expect(safeText(input)).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u)
    })
  }

  it('keeps ordinary text, accents, CJK and emoji (ZWJ sequences too)', () => {
    for (const text of ['héllo wörld', '你好', '👍🏽 ok', '👩‍💻 and 👨‍👩‍👧', 'a ✓✓ b']) {
      expect(safeText(text)).toBe(text)
    }
  })

  it('turns a tab into spaces and highlights escapes through the mark', () => {
    expect(safeText('a\tb')).toBe('a  b')
    expect(safeText('a\u001bb', e => `<${e}>`)).toBe('a<\\x1b>b')
  })
})

describe('safeLines', () => {
  it('splits on \\n and \\r\\n, escapes a lone \\r, drops trailing empty lines', () => {
    expect(safeLines('one\r\ntwo\nthree\rx\n\n')).toEqual(['one', 'two', 'three\\rx'])
    expect(safeLines('')).toEqual([''])
  })
})

describe('shellQuote', () => {
  it('quotes plainly when it can, and with $\'…\' escapes when the value holds controls', () => {
    expect(shellQuote('bob')).toBe('bob')
    expect(shellQuote('Bob Smith')).toBe("'Bob Smith'")
    expect(shellQuote("it's")).toBe("'it'\\''s'")
    expect(shellQuote('ev\u001bil\u202e\'')).toBe("$'ev\\x1bil\\u202e\\''")
  })
})
