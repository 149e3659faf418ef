/**
 * The chat screen over a readline prompt: lines are written above the
 * prompt (which keeps what the user is typing), and the last line of one of
 * your messages can be rewritten in place while it is still on screen, so its
 * delivery mark changes live (… → ✓ → ✓✓ → read). When the line has scrolled
 * off, the caller prints a short note instead.
 *
 * Line mode rather than a full-screen layout: the terminal keeps its own
 * scrollback, selection and copy, and nothing breaks on a dumb or tiny
 * terminal. See README "Design notes".
 *
 * @module
 */
import { clearScreenDown, cursorTo, moveCursor } from 'node:readline'
import stringWidth from 'string-width'
import type { Output } from '../context.js'
import type { Interface } from 'node:readline'

/** Lines remembered for in-place updates (more than any terminal shows). */
const KEEP_LINES = 500

/** How many terminal rows `text` takes at `columns` wide. */
export function rowsOf (text: string, columns: number): number {
  return Math.max(1, Math.ceil(stringWidth(text) / Math.max(1, columns)))
}

/** The screen. */
export interface Screen {
  /** Writes lines above the prompt; a `key` names the last one for {@link Screen.update}. */
  say(lines: string | string[], key?: string): void
  /**
   * Rewrites the line named `key` with `text` when it is still on screen and
   * takes the same number of rows; returns whether it did.
   */
  update(key: string, text: string): boolean
  /** Removes the echo of the line just entered (`line` as typed after `prompt`). */
  eraseEcho(promptWidth: number, line: string): void
  /** Redraws the prompt with the input kept. */
  prompt(): void
  /** Attaches the readline prompt (before it, lines are plain writes). */
  attach(rl: Interface): void
}

interface Entry {
  text: string
  key?: string
}

/** Creates a screen on `out` (a terminal). */
export function createScreen (out: Output & { rows?: number }): Screen {
  const entries: Entry[] = []
  const keyed = new Map<string, Entry>()
  let rl: Interface | undefined

  const columns = (): number => out.columns ?? 80

  /** Moves to the start of the prompt's first row and clears the prompt. */
  const clearPrompt = (): void => {
    if (rl == null) {
      return
    }
    const pos = rl.getCursorPos()
    if (pos.rows > 0) {
      moveCursor(out, 0, -pos.rows)
    }
    cursorTo(out, 0)
    clearScreenDown(out)
  }

  const redraw = (): void => {
    if (rl == null) {
      return
    }
    // readline would move up again by the rows it thinks the prompt has: they were cleared here
    ;(rl as unknown as { prevRows: number }).prevRows = 0
    rl.prompt(true)
  }

  const remember = (entry: Entry): void => {
    entries.push(entry)
    if (entry.key != null) {
      keyed.set(entry.key, entry)
    }
    while (entries.length > KEEP_LINES) {
      const gone = entries.shift()
      if (gone?.key != null && keyed.get(gone.key) === gone) {
        keyed.delete(gone.key)
      }
    }
  }

  return {
    attach (r) {
      rl = r
    },

    say (lines, key) {
      const list = typeof lines === 'string' ? lines.split('\n') : lines
      clearPrompt()
      out.write(list.map(l => l + '\n').join(''))
      list.forEach((text, i) => { remember(i === list.length - 1 && key != null ? { text, key } : { text }) })
      redraw()
    },

    update (key, text) {
      const entry = keyed.get(key)
      const height = out.rows ?? 24
      if (entry == null || rl == null) {
        return false
      }
      const width = columns()
      const index = entries.lastIndexOf(entry)
      let below = 0
      for (let i = index + 1; i < entries.length && below < height; i++) {
        below += rowsOf(entries[i]!.text, width)
      }
      const rows = rowsOf(entry.text, width)
      if (below + rows > height - 1 || rowsOf(text, width) !== rows) {
        return false
      }
      clearPrompt()
      // save the cursor, go up to the line, write it over, clear what is left, come back
      out.write('\u001b7')
      moveCursor(out, 0, -(below + rows))
      cursorTo(out, 0)
      out.write(text + (stringWidth(text) % width === 0 ? '' : '\u001b[K'))
      out.write('\u001b8')
      entry.text = text
      redraw()
      return true
    },

    eraseEcho (promptWidth, line) {
      // readline echoed the line and moved below it: take it away (all its rows)
      const rows = rowsOf(' '.repeat(promptWidth) + line, columns())
      moveCursor(out, 0, -rows)
      cursorTo(out, 0)
      clearScreenDown(out)
    },

    prompt () {
      rl?.prompt(true)
    }
  }
}
